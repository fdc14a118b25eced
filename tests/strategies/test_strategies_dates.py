"""Dates of uploaded recordings come from the caller's window, never from a fixed date or our clock.

Invariants under test (reference 2.2: 409 before the retention period; A-5: 400 more than 5 minutes
ahead):
* `corpora(base=, spread_s=)` puts every start in `[base - spread_s, base]` and every end behind
  `base`, for the 29-day default (the classic layout: starts 3 h to 29 days back, ends an hour back)
  and for windows down to a few minutes (an undeclared retention gives the suite about 23 hours);
* a `base` ahead of this machine's clock is accepted (the server's clock may run ahead of ours);
* `upload_metadata(now=<function>, max_age_s=)` draws starts in `(now() - max_age_s, now()]` with
  `now()` read at each draw; `invalid_metadata` keeps that window for its valid fields and puts a
  "future" start more than 5 minutes after `now()`; `outside_retention_metadata` takes the
  function too.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from strategies.corpus import DEFAULT_SPREAD_S, Spread, corpora
from strategies.metadata import invalid_metadata, outside_retention_metadata, upload_metadata
from strategies.rhs_colon import TICKS_PER_SECOND, Instant

SECOND = TICKS_PER_SECOND
HOUR = 3600 * SECOND
DAY = 24 * HOUR
BASE = Instant.parse("2031-03-04T05:06:07.8901234Z")  # far ahead of any test machine's clock


@settings(max_examples=30, deadline=None)
@given(
    spread_s=st.one_of(
        st.sampled_from((60, 240, 3600, 23 * 3600, 89 * 86_400, DEFAULT_SPREAD_S)),
        st.integers(60, 400 * 86_400),
    ),
    data=st.data(),
)
def test_a_corpus_stays_inside_its_window(spread_s, data):
    layout = Spread(spread_s)
    drawn = data.draw(corpora(min_size=1, max_size=15, base=BASE, spread_s=spread_s))
    for r in drawn:
        assert BASE - spread_s * SECOND <= r.start, (r.start, spread_s)
        assert r.start < r.end <= BASE - layout.end_margin, (r, spread_s)
        assert r.duration_ticks >= SECOND


def test_the_default_spread_keeps_the_classic_layout():
    layout = Spread(DEFAULT_SPREAD_S)
    assert layout.youngest == 3 * HOUR + 2 * SECOND
    assert layout.oldest == 29 * DAY - 2 * SECOND
    assert layout.end_margin == HOUR
    assert layout.max_duration_s == 2 * 3600


@settings(max_examples=20, deadline=None)
@given(corpora(min_size=3, max_size=10, base=BASE))
def test_the_default_corpus_spans_29_days_before_its_base(drawn):
    for r in drawn:
        assert BASE - 29 * DAY <= r.start <= BASE - 3 * HOUR
        assert r.end <= BASE - HOUR


def test_a_too_narrow_spread_is_refused():
    with pytest.raises(ValueError, match="spread_s"):
        corpora(spread_s=10)


AHEAD = Instant.now() + 600 * SECOND


@settings(max_examples=5, deadline=None)
@given(corpora(min_size=1, max_size=3, base=AHEAD, spread_s=3600))
def test_a_base_ahead_of_this_machine_is_accepted(drawn):
    assert all(r.start <= AHEAD for r in drawn)


class Clock:
    """A server clock that runs 7 years ahead and counts how often it is read."""

    def __init__(self) -> None:
        self.reads = 0

    def __call__(self) -> Instant:
        self.reads += 1
        return Instant.now() + 7 * 365 * DAY


def test_upload_metadata_starts_inside_the_given_window():
    clock = Clock()
    span_s = 23 * 3600

    @settings(max_examples=40, deadline=None)
    @given(upload_metadata(now=clock, max_age_s=span_s))
    def check(meta):
        start = Instant.parse(meta["startDateTime"])
        now = clock()
        assert now - span_s * SECOND - 60 * SECOND <= start <= now

    check()
    assert clock.reads >= 40  # read at each draw, not once


def test_max_age_s_must_leave_room():
    with pytest.raises(ValueError, match="max_age_s"):
        upload_metadata(max_age_s=60)


def test_invalid_metadata_keeps_the_window_and_puts_the_future_after_it():
    clock = Clock()

    @settings(max_examples=80, deadline=None)
    @given(invalid_metadata(now=clock, max_age_s=3600))
    def check(bad):
        text = bad.metadata.get("startDateTime")
        if not isinstance(text, str):
            return
        try:
            start = Instant.parse(text)
        except ValueError:
            return
        now = clock()
        if "future" in bad.why:
            assert start > now + 5 * 60 * SECOND
        else:
            assert now - 3600 * SECOND - 60 * SECOND <= start <= now

    check()


def test_outside_retention_metadata_follows_the_given_clock():
    clock = Clock()

    @settings(max_examples=20, deadline=None)
    @given(outside_retention_metadata(retention_days=90, now=clock))
    def check(meta):
        assert Instant.parse(meta["startDateTime"]) <= clock() - 91 * DAY + SECOND

    check()
