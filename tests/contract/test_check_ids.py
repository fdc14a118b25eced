"""Stable check ids and --only/--exclude/--max-failures, from the id rules to a real run."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from contract.check_ids import check_id, matches, selected


def test_ids_are_built_from_what_the_check_is() -> None:
    assert check_id("races", "startRecording", "concurrent starts: one 201, others 429") == (
        "races/startRecording/concurrent-starts-one-201-others-429"
    )
    assert check_id("status", "getRecording,downloadRecording", "ids", "l2") == (
        "status/getRecording+downloadRecording/ids[l2]"
    )


@pytest.mark.parametrize(
    ("pattern", "hit"),
    [
        ("races", True),
        ("RACES/startrecording", True),
        ("races/startRecording/concurrent-starts-one-201-others-429", True),
        ("races/*/concurrent-*", True),
        ("race", False),
        ("races/stopRecording", False),
    ],
)
def test_patterns_name_families_operations_checks_or_globs(pattern: str, hit: bool) -> None:
    assert matches("races/startRecording/concurrent-starts-one-201-others-429", pattern) is hit


def test_a_pattern_without_a_case_selects_every_case() -> None:
    assert matches("auth/getRecording/level-permissions[l2-own]", "auth/getRecording/level-permissions")
    assert not matches(
        "auth/getRecording/level-permissions[l2-own]", "auth/getRecording/level-permissions[l1*]"
    )


def test_exclude_wins_over_only() -> None:
    assert selected("paging/listRecordings/x", ["paging"], [])
    assert not selected("paging/listRecordings/x", ["paging"], ["*/x"])
    assert selected("filters/listRecordings/y", [], ["paging"])


def _run(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "recqual", "contract", "--quick", "-q", "-p", "no:cacheprovider", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=240,
    )


def test_only_runs_the_named_checks_with_the_same_ids_from_any_folder(tmp_path: Path) -> None:
    ids = []
    for folder in (tmp_path / "a", tmp_path / "b" / "deeper"):
        folder.mkdir(parents=True)
        done = _run(
            folder, "--only", "paging", "--exclude", "*pages-concatenate*", "--recqual-results", "r.json"
        )
        assert done.returncode == 0, done.stdout + done.stderr
        rows = json.loads((folder / "r.json").read_text())["checks"]
        ids.append(sorted(row["id"] for row in rows))
    assert ids[0] == ids[1]
    assert ids[0] and all(i.startswith("paging/") and "pages-concatenate" not in i for i in ids[0])


def test_an_only_that_matches_nothing_is_a_usage_error(tmp_path: Path) -> None:
    done = _run(tmp_path, "--only", "racez")
    assert done.returncode == 4
    assert "--only racez: no check id matches" in done.stdout + done.stderr
