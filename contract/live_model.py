"""A plain in-memory model of live recordings: what a correct server answers, step by step.

Pure logic (no HTTP), so it is unit-tested on its own. Reference 2.3, A-7, A-8, A-16..A-18. Each
prediction is an :class:`Outcome`: the accepted statuses, the 400 reason when it matters, and the
provenance of the expectation. The model also keeps client-clock bounds on each recording's
recorded time (A-8), so the server's ``duration`` can be judged with a stated tolerance.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

TICK_TOLERANCE_S = 1.0
"""Durations may be rounded to whole seconds by a correct server: one second either way is allowed."""


@dataclass(frozen=True)
class Outcome:
    statuses: frozenset[int]
    reason: int | None = None
    provenance: str = "documented"
    why: str = ""

    @classmethod
    def of(
        cls, status: int, why: str, *, reason: int | None = None, provenance: str = "documented"
    ) -> Outcome:
        return cls(frozenset([status]), reason, provenance, why)


@dataclass
class RecordedTime:
    """Client-clock bounds on the recorded time: ``lower`` surely recorded, ``upper`` at most."""

    lower: float = 0.0
    upper: float = 0.0
    running_since_early: float | None = None
    running_since_late: float | None = None

    def run(self, sent: float, received: float) -> None:
        """Recording (re)started by a request sent at ``sent`` and answered at ``received``."""
        self.running_since_early, self.running_since_late = sent, received

    def halt(self, sent: float, received: float) -> None:
        """Recording paused or stopped by a request sent at ``sent``, answered at ``received``."""
        if self.running_since_early is None or self.running_since_late is None:
            return
        self.lower += max(0.0, sent - self.running_since_late)
        self.upper += max(0.0, received - self.running_since_early)
        self.running_since_early = self.running_since_late = None

    def bounds(self, sent: float, received: float) -> tuple[float, float]:
        """(lower, upper) recorded seconds for a read sent at ``sent``, answered at ``received``."""
        lower, upper = self.lower, self.upper
        if self.running_since_early is not None and self.running_since_late is not None:
            lower += max(0.0, sent - self.running_since_late)
            upper += max(0.0, received - self.running_since_early)
        return lower, upper


@dataclass
class LiveRec:
    rec_id: str
    line: int
    paused: bool = False
    time: RecordedTime = field(default_factory=RecordedTime)
    started_at: str | None = None


@dataclass
class LineModel:
    """One line of the scene: its owner, whether a call is connected, its live recording."""

    device: str
    dn: str
    owner: str
    call_id: str | None = None
    direction: int = 1
    remote: str = ""
    remote_first: str = ""
    remote_last: str = ""
    rec: LiveRec | None = None
    completed: int = 0


@dataclass
class LiveModel:
    lines: list[LineModel]
    stopped: set[str] = field(default_factory=set)

    def live(self) -> dict[str, LiveRec]:
        return {ln.rec.rec_id: ln.rec for ln in self.lines if ln.rec is not None}

    def find(self, rec_id: str) -> LiveRec | None:
        return self.live().get(rec_id.lower())

    # -- predictions ---------------------------------------------------------------------------------

    def start(self, i: int) -> Outcome:
        line = self.lines[i]
        if line.call_id is None:
            return Outcome.of(409, "the line is known but has no connected call", provenance="A-16")
        if line.rec is not None:
            return Outcome.of(429, "the call is already being recorded")
        return Outcome.of(201, "a connected call that is not being recorded")

    def only_mode_error_applies(self, i: int) -> bool:
        """An invalid ``mode`` is the *only* error of a start on line ``i``.

        Concrete case: ``{"deviceName": <line without a call>, "mode": 7}`` is both 400 reason 2 and
        409; the reference does not order them, so such a start is not judged on its mode.
        """
        line = self.lines[i]
        return line.call_id is not None and line.rec is None

    def pause(self, rec_id: str) -> Outcome:
        rec = self.find(rec_id)
        if rec is None:
            return Outcome.of(409, "not a live recording")
        if rec.paused:
            return Outcome.of(429, "already paused")
        return Outcome.of(204, "a running live recording")

    def resume(self, rec_id: str) -> Outcome:
        rec = self.find(rec_id)
        if rec is None:
            return Outcome.of(409, "not a live recording")
        if not rec.paused:
            return Outcome.of(429, "not paused")
        return Outcome.of(204, "a paused live recording")

    def stop(self, rec_id: str) -> Outcome:
        if self.find(rec_id) is None:
            return Outcome.of(409, "not a live recording")
        return Outcome.of(204, "a live recording")

    def on_line(self, i: int, action: str) -> Outcome:
        """Pause/resume by DN, stop by line, stop Mine: as by id when the line records, else 409."""
        rec = self.lines[i].rec
        if rec is None:
            return Outcome.of(409, "no live recording on the line")
        if action == "pause":
            return self.pause(rec.rec_id)
        if action == "resume":
            return self.resume(rec.rec_id)
        return self.stop(rec.rec_id)

    # -- transitions (applied after the server agreed) -------------------------------------------------

    def started(self, i: int, rec_id: str, sent: float, received: float) -> LiveRec:
        rec = LiveRec(rec_id.lower(), i)
        rec.time.run(sent, received)
        self.lines[i].rec = rec
        return rec

    def paused(self, rec_id: str, sent: float, received: float) -> None:
        rec = self.find(rec_id)
        assert rec is not None
        rec.paused = True
        rec.time.halt(sent, received)

    def resumed(self, rec_id: str, sent: float, received: float) -> None:
        rec = self.find(rec_id)
        assert rec is not None
        rec.paused = False
        rec.time.run(sent, received)

    def stopped_rec(self, rec_id: str, sent: float, received: float) -> LiveRec:
        rec = self.find(rec_id)
        assert rec is not None
        rec.time.halt(sent, received)
        line = self.lines[rec.line]
        line.rec = None
        line.completed += 1
        self.stopped.add(rec.rec_id)
        return rec

    def hung_up(self, i: int, sent: float, received: float) -> LiveRec | None:
        line = self.lines[i]
        line.call_id = None
        if line.rec is None:
            return None
        return self.stopped_rec(line.rec.rec_id, sent, received)


def now() -> float:
    return time.monotonic()
