"""The dimensions of a listRecordings query, and how one covering-array row becomes a concrete query.

Faults that hide in combinations (a ``_`` that is a wildcard only in ``contains``, a second filter
lost on the pages after the first, an offset honoured everywhere but in ``between``) are missed by
one example per rule. ``DIMENSIONS`` names what matters for listRecordings (reference 2.1, section 4,
A-3, A-3b, A-4, A-12..A-14): the filter parameter, its operator and how it is written, the class of
its operand (characters with a meaning in SQL LIKE, regular expressions, URLs or RHS-Colon; case;
non-ASCII; for dates: a bound on a stored instant, one tick off, a sub-second value, a numeric
offset, a European clock change), a second filter, and the page. ``strategies.pairwise`` covers every
allowed pair; ``plans`` lets Hypothesis draw the concrete values of one row from the run's own corpus
(``contract.corpus_support.class_groups``), so values vary by seed and the combinations do not.

A plan records the row it really ran (``Plan.ran``): when the drawn data cannot make the row (a page
deep in a result of two, a clock change outside the server's retention) the nearest feasible value
is used and the pair ledger counts what ran, not what was wanted.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st

from strategies import corpus
from strategies.corpus import CorpusRecording
from strategies.rhs_colon import TICKS_PER_SECOND, DatetimeFilter, Instant, StringFilter, min_digits

SECOND = TICKS_PER_SECOND

PARAMS = ("startTime", "endTime", "remoteParty", "localPartyNumber", "ownerUsername", "direction")
DATETIME_PARAMS = ("startTime", "endTime")
PLAIN_PARAMS = ("localPartyNumber", "ownerUsername", "direction")
OPERATORS = ("equals-bare", "equals", "before", "after", "between", "contains")
STRING_CLASSES = tuple(corpus.OPERAND_CLASSES)
DATE_REGIONS = ("bound-equal", "tick-off", "subsecond", "offset", "dst-edge")
PAGES = ("unpaged", "first", "deep", "last-partial", "past-end")

DIMENSIONS: dict[str, tuple[Hashable, ...]] = {
    "param": PARAMS,
    "operator": OPERATORS,
    "operand": STRING_CLASSES + DATE_REGIONS,
    "second": ("none", *PARAMS),
    "page": PAGES,
}

ORDER = ("operand", "second", "param", "operator", "page")
"""The order the covering array is built in: largest dimensions first make the greedy array about
half as long (about 105 rows instead of 200)."""

_OPERATORS_OF = {
    **dict.fromkeys(DATETIME_PARAMS, frozenset(("equals-bare", "equals", "before", "after", "between"))),
    "remoteParty": frozenset(("equals-bare", "equals", "contains")),
    **dict.fromkeys(PLAIN_PARAMS, frozenset(("equals-bare",))),
}
"""Section 4 and 2.1: datetimes have four operators, RHS-Colon strings two, plain filters none (a
plain value is written bare)."""

_CLASSES_OF = {
    **dict.fromkeys(DATETIME_PARAMS, frozenset(DATE_REGIONS)),
    "remoteParty": frozenset(STRING_CLASSES),
    "localPartyNumber": frozenset(STRING_CLASSES),
    "ownerUsername": frozenset(("plain", "case")),
    "direction": frozenset(("plain",)),
}
"""Usernames are the server's users (only case can vary); direction is 0/1/2."""


def allowed(case: Mapping[str, Hashable]) -> bool:
    """Can a query have these dimension values? Honest on partial rows: every pair it allows
    extends to a whole allowed row (tested)."""
    p, o, c, w = (case.get(k) for k in ("param", "operator", "operand", "second"))
    if p is not None and o is not None and o not in _OPERATORS_OF[str(p)]:
        return False
    if p is not None and c is not None and c not in _CLASSES_OF[str(p)]:
        return False
    if o in ("before", "after", "between") and c is not None and c not in DATE_REGIONS:
        return False
    if o == "contains" and c is not None and c not in STRING_CLASSES:
        return False
    if p is not None and p == w:
        return False
    # contains exists on remoteParty only, so remoteParty cannot also be the second filter
    if w == "remoteParty" and o == "contains":
        return False
    # a datetime equality selects one instant (three at most, the tie group): never three pages
    return not (
        o in ("equals", "equals-bare") and c in DATE_REGIONS and case.get("page") in ("deep", "last-partial")
    )


@dataclass(frozen=True)
class Plan:
    """One concrete query: its filters, the page asked (``None``: unpaged) and the row it is."""

    params: dict[str, Any]
    page: tuple[int, int] | None
    ran: dict[str, Hashable]
    target: CorpusRecording

    def describe(self) -> str:
        shown = corpus.query_params(self.params)
        paging = "" if self.page is None else f" page={self.page[0]} pageSize={self.page[1]}"
        return f"{shown}{paging} [{', '.join(f'{k}={v}' for k, v in self.ran.items())}]"


_RECASE = st.sampled_from(("upper", "lower", "swap"))
_NUDGE = st.sampled_from((-1, 1))
_OFFSETS = st.sampled_from((120, -300, 330, 60, -210))


def _value_of(record: CorpusRecording, cls: str) -> corpus.ClassValue | None:
    """The class value a group member stores (``None`` for a decoy)."""
    return next(
        (
            v
            for v in corpus.OPERAND_CLASSES.get(cls, ())
            if record.remote_party_number.endswith("-" + v.value)
        ),
        None,
    )


def _instant(record: CorpusRecording, name: str) -> Instant:
    return record.start if name == "startTime" else record.end


def _written(
    draw: st.DrawFn,
    op: str,
    value: Instant,
    upper: Instant | None,
    region: str,
    home: int,
    explicit: bool = True,
) -> DatetimeFilter:
    """A datetime filter written as ``region`` asks: a numeric offset, at a clock change the
    recording's own local offset or UTC, elsewhere ``Z`` or now and then zone-less (UTC, A-14);
    always with the digits the instants need."""
    offset, zone = 0, None
    if region == "offset":
        offset = draw(_OFFSETS)
    elif region == "dst-edge":
        offset = draw(st.sampled_from((home, 0)))
    elif draw(st.integers(0, 3)) == 0:
        zone = "none"
    digits = max(min_digits(value.ticks), min_digits(upper.ticks) if upper is not None else 0)
    if region in ("bound-equal", "tick-off", "subsecond", "dst-edge"):
        digits = 7 if region == "subsecond" else max(digits, draw(st.sampled_from((digits, 7))))
    return DatetimeFilter(
        op,  # type: ignore[arg-type]
        value,
        upper,
        offset_minutes=offset,
        digits=digits,
        explicit_op=explicit,
        zone=zone,  # type: ignore[arg-type]
    )


def _nudge(draw: st.DrawFn, region: str) -> int:
    """How far a bound sits from a stored instant: on it, or one tick beside it (section 4's strict
    and inclusive bounds differ exactly there)."""
    if region == "bound-equal":
        return 0
    if region == "tick-off":
        return draw(_NUDGE)
    return draw(st.sampled_from((0, -1, 1)))


def _datetime_filter(
    draw: st.DrawFn,
    name: str,
    op: str,
    region: str,
    target: CorpusRecording,
    group: Sequence[CorpusRecording],
    *,
    wide: bool = False,
) -> DatetimeFilter:
    """A datetime filter on ``target``'s instant; ``wide``: a range around most of the group (a page
    deep in the result needs at least three matches), bounds still on stored instants."""
    at = _instant(target, name)
    nudge = _nudge(draw, region)
    home = target.offset_minutes
    if wide and op in ("before", "after", "between"):
        xs = sorted(_instant(r, name) for r in group if r.local_party_number == target.local_party_number)
        low, high = xs[0] + min(nudge, 0), xs[-1] + max(nudge, 0) + 1
        if op == "between":
            return _written(draw, "between", low, high, region, home)
        return _written(draw, op, high if op == "before" else low - 1, None, region, home)
    if op == "between":
        other = _instant(draw(st.sampled_from(list(group))), name)
        low, high = sorted((at + nudge, other + draw(st.sampled_from((0, 1, SECOND)))))
        if high <= low:
            high = low + 1
        return _written(draw, "between", low, high, region, home)
    bare = op == "equals-bare"
    return _written(draw, "equals" if bare else op, at + nudge, None, region, home, not bare)


def _second_filter(
    draw: st.DrawFn, name: str, target: CorpusRecording, group: Sequence[CorpusRecording], *, wide: bool
) -> Any:
    """A second filter built from the target's own values, so the two filters meet on it; ``wide``:
    one that keeps the target's copies (same remote number, owner and direction)."""
    if name in DATETIME_PARAMS:
        ops = ("after", "between", "before") if wide else ("equals", "before", "after", "between")
        op = draw(st.sampled_from(ops))
        region = draw(st.sampled_from(("bound-equal", "tick-off", "offset")))
        if op in ("before", "after") and not wide:
            pick = draw(st.sampled_from(list(group)))
            return _written(draw, op, _instant(pick, name) + _nudge(draw, region), None, region, 0)
        if wide and op != "before":
            # the copies are the group's newest: a range from the oldest copy keeps them, drops decoys
            copies = [r for r in group if r.remote_party_number == target.remote_party_number]
            copies = [r for r in copies if r.local_party_number == target.local_party_number]
            if len(copies) < 3:
                copies = [r for r in group if r.local_party_number == target.local_party_number]
            return _datetime_filter(
                draw, name, op, region, min(copies, key=lambda r: _instant(r, name)), copies, wide=True
            )
        return _datetime_filter(draw, name, op, region, target, group, wide=wide)
    if name == "remoteParty":
        text = target.remote_party_number
        if draw(st.booleans()):
            return StringFilter("equals", text, draw(st.booleans()))
        i = draw(st.integers(0, len(text) - 1))
        part = text[i : draw(st.integers(i + 1, len(text)))]
        return StringFilter("contains", part if part.strip() else text)
    if name == "localPartyNumber":
        return target.local_party_number
    if name == "ownerUsername":
        return corpus.recase(target.owner_username, draw(_RECASE))
    if wide:
        return target.direction
    return draw(st.sampled_from((target.direction, (target.direction + 1) % 3)))


def _first_filter(
    draw: st.DrawFn,
    row: Mapping[str, Hashable],
    target: CorpusRecording,
    group: Sequence[CorpusRecording],
    region: str,
) -> Any:
    name, op, cls = str(row["param"]), str(row["operator"]), str(row["operand"])
    if name in DATETIME_PARAMS:
        return _datetime_filter(draw, name, op, region, target, group, wide=_wide(row))
    if name == "remoteParty":
        value = _value_of(target, cls)
        assert value is not None
        full = target.remote_party_number
        operand = value.key if op == "contains" else full
        if cls in ("case", "unicode"):
            operand = corpus.recase(operand, draw(_RECASE))
        return StringFilter("contains" if op == "contains" else "equals", operand, op != "equals-bare")
    if name == "localPartyNumber":
        local = target.local_party_number
        return corpus.recase(local, draw(_RECASE)) if cls in ("case", "unicode") else local
    if name == "ownerUsername":
        owner = target.owner_username
        return corpus.recase(owner, draw(_RECASE)) if cls == "case" else owner
    return target.direction


def _page_of(draw: st.DrawFn, wanted: str, n: int) -> tuple[str, tuple[int, int] | None]:
    """The page ``wanted`` asks for, or the nearest one a result of ``n`` allows."""
    if wanted == "deep" and n >= 3:
        size = draw(st.integers(1, (n - 1) // 2))
        pages = -(-n // size)
        return "deep", (draw(st.integers(1, pages - 2)), size)
    if wanted == "last-partial":
        sizes = [s for s in range(2, n) if n % s]
        if sizes:
            size = draw(st.sampled_from(sizes))
            return "last-partial", (n // size, size)
    if wanted == "past-end":
        size = draw(st.integers(1, n + 1))
        return "past-end", (max(1, -(-n // size)), size)
    if wanted == "unpaged":
        return "unpaged", None
    return "first", (0, draw(st.integers(1, max(1, n))))


def _pool(
    uploaded_groups: Mapping[str, Sequence[CorpusRecording]], row: Mapping[str, Hashable], draw: st.DrawFn
) -> tuple[str, list[CorpusRecording], list[CorpusRecording]]:
    """``(operand class really used, targets, the group they are in)``."""
    cls, name = str(row["operand"]), str(row["param"])
    if cls == "dst-edge" and uploaded_groups.get("dst"):
        group = list(uploaded_groups["dst"])
        return cls, group, group
    if cls in DATE_REGIONS:
        region = "offset" if cls == "dst-edge" else cls
        group = list(uploaded_groups[draw(st.sampled_from(STRING_CLASSES))])
        local = group[0].local_party_number
        return region, [r for r in group if r.local_party_number == local], group
    group = list(uploaded_groups[cls])
    local = group[0].local_party_number
    members = [r for r in group if r.local_party_number == local]
    if name == "remoteParty":
        return cls, [r for r in members if _value_of(r, cls) is not None], members
    return cls, members, members


def _copies(target: CorpusRecording, group: Sequence[CorpusRecording]) -> int:
    """How many recordings of the group share the target's remote and local numbers."""
    same = (target.remote_party_number, target.local_party_number)
    return sum((r.remote_party_number, r.local_party_number) == same for r in group)


def _wide(row: Mapping[str, Hashable]) -> bool:
    """A page deep in the result, or a last partial page, needs at least three matches."""
    return row.get("page") in ("deep", "last-partial")


@st.composite
def plans(
    draw: st.DrawFn,
    row: Mapping[str, Hashable],
    items: Sequence[CorpusRecording],
    groups: Mapping[str, Sequence[CorpusRecording]],
) -> Plan:
    """A concrete query for ``row``, aimed at the class groups (``corpus_support.class_groups``).

    Every query is ANDed with the target's group ``localPartyNumber`` (run-unique) unless it names
    that parameter itself, so foreign data never enters a judged result (A-3).
    """
    cls, targets, group = _pool(groups, row, draw)
    if _wide(row):
        targets = [t for t in targets if _copies(t, group) >= 3] or targets
    target = draw(st.sampled_from(targets))
    name, second = str(row["param"]), str(row["second"])
    params: dict[str, Any] = {name: _first_filter(draw, row, target, group, cls)}
    if second != "none":
        params[second] = _second_filter(draw, second, target, group, wide=_wide(row))
    params.setdefault("localPartyNumber", target.local_party_number)
    n = len(corpus.select(items, params))
    page_class, page = _page_of(draw, str(row["page"]), n)
    ran = {**row, "operand": cls, "page": page_class}
    return Plan(params, page, ran, target)


def ran_rows(plans_run: Sequence[Plan]) -> list[dict[str, Hashable]]:
    return [dict(p.ran) for p in plans_run]


Slot = tuple[frozenset[str], int]


def page_slots(ties: Sequence[Sequence[str]], page: int, size: int) -> list[Slot]:
    """What page ``page`` of ``size`` must hold, from the oracle's order as tie groups (ids sharing a
    start time, A-3 orders them by referenceNumber, which the corpus cannot know): for each group the
    page overlaps, its ids and how many of them fall on the page."""
    lo, hi = page * size, page * size + size
    slots, pos = [], 0
    for group in ties:
        a, b = pos, pos + len(group)
        pos = b
        overlap = min(b, hi) - max(a, lo)
        if overlap > 0:
            slots.append((frozenset(group), overlap))
    return slots


def page_fits(got: Sequence[str], slots: Sequence[Slot]) -> bool:
    """The page holds, in order, the right number of each overlapped tie group's ids, nothing
    else and nothing twice."""
    if len(set(got)) != len(got) or len(got) != sum(n for _, n in slots):
        return False
    at = 0
    for ids, n in slots:
        if not set(got[at : at + n]) <= ids:
            return False
        at += n
    return True
