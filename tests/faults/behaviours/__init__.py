"""Fault behaviours, one module per family. ``Behaviour`` is the seam the proxy calls.

A behaviour answers every vendor request (``handle``) and every control-plane request (``control``);
the defaults forward unchanged, so a behaviour overrides only what its bug touches. ``fired`` counts the
answers that actually differed from the emulator's: a fault that never fired and was not caught means
the suite never exercised that path, which the kill matrix reports.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Collection
from typing import Any

from ..upstream import Px
from ..wire import Req, Resp

Rewriter = Callable[[Req, Resp], Resp | None]


class Behaviour:
    """The correct server: every request forwarded unchanged."""

    def __init__(self) -> None:
        self.fired = 0

    async def handle(self, req: Req, px: Px) -> Resp:
        return await px.forward(req)

    async def control(self, req: Req, px: Px) -> Resp:
        return await px.forward(req)

    def details(self) -> dict[str, Any]:
        """Extra fields for ``GET /_faults/status`` (a stacked benign variant: how often each part acted)."""
        return {}

    def report(self, correct: Resp, faulty: Resp) -> Resp:
        """Count the fault as fired when its answer differs from the correct one; return the faulty one."""
        if _observable(correct) != _observable(faulty):
            self.fired += 1
        return faulty


def _observable(resp: Resp) -> tuple[object, ...]:
    """What a client can tell apart: JSON compared as canonical text, so re-serialising alone is not a
    fault while ``true`` vs ``1`` (equal in Python) still is."""
    body = resp.json()
    return (resp.status, resp.content_type, resp.body if body is None else json.dumps(body, sort_keys=True))


class Rewrite(Behaviour):
    """Forward, then let ``rewrite`` change the answer of the listed operations (``None``: unchanged)."""

    def __init__(self, ops: Collection[str] | None, rewrite: Rewriter) -> None:
        super().__init__()
        self.ops = ops
        self.rewrite = rewrite

    async def handle(self, req: Req, px: Px) -> Resp:
        resp = await px.forward(req)
        if req.op is None or (self.ops is not None and req.op not in self.ops):
            return resp
        new = self.rewrite(req, resp)
        return resp if new is None else self.report(resp, new)


def rewrite(ops: Collection[str] | None) -> Callable[[Rewriter], Callable[[], Behaviour]]:
    """Decorator: a rewrite function becomes a behaviour factory for the catalogue."""

    def wrap(fn: Rewriter) -> Callable[[], Behaviour]:
        def make() -> Behaviour:
            return Rewrite(ops, fn)

        make.__doc__ = fn.__doc__
        return make

    return wrap


def status_map(
    ops: Collection[str] | None, src: int, dst: int, body: object = None, *, doc: str
) -> Callable[[], Behaviour]:
    """A behaviour factory answering ``dst`` wherever the emulator answers ``src``; ``doc`` says why."""

    def fn(req: Req, resp: Resp) -> Resp | None:
        if resp.status != src:
            return None
        if body is None:
            return Resp(dst, resp.headers, resp.body)
        return Resp.of_json(dst, body, resp.headers)

    def make() -> Behaviour:
        return Rewrite(ops, fn)

    make.__doc__ = doc
    return make
