"""Paging, order and totalCount faults (reference 2.1, A-3, A-3b)."""

from __future__ import annotations

from collections.abc import Callable

from ..listing import Item, newest_first, recompute, window
from ..upstream import Px
from ..wire import Req, Resp
from . import Behaviour, rewrite


class Relist(Behaviour):
    """listRecordings recomputed with another order, page window or totalCount."""

    def __init__(self, **how: Callable) -> None:  # type: ignore[type-arg]
        super().__init__()
        self.how = how

    async def handle(self, req: Req, px: Px) -> Resp:
        if req.op != "listRecordings":
            return await px.forward(req)
        correct, faulty = await recompute(px, req, **self.how)
        return self.report(correct, faulty)


@rewrite(("listRecordings",))
def total_count_is_page_size(req: Req, resp: Resp) -> Resp | None:
    """totalCount is the length of the page, not the number of matches."""
    body = resp.json()
    if resp.status != 200 or not isinstance(body, dict) or not isinstance(body.get("recordings"), list):
        return None
    return resp.with_json({**body, "totalCount": len(body["recordings"])})


@rewrite(("listRecordings",))
def past_end_total_zero(req: Req, resp: Resp) -> Resp | None:
    """A page past the end reports totalCount 0 instead of the real count (A-3)."""
    body = resp.json()
    if (
        resp.status != 200
        or not isinstance(body, dict)
        or body.get("recordings")
        or not body.get("totalCount")
    ):
        return None
    return resp.with_json({**body, "totalCount": 0})


def oldest_first() -> Behaviour:
    """ORDER BY startTime ASC: oldest first instead of most recent first."""
    return Relist(order=lambda items: list(reversed(newest_first(items))))


def _overlapping(items: list[Item], page: int, size: int | None) -> list[Item]:
    if size is None:
        return items
    start = page * max(size - 1, 0)
    return items[start : start + size]


def page_overlap() -> Behaviour:
    """The offset is page * (pageSize - 1): each page repeats the last item of the one before."""
    return Relist(page_of=_overlapping)


def page_one_based() -> Behaviour:
    """page is taken as 1-based: page 0 and page 1 are both the first page, every later one is shifted."""
    return Relist(page_of=lambda items, page, size: window(items, max(page - 1, 0), size))


class DefaultPageSize(Behaviour):
    """Without pageSize the server pages by 10 instead of returning every match ([doc] 2.1)."""

    async def handle(self, req: Req, px: Px) -> Resp:
        if req.op != "listRecordings" or req.param("pageSize") is not None:
            return await px.forward(req)
        page_text = req.param("page") or "0"
        page = int(page_text) if page_text.isdigit() else 0
        correct, faulty = await recompute(px, req, page_of=lambda items, _p, _s: window(items, page, 10))
        return self.report(correct, faulty)


def _floor_pages(items: list[Item], page: int, size: int | None) -> list[Item]:
    if size is None:
        return items
    return window(items, page, size) if page < len(items) // size else []


def last_partial_page_empty() -> Behaviour:
    """The page count is total // pageSize (floor, not ceiling): the last, partial page comes back
    empty, and so does every page when pageSize exceeds the number of matches (reference 2.1)."""
    return Relist(page_of=_floor_pages)
