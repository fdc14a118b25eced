"""Plain-Python parts of load/ (no locust, no server): summary rows, SLO files, target files, the CLI.

Each test names the behaviour a careless change would break: the row-name convention that keeps outcome
rows out of the per-operation numbers, a typo in an SLO file being an error rather than a disabled gate,
credentials never appearing in a repr, and the CLI's one-line usage errors with exit code 2.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

from load import slo, summary
from load.runner import REPO_ROOT, UsageError, parse_run_time
from load.target import Credentials, TargetConfigError, load_target_file, partition, resolve_admin


def row(name, n, failures=0, times=None, method="POST"):
    return {
        "name": name,
        "method": method,
        "num_requests": n,
        "num_failures": failures,
        "response_times": times or {1.0: n},
        "max_response_time": max((times or {1.0: n}).keys()),
    }


def test_summary_splits_operation_outcome_intended_and_race_rows():
    rows = [
        row("startRecording", 10, 1, {1.0: 8, 5.0: 1, 50.0: 1}),
        row("startRecording [201]", 9),
        row("startRecording [409]", 1),
        row("startRecording (intended start)", 10, times={2.0: 9, 80.0: 1}),
        row("race startRecording", 4, 1, method="RACE"),
    ]
    errors = [
        {
            "name": "race startRecording",
            "method": "RACE",
            "error": "startRecording race of 3: ...",
            "occurrences": 1,
        }
    ]
    out = summary.build(
        scenario="races", target="http://x", started="t", duration_s=2.0, users=3, rows=rows, errors=errors
    )
    op = out["operations"]["startRecording"]
    assert (op["count"], op["failures"], op["outcomes"]) == (10, 1, {"201": 9, "409": 1})
    assert (op["p50"], op["p99"], op["max"]) == (1.0, 50.0, 50.0)
    assert op["intended"]["p99"] == 80.0
    assert out["totals"] == {"requests": 10, "failures": 1, "rps": 5.0, "exceptions": 0}
    assert out["races"]["rounds"] == 4 and out["races"]["violations"] == 1
    assert out["races"]["examples"] == ["startRecording race of 3: ... (x1)"]
    assert list(out["operations"]) == ["startRecording"]


def test_percentile_matches_locusts_algorithm():
    times = {1.0: 50, 2.0: 45, 9.0: 4, 100.0: 1}
    # same answers as locust.stats.calculate_response_time_percentile (checked against locust 2.47)
    assert summary.percentile(times, 100, 0.5) == 2.0
    assert summary.percentile(times, 100, 0.95) == 9.0
    assert summary.percentile(times, 100, 0.99) == 100.0
    assert summary.percentile(times, 100, 1.0) == 100.0


def test_slo_overlay_and_scenario_section(tmp_path):
    f = tmp_path / "mine.toml"
    f.write_text("[defaults]\np99_ms = 5.0\n[scenario.races.run]\nmin_rps = 100.0\n")
    races = slo.load(f, "races")
    assert races["defaults"]["p99_ms"] == 5.0 and races["defaults"]["p95_ms"] == 500.0
    assert races["run"]["min_rps"] == 100.0
    assert slo.load(f, "reads")["run"]["min_rps"] == 1.0
    assert slo.load(None, "capacity")["run"]["latency_gates"] is False


def test_slo_typo_is_an_error_not_a_disabled_gate(tmp_path):
    f = tmp_path / "typo.toml"
    f.write_text("[defaults]\np99ms = 5.0\n")
    with pytest.raises(slo.SloConfigError, match="unknown key 'p99ms'"):
        slo.load(f, "races")


def test_slo_gates_use_the_intended_series_in_open_model_runs():
    base = {"count": 10, "failures": 0, "p95": 1.0, "p99": 1.0, "outcomes": {}}
    closed = {"operations": {"startRecording": base}, "totals": {"rps": 10.0}, "rate": None}
    opened = {
        "operations": {"startRecording": {**base, "intended": {"p95": 900.0, "p99": 2000.0}}},
        "totals": {"rps": 10.0},
        "rate": {"target": 10.0, "achieved": 10.0},
    }
    config = slo.load(None, "call-control")
    assert all(c.passed for c in slo.evaluate(closed, config))
    failed = {c.metric for c in slo.evaluate(opened, config) if not c.passed}
    assert failed == {"p95_intended", "p99_intended"}


def test_target_file_lines_credentials_and_partition(tmp_path, monkeypatch):
    monkeypatch.delenv("RECQUAL_USER", raising=False)
    monkeypatch.delenv("RECQUAL_PASSWORD", raising=False)
    f = tmp_path / "target.toml"
    f.write_text(
        'lines = [{deviceName = "SEPA", directoryNumber = "1", user = "agent"},'
        ' {deviceName = "SEPB", directoryNumber = "2"}, {deviceName = "SEPC", directoryNumber = "3"}]\n'
        '[credentials.admin]\nusername = "boss"\npassword = "s3cret"\n'
        '[credentials.agent]\nusername = "agent"\npassword = "pw"\n'
    )
    target = load_target_file(f)
    assert target.admin == Credentials("boss", "s3cret")
    assert "s3cret" not in repr(target) and "s3cret" not in repr(target.admin)
    assert target.lines[0].owner == Credentials("agent", "pw")
    assert [line.device_name for line in partition(target.lines, 0, 2)] == ["SEPA", "SEPC"]
    assert [line.device_name for line in partition(target.lines, 1, 2)] == ["SEPB"]
    assert resolve_admin(target, emulator=False).username == "boss"
    monkeypatch.setenv("RECQUAL_USER", "env")
    monkeypatch.setenv("RECQUAL_PASSWORD", "envpw")
    assert resolve_admin(target, emulator=False) == Credentials("env", "envpw")


def test_no_credentials_for_a_real_server_is_refused(monkeypatch):
    monkeypatch.delenv("RECQUAL_USER", raising=False)
    monkeypatch.delenv("RECQUAL_PASSWORD", raising=False)
    assert resolve_admin(None, emulator=True) == Credentials("admin", "admin")
    with pytest.raises(TargetConfigError, match="no credentials"):
        resolve_admin(None, emulator=False)


@pytest.mark.parametrize("text, seconds", [("30", 30), ("45s", 45), ("2m", 120), ("1h30m", 5400)])
def test_run_time_parsing(text, seconds):
    assert parse_run_time(text) == seconds


def test_bad_run_time_is_a_usage_error():
    with pytest.raises(UsageError):
        parse_run_time("soon")


@pytest.mark.parametrize(
    "args, message",
    [
        (["nope", "--target", "http://127.0.0.1:1"], "invalid choice: 'nope'"),
        (["races", "--target", "http://127.0.0.1:1", "--rate", "5"], "--rate does not apply to races"),
        (["reads", "--target", "127.0.0.1:1"], "target must be http(s)://host[:port]"),
        (["reads", "--target", "http://127.0.0.1:1", "--run-time", "soon"], "run time 'soon'"),
    ],
)
def test_cli_usage_errors_are_one_line_and_exit_2(args, message):
    proc = subprocess.run(
        [sys.executable, "-m", "load", *args], cwd=REPO_ROOT, capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], proc.stderr


def test_target_file_in_the_contract_suites_format(tmp_path, monkeypatch):
    """One target file serves both suites: [target], [credentials.l10], password_env, [[lines]] role."""
    monkeypatch.delenv("RECQUAL_USER", raising=False)
    monkeypatch.delenv("RECQUAL_PASSWORD", raising=False)
    monkeypatch.setenv("UCX_ADMIN_PW", "from-env")
    f = tmp_path / "target.toml"
    f.write_text(
        '[target]\nurl = "https://ucx.example.com"\n'
        '[credentials.l10]\nusername = "qual-admin"\npassword_env = "UCX_ADMIN_PW"\n'
        '[credentials.l1]\nusername = "agent"\npassword = "pw"\n'
        '[[lines]]\ndeviceName = "SEPA"\ndirectoryNumber = "1"\nrole = "l1"\n'
        '[[lines]]\ndeviceName = "SEPB"\ndirectoryNumber = "2"\n'
    )
    target = load_target_file(f)
    assert target.admin == Credentials("qual-admin", "from-env")
    assert target.lines[0].owner == Credentials("agent", "pw") and target.lines[1].owner is None
    monkeypatch.delenv("UCX_ADMIN_PW")
    with pytest.raises(TargetConfigError, match="UCX_ADMIN_PW"):
        load_target_file(f)
