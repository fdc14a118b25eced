"""contract/visibility.py and the pure parts of contract/test_auth_pages.py.

Invariants under test:
* a page cut from the expected answer in any order that respects "most recent first" (ties in any
  order, A-3 not needed) passes ``PageBounds.judge``: no false alarm on a server that breaks ties
  its own way;
* a page that holds another owner's recording, repeats one, misses one, is short, or is a window of
  the unrestricted list (paging before restricting) fails it;
* the covering array of the page check reaches every allowed pair, and the rows it forbids are
  exactly the impossible or unbounded ones.
"""

from __future__ import annotations

import warnings

import pytest
from hypothesis import given
from hypothesis import strategies as st

from contract.visibility import item_id, last_page, own_only, page_bounds, strangers
from strategies.pairwise import covering_rows, pair_coverage
from strategies.rhs_colon import TICKS_PER_SECOND, Instant

with warnings.catch_warnings():  # its recqual markers are registered by the contract plugin only
    warnings.simplefilter("ignore", pytest.PytestUnknownMarkWarning)
    from contract.test_auth_pages import (
        ID_DIMENSIONS,
        PAGE_DIMENSIONS,
        expected_for_id,
        page_case_allowed,
        page_of,
    )

BASE = Instant.parse("2026-03-29T01:30:00Z")


def rec(n: int, second: int, owner: str = "me") -> dict[str, str]:
    start = BASE - second * TICKS_PER_SECOND
    return {"id": f"ID-{n:03d}", "startTime": start.isoformat(), "ownerUsername": owner}


@st.composite
def ordered_answers(draw: st.DrawFn) -> list[dict[str, str]]:
    """An answer most recent first, with groups of recordings sharing a start time."""
    seconds = draw(st.lists(st.integers(0, 6), min_size=0, max_size=14))
    items = [rec(i, s) for i, s in enumerate(sorted(seconds))]
    return items


def window(items: list[dict[str, str]], page: int, size: int) -> list[str]:
    return [item_id(i) for i in items[page * size : page * size + size]]


@given(ordered_answers(), st.integers(1, 5), st.integers(0, 5), st.randoms(use_true_random=False))
def test_any_tie_order_passes(items: list[dict[str, str]], size: int, page: int, rnd: object) -> None:
    """The server may order recordings that share a start time in any way: every page still passes."""
    groups: dict[str, list[dict[str, str]]] = {}
    for item in items:
        groups.setdefault(item["startTime"], []).append(item)
    served: list[dict[str, str]] = []
    for key in sorted(groups, reverse=True):
        members = list(groups[key])
        rnd.shuffle(members)  # type: ignore[attr-defined]
        served.extend(members)
    assert page_bounds(items, page, size).judge(window(served, page, size)) == []


def test_window_of_distinct_times_is_exact() -> None:
    items = [rec(i, i * 10) for i in range(7)]
    bounds = page_bounds(items, 1, 3)
    assert bounds.count == 3
    assert bounds.required == bounds.allowed == {"id-003", "id-004", "id-005"}
    assert page_bounds(items, 2, 3).count == 1
    assert page_bounds(items, 3, 3).count == 0
    assert page_bounds(items, 0, None).count == 7


def test_a_tie_across_the_boundary_is_allowed_not_required() -> None:
    items = [rec(0, 0), rec(1, 5), rec(2, 5), rec(3, 9)]
    bounds = page_bounds(items, 0, 2)
    assert bounds.required == {"id-000"}
    assert bounds.allowed == {"id-000", "id-001", "id-002"}
    assert bounds.judge(["id-000", "id-002"]) == []
    assert bounds.judge(["id-000", "id-003"]) != []


def test_leaks_repeats_gaps_and_short_pages_fail() -> None:
    items = [rec(i, i * 10) for i in range(6)]
    bounds = page_bounds(items, 1, 2)
    assert bounds.judge(["id-002", "id-003"]) == []
    assert any("not due" in p for p in bounds.judge(["id-002", "id-099"]))
    assert any("twice" in p for p in bounds.judge(["id-002", "id-002"]))
    assert any("missing" in p for p in bounds.judge(["id-002"]))
    assert any("recordings where" in p for p in bounds.judge(["id-002"]))


def test_paging_before_restricting_fails() -> None:
    """A level-2 page cut from everyone's list and then restricted is caught on the first page."""
    everyone = [rec(i, i * 10, "me" if i % 3 == 0 else "them") for i in range(9)]
    mine = own_only(everyone, "ME")
    assert [item_id(i) for i in mine] == ["id-000", "id-003", "id-006"]
    short = [item_id(i) for i in own_only(everyone[0:2], "me")]
    assert page_bounds(mine, 0, 2).judge(short) != []
    assert strangers(everyone[:2], "Me") == ["them"]


def test_unreadable_times_keep_only_the_count() -> None:
    items = [{"id": "a", "startTime": "yesterday"}, {"id": "b", "startTime": "today"}]
    bounds = page_bounds(items, 0, 1)
    assert bounds.count == 1 and not bounds.required
    assert bounds.judge(["b"]) == []
    assert bounds.judge(["c"]) != []


def test_last_page() -> None:
    assert [last_page(n, 2) for n in (0, 1, 2, 3, 4, 5)] == [0, 0, 0, 1, 1, 2]


def test_page_rows_cover_every_allowed_pair_and_nothing_impossible() -> None:
    rows = covering_rows(PAGE_DIMENSIONS, page_case_allowed)
    assert all(page_case_allowed(r) for r in rows)
    coverage = pair_coverage(rows, PAGE_DIMENSIONS, page_case_allowed)
    assert coverage.covered == coverage.total > 150
    assert not page_case_allowed({"level": 10, "filter": "none"})
    assert not page_case_allowed({"page": "unpaged", "pageSize": 2})
    assert page_case_allowed({"page": "1", "pageSize": "absent"})  # A-3b: page without pageSize


def test_page_of_names_real_pages() -> None:
    assert page_of({"page": "last", "pageSize": 2}, 5) == (2, 2)
    assert page_of({"page": "past-end", "pageSize": 2}, 5) == (3, 2)
    assert page_of({"page": "past-end", "pageSize": 3}, 0) == (1, 3)
    assert page_of({"page": "1", "pageSize": "absent"}, 5) == (1, None)
    assert page_of({"page": "unpaged", "pageSize": "absent"}, 5) == (None, None)


def test_id_expectations() -> None:
    assert expected_for_id(10, "other", "capitals") == (200, "A-1")
    assert expected_for_id(2, "own", "lowercase") == (200, "documented")
    assert expected_for_id(2, "other", "mixed") == (403, "A-15")
    assert expected_for_id(1, "own", "lowercase") == (403, "A-15")
    rows = covering_rows(ID_DIMENSIONS)
    assert pair_coverage(rows, ID_DIMENSIONS).percent == 100.0
