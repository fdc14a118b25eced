"""One results row per check, and the results file (``--recqual-results``) recqual's summary reads.

A row is built up over a test's setup, call and teardown (the worst phase wins), so a teardown
failure (a live recording the check could not stop) is not hidden by a passing call.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from contract.failures import ConformanceFailure, TargetError, flatten
from contract.provenance import CheckSpec, provenances
from contract.run_context import RunContext, utc_now

Scrub = Callable[[str], str]
MESSAGE_LIMIT = 4000


def new_row(nodeid: str, spec: CheckSpec) -> dict[str, Any]:
    return {
        "id": spec.id,
        "nodeid": nodeid,
        "operation": spec.operation,
        "family": spec.family,
        "check": spec.check,
        "provenance": spec.provenance,
        "outcome": "passed",
        "message": "",
        "curl": "",
        "duration_s": 0.0,
    }


def record(
    row: dict[str, Any],
    report: pytest.TestReport,
    call: pytest.CallInfo[None],
    *,
    scrub: Scrub,
    statuses: dict[str, int] | None,
    target_error: TargetError | None,
) -> None:
    """Fold one phase's report into the row; every text that came from the server goes through scrub."""
    row["duration_s"] = round(row["duration_s"] + report.duration, 3)
    if statuses is not None:
        row["requests"] = sum(statuses.values())
        row["statuses"] = dict(sorted(statuses.items()))
    if hasattr(report, "wasxfail") and report.when == "call":
        row.update(outcome="deviation", message=scrub(report.wasxfail))
        _add_failure_details(row, call, scrub, target_error)
    elif report.failed:
        if row["outcome"] != "failed":
            text = f"TargetError: {target_error}" if target_error is not None else _message(report, call)
            row.update(outcome="failed", message=scrub(text))
            _add_failure_details(row, call, scrub, target_error)
    elif report.skipped and row["outcome"] == "passed":
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        row.update(outcome="skipped", message=scrub(str(reason)))


def _message(report: pytest.TestReport, call: pytest.CallInfo[None]) -> str:
    if call.excinfo is not None:
        leaves = flatten(call.excinfo.value)
        texts = [str(e) for e in leaves if isinstance(e, (ConformanceFailure, TargetError))]
        if texts:
            return "\n\n".join(dict.fromkeys(texts))
        return f"{call.excinfo.typename}: {call.excinfo.value}"[:MESSAGE_LIMIT]
    return str(report.longrepr)[:MESSAGE_LIMIT]


def _add_failure_details(
    row: dict[str, Any], call: pytest.CallInfo[None], scrub: Scrub, target_error: TargetError | None
) -> None:
    if call.excinfo is None:
        return
    leaves = flatten(call.excinfo.value)
    if target_error is not None:
        leaves.append(target_error)
    curls = [getattr(e, "curl", "") for e in leaves if getattr(e, "curl", "")]
    if curls:
        row["curl"] = scrub(curls[0])
    typed = [e for e in leaves if isinstance(e, ConformanceFailure)]
    if typed:
        row["provenance"] = provenances(typed)
    row["cause"] = _cause(typed, target_error, call, scrub)


def _cause(
    typed: list[ConformanceFailure],
    target_error: TargetError | None,
    call: pytest.CallInfo[None],
    scrub: Scrub,
) -> dict[str, str]:
    """What went wrong, as fields a report can group on: one server bug fails many checks alike."""
    if typed:
        first = typed[0]
        return {
            "operation": first.operation,
            "check": first.check,
            "expected": scrub(str(first.expected))[:300],
            "actual": scrub(str(first.actual))[:300],
        }
    if target_error is not None:
        return {
            "operation": target_error.operation,
            "check": "the server answered",
            "expected": "an HTTP answer",
            "actual": scrub(str(target_error).split("\n", 1)[0])[:300],
        }
    excinfo = call.excinfo
    return {
        "operation": "",
        "check": "the check ran to its end",
        "expected": "no error",
        "actual": scrub(f"{excinfo.typename}: {excinfo.value}" if excinfo else "")[:300],
    }


def write(path: Path, context: RunContext) -> None:
    results = context.results
    document: dict[str, Any] = {
        "target": results.get("target"),
        "profile": context.profile,
        "seed": context.seed,
        "started": context.started,
        "finished": utc_now(),
        "checks": list(results.get("rows", {}).values()),
        "status_codes": results.get("status_codes", {}),
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=2))
