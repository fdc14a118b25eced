r"""Boundary corpora: small sets of recordings built so that filters land exactly on their values.

A filter test needs stored data *at* the bounds, not random data: several recordings at the same
instant, 1-tick and 1-second neighbours, remote numbers that share prefixes and substrings, values
holding `;`, `\`, `:` and mixed case. `filters_for(corpus)` then draws filters whose bounds sit on those
values, and `select(corpus, params)` is the oracle for a whole listRecordings query (§2.1).

Invariants (tested):

* every start is in `[base - spread, base - youngest(spread)]` and every end (`start + duration`, A-2) is
  at most `base - end_margin(spread)` (for the default 29-day spread: `[base - 29 days, base - 3 h]` and
  `base - 1 h`). `base` and `spread` are the caller's: the contract suite passes the latest start and
  the width of the server's upload window (its clock, its retention), so a corpus is inside retention
  and never in the future on any server, whatever the day;
* every stored string satisfies `oracle_safety.is_oracle_safe_value` (or is `""`, meaning absent);
* `select` is the AND of all filters (A-3), ordered by start time descending. The server breaks ties by
  `referenceNumber` descending, which the corpus cannot know: compare each `tie_groups` group as a set.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from itertools import groupby
from typing import Any

from hypothesis import strategies as st
from hypothesis.strategies import SearchStrategy

from strategies.durations import iso_duration
from strategies.filters import datetime_filters, string_filters
from strategies.oracle_safety import is_oracle_safe_value
from strategies.rhs_colon import (
    TICKS_PER_SECOND,
    DatetimeFilter,
    Filter,
    FilterKind,
    Instant,
    StringFilter,
    encode,
    matches,
    parse,
)

__all__ = [
    "DEFAULT_SPREAD_S",
    "FILTER_PARAMS",
    "LOCAL_CLASS_SUFFIXES",
    "OPERAND_CLASSES",
    "ClassValue",
    "CorpusRecording",
    "Spread",
    "corpora",
    "filters_for",
    "order_key",
    "plain_filters_for",
    "query_params",
    "recase",
    "select",
    "tie_groups",
]

SECOND = TICKS_PER_SECOND
HOUR = 3600 * SECOND
DAY = 24 * HOUR

FILTER_PARAMS = ("startTime", "endTime", "remoteParty")
"""The RHS-Colon query parameters of listRecordings (§2.1)."""


@dataclass(frozen=True)
class CorpusRecording:
    """One recording to upload. `remote_party_number == ""` means "no remoteParty in the metadata".

    `offset_minutes` only says how `startDateTime` is written on upload (the instant is the same).
    """

    start: Instant
    duration_ticks: int
    direction: int
    local_party_number: str
    remote_party_number: str
    owner_username: str
    offset_minutes: int = 0

    @property
    def end(self) -> Instant:
        """A-2: endTime = startTime + duration."""
        return self.start + self.duration_ticks

    def to_upload_metadata(self) -> dict[str, Any]:
        """The `UploadRecordingMetadata` that stores this recording (§3); 7 fractional digits."""
        meta: dict[str, Any] = {
            "startDateTime": self.start.isoformat(offset_minutes=self.offset_minutes, digits=7),
            "duration": iso_duration(self.duration_ticks),
            "direction": self.direction,
            "localParty": {"username": self.owner_username, "phoneNumber": self.local_party_number},
        }
        if self.remote_party_number:
            meta["remoteParty"] = {"phoneNumber": self.remote_party_number}
        return meta


# --------------------------------------------------------------------------------------------------
# Corpora
# --------------------------------------------------------------------------------------------------

_REMOTE_STEMS = (
    "+39021234567",
    "+3902123",
    "0039021234567",
    "021234567",
    "1234",
    "+1-555-0100",
    "a;b",
    "c:\\x",
    "x\\;y",
    "back\\",
    "equals:5",
    "contains:+39",
    "Ext;42",
    "sip:Alice@Example.com",
    "ALICE",
    "Café Ж",
    "漢字 100",
    "a b",
    "100%_[x]",
)
"""Remote numbers sharing prefixes (`+3902...`), substrings (`1234`), escapes and case variants."""

_LOCAL_NUMBERS = ("1001", "1002", "+390212345", "Alice@Example.com", "alice@example.com", "Room-7")
_OFFSETS = (0, 0, 120, -300, 330)
_DURATIONS_S = (1, 30, 60, 90, 3600)
_CLUSTER_STEPS = (0, 0, 1, -1, 2, SECOND, -SECOND, 10_000)
"""Distances from a cluster centre: equal, 1 and 2 ticks, 1 s, 1 ms."""


@st.composite
def _remote_numbers(draw: st.DrawFn) -> str:
    stem = draw(st.sampled_from(_REMOTE_STEMS))
    how = draw(st.sampled_from(("stem", "stem", "suffix", "recased", "absent")))
    if how == "suffix":
        return stem + draw(st.sampled_from(("0", "1", "99", "A")))
    if how == "recased":
        recased = draw(st.sampled_from((str.lower, str.upper, str.swapcase)))(stem)
        return recased if is_oracle_safe_value(recased) else stem
    if how == "absent":
        return ""
    return stem


DEFAULT_SPREAD_S = 29 * 86_400
"""The spread when the window allows it: starts over 29 days, inside a 30-day retention."""
MIN_SPREAD_S = 60


def _resolve_base(base: Instant | None) -> Instant:
    """`base` is "now" for the corpus. It is not checked against this machine's clock: the caller
    gives the server's (its clock may run ahead of ours)."""
    return Instant.now() if base is None else base


@dataclass(frozen=True)
class Spread:
    """Where a corpus of spread `seconds` puts its starts and ends, relative to its base (ticks).

    29 days (the default) gives the classic layout: starts 3 h to 29 days back, durations up to 2 h,
    ends at least 1 h back. A narrower window compresses it: the youngest start is at most an eighth
    of the spread back, the end margin a sixteenth, and durations shrink so that every end stays
    behind the base.
    """

    seconds: int

    @property
    def ticks(self) -> int:
        return self.seconds * SECOND

    @property
    def end_margin(self) -> int:
        return min(HOUR, self.ticks // 16)

    @property
    def youngest(self) -> int:
        """Youngest cluster centre's age; a start may be up to 2 s younger (cluster steps)."""
        return min(3 * HOUR, self.ticks // 8) + 2 * SECOND

    @property
    def oldest(self) -> int:
        return self.ticks - 2 * SECOND

    @property
    def max_duration_s(self) -> int:
        return max(1, min(2 * 3600 * SECOND, self.youngest - 2 * SECOND - self.end_margin) // SECOND)


def corpora(
    *,
    min_size: int = 5,
    max_size: int = 30,
    owners: Sequence[str] = ("admin",),
    base: Instant | None = None,
    spread_s: int = DEFAULT_SPREAD_S,
) -> SearchStrategy[list[CorpusRecording]]:
    """Lists of recordings clustered so that filters meet them at their bounds.

    Starts come from 1-4 cluster centres (tick precision), each recording equal to its centre, 1 or 2
    ticks, 1 ms or 1 s away, or elsewhere in the same second; durations come from a few common values
    so ends cluster too. All starts lie in the `spread_s` seconds before `base` (default: this
    machine's clock when the example is drawn; the contract suite passes the server's upload window)
    and all ends before it (see `Spread`; 29 days: ends at least an hour before `base`).
    """
    if not 1 <= min_size <= max_size:
        raise ValueError(f"need 1 <= min_size <= max_size, got {min_size}, {max_size}")
    if spread_s < MIN_SPREAD_S:
        raise ValueError(f"spread_s must be at least {MIN_SPREAD_S} s, got {spread_s}")
    layout = Spread(int(spread_s))
    owners = tuple(owners)
    if not owners or not all(isinstance(o, str) and o for o in owners):
        raise ValueError("owners must be non-empty usernames")

    @st.composite
    def build(draw: st.DrawFn) -> list[CorpusRecording]:
        ref = _resolve_base(base)
        # Draw ages, not instants: the choices must not depend on the clock (Hypothesis replays them).
        ages = st.integers(layout.youngest, layout.oldest)
        centres = [ref - age for age in draw(st.lists(ages, min_size=1, max_size=4))]
        n = draw(st.integers(min_size, max_size))
        recordings = []
        for _ in range(n):
            centre = draw(st.sampled_from(centres))
            where = draw(st.sampled_from(("step", "step", "same-second", "anywhere")))
            if where == "step":
                start = centre + draw(st.sampled_from(_CLUSTER_STEPS))
            elif where == "same-second":
                start = Instant(centre.ticks - centre.ticks % SECOND + draw(st.integers(0, SECOND - 1)))
            else:
                start = ref - draw(ages)
            seconds = draw(st.one_of(st.sampled_from(_DURATIONS_S), st.integers(1, 2 * 3600)))
            seconds = min(seconds, layout.max_duration_s)  # a narrow window: every end behind the base
            recordings.append(
                CorpusRecording(
                    start=start,
                    duration_ticks=seconds * SECOND,
                    direction=draw(st.sampled_from((0, 1, 2))),
                    local_party_number=draw(st.sampled_from(_LOCAL_NUMBERS)),
                    remote_party_number=draw(_remote_numbers()),
                    owner_username=draw(st.sampled_from(owners)),
                    offset_minutes=draw(st.sampled_from(_OFFSETS)),
                )
            )
        return recordings

    return build()


# --------------------------------------------------------------------------------------------------
# Filters aimed at a corpus
# --------------------------------------------------------------------------------------------------


def filters_for(corpus: Sequence[CorpusRecording]) -> SearchStrategy[tuple[str, Filter]]:
    """`(query parameter, filter)` pairs whose bounds and operands come from the corpus' own values."""
    starts = sorted({r.start for r in corpus})
    ends = sorted({r.end for r in corpus})
    remotes = sorted({r.remote_party_number for r in corpus if r.remote_party_number})
    return st.one_of(
        datetime_filters(around=starts).map(lambda f: ("startTime", f)),
        datetime_filters(around=ends).map(lambda f: ("endTime", f)),
        string_filters(around=remotes).map(lambda f: ("remoteParty", f)),
    )


def plain_filters_for(corpus: Sequence[CorpusRecording]) -> SearchStrategy[tuple[str, str | int]]:
    """`(parameter, value)` for the plain filters (A-4: case-insensitive equality; direction 0/1/2),
    values taken from the corpus and recased."""
    locals_ = sorted({r.local_party_number for r in corpus}) or ["1001"]
    owners = sorted({r.owner_username for r in corpus}) or ["admin"]

    def recased(values: list[str]) -> SearchStrategy[str]:
        casings: SearchStrategy[Callable[[str], str]] = st.sampled_from(
            (str, str.upper, str.lower, str.swapcase)
        )
        return st.tuples(st.sampled_from(values), casings).map(
            lambda t: t[1](t[0]) if is_oracle_safe_value(t[1](t[0])) else t[0]
        )

    return st.one_of(
        recased(locals_).map(lambda v: ("localPartyNumber", v)),
        recased(owners).map(lambda v: ("ownerUsername", v)),
        st.sampled_from((0, 1, 2)).map(lambda d: ("direction", d)),
    )


# --------------------------------------------------------------------------------------------------
# The listRecordings oracle
# --------------------------------------------------------------------------------------------------


def _as_filter(name: str, value: Filter | str, kind: FilterKind) -> Filter:
    if isinstance(value, str):
        return parse(value, kind)  # raises FilterSyntaxError: the server answers 400 reason 0
    expected = DatetimeFilter if kind == "datetime" else StringFilter
    if not isinstance(value, expected):
        raise TypeError(f"{name} takes a {kind} filter, got {value!r}")
    return value


def _selects(r: CorpusRecording, name: str, value: Any) -> bool:
    if name == "startTime":
        return matches(_as_filter(name, value, "datetime"), r.start)
    if name == "endTime":
        return matches(_as_filter(name, value, "datetime"), r.end)
    if name == "remoteParty":
        return matches(_as_filter(name, value, "string"), r.remote_party_number)
    if name == "localPartyNumber":
        return str(value).lower() == r.local_party_number.lower()
    if name == "ownerUsername":
        return str(value).lower() == r.owner_username.lower()
    if name == "direction":
        return int(value) == r.direction
    return True  # page, pageSize and unknown parameters (A-4, e.g. remotePartyNumber) select everything


def order_key(r: CorpusRecording) -> int:
    """Sort key of the server's order (A-3): start time descending. Ties are broken by
    `referenceNumber` descending on the server, which a corpus cannot predict."""
    return -r.start.ticks


def select(
    corpus: Sequence[CorpusRecording], params: Mapping[str, Filter | str | int]
) -> list[CorpusRecording]:
    """The recordings a listRecordings query returns across all pages (its `totalCount` set), in order.

    `params` maps query names to a `Filter` (or its text) for startTime/endTime/remoteParty, a str for
    localPartyNumber/ownerUsername (case-insensitive equality, A-4), an int for direction. `page` and
    `pageSize` are ignored: slice the result yourself, minding tie groups. A filter text that does not
    parse raises `FilterSyntaxError` (the server answers 400 reason 0).
    """
    chosen = [r for r in corpus if all(_selects(r, name, value) for name, value in params.items())]
    return sorted(chosen, key=order_key)


def tie_groups(records: Sequence[CorpusRecording]) -> list[list[CorpusRecording]]:
    """Consecutive runs of equal start time in an ordered result: compare each run as a set."""
    return [list(group) for _, group in groupby(records, key=order_key)]


def query_params(params: Mapping[str, Filter | str | int]) -> dict[str, str]:
    """The query string values for `params`: filters encoded (§4), everything else as text."""
    return {
        name: encode(value) if isinstance(value, DatetimeFilter | StringFilter) else str(value)
        for name, value in params.items()
    }


# --------------------------------------------------------------------------------------------------
# Operand classes: stored values where a wrong reading of a metacharacter selects something else
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ClassValue:
    """One stored value of an operand class, the part of it a ``contains`` keeps (``key``), and the
    decoys: values a server that reads ``key`` (or the whole value) as a pattern, a second URL
    decoding, a cut at ``;`` or an accent-insensitive comparison would also select, and the literal
    reading (section 4, A-4) never does."""

    value: str
    key: str
    decoys: tuple[str, ...] = ()


OPERAND_CLASSES: dict[str, tuple[ClassValue, ...]] = {
    # whole-value equality vs prefix/substring readings
    "plain": (ClassValue("77a", "77a", ("77", "77ab")),),
    # case-insensitive; the operand is recased, the decoy is a prefix
    "case": (ClassValue("AbCd", "bCd", ("AbC",)),),
    # SQL LIKE: `_` one character, `%` any run
    "like": (ClassValue("a_c9", "a_c", ("abc9",)), ClassValue("5%x", "5%x", ("5yyx",))),
    # SQL Server LIKE: `[ab]` a character class
    "bracket": (ClassValue("[ab]1", "[ab]1", ("a1", "b1")),),
    # regular expressions: `.` any character, `|` alternation, `+` and `*` repetition
    "regex": (ClassValue("a.c", "a.c", ("axc",)), ClassValue("(d|e)f+", "(d|e)f+", ("dff",))),
    # URL: `+` read as a space, `%2F` decoded twice, `&` and `=` splitting the query
    "url": (
        ClassValue("a+b", "a+b", ("a b",)),
        ClassValue("p%2Fq", "p%2Fq", ("p/q",)),
        ClassValue("r&s=t", "r&s=t", ("r",)),
    ),
    # RHS-Colon: `\;` and `\\` escaped, `:` inside the operand (section 4)
    "rhs-colon": (ClassValue("k:v;w\\z", "v;w\\", ("k:v",)),),
    # non-ASCII letters: case folds beyond ASCII, accents are significant
    "unicode": (ClassValue("Été Жук", "été ж", ("Ete Жук",)),),
}
"""Remote-party values per operand class (each stored with a run-unique prefix). The first value of
each class is stored three times (so equality selects enough for several pages), the others once."""

LOCAL_CLASS_SUFFIXES: dict[str, tuple[str, tuple[str, ...]]] = {
    "plain": ("", ("9",)),
    "case": ("-Ab", ("-A",)),
    "like": ("_1", ("x1",)),
    "bracket": ("[1]", ("1",)),
    "regex": (".1", ("x1",)),
    "url": ("+1", (" 1",)),
    "rhs-colon": (";1\\", (";1",)),
    "unicode": ("-é", ("-e",)),
}
"""localPartyNumber per operand class: ``(suffix of the class group's number, decoy suffixes)``. A
plain filter is an exact, case-insensitive equality (2.1, A-4): no pattern, no escape, no second
decoding, so the decoys never match."""


def recase(value: str, how: str) -> str:
    """``value`` in another case (A-4) when that stays oracle-safe, else unchanged."""
    changed = {"upper": str.upper, "lower": str.lower, "swap": str.swapcase}.get(how, str)(value)
    return changed if is_oracle_safe_value(changed) else value
