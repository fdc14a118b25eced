"""What one access level may see of a listing, page by page: the oracle of the auth page checks.

A Base Access user lists its own recordings only (A-15), so its answer to any query is the answer a
Complete Management user gets to the same query, restricted to the caller's own recordings: same
``totalCount``, and each page the same window of that restricted list. Comparing with the admin's
answer (not with what this run uploaded) keeps the oracle free of filter semantics, which the filter
checks own, and makes it hold on any data.

Pages are compared as sets, tolerant of ties: the reference documents "most recent first" and only
A-3 orders recordings that share a start time. A window boundary that falls inside such a group may
take any of its members, so those are allowed on the page but not required; everything else is
determined. A server that leaks another user's recording on page 2, pages before restricting, or
counts everyone in ``totalCount`` fails; one that breaks ties its own way does not.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from strategies.rhs_colon import FilterSyntaxError, Instant

Item = Mapping[str, Any]


def item_id(item: Item) -> str:
    """A listed recording's id, lowercased (A-1: ids compare in any case)."""
    return str(item.get("id", "")).lower()


def owner_of(item: Item) -> str:
    """``ownerUsername`` lowercased (A-4: usernames compare case-insensitively)."""
    return str(item.get("ownerUsername") or "<no ownerUsername>").lower()


def own_only(items: Iterable[Item], username: str) -> list[Item]:
    """The items owned by ``username``, in their order."""
    mine = username.lower()
    return [item for item in items if owner_of(item) == mine]


def strangers(items: Iterable[Item], username: str) -> list[str]:
    """Owners other than ``username`` that appear among ``items`` (sorted, distinct)."""
    mine = username.lower()
    return sorted({owner_of(item) for item in items} - {mine})


def _start_key(item: Item) -> int | None:
    try:
        return Instant.parse(str(item.get("startTime", ""))).ticks
    except (FilterSyntaxError, ValueError):
        return None


@dataclass(frozen=True)
class PageBounds:
    """What page ``page`` of size ``size`` must hold: exactly ``count`` ids, all of ``required``,
    none outside ``allowed``."""

    count: int
    required: frozenset[str]
    allowed: frozenset[str]

    def judge(self, ids: Sequence[str]) -> list[str]:
        """Every way ``ids`` breaks these bounds, as short sentences (empty: the page is right)."""
        problems: list[str] = []
        if len(ids) != self.count:
            problems.append(f"{len(ids)} recordings where {self.count} are due")
        if len(set(ids)) != len(ids):
            problems.append("a recording is listed twice")
        missing = sorted(self.required - set(ids))
        if missing:
            problems.append(f"missing {len(missing)}: {', '.join(m[:8] for m in missing[:5])}")
        extra = sorted(set(ids) - self.allowed)
        if extra:
            problems.append(f"not due on this page {len(extra)}: {', '.join(e[:8] for e in extra[:5])}")
        return problems


def page_bounds(expected: Sequence[Item], page: int, size: int | None) -> PageBounds:
    """The bounds of one page of ``expected`` (the whole ordered answer, most recent first).

    ``size=None`` is the unpaged answer (A-3b: ``page`` without ``pageSize`` is ignored). Items are
    grouped by start time; a group wholly inside the window is required, a group the window cuts is
    allowed only. With a start time that cannot be read, nothing can be placed: only the count holds.
    """
    ids = [item_id(item) for item in expected]
    if size is None:
        return PageBounds(len(ids), frozenset(ids), frozenset(ids))
    lo, hi = page * size, page * size + size
    count = max(0, min(hi, len(ids)) - lo)
    keys = [_start_key(item) for item in expected]
    if any(key is None for key in keys):
        return PageBounds(count, frozenset(), frozenset(ids))
    order = sorted(range(len(ids)), key=lambda i: keys[i] or 0, reverse=True)
    ranked = [(keys[i], ids[i]) for i in order]
    groups: dict[int | None, list[int]] = {}
    for position, (key, _) in enumerate(ranked):
        groups.setdefault(key, []).append(position)
    required: set[str] = set()
    allowed: set[str] = set()
    for positions in groups.values():
        inside = [p for p in positions if lo <= p < hi]
        if not inside:
            continue
        members = {ranked[p][1] for p in positions}
        allowed |= members
        if len(inside) == len(positions):
            required |= members
    return PageBounds(count, frozenset(required), frozenset(allowed))


def last_page(total: int, size: int) -> int:
    """The index of the last page that holds anything (0 when there is at most one page)."""
    return max(0, (total - 1) // size)
