"""Combination faults: paging, order and totalCount with filters (reference 2.1, A-3, A-3b).

Written from the dimensions of a listing: how many filters, which page (the first, one deep in the
result, the last partial one, past the end), ties in start time at a page boundary, and what
``totalCount`` counts. Each bug shows only where they meet: page 0 of a filtered list, any page of an
unfiltered or singly-filtered list, a page boundary between distinct start times are all right.

Like the one-rule paging faults they recompute the answer from the emulator's own unpaged superset
(``listing.recompute``), so validation and permissions stay the emulator's.
"""

from __future__ import annotations

from ..behaviours import Behaviour
from ..fault import Fault, combination
from ..listing import Item, paging, recompute, superset, window
from ..ticks import item_start
from ..upstream import Px
from ..wire import Req, Resp

LIST_FILTERS = ("startTime", "endTime", "remoteParty", "localPartyNumber", "ownerUsername", "direction")


def _filters(req: Req) -> list[str]:
    """The filter parameters in the order the request gives them (each once)."""
    return list(dict.fromkeys(k for k, _ in req.params() if k in LIST_FILTERS))


class LaterPagesKeepFirstFilter(Behaviour):
    """Pages after the first are fetched by a continuation query rebuilt from the first filter
    only: with two or more filters, page 1 onwards ignores all but the first (``totalCount`` and page
    0 are right). One filter, or page 0, is right."""

    async def handle(self, req: Req, px: Px) -> Resp:
        names = _filters(req)
        page, size = paging(req)
        if req.op != "listRecordings" or len(names) < 2 or page == 0 or size is None:
            return await px.forward(req)
        correct, faulty = await recompute(px, req, drop=names[1:])
        return self.report(correct, faulty)


class TotalCountFirstFilterOnly(Behaviour):
    """``totalCount`` comes from a separate count query that applies only the first filter: with
    two or more filters it counts more than the list holds. One filter is right, and the recordings
    listed are right."""

    async def handle(self, req: Req, px: Px) -> Resp:
        names = _filters(req)
        correct = await px.forward(req)
        body = correct.json()
        if (
            req.op != "listRecordings"
            or len(names) < 2
            or correct.status != 200
            or not isinstance(body, dict)
        ):
            return correct
        wider = await superset(px, req, names[1:])
        if wider is None:
            return correct
        return self.report(correct, correct.with_json({**body, "totalCount": len(wider)}))


class PastEndClampedWhenFiltered(Behaviour):
    """A filtered list clamps ``page`` to the last page, so a page past the end repeats the last
    page instead of being empty (A-3); unfiltered lists answer past the end with ``[]``."""

    async def handle(self, req: Req, px: Px) -> Resp:
        if req.op != "listRecordings" or not _filters(req):
            return await px.forward(req)

        def clamp(items: list[Item], page: int, size: int | None) -> list[Item]:
            if size is None or not items:
                return window(items, page, size)
            return window(items, min(page, (len(items) - 1) // size), size)

        correct, faulty = await recompute(px, req, page_of=clamp)
        return self.report(correct, faulty)


def _keyset(items: list[Item], page: int, size: int | None) -> list[Item]:
    """Page ``page`` continues after the previous page's last start time (strictly older)."""
    if size is None or page == 0:
        return window(items, page, size)
    cut = page * size - 1
    if cut >= len(items):
        return []
    last = item_start(items[cut]) or 0
    return [i for i in items[cut + 1 :] if (item_start(i) or 0) < last][:size]


def keyset_skips_ties() -> Behaviour:
    """Keyset paging on ``startTime`` alone: page k starts strictly after the previous page's last
    start time, so recordings that share that start time (A-3 orders ties by referenceNumber) are
    skipped. Page 0, and boundaries between distinct start times, are right."""

    class Keyset(Behaviour):
        async def handle(self, req: Req, px: Px) -> Resp:
            if req.op != "listRecordings":
                return await px.forward(req)
            correct, faulty = await recompute(px, req, page_of=_keyset)
            return self.report(correct, faulty)

    return Keyset()


# fmt: off
COMBOS: list[Fault] = [
    combination(
        "later-pages-keep-first-filter", "paging", "A-3 (filters AND on every page)",
        LaterPagesKeepFirstFilter, dimensions=("two filters", "page > 0"), expect=("filters", "paging"),
    ),
    combination(
        "total-count-first-filter-only", "paging", "§2.1 totalCount, A-3 (filters AND)",
        TotalCountFirstFilterOnly, dimensions=("two filters", "totalCount"), expect=("filters", "paging"),
    ),
    combination(
        "past-end-clamped-when-filtered", "paging", "A-3 (a page past the end is empty)",
        PastEndClampedWhenFiltered, dimensions=("a filter", "page past the end"),
        expect=("filters", "paging"),
    ),
    combination(
        "keyset-skips-ties", "paging", "A-3 (ties by referenceNumber; pages concatenate)",
        keyset_skips_ties, dimensions=("page > 0", "equal start times at the page boundary"),
        expect=("filters", "paging"),
    ),
]
# fmt: on
