"""The pair coverage a check reached, per operation, for its results row and the report.

A check that generates its cases from a covering array (``strategies.pairwise``) records here which
cases actually ran, and the ledger recounts the pairs they reached. The count lands in the check's
results row (``pairs``) and the report shows it per operation, so "every pair of filter, operator,
page and access level was tried" is a figure a release manager can read, not a claim.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from typing import Any

from hypothesis import Phase

from strategies.pairwise import Allowed, PairCoverage, pair_coverage

NO_SHRINK = (Phase.generate,)
"""Hypothesis phases of a covering-array check: each example asks every row and stops at the first
wrong answer, whose message names the row (request, expected, actual); shrinking would replay dozens
of requests per attempt (minutes against a faulty server) to simplify values the message already shows."""


class PairLedger:
    """One check's pair coverage; the ``pairs`` fixture hands it out and the plugin reads it back."""

    def __init__(self) -> None:
        self.entries: list[dict[str, Any]] = []

    def record(
        self,
        operation: str,
        ran: Sequence[Mapping[str, Hashable]],
        dimensions: Mapping[str, Sequence[Hashable]],
        allowed: Allowed | None = None,
    ) -> PairCoverage:
        """Count the pairs ``ran`` reached out of every allowed pair of ``dimensions``; keep the figure."""
        coverage = pair_coverage(ran, dimensions, allowed)
        self.entries.append({"operation": operation, "cases": len(ran), **coverage.as_dict()})
        return coverage
