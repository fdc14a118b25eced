"""The load pass's side of `recqual diff` and the report: histograms, gate sentences, the qualify plan.

A careless change would drop the histogram (the diff then cannot test latency), let a bucketed
percentile read above the exact max, word a minimum gate as if it were a maximum, or shrink the quick
plan below what the diff needs (at least 30 samples of every exercised operation).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from load import plan, slo, summary


def test_each_operation_keeps_its_histogram_compact_and_sorted():
    rows = [
        {
            "name": "getRecording",
            "method": "GET",
            "num_requests": 6,
            "num_failures": 0,
            "response_times": {23: 1, 1.4: 3, "2.0": 1, 2: 1},
            "max_response_time": 22.7,
        }
    ]
    out = summary.build(scenario="reads", target="t", started="s", duration_s=1.0, users=1, rows=rows)
    op = out["operations"]["getRecording"]
    assert op["histogram"] == {"1.4": 3, "2": 2, "23": 1}
    assert list(op["histogram"]) == ["1.4", "2", "23"]


def test_a_percentile_never_reads_above_the_max_of_the_same_samples():
    """Locust buckets 22.7 ms as 23: p99 used to print 23 beside a max of 22.7."""
    stats = summary.latency({"response_times": {23: 5, 1.0: 95}, "max_response_time": 22.7})
    assert stats["p99"] == stats["max"] == 22.7
    assert stats["p50"] == 1.0


@pytest.mark.parametrize(
    ("breach", "words"),
    [
        (
            {"operation": "startRecording", "metric": "p99", "limit": 500.0, "actual": 812.0},
            "p99 of startRecording was 812 ms, the gate is 500 ms",
        ),
        (
            {"operation": "*", "metric": "min_rps", "limit": 1.0, "actual": 0.8},
            "the throughput was 0.8 req/s, the gate is at least 1 req/s",
        ),
        (
            {"operation": "*", "metric": "race_violations", "limit": 0, "actual": 2},
            "the race-invariant violations was 2, the gate is 0",
        ),
    ],
)
def test_a_gate_reads_measured_value_first_then_the_limit(breach, words):
    assert slo.sentence(breach) == words


def test_apply_keeps_every_gate_with_its_sentence():
    result = {
        "operations": {"startRecording": {"count": 10, "failures": 0, "p95": 600.0, "p99": 812.0}},
        "totals": {"rps": 5.0, "exceptions": 0},
        "rate": None,
    }
    config = {"defaults": {"p95_ms": 500.0, "p99_ms": 1000.0}}
    slo.apply(result, config)
    gates = {f"{g['operation']} {g['metric']}": g for g in result["slo"]["gates"]}
    assert gates["startRecording p95"]["passed"] is False
    assert gates["startRecording p95"]["sentence"] == "p95 of startRecording was 600 ms, the gate is 500 ms"
    assert gates["startRecording p99"]["passed"] is True


def test_the_quick_plan_runs_three_scenarios_with_short_think_times(tmp_path: Path):
    assert plan.scenarios(True) == ("call-control", "races", "reads")
    assert "uploads" in plan.scenarios(False, control=True)
    assert "uploads" not in plan.scenarios(False, control=False)  # uploads cannot be deleted on a lab
    args = plan.command_args("call-control", quick=True, users=4, out_dir=tmp_path)
    assert args[: args.index("--")] == [
        "--users",
        "4",
        "--spawn-rate",
        "4",
        "--run-time",
        "5s",
        "--out-dir",
        str(tmp_path),
    ]
    assert args[args.index("--") + 1 :] == ["--recqual-think-min", "0.005", "--recqual-think-max", "0.02"]
    assert "--" not in plan.command_args("races", quick=True, users=6, out_dir=tmp_path)  # its own pace
    quick_seconds = sum(int(plan.step(s, True).run_time.rstrip("s")) for s in plan.scenarios(True))
    assert quick_seconds <= 12  # plus ~2.5 s of Locust start and stop per scenario: about 20 s


def test_users_on_the_emulator_and_on_a_lab():
    assert plan.users("call-control", control=True, standing_lines=0) == 4
    assert plan.users("races", control=False, standing_lines=2) == 6
    assert plan.users("reads", control=False, standing_lines=0) == 2
