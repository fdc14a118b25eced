"""The gates fail runs for the right reason, and say so in the exit code, summary.json and JUnit.

- A server that lets two racing starts win (a proxy rewrites one 429 into a 201) fails the races run on
  ``race_violations`` and nothing else.
- An SLO set too tight fails an otherwise clean run with a JUnit failure naming operation, metric, limit.
- An open-model run reports achieved vs target rate and an intended-start series; a target the generator
  cannot meet fails the run on ``rate_shortfall``.
- A target that does not answer is refused by the preflight before Locust starts (exit 2, one line).
"""

from __future__ import annotations

import subprocess
import sys
import xml.etree.ElementTree as ET

from load.runner import REPO_ROOT, run


def junit_failures(path) -> dict[str, str]:
    root = ET.parse(path).getroot()
    return {
        case.get("name"): case.find("failure").get("message")
        for case in root.iter("testcase")
        if case.find("failure") is not None
    }


def test_two_winning_starts_fail_the_race_invariant(cheating_proxy, emulator, tmp_path):
    result = run(
        "races",
        target=cheating_proxy.url,
        allow_reset=True,
        users=3,
        spawn_rate=3,
        run_time="3s",
        out_dir=tmp_path,
        slo_file=None,
        rate=None,
    )
    assert cheating_proxy.rewritten == 1
    assert result.exit_code == 1
    summary = result.summary
    assert summary["races"]["violations"] == 1
    assert summary["races"]["rounds"] > 1  # the run went on after the violation
    assert (
        "startRecording race of 3: got 2x201, 1x429; expected 1x201 and 2x429"
        in summary["races"]["examples"][0]
    )
    assert summary["slo"]["breaches"] == [
        {"operation": "*", "metric": "race_violations", "limit": 0, "actual": 1}
    ]
    assert junit_failures(result.paths["junit"]) == {
        "race_violations": "race_violations: actual 1 breaches max 0"
    }
    assert emulator.live_recordings() == []  # the line was reset after the violation and swept at the end


def test_too_tight_slo_fails_with_the_junit_message(emulator, tmp_path):
    slo_file = tmp_path / "tight.toml"
    slo_file.write_text("[operations.startRecording]\np99_ms = 0.01\n")
    result = run(
        "call-control",
        target=emulator.url,
        allow_reset=True,
        users=2,
        spawn_rate=2,
        run_time="3s",
        out_dir=tmp_path / "run",
        slo_file=slo_file,
        rate=None,
        extra=["--recqual-think-min", "0.05", "--recqual-think-max", "0.1"],
    )
    assert result.exit_code == 1
    breaches = result.summary["slo"]["breaches"]
    assert [(b["operation"], b["metric"], b["limit"]) for b in breaches] == [("startRecording", "p99", 0.01)]
    actual = breaches[0]["actual"]
    assert actual > 0.01
    assert junit_failures(result.paths["junit"]) == {
        "startRecording p99": f"startRecording p99: actual {actual:g} ms breaches max 0.01 ms"
    }
    root = ET.parse(result.paths["junit"]).getroot()
    suite = root.find("testsuite")
    assert suite.get("name") == "recqual.load.call-control" and suite.get("failures") == "1"


def test_open_model_reports_rate_and_intended_start_latency(emulator, tmp_path):
    result = run(
        "call-control",
        target=emulator.url,
        allow_reset=True,
        users=3,
        spawn_rate=3,
        run_time="4s",
        out_dir=tmp_path,
        slo_file=None,
        rate=30.0,
    )
    assert result.exit_code == 0, (tmp_path / "locust-master.log").read_text()[-2000:]
    rate = result.summary["rate"]
    assert rate["target"] == 30.0 and abs(rate["achieved"] - 30.0) <= 1.5
    start = result.summary["operations"]["startRecording"]
    assert start["intended"]["p50"] >= start["p50"] * 0.5  # a series of its own, next to service time
    names = {row.split(",")[1] for row in result.paths["csv_stats"].read_text().splitlines()[1:]}
    assert "startRecording (intended start)" in names and "startRecording [201]" in names


def test_missed_target_rate_fails_the_run(emulator, tmp_path):
    result = run(
        "uploads",
        target=emulator.url,
        allow_reset=True,
        users=1,
        spawn_rate=1,
        run_time="3s",
        out_dir=tmp_path,
        slo_file=None,
        rate=2000.0,
    )
    assert result.exit_code == 1
    breaches = {b["metric"]: b for b in result.summary["slo"]["breaches"]}
    assert "rate_shortfall" in breaches and breaches["rate_shortfall"]["actual"] > 0.05
    assert "rate_shortfall" in junit_failures(result.paths["junit"])


def test_unreachable_target_is_a_usage_error_before_locust_starts(tmp_path):
    """The preflight runs first: an unreachable target is one line and exit 2, and no Locust process ran."""
    proc = subprocess.run(
        [sys.executable, "-m", "load", "reads", "--target", "http://127.0.0.1:9", "--out-dir", str(tmp_path)],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "target unreachable: http://127.0.0.1:9" in lines[0], proc.stderr
    assert not (tmp_path / "locust-master.log").exists()
