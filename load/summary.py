"""Build ``summary.json`` from Locust's stats rows. Pure Python (no locust import), so it is unit-testable.

Stats rows are named by convention (the locust side logs them; this module reads them back):

- ``<operationId>``: every request of the operation; its failures are the outcomes the scenario's model
  does not predict, or a bad body. Counted in Locust's Aggregated row.
- ``<operationId> [<status>]``: the same requests split by status (``error``: no answer at all).
- ``<operationId> (intended start)``: open model only; latency from each request's scheduled start.
- ``race <operationId>``: races only; one sample per round (its duration), a failure is a violation
  of the invariant.

The last three kinds describe requests already counted in the operation row, so they are written
straight into their own entries and never added to Locust's Aggregated total (see ``load.locustlib.base``).

The schema is documented in ``load/README.md``; keep the two in step.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

SCHEMA_VERSION = 1

_OUTCOME = re.compile(r"^(?P<op>\S+) \[(?P<code>[^\]]+)\]$")
_INTENDED_SUFFIX = " (intended start)"
_RACE_PREFIX = "race "


def outcome_row(operation: str, status: int | str) -> str:
    return f"{operation} [{status or 'error'}]"


def intended_row(operation: str) -> str:
    return operation + _INTENDED_SUFFIX


def race_row(operation: str) -> str:
    return _RACE_PREFIX + operation


def classify(name: str) -> tuple[str, str, str | None]:
    """``(kind, operation, code)`` with kind one of operation, outcome, intended, race."""
    if name.startswith(_RACE_PREFIX):
        return "race", name[len(_RACE_PREFIX) :], None
    if name.endswith(_INTENDED_SUFFIX):
        return "intended", name[: -len(_INTENDED_SUFFIX)], None
    match = _OUTCOME.match(name)
    if match:
        return "outcome", match["op"], match["code"]
    return "operation", name, None


def percentile(response_times: Mapping[Any, int], count: int, fraction: float) -> float:
    """Locust's algorithm (``calculate_response_time_percentile``) over a {bucketed ms: count} histogram."""
    if count <= 0 or not response_times:
        return 0.0
    keep = int(count * fraction)
    seen = 0
    for value in sorted((float(k) for k in response_times), reverse=True):
        seen += _lookup(response_times, value)
        if count - seen <= keep:
            return round(value, 3)
    return 0.0


def _lookup(response_times: Mapping[Any, int], value: float) -> int:
    for key in (value, int(value), str(value)):
        if key in response_times:
            return response_times[key]
    for key, n in response_times.items():  # keys of another numeric type (rare: msgpack round trips)
        if float(key) == value:
            return n
    return 0


def latency(row: Mapping[str, Any]) -> dict[str, float]:
    """Percentiles and max of one row. A percentile is a bucket's value, which can sit just above the
    exact max (1.96 ms is bucket 2.0): it is capped at the max, so p99 never reads above max."""
    times = row.get("response_times") or {}
    n = sum(times.values())
    top = round(float(row.get("max_response_time") or 0), 3)
    figures = {name: percentile(times, n, q) for name, q in _PERCENTILES}
    return {**{name: min(value, top) if top else value for name, value in figures.items()}, "max": top}


_PERCENTILES = (("p50", 0.50), ("p95", 0.95), ("p99", 0.99), ("p999", 0.999))


def histogram(row: Mapping[str, Any]) -> dict[str, int]:
    """Locust's {bucketed ms: count} of one row as compact JSON ({"1.4": 12, "23": 3}, by value).

    Carried into summary.json so that ``recqual diff`` can test a latency change statistically (how
    many samples, how spread) instead of comparing two bare percentiles."""
    times = row.get("response_times") or {}
    merged: dict[float, int] = {}
    for key, count in times.items():
        merged[float(key)] = merged.get(float(key), 0) + int(count)
    return {f"{value:g}": count for value, count in sorted(merged.items()) if count > 0}


def build(
    *,
    scenario: str,
    target: str,
    started: str,
    duration_s: float,
    users: int,
    rows: Iterable[Mapping[str, Any]],
    errors: Iterable[Mapping[str, Any]] = (),
    rate: Mapping[str, Any] | None = None,
    cleanup: Mapping[str, Any] | None = None,
    capacity: Mapping[str, Any] | None = None,
    workers: int = 0,
    exceptions: int = 0,
    notes: Iterable[str] = (),
    spawn_rate: float | None = None,
) -> dict[str, Any]:
    """The summary without its verdict: ``slo`` and ``exit_code`` are filled in by ``load.slo.apply``.

    ``rows`` are serialized Locust stats entries (``name``, ``method``, ``num_requests``,
    ``num_failures``, ``response_times``, ``max_response_time``); ``errors`` are serialized Locust errors
    (``name``, ``method``, ``error``, ``occurrences``).
    """
    folded = _fold_rows(rows, duration_s)
    operations, races, total_requests = folded.operations, folded.races, folded.requests
    errors = list(errors)
    race_examples = [f"{e['error']} (x{e.get('occurrences', 1)})" for e in errors if _of_race(e)]
    failure_list = _failures(e for e in errors if not _of_race(e))
    return {
        "schema": SCHEMA_VERSION,
        "scenario": scenario,
        "target": target,
        "started": started,
        "duration_s": round(duration_s, 3),
        "users": users,
        "spawn_rate": spawn_rate,
        "workers": workers,
        "totals": {
            "requests": total_requests,
            "failures": folded.failures,
            "rps": round(total_requests / duration_s, 3) if duration_s > 0 else 0.0,
            "exceptions": exceptions,
        },
        "operations": dict(sorted(operations.items())),
        "races": {
            "rounds": sum(r["rounds"] for r in races.values()),
            "violations": sum(r["violations"] for r in races.values()),
            "by_operation": dict(sorted(races.items())),
            "examples": race_examples[:20],
        },
        "failures": failure_list[:50],
        "rate": dict(rate) if rate else None,
        "cleanup": dict(cleanup) if cleanup else None,
        "capacity": dict(capacity) if capacity else None,
        "notes": list(notes),
        "slo": {"passed": True, "breaches": []},
        "exit_code": 0,
    }


@dataclass
class _Rows:
    """Locust's rows sorted by kind: the operation rows (with their outcomes and intended-start latency
    folded in), the race rows, and the totals over the operation rows (Locust's Aggregated row)."""

    operations: dict[str, dict[str, Any]] = field(default_factory=dict)
    races: dict[str, dict[str, int]] = field(default_factory=dict)
    requests: int = 0
    failures: int = 0


def _fold_rows(rows: Iterable[Mapping[str, Any]], duration_s: float) -> _Rows:
    folded = _Rows()
    intended: dict[str, dict[str, float]] = {}
    outcomes: dict[str, dict[str, int]] = {}
    for row in rows:
        kind, op, code = classify(str(row["name"]))
        count, failures = int(row.get("num_requests") or 0), int(row.get("num_failures") or 0)
        if kind == "operation":
            folded.requests += count
            folded.failures += failures
            entry = folded.operations.setdefault(op, {"method": row.get("method", "")})
            entry.update({"count": count, "failures": failures, **latency(row), "histogram": histogram(row)})
        elif kind == "outcome":
            assert code is not None
            outcomes.setdefault(op, {})[code] = outcomes.get(op, {}).get(code, 0) + count
        elif kind == "intended":
            intended[op] = latency(row)
        else:
            folded.races[op] = {"rounds": count, "violations": failures}
    for op, entry in folded.operations.items():
        entry["outcomes"] = dict(sorted(outcomes.get(op, {}).items()))
        entry["rps"] = round(entry["count"] / duration_s, 3) if duration_s > 0 else 0.0
        if op in intended:
            entry["intended"] = intended[op]
    return folded


def _of_race(error: Mapping[str, Any]) -> bool:
    return str(error.get("name", "")).startswith(_RACE_PREFIX)


def _failures(errors: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Locust's errors of the operation rows, most frequent first."""
    failures: list[dict[str, Any]] = [
        {
            "operation": classify(str(e.get("name", "")))[1],
            "message": str(e.get("error", "")),
            "occurrences": int(e.get("occurrences", 1)),
        }
        for e in errors
    ]
    failures.sort(key=lambda e: -e["occurrences"])
    return failures
