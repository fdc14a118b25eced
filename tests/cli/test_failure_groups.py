"""One root cause is one failure group with a count, an example and a rerun line."""

from __future__ import annotations

import uuid
from typing import Any

from recqual.summary import build_summary, rerun_command


def _failed(i: int, *, check: str = "upload accepted", actual: str | None = None) -> dict[str, Any]:
    rid = uuid.uuid4()
    return {
        "id": f"transfer/uploadRecording/case-{i}",
        "nodeid": f"contract/test_transfer.py::t[{i}]",
        "operation": "uploadRecording",
        "family": "transfer",
        "check": f"check {i}",
        "provenance": "documented",
        "outcome": "failed",
        "message": f"[uploadRecording] {check}\n  Received: 409 for {rid}",
        "curl": f"curl -X POST http://h/x/{rid}",
        "cause": {
            "operation": "uploadRecording",
            "check": check,
            "expected": "201",
            "actual": actual or f"409 {{'reason': 0}} for id {rid} at 1764700000",
        },
    }


def _summary(checks: list[dict[str, Any]], target: dict[str, Any]) -> dict[str, Any]:
    return build_summary(
        target=target,
        run={"seed": 42, "quick": True},
        contract={"checks": checks},
        contract_exit=1,
        load_summaries={},
    )


def test_one_cause_behind_many_checks_is_one_group() -> None:
    checks = [_failed(i) for i in range(28)] + [_failed(99, check="hash matches", actual="sha mismatch")]
    summary = _summary(checks, {"url": "https://ucx.lab:8443", "kind": "server", "profile": "documented"})
    groups = summary["failures"]
    assert [g["count"] for g in groups] == [28, 1]
    first = groups[0]
    assert first["cause"]["expected"] == "201" and first["checks"][0] == "transfer/uploadRecording/case-0"
    assert first["rerun"] == (
        "recqual qualify --target https://ucx.lab:8443 --profile documented "
        "--only transfer/uploadRecording/case-0 --seed 42 --quick"
    )
    assert summary["coverage"]["failed"] == 29


def test_rerun_uses_the_target_file_and_quotes_case_ids() -> None:
    line = rerun_command(
        "transfer/uploadRecording/broken-bodies-are-400[attachment without Content-Type]",
        {"url": "https://x", "kind": "server", "profile": "strict", "target_file": "/home/me/lab.toml"},
        {"seed": 7, "quick": False},
    )
    assert line == (
        "recqual qualify --target-file /home/me/lab.toml --profile strict "
        "--only 'transfer/uploadRecording/broken-bodies-are-400[attachment without Content-Type]' --seed 7"
    )


def test_the_embedded_emulator_needs_no_target() -> None:
    line = rerun_command(
        "races/startRecording/x", {"url": "http://127.0.0.1:5", "kind": "embedded-emulator"}, {}
    )
    assert line == "recqual qualify --only races/startRecording/x"


def test_deviations_carry_the_assumption_text() -> None:
    row = {**_failed(1), "outcome": "deviation", "provenance": "A-8"}
    summary = _summary([row], {"url": "u", "kind": "server", "profile": "documented"})
    assert summary["deviations"][0]["assumption"].startswith("A-8: A live recording's `duration`")
