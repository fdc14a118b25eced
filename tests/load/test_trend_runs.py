"""The trend gate in real Locust runs: a correct emulator passes it, a server that slows down fails it.

Two short ``reads`` runs (four users, short think times, as qualify's pass): against the emulator the
trend is judged (its thirds are long enough and hold samples) and every drift gate passes; behind a
proxy whose getRecording answers a little later every quarter second (20 ms more per second, about
0.15 s at the end, under the 500 ms p95 gate) the run fails on ``getRecording latency_drift``, in
summary.json, JUnit and exit code, and on nothing else. The distributed form (master + workers) is
the same code path: each worker ships its bins with its stats reports (``trend_events.py``).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator

import pytest
from load_support import EmulatorProcess, Proxy
from test_gates import junit_failures

from load.runner import run

THINK = ["--recqual-think-min", "0.005", "--recqual-think-max", "0.02"]


def _reads(target: str, out_dir, workers: int = 0, slo_file=None):
    return run(
        "reads",
        target=target,
        allow_reset=True,
        users=4,
        spawn_rate=4,
        run_time="8s",
        out_dir=out_dir,
        slo_file=slo_file,
        rate=None,
        workers=workers,
        extra=THINK,
    )


def _drifts(summary: dict) -> dict[str, dict]:
    return {f"{g['operation']} {g['metric']}": g for g in summary["slo"]["gates"] if "drift" in g["metric"]}


def test_a_correct_emulator_passes_the_trend_gate(emulator: EmulatorProcess, tmp_path) -> None:
    result = _reads(emulator.url, tmp_path)
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert result.exit_code == 0, summary["slo"]["breaches"]
    assert summary["trend"]["third_s"] >= 1.0 and summary["trend"]["operations"]
    drifts = _drifts(summary)
    assert "* latency_drift" in drifts and "* error_drift" in drifts
    assert all(g["passed"] for g in drifts.values())


@pytest.fixture
def slowing_proxy(emulator: EmulatorProcess, tmp_path) -> Iterator[Proxy]:
    """getRecording 5 ms slower every quarter second (to 0.4 s), from the moment Locust writes its
    first stats (not before: the preflight and Locust's start-up take seconds on a busy machine)."""
    proxy = Proxy(emulator.url)
    stop = threading.Event()

    def grow() -> None:
        while not (tmp_path / "stats_stats.csv").exists() and not stop.wait(0.05):
            pass
        while not stop.wait(0.25):
            proxy.get_recording_delay_s = min(0.4, proxy.get_recording_delay_s + 0.005)

    threading.Thread(target=grow, daemon=True).start()
    try:
        yield proxy
    finally:
        stop.set()
        proxy.close()


def test_a_server_that_slows_down_fails_the_trend_gate(slowing_proxy: Proxy, tmp_path) -> None:
    """getRecording is a quarter of the reads: judged from 15 samples per third (the default 30 needs
    a longer run than a self-test should take)."""
    slo_file = tmp_path.parent / "trend-slo.toml"
    slo_file.write_text("[trend]\nmin_samples = 15\n")
    result = _reads(slowing_proxy.url, tmp_path, slo_file=slo_file)
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert result.exit_code == 1
    breached = {f"{b['operation']} {b['metric']}" for b in summary["slo"]["breaches"]}
    assert "getRecording latency_drift" in breached
    assert breached <= {"getRecording latency_drift", "* latency_drift"}, breached  # p95 gates hold
    failures = junit_failures(tmp_path / "junit.xml")
    assert "getRecording latency_drift" in failures
    assert "p50" in failures["getRecording latency_drift"]
