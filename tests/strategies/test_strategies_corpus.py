"""Boundary corpora and the listRecordings oracle.

Invariants under test (reference §2.1, A-2, A-3, A-4):
* corpora lie inside retention and in the past, hold only oracle-safe strings, and upload as valid
  metadata;
* `filters_for` aims filters at corpus values and they round-trip;
* `select` equals a brute-force reading (AND of naive per-parameter readings, start time descending,
  ties compared as sets);
* on a boundary corpus the oracle picks a strict, non-empty subset (a constant `matches` fails this).
"""

from __future__ import annotations

from brute_readings import datetime_selects, string_selects
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from strategies.corpus import (
    CorpusRecording,
    corpora,
    filters_for,
    order_key,
    plain_filters_for,
    query_params,
    select,
    tie_groups,
)
from strategies.durations import parse_iso_duration
from strategies.oracle_safety import is_oracle_safe_value
from strategies.rhs_colon import TICKS_PER_SECOND, DatetimeFilter, Instant, encode, parse

DAY = 86_400 * TICKS_PER_SECOND
BASE = Instant.now() - DAY  # any base works (test_strategies_dates); this one follows the machine's clock
SMALL = settings(max_examples=40, deadline=None)
small_corpora = corpora(min_size=2, max_size=12, owners=("admin", "Bob.Smith"), base=BASE)


@SMALL
@given(small_corpora)
def test_corpora_are_inside_retention_and_in_the_past(corpus):
    for r in corpus:
        assert BASE - 30 * DAY < r.start < r.end <= BASE - 3600 * TICKS_PER_SECOND
        assert r.remote_party_number == "" or is_oracle_safe_value(r.remote_party_number)
        assert is_oracle_safe_value(r.local_party_number)
        meta = r.to_upload_metadata()
        assert Instant.parse(meta["startDateTime"]) == r.start
        assert parse_iso_duration(meta["duration"]) == r.duration_ticks
        assert ("remoteParty" in meta) == bool(r.remote_party_number)


@SMALL
@given(small_corpora, st.data())
def test_filters_for_a_corpus_round_trip_and_fit_their_parameter(corpus, data):
    name, f = data.draw(filters_for(corpus))
    assert parse(encode(f), f.kind) == f
    assert (name == "remoteParty") == (f.kind == "string")
    assert name in ("startTime", "endTime", "remoteParty")


def brute_select(corpus: list[CorpusRecording], params: dict) -> list[list[CorpusRecording]]:
    """The §2.1 table read literally, through the naive readings; grouped by equal start time."""
    text = query_params(params)

    def keep(r: CorpusRecording) -> bool:
        for name, value in text.items():
            if name == "startTime" and not datetime_selects(value, r.start.isoformat()):
                return False
            if name == "endTime" and not datetime_selects(value, r.end.isoformat()):
                return False
            if name == "remoteParty" and not string_selects(value, r.remote_party_number):
                return False
            if name == "localPartyNumber" and value.casefold() != r.local_party_number.casefold():
                return False
            if name == "ownerUsername" and value.casefold() != r.owner_username.casefold():
                return False
            if name == "direction" and int(value) != r.direction:
                return False
        return True

    kept = [r for r in corpus if keep(r)]
    starts = sorted({r.start for r in kept}, reverse=True)
    return [[r for r in kept if r.start == s] for s in starts]


def as_sets(groups: list[list[CorpusRecording]]) -> list[frozenset[int]]:
    return [frozenset(id(r) for r in g) for g in groups]


@settings(max_examples=60, deadline=None)
@given(small_corpora, st.data())
def test_select_agrees_with_the_brute_force_reading(corpus, data):
    params = dict(
        data.draw(st.lists(st.one_of(filters_for(corpus), plain_filters_for(corpus)), min_size=1, max_size=3))
    )
    result = select(corpus, params)
    assert [order_key(r) for r in result] == sorted(order_key(r) for r in result)
    assert as_sets(tie_groups(result)) == as_sets(brute_select(corpus, params))
    # The same query given as text selects the same recordings.
    assert select(corpus, query_params(params)) == result


@SMALL
@given(small_corpora)
def test_the_oracle_picks_a_strict_nonempty_subset_of_a_boundary_corpus(corpus):
    starts = sorted({r.start for r in corpus})
    assume(len(starts) >= 2)
    lowest, highest = starts[0], starts[-1]
    picked = select(corpus, {"startTime": DatetimeFilter("between", lowest, highest)})
    assert picked and len(picked) < len(corpus)
    assert all(r.start != highest for r in picked)
    exact = select(corpus, {"startTime": DatetimeFilter("equals", lowest)})
    assert {id(r) for r in exact} == {id(r) for r in corpus if r.start == lowest}
    one_tick = select(corpus, {"startTime": DatetimeFilter("between", lowest, lowest + 1)})
    assert {id(r) for r in one_tick} == {id(r) for r in exact}


def test_select_examples_from_the_reference():
    """§2.1 and A-4: case-insensitive plain filters, AND of all filters, unknown parameters ignored."""
    t = Instant.parse("2026-05-01T10:00:00Z")
    a = CorpusRecording(t, 60 * TICKS_PER_SECOND, 1, "1001", "a;b", "admin")
    b = CorpusRecording(t + 1, 60 * TICKS_PER_SECOND, 2, "1002", "A;B;C", "Bob")
    corpus = [a, b]
    assert select(corpus, {}) == [b, a]
    assert select(corpus, {"remoteParty": "equals:a\\;b"}) == [a]
    assert select(corpus, {"remoteParty": "contains:A\\;b"}) == [b, a]
    assert select(corpus, {"ownerUsername": "BOB"}) == [b]
    assert select(corpus, {"ownerUsername": ""}) == []
    assert select(corpus, {"remotePartyNumber": "zzz", "page": 3, "pageSize": 1}) == [b, a]
    assert select(corpus, {"direction": 2, "localPartyNumber": "1001"}) == []
    end = t + 60 * TICKS_PER_SECOND
    assert select(corpus, {"endTime": DatetimeFilter("before", end + 1)}) == [a]
    assert tie_groups([b, a]) == [[b], [a]]
