"""Race faults: a check-then-act window, so concurrent requests both win (reference 2.3 429 rules).

Sequentially the faulty server is correct (a duplicate start is 429); only requests that overlap in
time slip through, which is why these faults need the ``races`` load scenario (or a concurrent check).
"""

from __future__ import annotations

import asyncio
import uuid
from collections import defaultdict
from collections.abc import Callable

from ..upstream import Px
from ..wire import Req, Resp
from . import Behaviour

WINDOW_S = 0.05
"""How long the server "thinks" between its check and its write: the race window."""


def start_key(req: Req) -> str:
    """The line a start is about: its JSON body's line names, else the caller's own line."""
    body = req.json()
    if isinstance(body, dict):
        return f"line:{body.get('deviceName') or ''}|{body.get('directoryNumber') or ''}"
    creds = req.credentials()
    return f"own:{(creds[0] if creds else '').lower()}"


class RaceWindow(Behaviour):
    """Requests of ``op`` on the same key that overlap in time all win (``winner``) where the
    emulator would have refused all but one with 429."""

    def __init__(self, op: str, key: Callable[[Req], str], winner: Callable[[], Resp]) -> None:
        super().__init__()
        self.op = op
        self.key = key
        self.winner = winner
        self.inflight: dict[str, int] = defaultdict(int)
        self.contended: dict[str, bool] = defaultdict(bool)

    async def handle(self, req: Req, px: Px) -> Resp:
        if req.op != self.op:
            return await px.forward(req)
        key = self.key(req)
        self.inflight[key] += 1
        if self.inflight[key] > 1:
            self.contended[key] = True
        try:
            await asyncio.sleep(WINDOW_S)
            resp = await px.forward(req)
            lost_race = resp.status == 429 and self.contended[key]
        finally:
            self.inflight[key] -= 1
            if self.inflight[key] == 0:
                self.contended[key] = False
        return self.report(resp, self.winner()) if lost_race else resp


def start_two_winners() -> Behaviour:
    """Concurrent starts on one line all get 201 (each with a fresh id) instead of one 201 + 429s."""
    return RaceWindow("startRecording", start_key, lambda: Resp.of_json(201, {"id": str(uuid.uuid4())}))


def pause_two_winners() -> Behaviour:
    """Concurrent pauses of one recording all get 204 instead of one 204 + 429s."""
    return RaceWindow("pauseRecording", lambda req: req.path.lower(), lambda: Resp.empty(204))
