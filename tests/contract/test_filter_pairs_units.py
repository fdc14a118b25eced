"""The filter-pairs check's pure parts: its dimensions, the corpus groups it aims at, its plans.

Invariants: every pair ``allowed`` admits extends to a whole allowed row (so the covering array never
asks for the impossible); the covering array in the check's order reaches every allowed pair; each
operand class' stored values tell the literal reading from the wrong one (a LIKE, regex or second
URL decoding of the ``contains`` key selects a decoy, the literal reading never does); a plan's page
is the kind its row records; the European clock changes are the real ones.
"""

from __future__ import annotations

import itertools
import re
from datetime import UTC, datetime
from urllib.parse import unquote_plus

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from contract.corpus_support import class_groups, dst_group, eu_clock_changes
from contract.filter_pairs import DIMENSIONS, ORDER, PAGES, Plan, allowed, page_fits, page_slots, plans
from strategies import corpus
from strategies.oracle_safety import is_oracle_safe_value
from strategies.pairwise import all_pairs, covering_rows, pair_coverage
from strategies.rhs_colon import TICKS_PER_SECOND, Instant, StringFilter

DAY = 86_400
BASE = Instant.from_datetime(datetime(2026, 12, 3, 12, tzinfo=UTC))
OWNERS = ("owner_a", "owner_b")


def _groups() -> dict[str, list[corpus.CorpusRecording]]:
    numbers = [f"7000{i}" for i in range(len(corpus.OPERAND_CLASSES))]
    groups = class_groups(BASE, 29 * DAY, tag="7123", numbers=numbers, owners=OWNERS)
    dst = dst_group(BASE - 90 * DAY * TICKS_PER_SECOND, BASE, local="7999", tag="7123", owner=OWNERS[0])
    return {**groups, "dst": dst}


GROUPS = _groups()
ITEMS = [r for g in GROUPS.values() for r in g]


def test_every_allowed_pair_extends_to_a_whole_row() -> None:
    names = list(DIMENSIONS)
    rows = [dict(zip(names, v, strict=True)) for v in itertools.product(*DIMENSIONS.values())]
    whole = [r for r in rows if allowed(r)]
    reached = {((a, r[a]), (b, r[b])) for r in whole for a, b in itertools.combinations(names, 2)}
    assert all_pairs(DIMENSIONS, allowed) <= reached


def test_covering_array_reaches_every_pair_in_few_rows() -> None:
    dimensions = {k: DIMENSIONS[k] for k in ORDER}
    rows = covering_rows(dimensions, allowed)
    assert pair_coverage(rows, dimensions, allowed).percent == 100.0
    assert all(allowed(r) for r in rows)
    assert len(rows) < 150, "the check's --quick cost grows with the rows"


def test_allowed_refuses_what_no_query_can_be() -> None:
    assert not allowed({"param": "direction", "operator": "contains"})
    assert not allowed({"param": "startTime", "operand": "like"})
    assert not allowed({"operator": "contains", "second": "remoteParty"})
    assert not allowed({"param": "endTime", "second": "endTime"})
    assert allowed({"operand": "like", "second": "remoteParty"})  # localPartyNumber holds it


def _like(pattern: str) -> re.Pattern[str]:
    out = []
    for part in re.split(r"(%|_|\[[^\]]+\])", pattern):
        out.append({"%": ".*", "_": "."}.get(part, part if part.startswith("[") else re.escape(part)))
    return re.compile("".join(out), re.IGNORECASE)


WRONG_READINGS = {
    "like": lambda key, v: _like(f"%{key}%").fullmatch(v) is not None,
    "bracket": lambda key, v: _like(f"%{key}%").fullmatch(v) is not None,
    "regex": lambda key, v: re.search(key, v, re.IGNORECASE) is not None,
    # decoded a second time, or the query string split at an unencoded `&`
    "url": lambda key, v: unquote_plus(key).lower() in v.lower() or key.split("&")[0].lower() in v.lower(),
}


@pytest.mark.parametrize("cls", list(WRONG_READINGS))
def test_each_metacharacter_class_has_a_decoy_the_wrong_reading_selects(cls: str) -> None:
    """A corpus without decoys passes a wildcard server: each class must hold one it would list."""
    for value in corpus.OPERAND_CLASSES[cls]:
        literal = StringFilter("contains", value.key)
        for decoy in value.decoys:
            assert not corpus.select([_rec(decoy)], {"remoteParty": literal})
            assert WRONG_READINGS[cls](value.key, decoy), (cls, value.key, decoy)
        assert corpus.select([_rec(value.value)], {"remoteParty": literal})


def _rec(remote: str) -> corpus.CorpusRecording:
    return corpus.CorpusRecording(BASE, TICKS_PER_SECOND, 1, "1", remote, "u")


def test_class_groups_are_safe_unique_and_inside_the_window() -> None:
    for name, group in GROUPS.items():
        for r in group:
            assert is_oracle_safe_value(r.remote_party_number) and is_oracle_safe_value(r.local_party_number)
            assert r.remote_party_number.startswith("7123-")
            days = 90 if name == "dst" else 29  # the clock change is wherever the whole window has one
            assert BASE - days * DAY * TICKS_PER_SECOND < r.start < BASE, name
            assert r.end < BASE
    home = GROUPS["plain"][0].local_party_number
    plain = [
        r for r in GROUPS["plain"] if (r.remote_party_number, r.local_party_number) == ("7123-77a", home)
    ]
    assert len(plain) == 3 and len({r.start for r in plain}) == 1, "the plain copies are ties"
    starts = [r.start for g in GROUPS.values() for r in g]
    assert len(set(starts)) == len(starts) - 2, "only the tie group shares a start"


def test_eu_clock_changes_are_the_real_ones() -> None:
    changes = eu_clock_changes(Instant.parse("2026-01-01T00:00:00Z"), Instant.parse("2026-12-31T00:00:00Z"))
    assert changes == [Instant.parse("2026-10-25T01:00:00Z"), Instant.parse("2026-03-29T01:00:00Z")]
    assert eu_clock_changes(BASE - DAY * TICKS_PER_SECOND, BASE) == []


def test_dst_group_writes_each_date_with_its_local_offset() -> None:
    change = Instant.parse("2026-10-25T01:00:00Z")
    group = GROUPS["dst"]
    assert {r.offset_minutes for r in group if r.start < change} == {120}
    assert {r.offset_minutes for r in group if r.start >= change} == {60}
    assert any(r.start == change - 1 for r in group) and any(r.start == change for r in group)
    assert dst_group(BASE - DAY * TICKS_PER_SECOND, BASE, local="1", tag="2", owner="u") == []


ROWS = covering_rows({k: DIMENSIONS[k] for k in ORDER}, allowed)


@settings(max_examples=150, deadline=None)
@given(data=st.data(), index=st.integers(0, len(ROWS) - 1))
def test_a_plan_asks_the_page_its_row_records(data: st.DataObject, index: int) -> None:
    row = ROWS[index]
    plan: Plan = data.draw(plans(row, ITEMS, GROUPS))
    assert "localPartyNumber" in plan.params, "every judged query is isolated (A-3)"
    assert plan.ran["page"] in PAGES
    assert {k: v for k, v in plan.ran.items() if k not in ("page", "operand")} == {
        k: v for k, v in row.items() if k not in ("page", "operand")
    }
    n = len(corpus.select(ITEMS, plan.params))
    kind = plan.ran["page"]
    if plan.page is None:
        assert kind == "unpaged"
        return
    page, size = plan.page
    pages = -(-n // size)
    if kind == "first":
        assert page == 0
    elif kind == "deep":
        assert 1 <= page <= pages - 2
    elif kind == "last-partial":
        assert page == pages - 1 and n % size and pages >= 2
    else:
        assert page * size >= n and page >= 1


def test_a_page_fits_its_slice_of_tie_groups() -> None:
    ties = [["a"], ["b", "c", "d"], ["e"]]
    slots = page_slots(ties, 1, 2)  # positions 2, 3: two of the tie group b, c, d
    assert slots == [(frozenset("bcd"), 2)]
    assert page_fits(["d", "b"], slots) and page_fits(["c", "d"], slots)
    assert (
        not page_fits(["d", "d"], slots) and not page_fits(["d", "e"], slots) and not page_fits(["b"], slots)
    )
    edge = page_slots(ties, 0, 2)
    assert edge == [(frozenset("a"), 1), (frozenset("bcd"), 1)]
    assert page_fits(["a", "c"], edge) and not page_fits(["c", "a"], edge), "most recent first"
    assert page_slots(ties, 3, 2) == [] and page_fits([], [])
