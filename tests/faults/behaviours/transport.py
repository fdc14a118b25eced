"""Transport faults: intermittent 5xx, latency, a stall and a dropped connection.

A qualification run must survive all of them: report a failure that names the operation, never hang
and never crash with a traceback (design rule: a stalled server is a ``TargetError``).
"""

from __future__ import annotations

import asyncio

from ..upstream import Px
from ..wire import Req, Reset, Resp, Stall
from . import Behaviour


class Intermittent500(Behaviour):
    """Every ``every``-th vendor request fails with 500 (a flaky database connection pool)."""

    def __init__(self, every: int = 7) -> None:
        super().__init__()
        self.every = every
        self.count = 0

    async def handle(self, req: Req, px: Px) -> Resp:
        self.count += 1
        if req.op is None or self.count % self.every:
            return await px.forward(req)
        self.fired += 1
        return Resp.of_json(500, {"message": "A transport-level error has occurred."})


class Slow(Behaviour):
    """``ops`` answer ``delay_s`` late (an unindexed query); correct, just slow."""

    def __init__(self, ops: frozenset[str], delay_s: float) -> None:
        super().__init__()
        self.ops = ops
        self.delay_s = delay_s

    async def handle(self, req: Req, px: Px) -> Resp:
        if req.op in self.ops:
            self.fired += 1
            await asyncio.sleep(self.delay_s)
        return await px.forward(req)


def slow_reads() -> Behaviour:
    """listRecordings and getRecording take 800 ms more (load SLO: p95 500 ms)."""
    return Slow(frozenset({"listRecordings", "getRecording"}), 0.8)


class StallOn(Behaviour):
    """``op`` never answers: the connection stays open until the client gives up."""

    def __init__(self, op: str) -> None:
        super().__init__()
        self.op = op

    async def handle(self, req: Req, px: Px) -> Resp:
        if req.op != self.op:
            return await px.forward(req)
        self.fired += 1
        raise Stall()


class ResetOn(Behaviour):
    """``op`` starts its answer, sends half the body, then the connection drops."""

    def __init__(self, op: str) -> None:
        super().__init__()
        self.op = op

    async def handle(self, req: Req, px: Px) -> Resp:
        resp = await px.forward(req)
        if req.op != self.op or not resp.body:
            return resp
        self.fired += 1
        raise Reset(resp)
