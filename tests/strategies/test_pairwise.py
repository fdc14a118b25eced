"""The covering arrays reach every allowed pair, respect constraints, and the recount is honest."""

from __future__ import annotations

import itertools

from hypothesis import given
from hypothesis import strategies as st

from strategies.pairwise import all_pairs, covering_rows, pair_coverage

DIMENSIONS = st.dictionaries(
    st.sampled_from("abcdef"), st.lists(st.integers(0, 5), min_size=1, max_size=4, unique=True), min_size=2
)


@given(DIMENSIONS)
def test_every_pair_is_reached(dimensions: dict[str, list[int]]) -> None:
    rows = covering_rows(dimensions)
    coverage = pair_coverage(rows, dimensions)
    assert coverage.covered == coverage.total == len(all_pairs(dimensions))
    assert len(rows) <= max(1, len(list(itertools.product(*dimensions.values()))))


TWO_OR_MORE_VALUES = st.dictionaries(
    st.sampled_from("abcdef"), st.lists(st.integers(0, 5), min_size=2, max_size=4, unique=True), min_size=3
)
"""With two values each, every pair the constraint allows extends to a whole allowed case."""


@given(TWO_OR_MORE_VALUES, st.integers(0, 5), st.integers(0, 5))
def test_constraints_hold_and_allowed_pairs_are_still_reached(
    dimensions: dict[str, list[int]], x: int, y: int
) -> None:
    first, second = list(dimensions)[:2]

    def allowed(row: dict[str, int]) -> bool:  # the pair first=x & second=y cannot exist
        return not (row.get(first) == x and row.get(second) == y)

    rows = covering_rows(dimensions, allowed)
    assert all(allowed(row) for row in rows)
    coverage = pair_coverage(rows, dimensions, allowed)
    assert coverage.covered == coverage.total


def test_the_recount_names_the_pairs_a_run_missed() -> None:
    dimensions = {"operator": ["equals", "contains"], "page": [0, 1], "level": [2, 10]}
    ran = [{"operator": "equals", "page": 0, "level": 2}]
    coverage = pair_coverage(ran, dimensions)
    assert (coverage.covered, coverage.total) == (3, 12)
    assert "operator='contains' & page=1" in coverage.missing
    assert coverage.percent == 25.0
