"""The verdict line and its coverage: what a release manager reads, and what a nightly job gates on.

Built from results rows as the suite writes them, so the counting is tested without a server; the
end-to-end runs (test_qualify_e2e.py, test_lab_qualify.py) check the same line on real runs.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from recqual.summary import build_summary


def rows(
    passed: int, failed: int = 0, deviation: int = 0, skipped: dict[str, int] | None = None
) -> list[dict[str, Any]]:
    out = [{"family": "schema", "outcome": "passed", "message": ""} for _ in range(passed)]
    out += [{"family": "auth", "outcome": "failed", "message": "x"} for _ in range(failed)]
    out += [{"family": "filters", "outcome": "deviation", "message": "A-3"} for _ in range(deviation)]
    for message, n in (skipped or {}).items():
        out += [{"family": "auth", "outcome": "skipped", "message": message} for _ in range(n)]
    return out


def summarise(checks: list[dict[str, Any]], min_coverage: float | None = None) -> dict[str, Any]:
    return build_summary(
        target={"url": "http://x", "kind": "server", "profile": "documented"},
        run={},
        contract={"checks": checks},
        contract_exit=0 if not any(c["outcome"] == "failed" for c in checks) else 1,
        load_summaries={},
        load_skipped="read-only",
        min_coverage=min_coverage,
    )


def test_the_line_counts_what_ran_and_groups_the_skips() -> None:
    skips = {
        "Skipped: no credentials for role l0 (no rights, level 0): set RECQUAL_L0_USER/...": 30,
        'Skipped: needs a declared [[lines]] entry with call = "none" (a known line with no call)': 9,
    }
    summary = summarise(rows(248, deviation=3, skipped=skips))
    assert summary["verdict_line"] == (
        "QUALIFIED: 251/290 checks ran (87%), 0 failed, 3 deviations; "
        "39 skipped (30 need an l0 user, 9 need a no-call line)"
    )
    assert summary["coverage"]["ran"] == 251 and summary["coverage"]["skip_reasons"]["need an l0 user"] == 30


def test_below_min_coverage_a_qualified_run_is_partial() -> None:
    skips = {"Skipped: read-only profile: start sends POST/PUT/DELETE requests": 60}
    summary = summarise(rows(40, skipped=skips), min_coverage=90)
    assert summary["verdict"] == "partial"
    assert summary["verdict_line"].startswith("PARTIAL: 40/100 checks ran (40%)")
    assert "below --min-coverage 90%" in summary["verdict_line"]
    assert summarise(rows(40, skipped=skips), min_coverage=40)["verdict"] == "qualified"


def test_a_failure_is_not_qualified_whatever_the_coverage() -> None:
    summary = summarise(rows(10, failed=1), min_coverage=5)
    assert summary["verdict"] == "not-qualified"
    assert summary["verdict_line"].startswith(
        "NOT QUALIFIED: 11/11 checks ran (100%), 1 failed, 0 deviations"
    )


def test_a_read_only_run_below_min_coverage_is_partial_exit_3(tmp_path: Path) -> None:
    """The embedded emulator in read-only: writes are skipped, so few checks run; the verdict says so
    (the seeded admin is the run's level-10 user: a read-only run may not create users)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("RECQUAL_")}
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "recqual",
            "qualify",
            "--quick",
            "--profile",
            "read-only",
            "--min-coverage",
            "90",
            "--out",
            "ro",
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 3, done.stdout[-2000:] + done.stderr[-2000:]
    last = done.stdout.strip().splitlines()[-1]
    assert last.startswith("PARTIAL: ") and "read-only profile" in last and "below --min-coverage 90%" in last
    summary = json.loads((tmp_path / "ro" / "summary.json").read_text())
    assert summary["verdict"] == "partial" and summary["coverage"]["percent"] < 90
