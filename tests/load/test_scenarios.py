"""Each load scenario runs headless against the emulator, exits 0, and leaves no recording live.

Invariant under test: on a correct server (the emulator) a short run of every scenario passes its default
SLO gates, every outcome it records is one its model predicts (no failures), and the clean-up sweep leaves
no live recording behind. Each run is a few seconds with a handful of users.
"""

from __future__ import annotations

import csv
import json

import pytest

from load.runner import run

# scenario -> (users, run time, extra locust options)
RUNS = {
    "call-control": (4, "5s", ["--recqual-think-min", "0.05", "--recqual-think-max", "0.2"]),
    "races": (6, "4s", []),
    "reads": (3, "4s", ["--recqual-seed-recordings", "12"]),
    "uploads": (2, "4s", []),
    "capacity": (
        12,
        "20s",
        [
            "--recqual-start-rate",
            "20",
            "--recqual-step-seconds",
            "2",
            "--recqual-channels",
            "3",
            "--recqual-think-min",
            "0.05",
            "--recqual-think-max",
            "0.2",
        ],
    ),
}


def run_scenario(scenario, emulator, out_dir, slo_text=None):
    """Run ``scenario`` as in RUNS and check what every scenario must satisfy on a correct server."""
    users, run_time, extra = RUNS[scenario]
    slo_file = None
    if slo_text:
        slo_file = out_dir / "slo.toml"
        slo_file.write_text(slo_text)
    result = run(
        scenario,
        target=emulator.url,
        allow_reset=True,
        users=users,
        spawn_rate=users,
        run_time=run_time,
        out_dir=out_dir,
        slo_file=slo_file,
        rate=None,
        extra=extra,
    )
    log = (out_dir / "locust-master.log").read_text(errors="replace")
    assert result.exit_code == 0, log[-3000:]
    summary = result.summary
    assert summary is not None and summary["scenario"] == scenario
    assert summary["slo"]["passed"] is True and summary["slo"]["breaches"] == []
    assert all(gate["passed"] for gate in summary["slo"]["gates"]) and summary["slo"]["gates"]
    assert summary["totals"]["requests"] > 0 and summary["totals"]["failures"] == 0
    assert summary["cleanup"]["leftover_live"] == 0
    assert emulator.live_recordings() == [], "the run left recordings live"
    for name, op in summary["operations"].items():
        assert sum(op["outcomes"].values()) == op["count"], name
        assert op["p50"] <= op["p95"] <= op["p99"] <= op["p999"], name
    for key in ("html", "csv_stats", "csv_history", "json", "junit"):
        assert result.paths[key].exists(), key
    assert "<testsuite" in result.paths["junit"].read_text()
    assert '"history": [{' in result.paths["html"].read_text()  # charts have data
    assert json.loads(result.paths["json"].with_name("locust.json").read_text())
    for path in out_dir.iterdir():  # the admin's Authorization header never lands in a report or log
        assert b"YWRtaW46YWRtaW4=" not in path.read_bytes(), path.name
    history = list(csv.DictReader(result.paths["csv_history"].open()))
    assert {row["Name"] for row in history} >= set(summary["operations"])  # full history: every row
    return summary


@pytest.mark.parametrize("scenario", ["call-control", "reads", "uploads"])
def test_scenario_passes_on_the_emulator(scenario, emulator, tmp_path):
    summary = run_scenario(scenario, emulator, tmp_path)
    for op in summary["operations"].values():
        assert set(op["outcomes"]) <= {"200", "201", "204"}  # exclusive lines: only successes predicted


def test_races_pass_and_record_the_predicted_outcomes(emulator, tmp_path):
    summary = run_scenario("races", emulator, tmp_path)
    races, ops = summary["races"], summary["operations"]
    assert races["rounds"] > 0 and races["violations"] == 0
    assert set(ops["startRecording"]["outcomes"]) == {"201", "429"}
    assert set(ops["pauseRecording"]["outcomes"]) == {"204", "429"}
    assert set(ops["resumeRecording"]["outcomes"]) == {"204", "429"}
    assert set(ops["stopRecording"]["outcomes"]) == {"204", "409"}
    starts = races["by_operation"]["startRecording"]["rounds"]
    groups = RUNS["races"][0] // 3  # K = 3 users per group, each group on its own line
    # two losers per judged round; the stop may cut each group's last round between answers and verdict
    assert 2 * starts <= ops["startRecording"]["outcomes"]["429"] <= 2 * (starts + groups)


def test_capacity_passes_and_reports_the_channel_limit(emulator, tmp_path):
    # a generous knee limit: this test is about the channel limit, not this machine's latency
    summary = run_scenario("capacity", emulator, tmp_path, slo_text="[capacity]\np99_ms = 5000.0\n")
    capacity = summary["capacity"]
    assert capacity["first_503_rate"] is not None  # 3 channels: the open model's starts outnumber them
    assert "503" in capacity["stopped_because"]
    assert capacity["steps"] and capacity["steps"][0]["rate"] == 20
    assert summary["operations"]["startRecording"]["outcomes"].get("503", 0) > 0
