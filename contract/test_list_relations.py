r"""listRecordings relations that hold on any server's data (reference 2.1, section 4), GET only.

The corpus checks (test_filters, test_paging) judge the server against an oracle on recordings this
run uploaded. These checks need no upload, so they also run in ``--profile read-only`` on a production
server: they compare the server's answers with each other, on whatever recordings it holds.

Invariants, for windows, substrings and page sizes drawn from what the server itself lists:

- ``between:T1;T2`` is ``(after:T1 ∪ equals:T1) ∩ before:T2``; ``after`` and ``before`` are strict
  (nothing they list is ``equals`` at their bound); every listed startTime is inside the bound
  (section 4; the startTime comparison also rests on A-11: the listed startTime is the stored instant);
- ``contains:S`` lists only values containing ``S``, every value of the window containing ``S``,
  and a subset of ``contains:S'`` for any substring ``S'`` of ``S`` (section 4; asked within a time
  window, so A-3: filters combine with AND);
- pages ``0..n`` of a window concatenate to its unpaged list, same order, no repeat, the same
  ``totalCount`` on every page; a page past the end is empty with that ``totalCount`` (A-3);
- every answer is most recent first (documented).

Bounded on any server: every value is chosen from one page of ``before:T0`` (``T0`` is the server's
clock when the check starts), so each window holds at most about a page of recordings, and every
query carries a ``pageSize`` (a window's unpaged list is asked only once its ``totalCount`` is
known to be small). A production server with 100,000 recordings answers the same few hundred
requests as an empty one.

Recordings that arrive while a check runs: windows end at ``T0`` (closed, in the past), but a
completed call is listed with its *start* time, and an upload may be back-dated, so a recording may
still appear inside a window between two queries. Each subset relation therefore asks its smaller
side first (an arrival can only enlarge the later answer), per-answer properties need no second
query, and the paging checks read the unpaged list before and after the pages: only when both agree
(nothing arrived) are the pages compared exactly; otherwise the check retries, and finally judges what
arrivals cannot break (every recording listed before is on some page, every paged one is listed after).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import pytest
from hypothesis import event, given, note, settings
from hypothesis import strategies as st

from contract import api, expect
from contract.client import ApiClient, Reply
from contract.corpus_support import expect_most_recent_first
from contract.failures import DOCUMENTED
from contract.run_context import RunContext
from contract.scene import Scene
from strategies import corpus
from strategies.oracle_safety import is_oracle_safe_char, is_oracle_safe_value
from strategies.rhs_colon import TICKS_PER_SECOND, DatetimeFilter, Instant, StringFilter, min_digits

SECOND = TICKS_PER_SECOND
FRAME = 100
"""Page size of the frames the values are chosen from: a window holds about this many recordings."""
DEEP_FRAME_PAGE = 2
"""The second frame is this page of ``before:T0`` (or the last one): somewhat older recordings."""
LIMIT = 300
"""``pageSize`` of every relation query: more matches than this and the window is not judged."""
MAX_PAGES = 12
"""A paging example reads at most this many pages (its window is chosen to fit)."""
ATTEMPTS = 3
"""Paging checks: how often to retry a window whose unpaged list changed during the check."""

CHECK_BETWEEN = "between = (after or equals) and before, on any data"
CHECK_CONTAINS = "contains: longer within shorter, on any data"
CHECK_PAGES = "pages concatenate, on any data"
CHECK_PAST_END = "page past the end is empty, on any data"
CHECK_ORDER = "most recent first, on any data"


# --------------------------------------------------------------------------------------------------
# Reading answers
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    id: str
    start: Instant
    start_text: str
    remote: str | None


@dataclass
class Listing:
    """One listRecordings answer: its rows (most recent first) and ``totalCount``."""

    reply: Reply
    rows: list[Row]
    total: int
    shown: str

    @property
    def ids(self) -> list[str]:
        return [r.id for r in self.rows]

    @property
    def id_set(self) -> set[str]:
        return {r.id for r in self.rows}

    @property
    def complete(self) -> bool:
        """Every match is in this answer (its page 0 holds ``totalCount`` rows)."""
        return self.total <= len(self.rows)


def _row(item: Any, reply: Reply, check: str) -> Row:
    rec_id = item.get("id") if isinstance(item, dict) else None
    text = item.get("startTime") if isinstance(item, dict) else None
    try:
        start = Instant.parse(str(text))
    except ValueError:
        start = None
    if not isinstance(rec_id, str) or start is None:
        raise expect.fail(
            reply,
            check=check,
            title="a listed recording has no id or no readable startTime",
            expected="id (uuid) and startTime (date-time)",
            actual=str(item)[:200],
        )
    remote = item.get("remotePartyNumber")
    return Row(rec_id.lower(), start, str(text), remote if isinstance(remote, str) else None)


def fetch(
    admin: ApiClient,
    params: dict[str, Any],
    *,
    check: str,
    page_size: int | None = LIMIT,
    page: int = 0,
    provenance: str = DOCUMENTED,
) -> Listing:
    """Ask, expect 200 with a readable body, and judge the order (documented: most recent first)."""
    query = dict(corpus.query_params(params))
    if page_size is not None:
        query |= {"page": str(page), "pageSize": str(page_size)}
    shown = "&".join(f"{k}={v}" for k, v in query.items()) or "(no parameters)"
    reply = api.list_recordings(admin, query)
    expect.status(reply, 200, check=check, why=f"a valid query: {shown}", provenance=provenance)
    body = expect.json_body(reply, check=check)
    items = body.get("recordings") if isinstance(body, dict) else None
    total = body.get("totalCount") if isinstance(body, dict) else None
    expect.that(
        isinstance(items, list) and isinstance(total, int),
        reply,
        check=check,
        title="the answer has no recordings array or no integer totalCount",
        expected='{"totalCount": int, "recordings": [...]}',
        actual=str(body)[:200],
    )
    rows = [_row(item, reply, check) for item in items]  # type: ignore[union-attr]
    expect_most_recent_first(
        reply,
        [r.start.ticks for r in rows],
        [r.start_text for r in rows],
        check=CHECK_ORDER,
        title=f"{shown}: recordings are not ordered by start time, most recent first",
    )
    return Listing(reply, rows, int(total), shown)  # type: ignore[arg-type]


# --------------------------------------------------------------------------------------------------
# Choosing values from what the server lists
# --------------------------------------------------------------------------------------------------


@dataclass
class Frames:
    """``T0`` (the server's clock when the check started, a whole second) and the pages of
    ``before:T0`` the values are chosen from: page 0 (the newest) and a deeper one."""

    t0: Instant
    pages: list[list[Row]]
    summary: str


def frames(admin: ApiClient, scene: Scene, check: str, *, deep: bool = True) -> Frames:
    now = scene.upload_window.server_now().ticks
    t0 = Instant(now - now % SECOND)
    before = {"startTime": DatetimeFilter("before", t0, digits=0)}
    first = fetch(admin, before, check=check, page_size=FRAME)
    pages = [first.rows]
    last = max(0, (first.total - 1) // FRAME)
    if deep and last > 0:
        pages.append(fetch(admin, before, check=check, page_size=FRAME, page=min(DEEP_FRAME_PAGE, last)).rows)
    sizes = [len(p) for p in pages]
    return Frames(
        t0, pages, f"T0 {t0.isoformat(digits=0)}: {first.total} recordings before it, frames {sizes}"
    )


def _digits(*instants: Instant) -> int:
    return max(min_digits(t.ticks) for t in instants)


@dataclass(frozen=True)
class Window:
    """``[lower, upper)``, ``upper`` at most ``T0``; written with as few digits as the bounds need."""

    lower: Instant
    upper: Instant

    @property
    def digits(self) -> int:
        return _digits(self.lower, self.upper)

    @property
    def provenance(self) -> str:
        """Bounds to the millisecond are plain RFC 3339; finer ones (the server's own 7-digit
        startTimes) must be accepted by A-11."""
        return DOCUMENTED if self.digits <= 3 else "A-11"

    def op(self, name: str, at: Instant | None = None) -> DatetimeFilter:
        value = self.lower if at is None else at
        if name == "between":
            return DatetimeFilter("between", self.lower, upper=self.upper, digits=self.digits)
        return DatetimeFilter(name, value, digits=self.digits)  # type: ignore[arg-type]

    def __str__(self) -> str:
        return f"[{self.lower.isoformat(digits=self.digits)}, {self.upper.isoformat(digits=self.digits)})"


def _bound(data: st.DataObject, t: Instant, label: str) -> Instant:
    """A listed instant itself (ties, exact bounds), or the whole second below or above it."""
    how = data.draw(st.sampled_from(("exact", "exact", "floor", "ceil")), label=f"{label} bound")
    floor = t.ticks - t.ticks % SECOND
    if how == "exact":
        return t
    if how == "floor" or floor == t.ticks:
        return Instant(floor)
    return Instant(floor + SECOND)


def draw_window(data: st.DataObject, rows: Sequence[Row], t0: Instant, *, max_rows: int) -> Window:
    """A window whose bounds sit on (or beside) listed start times, spanning at most ``max_rows``
    rows of the frame; an empty frame gives a window of up to a day before ``T0``."""
    if not rows:
        span = data.draw(st.integers(1, 86_400), label="window seconds (empty frame)")
        return Window(t0 - span * SECOND, t0)
    n = len(rows)
    upper_row = data.draw(st.integers(-1, n - 1), label="upper row (-1: T0)")
    first = max(upper_row, 0)
    lower_row = data.draw(st.integers(first, min(n - 1, first + max_rows - 1)), label="lower row")
    upper = t0 if upper_row < 0 else min(_bound(data, rows[upper_row].start, "upper"), t0)
    lower = _bound(data, rows[lower_row].start, "lower")
    if lower >= upper:
        lower = upper - SECOND
    return Window(lower, upper)


def _frame(data: st.DataObject, found: Frames) -> list[Row]:
    return data.draw(st.sampled_from(found.pages), label="frame") if len(found.pages) > 1 else found.pages[0]


def _describe(rows: Iterable[Row], ids: Iterable[str], limit: int = 5) -> list[str]:
    by_id = {r.id: r for r in rows}
    return [f"{i} startTime {by_id[i].start_text}" if i in by_id else i for i in list(ids)[:limit]]


# --------------------------------------------------------------------------------------------------
# between, after, before, equals
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BetweenAnswers:
    """The six answers about one window ``[T1, T2)``, in the order they were asked."""

    window: Window
    between: Listing
    after: Listing
    at_t1: Listing
    at_t2: Listing
    before: Listing
    between_again: Listing

    @property
    def prov(self) -> str:
        return self.window.provenance


def ask_between_and_its_parts(admin: ApiClient, w: Window) -> BetweenAnswers:
    """between, after:T1, equals:T1, equals:T2, before:T2, between again: the order matters, since
    an arrival can only enlarge a later answer (each subset relation asks its smaller side first)."""

    def ask(name: str, at: Instant | None = None) -> Listing:
        return fetch(admin, {"startTime": w.op(name, at)}, check=CHECK_BETWEEN, provenance=w.provenance)

    between = ask("between")
    after = ask("after", w.lower)
    at_t1 = ask("equals", w.lower)
    at_t2 = ask("equals", w.upper)
    before = ask("before", w.upper)
    between_again = ask("between")
    return BetweenAnswers(w, between, after, at_t1, at_t2, before, between_again)


def _expect_disjoint(a: Listing, b: Listing, title: str, prov: str) -> None:
    both = a.id_set & b.id_set
    expect.that(
        not both,
        a.reply,
        check=CHECK_BETWEEN,
        title=title,
        expected=f"nothing also in {b.shown}",
        actual=f"{len(both)} recordings in both",
        provenance=prov,
        notes=[f"in both: {d}" for d in _describe(a.rows, sorted(both))],
    )


def expect_bounds_exclusive(ans: BetweenAnswers) -> None:
    """``after`` and ``before`` are strict and ``between`` excludes T2: nothing they list is listed by
    ``equals`` at that bound. Disjointness holds whatever arrives between the queries."""
    w, prov = ans.window, ans.prov
    _expect_disjoint(
        ans.after, ans.at_t1, f"after:T1 is not strict: it lists recordings at T1 (window {w})", prov
    )
    _expect_disjoint(
        ans.before, ans.at_t2, f"before:T2 is not strict: it lists recordings at T2 (window {w})", prov
    )
    upper_included = f"between:T1;T2 includes its upper bound T2 (window {w})"
    _expect_disjoint(ans.between, ans.at_t2, upper_included, prov)
    _expect_disjoint(ans.between_again, ans.at_t2, upper_included, prov)


def expect_start_times_within_bounds(ans: BetweenAnswers) -> None:
    """Every listed startTime satisfies its operator (A-11: the listed startTime is the stored
    instant, to the tick); a per-answer property, so arrivals cannot break it."""
    t1, t2, w = ans.window.lower, ans.window.upper, ans.window
    for name, listing, ok in (
        ("between", ans.between, lambda r: t1 <= r.start < t2),
        ("between", ans.between_again, lambda r: t1 <= r.start < t2),
        ("after", ans.after, lambda r: r.start > t1),
        ("equals", ans.at_t1, lambda r: r.start == t1),
        ("equals", ans.at_t2, lambda r: r.start == t2),
        ("before", ans.before, lambda r: r.start < t2),
    ):
        outside = [r for r in listing.rows if not ok(r)]
        expect.that(
            not outside,
            listing.reply,
            check=CHECK_BETWEEN,
            title=f"{listing.shown}: listed startTimes outside the {name} bound",
            expected=f"every startTime within {name} (window {w})",
            actual=[r.start_text for r in outside][:5],
            provenance="A-11",  # the listed startTime is the stored instant, to the tick
        )


def _expect_subset(
    part: set[str],
    whole: set[str],
    listing: Listing,
    *,
    title: str,
    relation: str,
    surplus: str,
    window: Window,
    rows: list[Row],
) -> None:
    """``part ⊆ whole``; what ``part`` holds beyond ``whole`` is named from ``rows``."""
    stray = part - whole
    expect.that(
        not stray,
        listing.reply,
        check=CHECK_BETWEEN,
        title=title,
        expected=f"{relation} (window {window})",
        actual=f"{len(stray)} {surplus}",
        provenance=window.provenance,
        notes=_describe(rows, sorted(stray)),
    )


def _set_relations_judgeable(ans: BetweenAnswers) -> bool:
    """The set relations compare whole answers: each ``between`` and ``after:T1 ∪ equals:T1`` must
    fit in one page of ``LIMIT`` (a window of the newest frame usually does)."""
    return ans.between.complete and ans.between_again.complete and ans.after.complete and ans.at_t1.complete


def _before_reaches_below(before: Listing, since_t1: set[str], t1: Instant) -> bool:
    """``before:T2`` is read one page deep; that page holds all of the window when it is the whole
    list, or when its last (oldest, most recent first) row is older than T1 and not listed since T1."""
    return before.complete or (
        bool(before.rows) and before.rows[-1].id not in since_t1 and before.rows[-1].start < t1
    )


def expect_between_is_after_or_equals_and_before(ans: BetweenAnswers) -> None:
    """``between ⊆ after ∪ equals``, ``between ⊆ before`` and ``(after ∪ equals) ∩ before ⊆ between
    again``: each asks its smaller side first, so arrivals cannot break it."""
    if not _set_relations_judgeable(ans):
        event("window or after:T1 larger than a page: set relations not judged")
        return
    w, between = ans.window, ans.between
    since_t1 = ans.after.id_set | ans.at_t1.id_set
    _expect_subset(
        between.id_set,
        since_t1,
        between,
        title="between:T1;T2 lists recordings that neither after:T1 nor equals:T1 lists",
        relation="between ⊆ after ∪ equals",
        surplus="recordings only in between",
        window=w,
        rows=between.rows,
    )
    if not _before_reaches_below(ans.before, since_t1, w.lower):
        event("before:T2 page does not reach below T1: not judged")
        return
    event("set relations judged")
    _expect_subset(
        between.id_set,
        ans.before.id_set,
        between,
        title="between:T1;T2 lists recordings that before:T2 does not",
        relation="between ⊆ before",
        surplus="recordings only in between",
        window=w,
        rows=between.rows,
    )
    _expect_subset(
        since_t1 & ans.before.id_set,
        ans.between_again.id_set,
        ans.between_again,
        title="recordings listed by after:T1 (or equals:T1) and before:T2 are missing from between:T1;T2",
        relation="(after ∪ equals) ∩ before ⊆ between",
        surplus="missing",
        window=w,
        rows=ans.after.rows + ans.at_t1.rows,
    )


@pytest.mark.recqual(
    family="filters", operation="listRecordings", check=CHECK_BETWEEN, provenance=DOCUMENTED, writes=False
)
def test_between_is_after_or_equals_and_before(
    admin: ApiClient, scene: Scene, run_context: RunContext
) -> None:
    """Section 4: ``between:T1;T2`` is ``T1 <= x < T2``, ``after`` and ``before`` strict.

    Asked in this order: between, after:T1, equals:T1, equals:T2, before:T2, between again. An
    arrival can only enlarge a later answer, so "first ⊆ later" relations hold even while
    recordings arrive; disjointness (``after:T1`` vs ``equals:T1``, ``before:T2`` and ``between``
    vs ``equals:T2``) holds regardless. ``after:T1`` lists everything since ``T1`` (bounded: T1 is
    chosen from the newest page); ``before:T2`` is read one page deep, which holds the whole window
    when the page reaches below ``T1`` (most recent first).
    """
    found = frames(admin, scene, CHECK_BETWEEN, deep=False)

    @settings(max_examples=run_context.examples(full=30, quick=8))
    @given(data=st.data())
    def check(data: st.DataObject) -> None:
        note(found.summary)
        w = draw_window(data, found.pages[0], found.t0, max_rows=FRAME)
        note(f"window {w}")
        answers = ask_between_and_its_parts(admin, w)
        expect_bounds_exclusive(answers)
        expect_start_times_within_bounds(answers)
        expect_between_is_after_or_equals_and_before(answers)

    check()


# --------------------------------------------------------------------------------------------------
# contains
# --------------------------------------------------------------------------------------------------


def _contains(value: str, part: str) -> bool:
    """Containment under any case rule a correct server may use (A-4 is not needed: a value that
    contains ``part`` exactly is matched by a case-sensitive and a case-insensitive server alike)."""
    return part in value or part.lower() in value.lower() or part.casefold() in value.casefold()


@st.composite
def _substrings(draw: st.DrawFn, values: Sequence[str]) -> tuple[str, str]:
    """``(S, S')``: ``S`` a substring of a listed value, ``S'`` a shorter substring of ``S``."""
    value = draw(st.sampled_from(values))
    i = draw(st.integers(0, len(value) - 1))
    j = draw(st.integers(i + 1, len(value)))
    longer = value[i:j]
    if len(longer) == 1:
        return longer, longer
    a = draw(st.integers(0, len(longer) - 1))
    b = draw(st.integers(a + 1, min(len(longer), a + len(longer) - 1)))
    return longer, longer[a:b]


def _judgeable(row: Row) -> bool:
    """A remote number the oracle can judge: present, non-empty, and oracle-safe (values on which
    correct collations disagree are not judged, ``strategies.oracle_safety``)."""
    return row.remote is not None and row.remote != "" and is_oracle_safe_value(row.remote)


def _judgeable_remotes(rows: Iterable[Row]) -> list[str]:
    return sorted({r.remote for r in rows if r.remote is not None and _judgeable(r)})


def _contains_provenance(w: Window) -> str:
    """A-3 (filters combine with AND), plus the window's own provenance when it is not documented."""
    return ",".join(dict.fromkeys(("A-3", *([w.provenance] if w.provenance != DOCUMENTED else []))))


def expect_contains_matches(got: Listing, part: str, listed: Listing, w: Window, prov: str) -> None:
    """``contains:S`` within W lists only values containing S (and none without a number), and
    every value of W that contains S exactly."""
    wrong = [r for r in got.rows if _judgeable(r) and not _contains(r.remote or "", part)]
    wrong += [r for r in got.rows if not r.remote]
    expect.that(
        not wrong,
        got.reply,
        check=CHECK_CONTAINS,
        title=f"contains:{part!r} lists remote numbers that do not contain it",
        expected=f"every remotePartyNumber contains {part!r}",
        actual=[r.remote for r in wrong][:5],
        provenance=prov,
    )
    should = {r.id for r in listed.rows if r.remote and part in r.remote and _judgeable(r)}
    missed = should - got.id_set
    expect.that(
        not missed,
        got.reply,
        check=CHECK_CONTAINS,
        title=f"contains:{part!r} misses recordings of the window whose remote number contains it",
        expected=f"{len(should)} recordings of window {w}",
        actual=f"{len(missed)} missing",
        provenance=prov,
        notes=[f"{r.id} remotePartyNumber {r.remote!r}" for r in listed.rows if r.id in missed][:5],
    )


def expect_longer_within_shorter(
    narrow: Listing, wide: Listing, longer: str, shorter: str, prov: str
) -> None:
    """``contains:S`` ⊆ ``contains:S'`` for S' a substring of S (the longer asked first)."""
    extra = narrow.id_set - wide.id_set
    expect.that(
        not extra,
        narrow.reply,
        check=CHECK_CONTAINS,
        title=f"contains:{longer!r} lists recordings that contains:{shorter!r} does not",
        expected=f"contains:{longer!r} ⊆ contains:{shorter!r}",
        actual=f"{len(extra)} only in the longer",
        provenance=prov,
        notes=[f"{r.id} remotePartyNumber {r.remote!r}" for r in narrow.rows if r.id in extra][:5],
    )


@pytest.mark.recqual(
    family="filters", operation="listRecordings", check=CHECK_CONTAINS, provenance="A-3", writes=False
)
def test_contains_longer_within_shorter(admin: ApiClient, scene: Scene, run_context: RunContext) -> None:
    """Section 4 ``contains``, escaping included (``;`` and ``\\`` in listed numbers are escaped, and
    ``%``, ``_``, ``[`` must be literal): within a window W, asked first, ``contains:S`` lists only
    values containing S and every value of W containing S exactly; ``contains:S`` ⊆ ``contains:S'``
    for a substring S' of S. Values on which correct collations disagree are not judged
    (``strategies.oracle_safety``)."""
    found = frames(admin, scene, CHECK_CONTAINS)

    @settings(max_examples=run_context.examples(full=30, quick=8))
    @given(data=st.data())
    def check(data: st.DataObject) -> None:
        note(found.summary)
        rows = _frame(data, found)
        w = draw_window(data, rows, found.t0, max_rows=FRAME)
        window = {"startTime": w.op("between")}
        listed = fetch(admin, window, check=CHECK_CONTAINS, provenance=w.provenance)
        if not listed.complete:
            event("window larger than a page: not judged")
            return
        values = _judgeable_remotes(listed.rows) or _judgeable_remotes(r for p in found.pages for r in p)
        if not values:
            event("no remote numbers listed: nothing to judge")
            return
        longer, shorter = data.draw(_substrings(values), label="(S, S')")
        if not all(map(is_oracle_safe_char, longer + shorter)):  # contains operands: per character
            event("substring not oracle-safe: not judged")
            return
        note(f"window {w}; S={longer!r}; S'={shorter!r}")
        prov = _contains_provenance(w)

        def ask(part: str) -> Listing:
            params = {**window, "remoteParty": StringFilter("contains", part, True)}
            return fetch(admin, params, check=CHECK_CONTAINS, provenance=prov)

        narrow = ask(longer)
        wide = ask(shorter)
        for part, got in ((longer, narrow), (shorter, wide)):
            expect_contains_matches(got, part, listed, w, prov)
        expect_longer_within_shorter(narrow, wide, longer, shorter, prov)
        event("judged")

    check()


# --------------------------------------------------------------------------------------------------
# paging and order
# --------------------------------------------------------------------------------------------------


def _small_window(data: st.DataObject, found: Frames, page_size: int) -> Window:
    return draw_window(data, _frame(data, found), found.t0, max_rows=page_size * (MAX_PAGES - 1))


def _unpaged(admin: ApiClient, params: dict[str, Any], check: str, prov: str) -> Listing | None:
    """The unpaged list, asked only after a one-row probe shows it is small (None: too large)."""
    probe = fetch(admin, params, check=check, page_size=1, provenance=prov)
    if probe.total > LIMIT:
        event("window larger than the limit: not judged")
        return None
    return fetch(admin, params, check=check, page_size=None, provenance=prov)


def read_pages(admin: ApiClient, params: dict[str, Any], size: int, prov: str) -> list[Listing] | None:
    """Pages 0, 1, ... up to the first one that is not full (None: more than ``MAX_PAGES`` + 2).

    Reading on to a short page, rather than to the count the unpaged list gave, loses nothing while
    recordings arrive: an arrival only moves a recording to a later position, and the short page
    is the end of the list at the time it is read.
    """
    pages: list[Listing] = []
    for k in range(MAX_PAGES + 2):
        pages.append(fetch(admin, params, check=CHECK_PAGES, page_size=size, page=k, provenance=prov))
        if len(pages[-1].rows) < size:
            return pages
    return None


@dataclass(frozen=True)
class PagedRead:
    """The unpaged list of a window, its pages, and the unpaged list read again after them."""

    before: Listing
    pages: list[Listing]
    after: Listing

    @property
    def paged(self) -> list[str]:
        return [i for p in self.pages for i in p.ids]

    @property
    def undisturbed(self) -> bool:
        """Nothing arrived while the pages were read: both unpaged reads agree."""
        return self.before.ids == self.after.ids and self.before.total == self.after.total


def read_window_in_pages(admin: ApiClient, params: dict[str, Any], size: int, prov: str) -> PagedRead | None:
    """Unpaged, pages, unpaged again (None: the window is too large to judge, and an event says why)."""
    before = _unpaged(admin, params, CHECK_PAGES, prov)
    if before is None:
        return None
    if -(-before.total // size) > MAX_PAGES:
        event("too many pages: not judged")
        return None
    pages = read_pages(admin, params, size, prov)
    if pages is None:
        event("pages kept filling up: not judged")
        return None
    after = _unpaged(admin, params, CHECK_PAGES, prov)
    if after is None:
        return None
    return PagedRead(before, pages, after)


def read_until_undisturbed(
    admin: ApiClient, params: dict[str, Any], size: int, prov: str
) -> PagedRead | None:
    """Read the window in pages up to ``ATTEMPTS`` times, until nothing arrives during a read; the
    last read either way (None: not judged)."""
    read = None
    for _attempt in range(ATTEMPTS):
        read = read_window_in_pages(admin, params, size, prov)
        if read is None or read.undisturbed:
            return read
        event("recordings arrived during the check: retried")
    return read


def expect_arrivals_lose_nothing(read: PagedRead, size: int) -> None:
    """While recordings keep arriving, what still holds: every recording listed before the pages is
    on some page, and every paged one is listed after them (A-3)."""
    paged = read.paged
    lost = set(read.before.ids) - set(paged)
    strange = set(paged) - set(read.after.ids)
    expect.that(
        not lost and not strange,
        read.pages[0].reply if read.pages else read.after.reply,
        check=CHECK_PAGES,
        title=f"pages of size {size} lose recordings listed before or list ones never listed",
        expected="each recording listed before the pages on a page, each paged one listed after",
        actual=f"{len(lost)} lost, {len(strange)} unknown",
        provenance="A-3",
    )


def expect_every_page_total(read: PagedRead, size: int) -> None:
    """Every page reports the unpaged ``totalCount`` (documented; a page past the end: A-3)."""
    before = read.before
    for k, page in enumerate(read.pages):
        expect.that(
            page.total == before.total,
            page.reply,
            check=CHECK_PAGES,
            title=f"page {k} of size {size} reports another totalCount than the unpaged list",
            expected=before.total,
            actual=page.total,
            provenance=DOCUMENTED if k * size < before.total else "A-3",  # past the end: A-3
        )


def expect_unpaged_distinct(before: Listing) -> None:
    """The unpaged list holds ``totalCount`` recordings, none twice (documented)."""
    expect.that(
        before.total == len(before.rows) and len(set(before.ids)) == len(before.ids),
        before.reply,
        check=CHECK_PAGES,
        title="the unpaged list does not hold totalCount distinct recordings",
        expected=f"{before.total} distinct recordings",
        actual=f"{len(before.rows)} rows, {len(set(before.ids))} distinct",
    )


def expect_pages_concatenate(read: PagedRead, size: int, w: Window) -> None:
    """Pages 0..n concatenate to exactly the unpaged list, same order, no repeat (A-3)."""
    before, paged = read.before, read.paged
    repeats = sorted({i for i in paged if paged.count(i) > 1})
    gaps = [i for i in before.ids if i not in paged]
    expect.that(
        paged == before.ids,
        read.pages[0].reply if read.pages else before.reply,
        check=CHECK_PAGES,
        title=f"pages of size {size} do not concatenate to the unpaged list of window {w}",
        expected=f"{len(before.ids)} recordings in the unpaged order",
        actual=f"{len(paged)} recordings; {len(repeats)} repeated, {len(gaps)} missing, order "
        + ("same" if sorted(paged) == sorted(before.ids) else "differs"),
        provenance="A-3",
        notes=[f"repeated: {d}" for d in _describe(before.rows, repeats, 3)]
        + [f"missing: {d}" for d in _describe(before.rows, gaps, 3)],
    )


@pytest.mark.recqual(
    family="paging", operation="listRecordings", check=CHECK_PAGES, provenance="A-3", writes=False
)
def test_pages_concatenate_on_any_data(admin: ApiClient, scene: Scene, run_context: RunContext) -> None:
    """Pages 0..n of a window, read between two unpaged reads of it: when the two agree, the pages
    concatenate to exactly that list (A-3: a total order makes pages stable) and every page reports
    its ``totalCount`` (documented). When recordings arrived, retry; if they keep arriving, judge what
    arrivals cannot break."""
    found = frames(admin, scene, CHECK_PAGES)

    @settings(max_examples=run_context.examples(full=25, quick=6))
    @given(data=st.data())
    def check(data: st.DataObject) -> None:
        note(found.summary)
        size = data.draw(st.integers(1, 25), label="pageSize")
        w = _small_window(data, found, size)
        params = {"startTime": w.op("between")}
        note(f"window {w}, pageSize {size}")
        read = read_until_undisturbed(admin, params, size, w.provenance)
        if read is None:
            return
        if not read.undisturbed:
            event("recordings kept arriving: judged what arrivals cannot break")
            expect_arrivals_lose_nothing(read, size)
            return
        event(f"{len(read.pages)} pages judged")
        expect_every_page_total(read, size)
        expect_unpaged_distinct(read.before)
        expect_pages_concatenate(read, size, w)

    check()


@pytest.mark.recqual(
    family="paging", operation="listRecordings", check=CHECK_PAST_END, provenance="A-3", writes=False
)
def test_page_past_the_end_on_any_data(admin: ApiClient, scene: Scene, run_context: RunContext) -> None:
    """A-3: a page past the last match is an empty array with the same ``totalCount`` (judged when
    the window's count is the same before and after the page is read)."""
    found = frames(admin, scene, CHECK_PAST_END)

    @settings(max_examples=run_context.examples(full=20, quick=6))
    @given(data=st.data())
    def check(data: st.DataObject) -> None:
        note(found.summary)
        size = data.draw(st.integers(1, 50), label="pageSize")
        beyond = data.draw(st.sampled_from((0, 0, 1, 7)), label="pages beyond the last")
        w = _small_window(data, found, size)
        params = {"startTime": w.op("between")}
        note(f"window {w}, pageSize {size}")
        for _attempt in range(ATTEMPTS):
            first = fetch(admin, params, check=CHECK_PAST_END, page_size=size, provenance=w.provenance)
            page = -(-first.total // size) + beyond
            past = fetch(
                admin, params, check=CHECK_PAST_END, page_size=size, page=page, provenance=w.provenance
            )
            again = fetch(admin, params, check=CHECK_PAST_END, page_size=size, provenance=w.provenance)
            if first.total == again.total:
                break
            event("recordings arrived during the check: retried")
        else:
            event("recordings kept arriving: not judged")
            return
        event("judged")
        expect.that(
            past.rows == [] and past.total == first.total,
            past.reply,
            check=CHECK_PAST_END,
            title=f"page {page} is past the last of {first.total} matches: expected no recordings and "
            "the same totalCount",
            expected=f"[] and totalCount {first.total}",
            actual=f"{len(past.rows)} recordings, totalCount {past.total}",
            provenance="A-3",
        )

    check()


@pytest.mark.recqual(
    family="paging", operation="listRecordings", check=CHECK_ORDER, provenance=DOCUMENTED, writes=False
)
def test_most_recent_first_on_any_window(admin: ApiClient, scene: Scene, run_context: RunContext) -> None:
    """Documented: listRecordings answers most recent first: the frames, windows of them (unpaged),
    and a page of a window (every ``fetch`` judges the order of its answer)."""
    found = frames(admin, scene, CHECK_ORDER)

    @settings(max_examples=run_context.examples(full=20, quick=6))
    @given(data=st.data())
    def check(data: st.DataObject) -> None:
        note(found.summary)
        size = data.draw(st.integers(1, 50), label="pageSize")
        w = _small_window(data, found, size)
        params = {"startTime": w.op("between")}
        whole = _unpaged(admin, params, CHECK_ORDER, w.provenance)
        if whole is None:
            return
        page = data.draw(st.integers(0, max(0, (whole.total - 1) // size)), label="page")
        fetch(admin, params, check=CHECK_ORDER, page_size=size, page=page, provenance=w.provenance)
        event("judged" if whole.rows else "empty window")

    check()
