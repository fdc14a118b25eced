"""`recqual diff` over real load passes: quiet on reruns, loud on a server 20 ms slower at getRecording.

The load pass is what `recqual qualify --quick` runs (``load/plan.py``: call-control, races, reads with
short think times), through a loopback proxy in front of the session's emulator, so "before" and
"after" differ only in the proxy's delay. Each pass becomes a summary.json with
``recqual.summary.build_summary`` (no conformance checks: only latency and status codes differ), and
``recqual diff`` compares them. Three reruns and a slowed one: about 50 s.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from load_support import EmulatorProcess, Proxy

from load import plan
from load.runner import run
from recqual.summary import build_summary, write_summary

RUN = {"started": "s", "finished": "f", "duration_s": 1.0, "seed": 1, "quick": True, "versions": {}}


@pytest.fixture(scope="module")
def slowable(emulator: EmulatorProcess) -> Iterator[Proxy]:
    proxy = Proxy(emulator.url)
    try:
        yield proxy
    finally:
        proxy.close()


def quick_pass(target: str, out: Path, scenarios: tuple[str, ...]) -> Path:
    """The quick plan's scenarios against ``target``; returns the summary.json built from them."""
    loads: dict[str, dict[str, Any]] = {}
    for scenario in scenarios:
        step = plan.step(scenario, quick=True)
        users = plan.users(scenario, control=True, standing_lines=0)
        result = run(
            scenario,
            target=target,
            allow_reset=True,
            users=users,
            spawn_rate=users,
            run_time=step.run_time,
            out_dir=out / scenario,
            extra=step.locust_args(),
        )
        assert result.exit_code == 0 and result.summary, (out / scenario / "locust-master.log").read_text()[
            -2000:
        ]
        loads[scenario] = result.summary
    target_info = {"url": target, "kind": "emulator", "profile": "strict"}
    summary = build_summary(
        target=target_info, run=RUN, contract={"checks": []}, contract_exit=0, load_summaries=loads
    )
    write_summary(summary, out / "summary.json")
    return out / "summary.json"


def diff(a: Path, b: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "recqual", "diff", str(a), str(b)], capture_output=True, text=True, timeout=60
    )


@pytest.mark.slow  # latency under a parallel CI run is too noisy for a 20 ms shift; run alone (README)
def test_reruns_do_not_regress_and_20_ms_on_get_recording_does(slowable: Proxy, tmp_path: Path) -> None:
    scenarios = ("call-control", "reads")  # races' operations are call-control's: same code path
    first = quick_pass(slowable.url, tmp_path / "first", scenarios)
    second = quick_pass(slowable.url, tmp_path / "second", scenarios)
    counts = {op: row["count"] for op, row in json.loads(first.read_text())["latency"].items()}
    assert counts["getRecording"] >= 30, counts  # comparable (a proxy hop halves what a direct run gets)
    for a, b in ((first, second), (second, first)):
        same = diff(a, b)
        assert same.returncode == 0, same.stdout
    slowable.get_recording_delay_s = 0.020
    try:
        slowed = quick_pass(slowable.url, tmp_path / "slowed", ("reads",))
    finally:
        slowable.get_recording_delay_s = 0.0
    worse = diff(second, slowed)
    assert worse.returncode == 1, worse.stdout
    regressions = [line for line in worse.stdout.splitlines() if line.startswith("REGRESSION")]
    assert [line.split()[1] for line in regressions] == ["getRecording"], worse.stdout
