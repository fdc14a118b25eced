"""Does ``recqual load capacity`` find a server's real limit? Side by side with the benchmark's cycle.

    python benchmarks/bench_capacity.py [--share 0.3] [--pairs 2] [--run-time 150]

The capacity search (``python -m load capacity``, mix ``start-stop``: start, then stop by id) reports the
highest arrival rate the emulator holds under the SLO file's p99 bound. ``benchmarks/bench_emulator.py``
measures the same cycle as fast as 16 connections go, one request at a time each. This script runs both
against one emulator, alternately (benchmark, search, benchmark, ...), and prints the search's highest
held rate over the benchmark's rate for each pair (the aim: within 20 %, i.e. 0.8 to 1.2).

The comparison only means something when the **server** is the limit. On a machine where the load
generator and the server each get one core, the generator is the limit: a Locust process with recqual's
checks and the open-model schedule costs more CPU per request than the emulator does to answer it, so
the search stops where the generator does and says so (``generator_bound``). To put the limit in the
server, as a faster generator machine would, the emulator runs with a fixed share of its core
(``--share``, default 0.3): a CPU quota of the Linux cgroup ``cpu`` controller (v1 ``cfs_quota_us`` or
v2 ``cpu.max``, 10 ms period). Both sides of every pair meet the same share. Without cgroup access
(not root, no ``cpu`` controller) the script says so and runs without a share; ``--share 1`` asks for
none. Each pair's row also shows the generator's busiest CPU at the breaking step.

Traffic goes to 127.0.0.1 only; every phase is bounded in time; the emulator is stopped by its PID and
its cgroup removed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import bench_emulator as bench
import httpx

PERIOD_US = 10_000  # a short period: a throttled server stalls for at most (1 - share) x 10 ms at a time
AIM_LOW, AIM_HIGH = 0.8, 1.2
CYCLES = 3_000  # per benchmark measurement


def _cgroup_dir() -> tuple[Path, str] | None:
    """A new cgroup with the cpu controller, and the file that sets its quota; None without access."""
    name = f"recqual-bench-{os.getpid()}"
    v2 = Path("/sys/fs/cgroup")
    if (v2 / "cgroup.controllers").exists() and "cpu" in (v2 / "cgroup.controllers").read_text().split():
        path, quota_file = v2 / name, "cpu.max"
    else:
        path, quota_file = Path("/sys/fs/cgroup/cpu") / name, "cpu.cfs_quota_us"
    try:
        path.mkdir()
    except OSError:
        return None
    return path, quota_file


@contextmanager
def cpu_share(pid: int, share: float) -> Iterator[str]:
    """Hold ``pid`` to ``share`` of one core while the block runs; yields what was set, for the report."""
    if share >= 1:
        yield "none (a full core)"
        return
    made = _cgroup_dir()
    if made is None:
        yield "none: no writable cgroup cpu controller here (run as root on Linux to set one)"
        return
    path, quota_file = made
    quota = int(PERIOD_US * share)
    try:
        if quota_file == "cpu.max":
            (path / "cpu.max").write_text(f"{quota} {PERIOD_US}")
        else:
            (path / "cpu.cfs_period_us").write_text(str(PERIOD_US))
            (path / "cpu.cfs_quota_us").write_text(str(quota))
        (path / "cgroup.procs").write_text(str(pid))
        yield f"{share:.0%} of one core (cgroup quota {quota} us per {PERIOD_US} us)"
    finally:
        parent = path.parent / "cgroup.procs"
        try:
            for task in (path / "cgroup.procs").read_text().split():
                parent.write_text(task)
        except OSError:
            pass  # the emulator is gone already
        try:
            path.rmdir()
        except OSError as exc:
            print(f"bench_capacity: could not remove {path}: {exc}", file=sys.stderr)


def benchmark_rate(server: bench.Server, lines: list[str]) -> float:
    """The benchmark's start->stop figure: requests per wall second, 16 connections one at a time.

    The emulator is reset first (a search leaves its own users and calls, and resets at its start too).
    """
    reset = httpx.post(server.url + "/_emulator/reset", timeout=30)
    if reset.status_code != 204:
        raise RuntimeError(f"reset answered {reset.status_code}")
    bench._place_calls(server, lines)
    return asyncio.run(bench.cycle_rate(server, CYCLES, lines)).wall


def capacity_search(url: str, out_dir: Path, args: argparse.Namespace, start_rate: float) -> dict:
    """One ``python -m load capacity`` run; its summary's capacity section."""
    cmd = [
        sys.executable, "-m", "load", "capacity", "--target", url, "--allow-reset",
        "-u", str(args.users), "-r", str(args.users), "-t", f"{args.run_time}s", "--out-dir", str(out_dir),
        "--", "--recqual-capacity-mix", "start-stop", "--recqual-start-rate", f"{start_rate:.0f}",
        "--recqual-step-seconds", "5", "--recqual-refine-steps", "3",
    ]  # fmt: skip
    subprocess.run(
        cmd, cwd=bench.ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        timeout=args.run_time + 120, check=False,
    )  # fmt: skip
    summary = json.loads((out_dir / "summary.json").read_text())
    return summary["capacity"]


def _parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--share", type=float, default=0.3, help="the emulator's share of its core (1: all)")
    parser.add_argument("--pairs", type=int, default=2, help="benchmark + search pairs (default 2)")
    parser.add_argument("--run-time", type=int, default=150, help="upper bound per search, seconds")
    parser.add_argument("--users", type=int, default=48, help="Locust users of the search (default 48)")
    return parser.parse_args()


def main() -> None:
    args = _parse_args()
    server_cpu = bench._pin_cores()  # this process and its children (Locust) keep off the server's core
    lines = [f"9{i:03d}" for i in range(16)]
    emu = bench.Server.start(["-m", "emulator", "--log-level", "warning"], server_cpu)
    rows: list[tuple[str, str]] = []
    ratios: list[float] = []
    try:
        with cpu_share(emu.proc.pid, args.share) as share, tempfile.TemporaryDirectory() as tmp:
            rows.append(("emulator CPU", share))
            before = benchmark_rate(emu, lines)
            for pair in range(1, args.pairs + 1):
                started = time.monotonic()
                capacity = capacity_search(emu.url, Path(tmp) / f"run{pair}", args, start_rate=before / 8)
                after = benchmark_rate(emu, lines)
                reference = statistics.mean((before, after))
                held = capacity["highest_rate"] or 0.0
                ratio = held / reference
                ratios.append(ratio)
                cpu = capacity["generator_cpu_at_break"]
                rows.append(
                    (
                        f"pair {pair}: capacity held (lowest broken), req/s",
                        f"{held:,.0f} ({capacity['lowest_broken_rate'] or 0:,.0f})"
                        f"   generator CPU at the break {'-' if cpu is None else f'{cpu:.0f} %'}"
                        f"   generator_bound {capacity['generator_bound']}",
                    )
                )
                rows.append(
                    (
                        f"pair {pair}: benchmark start->stop before / after, req/s",
                        f"{before:,.0f} / {after:,.0f}   ({time.monotonic() - started:.0f} s)",
                    )
                )
                verdict = "met" if AIM_LOW <= ratio <= AIM_HIGH else "MISSED"
                rows.append(
                    (f"pair {pair}: held / benchmark (aim {AIM_LOW}-{AIM_HIGH})", f"{ratio:.2f}  {verdict}")
                )
                before = after
    finally:
        emu.stop()
    bench.print_table(rows)
    if ratios and not all(AIM_LOW <= r <= AIM_HIGH for r in ratios):
        sys.exit(1)


if __name__ == "__main__":
    main()
