"""`recqual diff` flags exactly what got worse between two runs, and nothing that did not.

Invariant: a regression (exit 1) is a check that got worse, a lost verdict, a status code an operation
newly returns, or a latency percentile beyond the threshold; everything else is a note (exit 0).
"""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from recqual.diff import compare
from recqual.summary import SCHEMA


def summary(**overrides: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "schema": SCHEMA,
        "verdict": "qualified",
        "checks": [
            {
                "nodeid": "contract/test_filters.py::test_between",
                "operation": "listRecordings",
                "check": "between",
                "outcome": "passed",
            },
            {
                "nodeid": "contract/test_live.py::test_pause",
                "operation": "pauseRecording",
                "check": "pause",
                "outcome": "passed",
            },
        ],
        "status_codes": {"listRecordings": [200, 400], "pauseRecording": [204, 409, 429]},
        "latency": {"listRecordings": {"p50": 2.0, "p95": 10.0, "p99": 20.0, "max": 30.0, "count": 100}},
    }
    base.update(overrides)
    return base


def test_identical_runs_have_no_regression() -> None:
    diff = compare(summary(), summary())
    assert diff.regressions == [] and diff.exit_code == 0


def test_a_check_that_starts_failing_is_a_regression() -> None:
    current = summary()
    current["checks"][0]["outcome"] = "failed"
    diff = compare(summary(), current)
    assert diff.exit_code == 1
    assert diff.regressions == ["check passed -> failed: contract/test_filters.py::test_between"]


def test_a_check_that_starts_passing_is_only_a_note() -> None:
    baseline = summary()
    baseline["checks"][1]["outcome"] = "deviation"
    diff = compare(baseline, summary())
    assert diff.exit_code == 0
    assert diff.notes == ["check deviation -> passed: contract/test_live.py::test_pause"]


def test_losing_the_verdict_is_a_regression() -> None:
    diff = compare(summary(), summary(verdict="not-qualified"))
    assert "verdict: qualified -> not-qualified" in diff.regressions


def test_a_new_status_code_is_a_regression() -> None:
    current = summary()
    current["status_codes"]["listRecordings"] = [200, 400, 500]
    assert compare(summary(), current).regressions == ["listRecordings newly returns 500"]


@pytest.mark.parametrize(
    ("p95", "regressed"),
    [(11.9, False), (14.9, False), (15.1, True), (40.0, True)],
)
def test_latency_beyond_ratio_and_floor_is_a_regression(p95: float, regressed: bool) -> None:
    """20% and 5 ms must both be exceeded: 10 -> 14.9 ms is +49% but under the 5 ms floor."""
    current = copy.deepcopy(summary())
    current["latency"]["listRecordings"]["p95"] = p95
    regressions = compare(summary(), current).regressions
    assert bool(regressions) is regressed, regressions


def test_wrong_schema_is_refused() -> None:
    with pytest.raises(ValueError, match=r"recqual\.summary/2"):
        compare(summary(schema="other"), summary())


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "recqual", *args], capture_output=True, text=True, timeout=60, check=False
    )


def test_cli_diff_exit_codes(tmp_path: Path) -> None:
    baseline, current = tmp_path / "a.json", tmp_path / "b.json"
    baseline.write_text(json.dumps(summary()))
    worse = summary()
    worse["checks"][1]["outcome"] = "failed"
    current.write_text(json.dumps(worse))
    same = run_cli("diff", str(baseline), str(baseline))
    assert same.returncode == 0 and "no regression" in same.stdout
    regressed = run_cli("diff", str(baseline), str(current))
    assert regressed.returncode == 1
    assert "REGRESSION  check passed -> failed: contract/test_live.py::test_pause" in regressed.stdout


def test_cli_diff_of_a_missing_file_is_one_line_exit_2(tmp_path: Path) -> None:
    result = run_cli("diff", str(tmp_path / "nope.json"), str(tmp_path / "nope.json"))
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0 and "no such summary file" in result.stderr
    assert "Traceback" not in result.stderr
