"""Benchmark: the load generator's own ceiling, recqual call-control vs raw Locust FastHttpUser.

Not a test. Starts the emulator on a free loopback port, then alternately runs, in ONE locust process each
(so the numbers are per worker process), with no think time and no rate cap:

- ``recqual``: ``load/locustfiles/call_control.py`` (every request judged, outcome rows, registry,
  body checks), through ``load.runner.run``;
- ``raw``: a bare FastHttpUser doing the same live-recording round on its own line (start, list by line,
  pause, resume, stop by id) with no checks beyond reading the new id.

It prints requests/s (Locust's Aggregated "Requests/s": primary rows only, so recqual's outcome rows do not
inflate it), the CPU seconds the locust process used per 1,000 requests, and the ratio recqual/raw (target
>= 0.75). When the emulator, not the generator, is the bottleneck both numbers converge: the CPU per
request is then the better measure of the generator's own cost, and is printed for that reason.

Bounded: 127.0.0.1 only, ``--seconds`` per run (default 8), ``--users`` users (default 10), ``--reps``
alternations (default 2).

    /work/venv/bin/python benchmarks/bench_load.py [--seconds 8] [--users 10] [--reps 2]
"""

from __future__ import annotations

import argparse
import csv
import http.client
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from load.runner import run  # noqa: E402  (no locust import: safe in this process)

RAW_LOCUSTFILE = textwrap.dedent(
    '''
    """Raw FastHttpUser: the same round as call-control, nothing judged."""
    import itertools, json, os
    from locust import FastHttpUser, constant, task

    AUTH = {"Authorization": "Basic YWRtaW46YWRtaW4="}  # admin:admin, the emulator's default
    LIVE = "/fw/Apps/Recorder/WebAPI/LiveRecordings"
    SEQ = itertools.count()
    TAG = os.getpid() % 0xFFFF

    class RawUser(FastHttpUser):
        wait_time = constant(0)

        def on_start(self):
            n = next(SEQ)
            self.device, self.dn = f"SEP{TAG:04X}FF{n:06X}", f"9{TAG:05d}{n:05d}"
            self.client.post("/_emulator/calls", json={"deviceName": self.device, "directoryNumber": self.dn,
                                                       "username": "admin"})
            self.line = f"?deviceName={self.device}&directoryNumber={self.dn}"

        @task
        def round(self):
            r = self.client.post(LIVE + "/", json={"deviceName": self.device, "directoryNumber": self.dn},
                                 headers=AUTH, name="startRecording")
            rec_id = json.loads(r.content)["id"]
            self.client.get(LIVE + "/" + self.line, headers=AUTH, name="listActiveRecordings")
            self.client.put(f"{LIVE}/{rec_id}/Pause", headers=AUTH, name="pauseRecording")
            self.client.put(f"{LIVE}/{rec_id}/Resume", headers=AUTH, name="resumeRecording")
            self.client.delete(f"{LIVE}/{rec_id}", headers=AUTH, name="stopRecording")
    '''
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_emulator(log: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "emulator",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--log-level",
            "warning",
        ],
        cwd=REPO,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    for _ in range(150):
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/_emulator/health")
            if conn.getresponse().status == 200:
                return proc, f"http://127.0.0.1:{port}"
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise SystemExit("emulator did not start")


def aggregated(csv_path: Path) -> tuple[float, int]:
    for row in csv.DictReader(csv_path.open()):
        if row["Name"] == "Aggregated":
            return float(row["Requests/s"]), int(row["Request Count"])
    return 0.0, 0


def run_raw(target: str, users: int, seconds: int, out: Path) -> tuple[float, float]:
    out.mkdir(parents=True, exist_ok=True)
    locustfile = out / "raw_locustfile.py"
    locustfile.write_text(RAW_LOCUSTFILE)
    cmd = [
        sys.executable,
        "-m",
        "locust",
        "-f",
        str(locustfile),
        "--headless",
        "-H",
        target,
        "-u",
        str(users),
        "-r",
        str(users),
        "-t",
        f"{seconds}s",
        "--csv",
        str(out / "stats"),
        "--only-summary",
    ]
    with (out / "locust.log").open("wb") as log:
        proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, cwd=REPO)
        _, _, usage = os.wait4(proc.pid, 0)
    rps, count = aggregated(out / "stats_stats.csv")
    return rps, (usage.ru_utime + usage.ru_stime) / max(count, 1) * 1000


def run_recqual(target: str, users: int, seconds: int, out: Path) -> tuple[float, float]:
    before = os.times()
    result = run(
        "call-control",
        target=target,
        users=users,
        spawn_rate=users,
        run_time=f"{seconds}s",
        out_dir=out,
        slo_file=None,
        rate=None,
        allow_reset=True,  # the benchmark's own emulator: its control plane sets the scene
        extra=[
            "--recqual-think-min",
            "0",
            "--recqual-think-max",
            "0",
            "--recqual-max-user-rps",
            "0",
            "--recqual-lines-per-user",
            "1",
        ],
    )
    after = os.times()
    rps, count = aggregated(out / "stats_stats.csv")
    if result.exit_code != 0:
        print(f"  (recqual run exit {result.exit_code}: {result.summary and result.summary['slo']})")
    cpu = (after.children_user - before.children_user) + (after.children_system - before.children_system)
    return rps, cpu / max(count, 1) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=8)
    parser.add_argument("--users", type=int, default=10)
    parser.add_argument("--reps", type=int, default=2)
    args = parser.parse_args()
    if not (1 <= args.seconds <= 60 and 1 <= args.users <= 200 and 1 <= args.reps <= 5):
        raise SystemExit("bounded benchmark: 1-60 s, 1-200 users, 1-5 reps")
    work = Path(tempfile.mkdtemp(prefix="bench_load-"))
    emulator, target = start_emulator(work / "emulator.log")
    results: dict[str, list[tuple[float, float]]] = {"raw": [], "recqual": []}
    try:
        for rep in range(args.reps):
            for name, fn in (("raw", run_raw), ("recqual", run_recqual)):
                rps, cpu = fn(target, args.users, args.seconds, work / f"{name}-{rep}")
                results[name].append((rps, cpu))
                print(f"rep {rep + 1} {name:8s} {rps:8.1f} req/s  {cpu:6.2f} CPU-s per 1k requests")
    finally:
        os.killpg(emulator.pid, signal.SIGTERM)
        emulator.wait(timeout=10)
    raw_rps = statistics.median(r for r, _ in results["raw"])
    rq_rps = statistics.median(r for r, _ in results["recqual"])
    raw_cpu = statistics.median(c for _, c in results["raw"])
    rq_cpu = statistics.median(c for _, c in results["recqual"])
    print(
        f"\nmedian req/s per process: raw {raw_rps:.1f}, recqual {rq_rps:.1f}, ratio {rq_rps / raw_rps:.2f}"
    )
    print(
        f"median generator CPU per 1k requests: raw {raw_cpu:.2f} s, recqual {rq_cpu:.2f} s "
        "(both include process start-up; recqual's also its set-up and clean-up requests)"
    )
    print(
        f"estimated generator ceiling (requests per CPU-second, one core): raw {1000 / raw_cpu:.0f}, "
        f"recqual {1000 / rq_cpu:.0f}, ratio {raw_cpu / rq_cpu:.2f}"
    )
    print(f"runs kept in {work}")


if __name__ == "__main__":
    main()
