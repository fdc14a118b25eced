"""The races, the level matrix and the stateful links run on a lab exactly as on the emulator.

A lab here is the emulator in its deployed form (``tests/labs/deployed.py``: no control plane, 2,000
foreign recordings, 90-day retention, declared users of levels 10/2/1/0, standing calls on the l10 and
l1 lines, no call on the l2 and l0 lines). The suite may not create users or place calls there, so it
must use the declared users and lend the declared lines. The own-line rows of l2 and l0 run on their
declared lines with no call (403 where the level is refused, the "no call" answer where it is allowed).
What may still be skipped, and only with a reason naming what the target file lacks: the by-id rows
(stop, pause, resume a live recording of the caller's own line) of l2 and l0, which need a standing
call on that own line, and "channels exhausted is 503" (no lab can declare its channels).
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

pytestmark = pytest.mark.slow
"""The every-CI proof that races and the auth matrix run on a lab is tests/cli/test_lab_qualify.py (the
whole qualify, coverage over 90%); this module's row-by-row account of the lab's skips is a longer check
(``python -m pytest -m slow tests/contract/test_lab_races_auth.py``)."""

ROOT = Path(__file__).resolve().parents[2]
MODULES = ("contract/test_races.py", "contract/test_auth_matrix.py", "contract/test_schema_conformance.py")
BY_ID_OPS = ("stopRecording", "pauseRecording", "resumeRecording")
"""Own-line rows acting by id on a live recording of the caller's own line: no recording on a line
with no call, so they need a standing call there."""
IDLE_ALLOWED = {  # l2 on its own line with no call: the state answer proves the permission passed
    "startRecording": 409,
    "stopRecordingByLine": 409,
    "stopMyRecording": 409,
    "pauseRecordingsByLine": 409,
    "resumeRecordingsByLine": 409,
    "listMyActiveRecordings": 200,
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
    skipped = set()
    for row in rows:
        role, operation, variant = row["nodeid"].split("[", 1)[1].rstrip("]").split("-", 2)
        if row["outcome"] == "passed":
            passed[role] += 1
            assert row["requests"] >= 1, row  # the row's own request went out
            continue
        assert row["outcome"] == "skipped", row
        skipped.add((role, operation, variant))
        # the only reason left: a by-id row needs a live recording on the caller's own line
        assert f"needs a standing-call line of role {role}" in row["message"], row
        assert "emulator" not in row["message"], row
    # l10 and l1 have a standing call on their own line: all 25 rows; l2 and l0 have a line with no
    # call: all but the 3 by-id own-line rows
    assert skipped == {(role, op, "own") for role in ("l2", "l0") for op in BY_ID_OPS}, sorted(skipped)
    assert passed["l10"] == passed["l1"] == 25 and passed["l2"] == passed["l0"] == 25 - 3, passed


def test_own_line_rows_on_a_line_with_no_call_prove_the_permission(
    lab_rows: dict[str, dict[str, Any]],
) -> None:
    """l2's allowed own-line rows answered the "no call" state (not 403); every l0 row answered 403."""
    for row in _rows(lab_rows, "test_level_permissions["):
        role, operation, variant = row["nodeid"].split("[", 1)[1].rstrip("]").split("-", 2)
        if row["outcome"] != "passed":
            continue
        if role == "l2" and variant.startswith("own") and operation in IDLE_ALLOWED:
            assert row["statuses"].get(str(IDLE_ALLOWED[operation]), 0) >= 1, row
            assert "403" not in row["statuses"], row
        if role == "l0":
            assert row["statuses"].get("403", 0) == 1, row


def test_the_owner_filter_and_the_links_run_on_a_lab(lab_rows: dict[str, dict[str, Any]]) -> None:
    for test in ("test_owner_filter_cannot_widen_base_access", "test_live_links", "test_upload_links"):
        (row,) = _rows(lab_rows, test)
        assert row["outcome"] == "passed", row
        assert row["requests"] > 0, row
