"""Benchmark: the load generator's own cost, per scenario, recqual vs raw Locust FastHttpUser (issue #16).

Not a test. For each of ``call-control``, ``races`` and ``reads`` it alternately runs, in ONE locust
process each (so the numbers are per worker process), with no think time and no rate cap:

- ``recqual``: the scenario's locustfile (every request judged against the scenario's model, outcome
  rows, the live-recording registry, race barriers and verdicts, body checks), through
  ``load.runner.run``;
- ``raw``: a bare FastHttpUser doing the same request mix (the same operations in the same proportions,
  the same barrier for races) and judging nothing beyond reading the ids it needs.

Both run against a **bare target** (``--serve``, this file): a raw ASGI app on uvicorn with httptools
and uvloop, in its own process, answering each vendor path with a canned, schema-valid answer from a
few dictionaries of state, so that it is not the bottleneck and the scenarios' models hold: a start is
201 with a fresh id (429 while the line is recorded), pause/resume 204 (429 when already paused / not
paused), a stop 204 (409 for an id no longer live), the live list of a line shows its recording, and
listRecordings pages hold at most ``pageSize`` of 100 canned recordings. It does not check credentials.
A preflight.json declaring it an emulator whose control plane the run may use is written for the
recqual side (users and calls are then "placed" on it as on the emulator).

Printed per scenario, medians over ``--reps``: requests/s (operation rows only: recqual's outcome and
race rows, and raw's set-up requests, are left out) and the generator's CPU seconds per 1,000
requests, from the difference between a long (``--seconds``) and a 2-s run of the same scenario and
side, so that process start-up, set-up and the clean-up sweep cancel out. Two ratios, each aimed at
>= 0.75: rate recqual/raw, and CPU raw/recqual (how far recqual's ceiling is from raw's). On a shared
machine the rate follows whatever CPU share the process got; the CPU ratio is the steadier figure.
The bare target's CPU share is printed too: near 100 % of a core it, not the generator, would be
the limit.

Each rep runs both sides back to back, in the order raw, recqual in even reps and recqual, raw in odd
ones (ABBA), so a drift of the machine's speed through the benchmark cancels out over two reps.

Bounded: 127.0.0.1 only, ``--seconds`` per long run (default 8), ``--users`` (default 30, enough
requests in flight for the generator to be the limit; races round it to a multiple of 3), ``--reps``
alternations (default 4).

    python benchmarks/bench_load.py [--seconds 8] [--users 30] [--reps 4] [--scenario races ...]
"""

from __future__ import annotations

import argparse
import base64
import csv
import http.client
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from load.runner import run  # noqa: E402  (no locust import: safe in this process)

SCENARIOS = ("call-control", "races", "reads")
LIVE = "/fw/Apps/Recorder/WebAPI/LiveRecordings"
RECORDINGS = "/fw/Apps/Recorder/WebAPI/Recordings"
RACE_SIZE = 3
SETUP_ROW = "setup"
"""Raw users' control-plane requests (recqual's go around Locust's statistics): not counted."""


# ------------------------------------------------------------------------------------ the bare target
def _canned_recordings(count: int) -> list[dict[str, Any]]:
    """``count`` schema-valid Recording items (reference 3), newest first, with varied parties."""
    items = []
    for n in range(count):
        seconds = 1_700_000_000 - n * 3_600
        items.append(
            {
                "id": str(uuid.UUID(int=0xB0B0_0000_0000_4000_8000_0000_0000_0000 + n)),
                "referenceNumber": f"{100000 + n}",
                "startTime": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(seconds)),
                "duration": f"PT{10 + n % 50}S",
                "direction": n % 3,
                "localPartyNumber": f"{100 + n % 10}",
                "remotePartyNumber": f"+39055{n:06d}",
                "ownerUsername": f"user{n % 7}",
            }
        )
    return items


class BareTarget:
    """The bare target's whole state and answers; one asyncio thread, so no locks."""

    def __init__(self) -> None:
        self.recordings = _canned_recordings(100)
        self.ids = {r["id"]: r for r in self.recordings}
        self.pages: dict[tuple[int, int | None], bytes] = {}
        self.media = b"\xff\xfb\x90\x64" + bytes(4092)  # an MPEG frame header, then silence
        self.live: dict[tuple[str, str], list[Any]] = {}  # (device, dn) -> [id, paused]
        self.line_of: dict[str, tuple[str, str]] = {}  # live id -> its line
        self.user_line: dict[str, tuple[str, str]] = {}  # username -> its own line

    # -- helpers -----------------------------------------------------------------------------
    @staticmethod
    def _user(headers: dict[bytes, bytes]) -> str:
        value = headers.get(b"authorization", b"")
        try:
            return base64.b64decode(value.split(b" ", 1)[1]).decode().split(":", 1)[0]
        except (IndexError, ValueError):
            return ""

    def _item(self, line: tuple[str, str]) -> list[dict[str, Any]]:
        entry = self.live.get(line)
        if entry is None:
            return []
        return [
            {
                "id": entry[0],
                "duration": "PT1S",
                "startedAt": "2026-01-01T00:00:00Z",
                "localParty": {"username": "load"},
                "remoteParty": {"firstName": "A", "lastName": "B", "phoneNumber": "+39055000000"},
                "isPaused": entry[1],
            }
        ]

    def _page(self, query: dict[str, list[str]]) -> bytes:
        size = int(query["pageSize"][0]) if "pageSize" in query else None
        page = int(query.get("page", ["0"])[0]) if size else 0
        key = (page, size)
        body = self.pages.get(key)
        if body is None:
            rows = self.recordings if size is None else self.recordings[page * size : (page + 1) * size]
            body = self.pages[key] = json.dumps(
                {"totalCount": len(self.recordings), "recordings": rows}
            ).encode()
        return body

    # -- live recordings ---------------------------------------------------------------------------
    def _start(self, body: bytes, headers: dict[bytes, bytes]) -> tuple[int, Any]:
        fields = json.loads(body) if body else None
        if fields:
            line = (fields.get("deviceName", ""), fields.get("directoryNumber", ""))
        else:
            line = self.user_line.get(self._user(headers), ("", ""))
        if line in self.live:
            return 429, {"reason": 0, "message": "the call is already being recorded"}
        rec_id = str(uuid.uuid4())
        self.live[line], self.line_of[rec_id] = [rec_id, False], line
        return 201, {"id": rec_id}

    def _stop_line(self, line: tuple[str, str] | None) -> int:
        entry = self.live.pop(line, None) if line is not None else None
        if entry is None:
            return 409
        self.line_of.pop(entry[0], None)
        return 204

    def _pause(self, line: tuple[str, str] | None, paused: bool) -> int:
        entry = self.live.get(line) if line is not None else None
        if entry is None:
            return 409
        if entry[1] == paused:
            return 429
        entry[1] = paused
        return 204

    def _lines_of_dn(self, dn: str) -> tuple[str, str] | None:
        return next((line for line in self.live if line[1] == dn), None)

    def answer(
        self, method: str, path: str, qs: str, body: bytes, headers: dict[bytes, bytes]
    ) -> tuple[int, Any]:
        """(status, JSON-able body, raw bytes, or ``None``) for one request."""
        query = parse_qs(qs)
        if path.startswith(LIVE):
            rest = path[len(LIVE) :].strip("/")
            line = (query.get("deviceName", [""])[0], query.get("directoryNumber", [""])[0])
            mine = self.user_line.get(self._user(headers))
            if rest == "":
                if method == "POST":
                    return self._start(body, headers)
                if method == "GET":
                    return 200, self._item(line)
                return self._stop_line(line), None  # DELETE by line
            if rest == "Mine":
                if method == "GET":
                    return 200, self._item(mine) if mine else []
                return self._stop_line(mine), None
            if rest in ("Pause", "Resume"):
                return self._pause(
                    self._lines_of_dn(query.get("directoryNumber", [""])[0]), rest == "Pause"
                ), None
            rec_id, _, action = rest.partition("/")
            if action:
                return self._pause(self.line_of.get(rec_id), action == "Pause"), None
            return self._stop_line(self.line_of.get(rec_id)), None
        if path.startswith(RECORDINGS):
            rest = path[len(RECORDINGS) :].strip("/")
            if rest == "":
                return 200, self._page(query)
            rec_id, _, media = rest.partition("/")
            if rec_id not in self.ids:
                return 404, {"reason": 0, "message": "no such recording"}
            return 200, (self.media if media else {**self.ids[rec_id], "size": 4096})
        if path == "/_emulator/users":
            fields = json.loads(body)
            self.user_line[fields["username"]] = (fields.get("deviceName", ""), fields.get("extension", ""))
            return 201, {}
        if path.startswith("/_emulator/calls"):
            return (201, {"callId": str(uuid.uuid4())}) if method == "POST" else (204, None)
        if path == "/_emulator/settings":
            return 200, {"licenseValid": True, "channels": 100_000, "retentionDays": 365, "latencyMs": 0}
        if path == "/_emulator/health":
            return 200, {"status": "ok", "service": "bare-benchmark-target"}
        return 404, {"message": "not a vendor path"}


def serve(port: int) -> None:
    """``--serve PORT``: the bare target on 127.0.0.1 (uvicorn, httptools, uvloop, one process)."""
    import uvicorn

    target = BareTarget()

    async def app(scope, receive, send) -> None:  # raw ASGI: no framework between socket and answer
        if scope["type"] != "http":
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        status, payload = target.answer(
            scope["method"], scope["path"], scope["query_string"].decode(), body, dict(scope["headers"])
        )
        if payload is None:
            data, ctype = b"", b"application/json"
        elif isinstance(payload, bytes):
            data = payload
            ctype = b"audio/mpeg" if payload is target.media else b"application/json"
        else:
            data, ctype = json.dumps(payload).encode(), b"application/json"
        headers = [(b"content-length", str(len(data)).encode())]
        if data:
            headers.append((b"content-type", ctype))
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": data})

    uvicorn.run(
        app,
        host="127.0.0.1",
        port=port,
        loop="uvloop",
        http="httptools",
        log_level="warning",
        access_log=False,
    )


# ------------------------------------------------------------------------------------ raw locustfiles
RAW_COMMON = '''
import base64, itertools, json, os, random
import gevent.event
from locust import FastHttpUser, constant, task

LIVE = "/fw/Apps/Recorder/WebAPI/LiveRecordings"
RECORDINGS = "/fw/Apps/Recorder/WebAPI/Recordings"
ADMIN = {"Authorization": "Basic " + base64.b64encode(b"admin:admin").decode()}
SEQ = itertools.count()
TAG = os.getpid() % 0xFFFF


def own_line(client):
    """Like recqual's lease on the emulator: a fresh level-10 user whose own line has a call."""
    n = next(SEQ)
    device, dn, user = f"SEP{TAG:04X}FF{n:06X}", f"9{TAG:05d}{n:05d}", f"raw{TAG}u{n}"
    client.post("/_emulator/users", json={"username": user, "password": "pw", "level": 10,
                "extension": dn, "deviceName": device}, name="setup")
    client.post("/_emulator/calls", json={"deviceName": device, "directoryNumber": dn, "username": user},
                name="setup")
    auth = {"Authorization": "Basic " + base64.b64encode(f"{user}:pw".encode()).decode()}
    return device, dn, auth
'''

RAW_CALL_CONTROL = (
    RAW_COMMON
    + '''

class RawCallControl(FastHttpUser):
    """call-control's round: its modes, pauses and by-id/by-line split, nothing judged."""
    wait_time = constant(0)

    def on_start(self):
        self.rng = random.Random()
        self.device, self.dn, self.own = own_line(self.client)
        self.line = f"?deviceName={self.device}&directoryNumber={self.dn}"

    @task
    def round(self):
        rng, c = self.rng, self.client
        mode = rng.choices(("id", "line", "mine"), weights=(4, 3, 3))[0]
        auth = self.own if mode == "mine" else ADMIN
        body = None if mode == "mine" and rng.random() < 0.5 else {"deviceName": self.device,
                                                                   "directoryNumber": self.dn}
        r = c.post(LIVE + "/", json=body, headers=auth, name="startRecording")
        rec_id = json.loads(r.content)["id"]
        if mode == "mine":
            c.get(LIVE + "/Mine", headers=auth, name="listMyActiveRecordings")
        else:
            c.get(LIVE + "/" + self.line, headers=auth, name="listActiveRecordings")
        for _ in range(rng.choice((0, 1, 1, 2))):
            for action in ("Pause", "Resume"):
                if rng.random() < 0.6:
                    c.put(f"{LIVE}/{rec_id}/{action}", headers=ADMIN, name=action.lower() + "Recording")
                else:
                    c.put(f"{LIVE}/{action}?directoryNumber={self.dn}", headers=ADMIN,
                          name=action.lower() + "RecordingsByLine")
        if mode == "mine":
            c.delete(LIVE + "/Mine", headers=auth, name="stopMyRecording")
        elif mode == "line":
            c.delete(LIVE + "/" + self.line, headers=ADMIN, name="stopRecordingByLine")
        else:
            c.delete(f"{LIVE}/{rec_id}", headers=ADMIN, name="stopRecording")
'''
)

RAW_RACES = (
    RAW_COMMON
    + f'''
K = {RACE_SIZE}
GROUPS = []


class Barrier:
    """The same cyclic gevent barrier as recqual's, without its timeout bookkeeping."""
    def __init__(self):
        self.waiting, self.event = 0, gevent.event.Event()

    def wait(self):
        event = self.event
        self.waiting += 1
        if self.waiting == K:
            self.waiting, self.event = 0, gevent.event.Event()
            event.set()
        else:
            event.wait()


class RawRaces(FastHttpUser):
    """races' round: K users fire start, pause, resume, stop together; each step between two barriers."""
    wait_time = constant(0)

    def on_start(self):
        if not GROUPS or len(GROUPS[-1]["members"]) == K:
            GROUPS.append({{"members": [], "barrier": Barrier(), "ready": gevent.event.Event()}})
        self.race = GROUPS[-1]
        self.race["members"].append(self)
        if len(self.race["members"]) == 1:
            device, dn, _ = own_line(self.client)
            self.race["body"] = {{"deviceName": device, "directoryNumber": dn}}
        if len(self.race["members"]) == K:
            self.race["ready"].set()

    @task
    def round(self):
        g, c = self.race, self.client
        g["ready"].wait()
        g["barrier"].wait()
        g["barrier"].wait()
        # the losers' 429/409 are expected: success() keeps Locust's failure bookkeeping out, as in recqual
        start = dict(json=g["body"], headers=ADMIN, name="startRecording", catch_response=True)
        with c.post(LIVE + "/", **start) as r:
            r.success()
            if r.status_code == 201:
                g["id"] = json.loads(r.content)["id"]
        g["barrier"].wait()
        for action, method in (("Pause", c.put), ("Resume", c.put), ("", c.delete)):
            g["barrier"].wait()
            path = f"{{LIVE}}/{{g['id']}}" + (f"/{{action}}" if action else "")
            name = (action.lower() or "stop") + "Recording"
            with method(path, headers=ADMIN, name=name, catch_response=True) as r:
                r.success()
            g["barrier"].wait()
'''
)

RAW_READS = (
    RAW_COMMON
    + f'''
import sys
from urllib.parse import urlencode
sys.path.insert(0, {str(REPO)!r})
from load.filters import QueryMix  # the scenario's own query mix: the same requests, not a check


class RawReads(FastHttpUser):
    """reads' mix: listRecordings (QueryMix) 5 : getRecording 3 : downloadRecording 2, nothing judged."""
    wait_time = constant(0)

    def on_start(self):
        self.rng = random.Random()
        r = self.client.get(RECORDINGS + "/?page=0&pageSize=100", headers=ADMIN, name="listRecordings")
        sample = json.loads(r.content)["recordings"]
        self.ids = [s["id"] for s in sample]
        self.mix = QueryMix(sample, self.rng)

    @task(5)
    def list_filtered(self):
        query = urlencode(self.mix.query())
        self.client.get(RECORDINGS + "/?" + query, headers=ADMIN, name="listRecordings")

    @task(3)
    def detail(self):
        self.client.get(f"{{RECORDINGS}}/{{self.rng.choice(self.ids)}}", headers=ADMIN, name="getRecording")

    @task(2)
    def download(self):
        self.client.get(f"{{RECORDINGS}}/{{self.rng.choice(self.ids)}}/Media", headers=ADMIN,
                        name="downloadRecording")
'''
)

RAW = {"call-control": RAW_CALL_CONTROL, "races": RAW_RACES, "reads": RAW_READS}


# ------------------------------------------------------------------------------------ measuring
@dataclass(frozen=True)
class Sample:
    """One locust process: its operation rate and request count, and all the CPU it used."""

    rps: float  # operation requests per second (Locust's figure: from the first spawn to the last answer)
    requests: int
    failures: int
    cpu_s: float  # the locust process's CPU seconds, start-up, set-up and clean-up included


def marginal_cpu_per_1k(short: Sample, long: Sample) -> float:
    """CPU seconds per 1,000 requests of the generator alone: the difference between a long and a short
    run of the same scenario, so process start-up, set-up and clean-up (the same in both) cancel out."""
    extra = long.requests - short.requests
    return (long.cpu_s - short.cpu_s) / extra * 1000 if extra > 0 else float("nan")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_bare_target(log: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, __file__, "--serve", str(port)],
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
            time.sleep(0.1)
    proc.kill()
    raise SystemExit(f"the bare target did not start: see {log}")


def write_preflight(target: str, path: Path) -> None:
    """A preflight.json declaring the bare target an emulator whose control plane the run may use."""
    from recqual.preflight import Preflight

    Preflight(
        url=target,
        server="recqual-emulator",
        control_plane="ours",
        control_allowed=True,
        reset_allowed=False,
        clock_offset_s=0.0,
        retention_days=365,
        warnings=["benchmarks/bench_load.py: a bare target declared, not probed"],
    ).write(path)


def operation_rows(csv_path: Path) -> tuple[float, int, int]:
    """(requests/s, requests, failures) of the operation rows: Aggregated, less raw's set-up rows."""
    rows = {row["Name"]: row for row in csv.DictReader(csv_path.open())}
    total = rows.get("Aggregated")
    if total is None:
        return 0.0, 0, 0
    count, failures = int(total["Request Count"]), int(total["Failure Count"])
    setup = rows.get(SETUP_ROW)
    ops = count - (int(setup["Request Count"]) if setup else 0)
    return float(total["Requests/s"]) * ops / max(count, 1), ops, failures


def run_raw(scenario: str, target: str, users: int, seconds: int, out: Path) -> Sample:
    out.mkdir(parents=True, exist_ok=True)
    locustfile = out / "raw_locustfile.py"
    locustfile.write_text(textwrap.dedent(RAW[scenario]))
    cmd = [sys.executable, "-m", "locust", "-f", str(locustfile), "--headless", "-H", target]
    cmd += ["-u", str(users), "-r", str(users), "-t", f"{seconds}s", "--csv", str(out / "stats")]
    cmd += ["--only-summary", "--stop-timeout", "5"]
    with (out / "locust.log").open("wb") as log:
        proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, cwd=REPO)
        _, _, usage = os.wait4(proc.pid, 0)
    rps, count, failures = operation_rows(out / "stats_stats.csv")
    return Sample(rps, count, failures, usage.ru_utime + usage.ru_stime)


NO_TREND = "[trend]\nenabled = false\n"
"""The end-of-run trend gate's statistics (a bootstrap when the two thirds differ, as they do on a busy
machine) are a cost per run, not per request: left out, or they land in the long run only and skew the
difference. Its per-request sampling stays, as does every check on every request."""


def run_recqual(scenario: str, target: str, users: int, seconds: int, out: Path) -> Sample:
    out.mkdir(parents=True, exist_ok=True)
    slo_file = out / "no-trend.toml"
    slo_file.write_text(NO_TREND)
    before = os.times()
    result = run(
        scenario,
        target=target,
        users=users,
        spawn_rate=users,
        run_time=f"{seconds}s",
        out_dir=out,
        slo_file=slo_file,
        rate=None,
        extra=[
            *("--recqual-think-min", "0", "--recqual-think-max", "0", "--recqual-max-user-rps", "0"),
            *("--recqual-lines-per-user", "1", "--recqual-race-size", str(RACE_SIZE)),
        ],
    )
    after = os.times()
    rps, count, failures = operation_rows(out / "stats_stats.csv")
    if result.exit_code != 0:
        breaches = (result.summary or {}).get("slo", {}).get("breaches")
        print(f"  (recqual {scenario} exit {result.exit_code}: {breaches}; see {out})")
    cpu = (after.children_user - before.children_user) + (after.children_system - before.children_system)
    return Sample(rps, count, failures, cpu)


def process_cpu(pid: int) -> float:
    """CPU seconds a process has used so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


SHORT_S = 2
"""The short run of each pair: long enough for every user to start its rounds."""


@dataclass
class Side:
    """One side (raw or recqual) of a scenario: its long runs and its marginal CPU per 1,000 requests."""

    runs: list[Sample] = field(default_factory=list)
    marginal: list[float] = field(default_factory=list)

    def line(self, name: str) -> str:
        rps = statistics.median(s.rps for s in self.runs)
        cpu = statistics.median(self.marginal)
        fails = sum(s.failures for s in self.runs)
        return f"{name} {rps:7.1f} req/s {cpu:5.3f} CPU-s/1k" + (f" ({fails} failures!)" if fails else "")


def measure(scenario: str, target: str, users: int, seconds: int, reps: int, work: Path, bare: int) -> str:
    """Alternate raw and recqual, each a short and a long run; one summary line for the scenario."""
    sides = {"raw": Side(), "recqual": Side()}
    bare_share = 0.0
    order = (("raw", run_raw), ("recqual", run_recqual))
    for rep in range(reps):
        # ABBA: raw first in even reps, recqual first in odd ones, so that a machine getting slower (or
        # faster) through the benchmark, as this project's does after a minute of load, weighs on both
        # sides alike instead of always on the side that runs second
        for name, fn in order if rep % 2 == 0 else order[::-1]:
            short = fn(scenario, target, users, SHORT_S, work / f"{scenario}-{name}-{rep}-short")
            cpu0, t0 = process_cpu(bare), time.monotonic()
            long = fn(scenario, target, users, seconds, work / f"{scenario}-{name}-{rep}")
            bare_share = max(bare_share, (process_cpu(bare) - cpu0) / (time.monotonic() - t0))
            side = sides[name]
            side.runs.append(long)
            side.marginal.append(marginal_cpu_per_1k(short, long))
            print(
                f"{scenario:12s} rep {rep + 1} {name:8s} {long.rps:8.1f} req/s, {long.requests} requests "
                f"({long.failures} failures), {side.marginal[-1]:.3f} CPU-s per 1k (marginal)",
                flush=True,
            )
    raw, rq = sides["raw"], sides["recqual"]
    rate_ratio = statistics.median(s.rps for s in rq.runs) / statistics.median(s.rps for s in raw.runs)
    cpu_ratio = statistics.median(raw.marginal) / statistics.median(rq.marginal)
    worst = min(rate_ratio, cpu_ratio)
    return (
        f"{scenario:12s} {users:2d} users | {raw.line('raw')} | {rq.line('recqual')} | ratio: rate "
        f"{rate_ratio:.2f}, CPU {cpu_ratio:.2f} ({'ok' if worst >= 0.75 else 'BELOW 0.75'}) | bare target "
        f"<= {bare_share * 100:.0f}% of a core"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=8)
    parser.add_argument("--users", type=int, default=30)
    parser.add_argument("--reps", type=int, default=4)
    parser.add_argument("--scenario", action="append", choices=SCENARIOS, help="repeatable; default: all")
    parser.add_argument("--serve", type=int, metavar="PORT", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve)
        return
    if not (SHORT_S < args.seconds <= 60 and 1 <= args.users <= 200 and 1 <= args.reps <= 5):
        raise SystemExit(f"bounded benchmark: {SHORT_S + 1}-60 s, 1-200 users, 1-5 reps")
    work = Path(tempfile.mkdtemp(prefix="bench_load-"))
    bare, target = start_bare_target(work / "bare-target.log")
    write_preflight(target, work / "preflight.json")
    os.environ["RECQUAL_PREFLIGHT"] = str(work / "preflight.json")  # load.runner reads it, runs none
    os.environ["RECQUAL_USER"], os.environ["RECQUAL_PASSWORD"] = "admin", "admin"
    lines = []
    try:
        for scenario in args.scenario or SCENARIOS:
            users = args.users if scenario != "races" else max(RACE_SIZE, args.users // RACE_SIZE * RACE_SIZE)
            lines.append(measure(scenario, target, users, args.seconds, args.reps, work, bare.pid))
    finally:
        os.killpg(bare.pid, signal.SIGTERM)
        bare.wait(timeout=10)
    print(
        f"\nmedians per locust process: operation requests/s of the {args.seconds}-s runs; CPU per 1,000 "
        f"requests from the difference between those and {SHORT_S}-s runs (start-up and clean-up cancel out);"
        "\nratio: recqual/raw for the rate, raw/recqual for the CPU (each >= 0.75 is the aim)"
    )
    for line in lines:
        print(line)
    print(f"runs kept in {work}")


if __name__ == "__main__":
    main()
