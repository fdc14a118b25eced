"""The trend gate's statistics (``load/trend.py``) and its place among the SLO gates (``load/slo.py``).

Invariants: a stationary server never breaches, whatever the noise (measured over many seeded
simulated runs with heavy-tailed latencies and occasional stalls); a median that grows steadily by
more than the floor and the ratio does, per operation and pooled; too few samples or too short a run
give no verdict instead of a guess; errors that rise are judged on the whole run; bins merge across
workers whatever their width.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from load import slo, trend

START = 1_000_000.0


def _run(
    latency, *, seconds: float = 12.0, rate: float = 40.0, ops=("getRecording",), seed: int = 1, fail=None
):
    """A simulated run: ``latency(t, rng)`` ms for a request at ``t`` seconds; ``fail(t, rng)`` whether
    it failed. Requests arrive ``rate`` per second, round-robin over ``ops``."""
    rng = random.Random(seed)
    series = trend.Series(1)
    n = int(seconds * rate)
    for i in range(n):
        t = i / rate
        ms = round(latency(t, rng), 1)
        series.add(ops[i % len(ops)], START + t, ms, bool(fail and fail(t, rng)))
    return {"trend": trend.section(series, START, START + seconds)}


def _noisy(t: float, rng: random.Random) -> float:
    """A correct server on a busy machine: lognormal around 5 ms, one request in 50 stalls 50-300 ms."""
    base = rng.lognormvariate(1.6, 0.6)
    return base + (rng.uniform(50, 300) if rng.random() < 0.02 else 0.0)


def _failed(summary: dict, config: dict | None = None) -> list[trend.Drift]:
    return [d for d in trend.checks(summary, config or {}) if not d.passed]


def test_stationary_noise_never_breaches() -> None:
    """The false-alarm rate on a correct server: 0 in 200 noisy runs (the gate's guards are the
    floor, the ratio, the bootstrap and Mann-Whitney together)."""
    breaches = [
        seed
        for seed in range(200)
        if _failed(_run(_noisy, seed=seed, ops=("getRecording", "listRecordings", "downloadRecording")))
    ]
    assert breaches == []


def test_a_burst_of_slowness_at_the_end_below_the_floor_does_not_breach() -> None:
    """Another process takes the CPU for the last seconds: medians double, but from 5 to 10 ms."""
    summary = _run(lambda t, rng: _noisy(t, rng) * (2.0 if t > 9 else 1.0), seed=3)
    assert _failed(summary) == []


def test_steady_growth_breaches_per_operation_and_pooled() -> None:
    summary = _run(lambda t, rng: _noisy(t, rng) + 8.0 * t, ops=("getRecording", "listRecordings"), seed=4)
    failed = {(d.operation, d.metric) for d in _failed(summary)}
    assert failed == {
        ("getRecording", "latency_drift"),
        ("listRecordings", "latency_drift"),
        ("*", "latency_drift"),
    }
    drift = next(d for d in _failed(summary) if d.operation == "getRecording")
    assert drift.actual > 1.5 and "p50" in drift.detail and "samples" in drift.detail


def test_growth_is_caught_pooled_when_no_operation_has_enough_samples() -> None:
    """A --quick pass: six operations, 3 s, a handful of samples each per third; only the pool has
    enough, and it still sees the drift."""
    ops = ("a", "b", "c", "d", "e", "f")
    summary = _run(lambda t, rng: _noisy(t, rng) + 30.0 * t, seconds=3.6, rate=60, ops=ops, seed=5)
    failed = _failed(summary)
    assert [(d.operation, d.metric) for d in failed] == [("*", "latency_drift")]


def test_too_short_or_too_few_samples_is_not_judged() -> None:
    short = _run(lambda t, rng: 5 + 100 * t, seconds=2.4)
    assert trend.judged(short, {}) == (False, "thirds of 0.8 s are shorter than min_third_s = 1 s")
    assert trend.checks(short, {}) == []
    sparse = _run(lambda t, rng: 5 + 10 * t, rate=5)  # 20 samples per third
    assert trend.checks(sparse, {}) == []
    assert trend.judged(_run(_noisy), {"enabled": False})[0] is False


def test_rising_errors_breach_and_a_steady_error_rate_does_not() -> None:
    rising = _run(_noisy, fail=lambda t, rng: rng.random() < t / 40, seed=6)  # 0% -> 30%
    assert [(d.operation, d.metric) for d in _failed(rising)] == [("*", "error_drift")]
    steady = _run(_noisy, fail=lambda t, rng: rng.random() < 0.1, seed=7)
    assert _failed(steady) == []


def test_bins_merge_across_workers_and_widths() -> None:
    worker = trend.Series(1)
    worker.add("getRecording", 100.2, 4.0, False)
    worker.add("getRecording", 101.7, 6.0, True)
    rows = worker.drain()
    assert worker.bins == {} and len(rows) == 2
    master = trend.Series(trend.bin_width(7200))  # a two-hour soak: 12-s bins, 600 in all
    assert master.width == 12
    master.merge(rows)
    (only,) = master.bins["getRecording"].values()
    assert (only.requests, only.failures, dict(only.histogram)) == (2, 1, {4.0: 1, 6.0: 1})


def test_the_gate_is_an_slo_gate_in_the_summary_and_junit(tmp_path) -> None:
    summary = {"scenario": "reads", **_run(lambda t, rng: _noisy(t, rng) + 8.0 * t, seed=8)}
    checks = slo.apply(summary, slo.load(None, "reads"))
    breached = {(b["operation"], b["metric"]) for b in summary["slo"]["breaches"]}
    assert ("getRecording", "latency_drift") in breached and summary["exit_code"] == slo.EXIT_FAIL
    gate = next(g for g in summary["slo"]["gates"] if g["metric"] == "latency_drift")
    assert gate["sentence"].startswith("the median latency of getRecording in the last third")
    slo.write_junit(tmp_path / "junit.xml", summary, checks)
    text = (tmp_path / "junit.xml").read_text()
    assert 'classname="recqual.load.reads.slo" name="getRecording latency_drift"' in text
    assert slo.load(None, "capacity")["trend"]["enabled"] is False  # its rate rises on purpose


def test_an_unknown_trend_key_is_refused(tmp_path) -> None:
    bad = tmp_path / "slo.toml"
    bad.write_text("[trend]\nlatency_ration = 2\n")
    with pytest.raises(slo.SloConfigError, match="latency_ration"):
        slo.load(bad, "reads")


def test_a_soak_shares_its_duration_at_a_bounded_rate() -> None:
    """``recqual qualify --soak 2h``: each scenario of the pass gets a third of it, users think 0.2-1 s
    (at most five requests a second each; races keep their barrier's pace), and the trend gate bins
    the hours into at most 600 bins."""
    from load.plan import QUALIFY_SCENARIOS, command_args

    args = command_args("reads", quick=True, users=4, out_dir=Path("/x"), soak_s=7200)
    assert args[args.index("--run-time") + 1] == f"{7200 // len(QUALIFY_SCENARIOS)}s"
    assert args[args.index("--recqual-think-min") + 1] == "0.2"
    races = command_args("races", quick=True, users=6, out_dir=Path("/x"), soak_s=7200)
    assert "--recqual-think-min" not in races
    assert trend.bin_width(7200 // len(QUALIFY_SCENARIOS)) == 4


def test_soak_duration_is_checked_on_the_command_line() -> None:
    from recqual.cli import _soak_seconds
    from recqual.errors import UsageError

    assert _soak_seconds("1h30m") == 5400 and _soak_seconds(None) is None
    with pytest.raises(UsageError, match="at least 60 s"):
        _soak_seconds("30s")
    with pytest.raises(UsageError):
        _soak_seconds("two hours")
