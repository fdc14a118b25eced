"""`recqual diff BASELINE CURRENT`: what got worse between two qualification runs.

Meant for the customer's admin before an upgrade: qualify the old version, qualify the new one, diff.
A regression is a check that passed and now fails (or deviates), a verdict that went from qualified
to not, a status code an operation newly returns, or a latency percentile that grew by more than the
threshold. Improvements and new checks are listed too but do not make the exit code non-zero.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from recqual.summary import SCHEMA

WORSE = {"passed": 0, "skipped": 0, "deviation": 1, "failed": 2}


@dataclass
class Diff:
    regressions: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        return 1 if self.regressions else 0


def check_key(check: Mapping[str, Any]) -> str:
    return str(check.get("nodeid") or f"{check.get('operation')}::{check.get('check')}")


def compare(
    baseline: Mapping[str, Any],
    current: Mapping[str, Any],
    *,
    latency_ratio: float = 1.2,
    latency_floor_ms: float = 5.0,
) -> Diff:
    """Compare two `recqual.summary/1` documents (see `recqual.summary`)."""
    for name, doc in (("baseline", baseline), ("current", current)):
        if doc.get("schema") != SCHEMA:
            raise ValueError(f"{name} is not a {SCHEMA} file (schema: {doc.get('schema')!r})")
    diff = Diff()
    if baseline["verdict"] == "qualified" and current["verdict"] != "qualified":
        diff.regressions.append(f"verdict: qualified -> {current['verdict']}")
    elif baseline["verdict"] != current["verdict"]:
        diff.notes.append(f"verdict: {baseline['verdict']} -> {current['verdict']}")

    before = {check_key(c): c for c in baseline.get("checks", [])}
    after = {check_key(c): c for c in current.get("checks", [])}
    for key, check in sorted(after.items()):
        old = before.get(key)
        new_outcome = check.get("outcome", "")
        if old is None:
            if new_outcome in ("failed", "deviation"):
                diff.regressions.append(f"new check {new_outcome}: {key}")
            continue
        old_outcome = old.get("outcome", "")
        if WORSE.get(new_outcome, 0) > WORSE.get(old_outcome, 0):
            diff.regressions.append(f"check {old_outcome} -> {new_outcome}: {key}")
        elif new_outcome != old_outcome:
            diff.notes.append(f"check {old_outcome} -> {new_outcome}: {key}")
    for key in sorted(before.keys() - after.keys()):
        diff.notes.append(f"check no longer run: {key}")

    old_codes = baseline.get("status_codes", {})
    for op, codes in sorted(current.get("status_codes", {}).items()):
        new = sorted(set(codes) - set(old_codes.get(op, [])))
        if new and op in old_codes:
            diff.regressions.append(f"{op} newly returns {', '.join(map(str, new))}")

    old_latency = baseline.get("latency", {})
    for op, stats in sorted(current.get("latency", {}).items()):
        for percentile in ("p95", "p99"):
            was = float(old_latency.get(op, {}).get(percentile, 0.0))
            now = float(stats.get(percentile, 0.0))
            if was > 0 and now > was * latency_ratio and now - was > latency_floor_ms:
                diff.regressions.append(
                    f"{op} {percentile} latency {was:.1f} ms -> {now:.1f} ms (x{now / was:.2f})"
                )
    return diff
