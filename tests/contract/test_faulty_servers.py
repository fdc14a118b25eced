"""The suite goes red on a faulty server and names the right check (and stays green on a correct one).

Each fault is one realistic bug applied by ``faulty_proxy.py`` in front of the emulator. The run is
restricted to the module that owns the check, so each case costs seconds.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from contract_harness import ContractRun, faulty_proxy, run_contract

FAULTS = [
    # fault, selection, the check the failure message must name, the operation it must name
    (
        "filter-bound",
        ("contract/test_filters.py", "-k", "each_parameter or valid_filters"),
        "startTime filters",
        "listRecordings",
    ),
    (
        "ignore-direction",
        ("contract/test_filters.py", "-k", "each_parameter"),
        "direction filters",
        "listRecordings",
    ),
    (
        "paging-overlap",
        ("contract/test_paging.py", "-k", "concatenate"),
        "pages concatenate",
        "listRecordings",
    ),
    (
        "pause-409",
        ("contract/test_races.py", "-k", "pauses"),
        "concurrent pauses: one 204, others 429",
        "pauseRecording",
    ),
    (
        "hash",
        ("contract/test_transfer.py", "-k", "each_audio_type and mp3"),
        "hash matches the downloaded bytes",
        "downloadRecording",
    ),
    (
        "permission",
        ("contract/test_auth_matrix.py", "-k", "level_permissions and l2 and getRecording-other"),
        "level permissions",
        "getRecording",
    ),
]


def assert_actionable(run: ContractRun, check: str, operation: str) -> dict:
    failed = run.rows("failed")
    assert run.returncode == 1, run.stdout[-3000:]
    row = next((r for r in failed if f"] {check} (" in r["message"]), None)
    assert row is not None, (
        f"no failure names {check!r}: {[(r['nodeid'], r['message'][:200]) for r in failed]}"
    )
    assert operation in row["operation"]
    message = row["message"]
    assert f"[{operation}]" in message
    for part in ("Expected:", "Received:", "Reproduce with:", "curl ", "--hypothesis-seed="):
        assert part in message, f"{part!r} missing from:\n{message}"
    assert row["curl"].startswith("curl ")
    assert "[REDACTED]" in row["curl"]
    return row


@pytest.mark.parametrize(("fault", "selection", "check", "operation"), FAULTS, ids=[f[0] for f in FAULTS])
def test_fault_is_caught(
    fault: str, selection: tuple[str, ...], check: str, operation: str, emulator: str, tmp_path: Path
) -> None:
    with faulty_proxy(emulator, fault) as target:
        run = run_contract(target, *selection, tmp_path=tmp_path)
    row = assert_actionable(run, check, operation)
    assert row["outcome"] == "failed"


def test_correct_server_behind_proxy_passes(emulator: str, tmp_path: Path) -> None:
    """No false alarm from the proxy itself: the same selections pass when nothing is broken."""
    selection = (
        "contract/test_filters.py",
        "contract/test_paging.py",
        "contract/test_races.py",
        "-k",
        "each_parameter or concatenate or pauses",
    )
    with faulty_proxy(emulator, "none") as target:
        run = run_contract(target, *selection, tmp_path=tmp_path)
    assert run.returncode == 0, run.stdout[-3000:]
    assert run.rows("failed") == []
    assert len(run.rows("passed")) >= 8


def test_assumed_fault_is_a_deviation_in_documented_profile(emulator: str, tmp_path: Path) -> None:
    """The hash rests on A-6/A-10: strict fails the run, documented reports a DEVIATION and stays green."""
    selection = ("contract/test_transfer.py", "-k", "each_audio_type and mp3")
    with faulty_proxy(emulator, "hash") as target:
        run = run_contract(target, *selection, tmp_path=tmp_path, extra=("--profile", "documented"))
    assert run.returncode == 0, run.stdout[-3000:]
    rows = run.rows("deviation")
    assert rows and rows[0]["message"].startswith("DEVIATION A-6,A-10")
    assert run.results is not None and run.results["profile"] == "documented"


def test_documented_filter_fault_fails_in_documented_profile(emulator: str, tmp_path: Path) -> None:
    """A between that includes its upper bound breaks section 4 itself: the rows asked without the
    isolating AND (A-3) fail even where assumption failures are only deviations (a real server)."""
    selection = ("contract/test_filters.py", "-k", "documented_rows or boundary_rows")
    with faulty_proxy(emulator, "between-inclusive") as target:
        run = run_contract(target, *selection, tmp_path=tmp_path, extra=("--profile", "documented"))
    assert run.returncode == 1, run.stdout[-3000:]
    failed = run.rows("failed")
    assert failed and all(r["check"] == "documented filter semantics" for r in failed), failed
    assert "between" in failed[0]["message"] and "curl" in failed[0]["message"]
    assert run.rows("deviation"), "the ANDed boundary rows (A-3) should report deviations"


def test_real_server_mode_is_green_and_says_what_to_configure(emulator: str, tmp_path: Path) -> None:
    """Without a control plane the target is a "real server": documented profile, no false alarm,
    and every check that cannot be set up is skipped with a reason naming what to configure."""
    with faulty_proxy(emulator, "hide-control") as target:
        run = run_contract(target, "contract", tmp_path=tmp_path, extra=("--max-rps", "0"))
    assert run.returncode == 0, run.stdout[-3000:]
    assert run.results is not None and run.results["profile"] == "documented"
    assert run.rows("failed") == [] and len(run.rows("passed")) > 50
    reasons = {r["message"] for r in run.rows("skipped")}
    assert any("RECQUAL_L2_USER/RECQUAL_L2_PASSWORD" in m for m in reasons)
    assert any("needs the emulator control plane" in m for m in reasons)


def test_configured_lines_on_a_real_server(emulator: str, tmp_path: Path) -> None:
    """A real server with a target file: credentials per role and a line with a connected call."""
    import httpx
    from contract_harness import SECRET_PASSWORD, SECRET_USER

    placed = httpx.post(
        f"{emulator}/_emulator/calls",
        json={"deviceName": "SEP000000000900", "directoryNumber": "900", "username": SECRET_USER},
    )
    assert placed.status_code in (201, 409)
    target_file = tmp_path / "target.toml"
    target_file.write_text(
        f'[credentials.l10]\nusername = "{SECRET_USER}"\npassword_env = "RQ_SELFTEST_PW"\n'
        '[[lines]]\ndeviceName = "SEP000000000900"\ndirectoryNumber = "900"\nrole = "l10"\n'
    )
    with faulty_proxy(emulator, "hide-control") as target:
        run = run_contract(
            target,
            "contract/test_live_state.py",
            tmp_path=tmp_path,
            credentials=False,
            extra=("--target-file", str(target_file)),
            env_extra={"RQ_SELFTEST_PW": SECRET_PASSWORD},
        )
    assert run.returncode == 0, run.stdout[-3000:]
    rows = {r["check"]: r["outcome"] for r in run.rows()}
    assert rows["configured lines: start, pause, resume, stop"] == "passed"
    assert SECRET_PASSWORD not in run.everything()
