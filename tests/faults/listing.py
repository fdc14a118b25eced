"""Rebuilding a listRecordings answer the way a buggy server would have computed it.

The trick that keeps every filter and paging fault honest: first forward the request unchanged (so
every error, 400 reason and permission stays the emulator's), and only when that is a 200 fetch the
unpaged superset without the filter under test, apply the fault's predicate or order locally, and
page the result. The emulator still enforces who may see what.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from .ticks import item_start
from .upstream import Px
from .wire import Req, Resp

Item = dict
PAGING = ("page", "pageSize")


def order_key(item: Item) -> tuple[int, int, str]:
    """A-3: startTime, then referenceNumber (numeric when it is a number), both sorted descending."""
    ref = str(item.get("referenceNumber", ""))
    return (item_start(item) or 0, int(ref) if ref.isdigit() else -1, ref)


def newest_first(items: list[Item]) -> list[Item]:
    return sorted(items, key=order_key, reverse=True)


def paging(req: Req) -> tuple[int, int | None]:
    """``(page, pageSize)`` as the server applies them; page without pageSize is ignored (A-3b)."""
    size_text, page_text = req.param("pageSize"), req.param("page")
    if size_text is None or not size_text.isdigit():
        return 0, None
    return (int(page_text) if page_text and page_text.isdigit() else 0), int(size_text)


def window(items: list[Item], page: int, size: int | None) -> list[Item]:
    return items if size is None else items[page * size : page * size + size]


async def superset(px: Px, req: Req, drop: Iterable[str]) -> list[Item] | None:
    """Every recording matching the request's other filters, unpaged; ``None`` if that fails."""
    names = set(drop) | set(PAGING)
    resp = await px.forward(req.without_params(*names))
    body = resp.json()
    if resp.status != 200 or not isinstance(body, dict) or not isinstance(body.get("recordings"), list):
        return None
    return body["recordings"]


async def recompute(
    px: Px,
    req: Req,
    *,
    drop: Iterable[str] = (),
    keep: Callable[[Item], bool] = lambda item: True,
    order: Callable[[list[Item]], list[Item]] = newest_first,
    page_of: Callable[[list[Item], int, int | None], list[Item]] = window,
    total_of: Callable[[list[Item], list[Item]], int] = lambda matched, shown: len(matched),
) -> tuple[Resp, Resp]:
    """``(correct, faulty)`` answers for a listRecordings request."""
    correct = await px.forward(req)
    if correct.status != 200:
        return correct, correct
    items = await superset(px, req, drop)
    if items is None:
        return correct, correct
    matched = order([i for i in items if keep(i)])
    page, size = paging(req)
    shown = page_of(matched, page, size)
    return correct, correct.with_json({"totalCount": total_of(matched, shown), "recordings": shown})
