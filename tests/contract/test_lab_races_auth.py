"""The races, the level matrix and the stateful links run on a lab exactly as on the emulator.

A lab here is the emulator in its deployed form (``tests/labs/deployed.py``: no control plane, 2,000
foreign recordings, 90-day retention, declared users of levels 10/2/1/0, standing calls on the l10 and
l1 lines, no call on the l2 line). The suite may not create users or place calls there, so it must use
the declared users and lend the declared lines. What may still be skipped, and only with a reason
naming what the target file lacks: the rows that need a standing call on the own line of l2 or l0
(the file declares none), and "channels exhausted is 503" (no lab can declare its channels).
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.labs.deployed import DeployedEmulator, deployed_emulator, lab_environment

ROOT = Path(__file__).resolve().parents[2]
MODULES = ("contract/test_races.py", "contract/test_auth_matrix.py", "contract/test_schema_conformance.py")
LIVE_SCENE_OPS = {
    "listActiveRecordings",
    "listMyActiveRecordings",
    "startRecording",
    "stopRecordingByLine",
    "stopMyRecording",
    "stopRecording",
    "pauseRecording",
    "resumeRecording",
    "pauseRecordingsByLine",
    "resumeRecordingsByLine",
}


@pytest.fixture(scope="module")
def lab_rows(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, dict[str, Any]]]:
    workdir = tmp_path_factory.mktemp("lab-races-auth")
    with deployed_emulator(workdir) as server:
        yield _run(server, workdir)


def _run(server: DeployedEmulator, workdir: Path) -> dict[str, dict[str, Any]]:
    target = server.write_target(workdir)
    results = workdir / "results.json"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "no:cacheprovider",
            *MODULES,
            "--target-file",
            str(target),  # no --allow-reset: the control plane is absent anyway, as on a customer's lab
            "--quick",
            "--profile",
            "strict",
            "--recqual-results",
            str(results),
        ],
        cwd=ROOT,
        env=lab_environment(),
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert results.exists(), proc.stdout[-3000:] + proc.stderr[-3000:]
    rows = {row["nodeid"]: row for row in json.loads(results.read_text())["checks"]}
    failed = [f"{n}: {r['message'][:300]}" for n, r in rows.items() if r["outcome"] == "failed"]
    assert proc.returncode == 0 and not failed, (failed, proc.stdout[-3000:])
    return rows


def _rows(rows: dict[str, dict[str, Any]], test: str) -> list[dict[str, Any]]:
    return [row for nodeid, row in rows.items() if f"::{test}" in nodeid]


def test_every_race_but_the_channel_one_runs_on_a_lab(lab_rows: dict[str, dict[str, Any]]) -> None:
    outcomes = {row["nodeid"].split("::")[1]: row for row in _rows(lab_rows, "test_")}
    for test in ("test_concurrent_starts", "test_concurrent_pauses", "test_concurrent_stops"):
        row = outcomes[test]
        assert row["outcome"] == "passed", row
        assert row["requests"] >= 4, row  # the race itself went out, not only its set-up
    assert outcomes["test_no_channel_503"]["outcome"] == "skipped"
    assert "needs the emulator" in outcomes["test_no_channel_503"]["message"]


def test_the_level_matrix_runs_for_every_declared_level(lab_rows: dict[str, dict[str, Any]]) -> None:
    rows = _rows(lab_rows, "test_level_permissions[")
    assert len(rows) == 4 * 25  # every role, operation and variant of the matrix
    passed = {role: 0 for role in ("l10", "l2", "l1", "l0")}
    for row in rows:
        role, operation, variant = row["nodeid"].split("[", 1)[1].rstrip("]").split("-", 2)
        if row["outcome"] == "passed":
            passed[role] += 1
            continue
        assert row["outcome"] == "skipped", row
        # the only reason left: the target file declares no standing call on that role's own line
        assert role in ("l2", "l0") and variant.startswith("own") and operation in LIVE_SCENE_OPS, row
        assert f'role = "{role}"' in row["message"] and "declares none" in row["message"], row
        assert "emulator" not in row["message"], row
    # l10 and l1 have a standing call on their own line: all 25 rows; l2 and l0 lack one: 11 rows each
    assert passed["l10"] == passed["l1"] == 25 and passed["l2"] == passed["l0"] == 25 - 11, passed


def test_the_owner_filter_and_the_links_run_on_a_lab(lab_rows: dict[str, dict[str, Any]]) -> None:
    for test in ("test_owner_filter_cannot_widen_base_access", "test_live_links", "test_upload_links"):
        (row,) = _rows(lab_rows, test)
        assert row["outcome"] == "passed", row
        assert row["requests"] > 0, row
