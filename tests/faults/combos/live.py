"""Combination faults: live recordings (reference 2.3, A-7, A-8, A-15, the Pause/Resume 429 and 409 rules).

Written from the dimensions of a live recording's life: which pause/resume cycle it is (the first, the
second, the third), how each step is addressed (by id or by directory number), who sends it (the
line's owner or level 10, the same user or another one), whether the recording is stopped running or
while paused and how (by id, by line, ``/Mine``), and which view reads it (the unfiltered list, a
filtered one, ``/Mine``, the completed recording). Each bug shows only where its dimensions meet: one
pause/resume cycle, one addressing throughout, one user throughout, one view, are all answered right.

Every one follows the recordings' real pauses (``Timeline``): before and after each pause, resume or
stop that the emulator accepts, the proxy reads the live list as the seeded admin and notes which
recording changed state, when. The bug is then applied on top of the emulator's correct answer, so
validation, permissions and every other field stay the emulator's own.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..behaviours import Behaviour
from ..behaviours.schema import LIVE_LISTS, map_live, map_recordings
from ..fault import Fault, combination
from ..ops import CONTROL, LIVE, STOPS, path_id
from ..ticks import format_duration, parse_duration
from ..upstream import Px
from ..wire import Req, Resp

PAUSES = ("pauseRecording", "pauseRecordingsByLine")
RESUMES = ("resumeRecording", "resumeRecordingsByLine")
BY_LINE = ("pauseRecordingsByLine", "resumeRecordingsByLine")
COMPLETED_READS = ("listRecordings", "getRecording")


@dataclass
class Pause:
    """One pause of a recording, in wall-clock ticks as the proxy saw it applied."""

    start: int
    end: int | None = None
    """``None`` while the pause lasts."""

    def length(self, at: int) -> int:
        return (self.end if self.end is not None else at) - self.start


def _now() -> int:
    return time.time_ns() // 100


async def _states(px: Px) -> dict[str, bool]:
    """``{id: isPaused}`` of every live recording (the seeded admin's view)."""
    items = await px.admin_json("GET", LIVE)
    return {
        str(i.get("id", "")).lower(): i.get("isPaused") is True for i in items or [] if isinstance(i, dict)
    }


async def _targets(req: Req, px: Px) -> list[tuple[str, bool]]:
    """``(id, isPaused)`` of the live recordings a pause/resume/stop names: the one by id, every one of
    the line by directory number (and device), or the caller's own for ``/Mine``. Concurrent requests
    on other lines then never count as this request's doing."""
    query: list[tuple[str, str]] = []
    if req.op in BY_LINE or req.op == "stopRecordingByLine":
        query = [(k, v) for k, v in req.params() if k in ("deviceName", "directoryNumber") and v]
        if not query:
            return []
    elif req.op == "stopMyRecording":
        query = [("username", _caller(req))]
    items = [i for i in await px.admin_json("GET", LIVE, query or None) or [] if isinstance(i, dict)]
    rid = path_id(req.path) if not query else None
    return [
        (str(i.get("id", "")).lower(), i.get("isPaused") is True)
        for i in items
        if rid is None or str(i.get("id", "")).lower() == rid
    ]


def _caller(req: Req) -> str:
    creds = req.credentials()
    return creds[0].lower() if creds else ""


def _too_many(message: str) -> Resp:
    return Resp.of_json(429, {"message": message})


class Timeline(Behaviour):
    """The correct server, with every recording's pauses noted as the emulator applied them; the hooks
    (``refuse``, ``noted``, ``paused_ticks``) are where a subclass's bug goes."""

    def __init__(self) -> None:
        super().__init__()
        self.pauses: dict[str, list[Pause]] = {}
        self.stopped: dict[str, int] = {}
        self.stopped_by: dict[str, str] = {}

    # -- hooks ---------------------------------------------------------------------------------------

    async def refuse(self, req: Req, px: Px) -> Resp | None:
        """An answer instead of the emulator's (the request is then not forwarded), or ``None``."""
        return None

    async def noted(self, req: Req, px: Px, paused: list[str], resumed: list[str]) -> None:
        """After an accepted pause/resume changed these recordings."""

    def paused_ticks(self, rid: str, pauses: list[Pause], at: int) -> int | None:
        """The paused time the buggy server subtracts at ``at`` (``None``: the right one)."""
        return None

    def stopped_paused_ticks(self, rid: str, pauses: list[Pause], at: int) -> int | None:
        """The paused time the buggy server subtracted when it stopped ``rid`` (completed duration)."""
        return self.paused_ticks(rid, pauses, at)

    # -- the correct server, followed ------------------------------------------------------------------

    async def handle(self, req: Req, px: Px) -> Resp:
        if req.op in PAUSES or req.op in RESUMES or req.op in STOPS:
            refusal = await self.refuse(req, px)
            if refusal is not None:
                self.fired += 1
                return refusal
            scope = {rid for rid, _ in await _targets(req, px)}
            return await self._followed(req, px, px.forward, scope)
        resp = await px.forward(req)
        if req.op in LIVE_LISTS:
            return self._rewritten(resp, map_live, self._live_duration)
        if req.op in COMPLETED_READS:
            return self._rewritten(resp, map_recordings, self._completed_duration)
        return resp

    async def control(self, req: Req, px: Px) -> Resp:
        if req.method == "DELETE" and req.path.startswith(CONTROL + "/calls/"):  # a hang-up stops
            return await self._followed(req, px, px.forward, None)
        return await px.forward(req)

    async def _followed(self, req: Req, px: Px, send: Callable[[Req], Any], scope: set[str] | None) -> Resp:
        """Send ``req``; if accepted, note what changed among ``scope`` (``None``: every recording)."""
        before = await _states(px)
        resp: Resp = await send(req)
        if resp.status // 100 != 2:
            return resp
        after = await _states(px)
        now = _now()
        paused, resumed = [], []
        for rid, was in before.items():
            if scope is not None and rid not in scope:
                continue
            pauses = self.pauses.setdefault(rid, [])
            last = pauses[-1] if pauses and pauses[-1].end is None else None
            if rid not in after:
                if last is not None:
                    last.end = now
                self.stopped[rid] = now
                self.stopped_by[rid] = req.op or "hang-up"
            elif not was and after[rid]:
                pauses.append(Pause(now))
                paused.append(rid)
            elif was and not after[rid] and last is not None:
                last.end = now
                resumed.append(rid)
        await self.noted(req, px, paused, resumed)
        return resp

    # -- durations ---------------------------------------------------------------------------------------

    def _shift(self, rid: str, at: int, buggy: int | None) -> int:
        """Ticks to add to the correct duration: the true paused time minus the buggy one."""
        if buggy is None:
            return 0
        true = sum(pause.length(at) for pause in self.pauses.get(rid, []))
        return true - buggy

    def _live_duration(self, item: dict[str, Any]) -> None:
        rid = str(item.get("id", "")).lower()
        pauses = self.pauses.get(rid)
        if pauses:
            self._add(item, self._shift(rid, _now(), self.paused_ticks(rid, pauses, _now())))

    def _completed_duration(self, item: dict[str, Any]) -> None:
        rid = str(item.get("id", "")).lower()
        pauses, at = self.pauses.get(rid), self.stopped.get(rid)
        if pauses and at is not None:
            self._add(item, self._shift(rid, at, self.stopped_paused_ticks(rid, pauses, at)))

    @staticmethod
    def _add(item: dict[str, Any], ticks: int) -> None:
        current = parse_duration(str(item.get("duration", "")))
        if ticks and current is not None:
            item["duration"] = format_duration(max(0, current + ticks))

    def _rewritten(
        self,
        resp: Resp,
        mapper: Callable[[Resp, Callable[[dict[str, Any]], None]], Resp | None],
        fn: Callable[[dict[str, Any]], None],
    ) -> Resp:
        faulty = mapper(resp, fn)
        return resp if faulty is None else self.report(resp, faulty)


def _closed(pauses: list[Pause]) -> list[Pause]:
    return [pause for pause in pauses if pause.end is not None]


def _ongoing(pauses: list[Pause], at: int) -> int:
    return pauses[-1].length(at) if pauses and pauses[-1].end is None else 0


# ------------------------------------------------------------------------------------- the second cycle


class SecondPauseRefused(Timeline):
    """Pause looks at a ``pausedAt`` column that resume never clears (resume only sets ``isPaused``
    false): a recording paused once before answers every later pause 429 "already paused"."""

    async def refuse(self, req: Req, px: Px) -> Resp | None:
        if req.op not in PAUSES:
            return None
        targets = await _targets(req, px)
        running = [rid for rid, paused in targets if not paused]
        if running and all(self.pauses.get(rid) for rid in running):
            return _too_many("The recording is already paused.")
        return None


class SecondPauseIgnored(Timeline):
    """Pause inserts a pause row keyed by the recording id; a second pause of the same recording hits
    the unique key, the error is swallowed, and 204 is answered while the recording keeps running."""

    async def handle(self, req: Req, px: Px) -> Resp:
        if req.op not in PAUSES:
            return await super().handle(req, px)
        again = {rid for rid, paused in await _targets(req, px) if not paused and self.pauses.get(rid)}
        resp = await super().handle(req, px)
        if resp.status == 204 and again:
            for rid in again:
                path = f"{LIVE}/{rid}/Resume"
                undo = await px.as_admin(Req("PUT", path, path, "", req.headers))
                if undo.status == 204:
                    if self.pauses[rid] and self.pauses[rid][-1].end is None:
                        self.pauses[rid].pop()
                    self.fired += 1
        return resp


class SecondResumeRefused(Timeline):
    """Resume closes "the" open pause row, found by recording id ordered by start (oldest first): from
    the second cycle on it finds the first row, already closed, and answers 429 "not paused"."""

    async def refuse(self, req: Req, px: Px) -> Resp | None:
        if req.op not in RESUMES:
            return None
        paused = [rid for rid, is_paused in await _targets(req, px) if is_paused]
        if paused and all(len(self.pauses.get(rid, [])) >= 2 for rid in paused):
            return _too_many("The recording is not paused.")
        return None


# ------------------------------------------------------------------------------------- paused time


class OnlyLastPauseSubtracted(Timeline):
    """The paused total is overwritten at each resume instead of added to: only the last pause is
    subtracted from the recorded time, live and completed (A-8: every pause is excluded)."""

    def paused_ticks(self, rid: str, pauses: list[Pause], at: int) -> int | None:
        closed = _closed(pauses)
        last = closed[-1].length(at) if closed else 0
        return last + _ongoing(pauses, at)  # the pause in progress counts; the closed ones: the last


class PauseStartKeptFromFirstCycle(Timeline):
    """``pausedSince`` is set at the first pause only (``if pausedSince is None``) and never cleared, so
    every resume adds the time since the FIRST pause: from the second cycle on, the recorded stretch
    between the pauses is subtracted as if paused (A-8)."""

    def paused_ticks(self, rid: str, pauses: list[Pause], at: int) -> int | None:
        if not pauses:
            return None
        first = pauses[0].start
        total = sum((pause.end or at) - first for pause in _closed(pauses))
        if pauses[-1].end is None:
            total += at - first
        return total


class StopByLineFirstPauseOnly(Timeline):
    """Stop by line and ``/Mine`` compute the completed duration from the call's pause log with a
    ``TOP 1``: only the first pause is subtracted; stop by id (the recording's own counter) is right."""

    def stopped_paused_ticks(self, rid: str, pauses: list[Pause], at: int) -> int | None:
        if self.stopped_by.get(rid) not in ("stopRecordingByLine", "stopMyRecording") or len(pauses) < 2:
            return None
        return pauses[0].length(at)


# ------------------------------------------------------------------------------------- who and how


class DnPauseFlagPerLine(Timeline):
    """Pause and resume by DN keep a per-line "paused" flag beside the recordings' own; resume by id
    clears only the recording's: after a pause by DN and a resume by id, the next pause by DN finds
    the line flag still set and answers 429 "already paused"."""

    def __init__(self) -> None:
        super().__init__()
        self.line_paused: set[str] = set()

    async def refuse(self, req: Req, px: Px) -> Resp | None:
        dn = req.param("directoryNumber") or ""
        if req.op == "pauseRecordingsByLine" and dn in self.line_paused:
            running = [rid for rid, paused in await _targets(req, px) if not paused]
            if running:
                return _too_many("The line's recordings are already paused.")
        return None

    async def noted(self, req: Req, px: Px, paused: list[str], resumed: list[str]) -> None:
        dn = req.param("directoryNumber") or ""
        if req.op == "pauseRecordingsByLine" and paused:
            self.line_paused.add(dn)
        elif req.op == "resumeRecordingsByLine" and resumed:
            self.line_paused.discard(dn)


class ResumeByAnotherUserIgnored(Timeline):
    """A pause is held by the user who made it: a resume by anyone else (the line's owner after level
    10 paused, or the other way round) answers 204 and changes nothing (A-15: both may resume)."""

    def __init__(self) -> None:
        super().__init__()
        self.paused_by: dict[str, str] = {}

    async def refuse(self, req: Req, px: Px) -> Resp | None:
        if req.op not in RESUMES:
            return None
        paused = [rid for rid, is_paused in await _targets(req, px) if is_paused]
        if paused and all(self.paused_by.get(rid, _caller(req)) != _caller(req) for rid in paused):
            return Resp.empty(204)
        return None

    async def noted(self, req: Req, px: Px, paused: list[str], resumed: list[str]) -> None:
        for rid in paused:
            self.paused_by[rid] = _caller(req)


class _StaleAfterByLine(Timeline):
    """A view that shows ``isPaused`` as the by-id operations left it: its cache is refreshed by the
    by-id handlers only, so a pause or resume by DN does not reach it."""

    ops: tuple[str, ...] = ()

    def __init__(self) -> None:
        super().__init__()
        self.seen: dict[str, bool] = {}

    def applies(self, req: Req) -> bool:
        return req.op in self.ops

    async def noted(self, req: Req, px: Px, paused: list[str], resumed: list[str]) -> None:
        if req.op in BY_LINE:
            return
        for rid in paused:
            self.seen[rid] = True
        for rid in resumed:
            self.seen[rid] = False

    async def handle(self, req: Req, px: Px) -> Resp:
        resp = await super().handle(req, px)
        if not self.applies(req):
            return resp

        def fn(item: dict[str, Any]) -> None:
            rid = str(item.get("id", "")).lower()
            if rid in self.pauses and isinstance(item.get("isPaused"), bool):
                item["isPaused"] = self.seen.get(rid, False)

        faulty = map_live(resp, fn)
        return resp if faulty is None else self.report(resp, faulty)


class DeviceFilterStaleAfterByLine(_StaleAfterByLine):
    """The live list filtered by ``deviceName`` is served from a per-device cache that only the by-id
    pause/resume handlers refresh: after a pause or resume by DN it shows the old ``isPaused``."""

    ops = ("listActiveRecordings",)

    def applies(self, req: Req) -> bool:
        return req.op in self.ops and bool(req.param("deviceName"))


class MineStaleAfterByLine(_StaleAfterByLine):
    """``/Mine`` is served from a per-user cache that only the by-id pause/resume handlers refresh:
    after a pause or resume by DN it shows the old ``isPaused``."""

    ops = ("listMyActiveRecordings",)


LIVE_FAMILY = ("live-state",)

COMBOS: list[Fault] = [
    combination(
        "second-pause-refused",
        "live-state",
        "2.3 Pause 429: already paused (not: was paused once)",
        SecondPauseRefused,
        dimensions=("pause", "cycle 2+"),
        expect=LIVE_FAMILY,
    ),
    combination(
        "second-pause-ignored",
        "live-state",
        "2.3 Pause 204 pauses the recording; A-8",
        SecondPauseIgnored,
        dimensions=("pause", "cycle 2+"),
        expect=LIVE_FAMILY,
    ),
    combination(
        "second-resume-refused",
        "live-state",
        "2.3 Resume 429: not paused (a paused recording resumes)",
        SecondResumeRefused,
        dimensions=("resume", "cycle 2+"),
        expect=LIVE_FAMILY,
    ),
    combination(
        "only-last-pause-subtracted",
        "live-state",
        "A-8: duration counts recorded time only, every pause excluded",
        OnlyLastPauseSubtracted,
        dimensions=("duration", "cycle 2+"),
        expect=LIVE_FAMILY,
    ),
    combination(
        "pause-start-kept-from-first-cycle",
        "live-state",
        "A-8: duration counts recorded time only (the stretch between pauses is recorded)",
        PauseStartKeptFromFirstCycle,
        dimensions=("duration", "cycle 2+"),
        expect=LIVE_FAMILY,
    ),
    combination(
        "stop-by-line-first-pause-only",
        "live-state",
        "A-7, A-8: the completed duration is the recorded time, whatever the stop's addressing",
        StopByLineFirstPauseOnly,
        dimensions=("stop by line or /Mine", "cycle 2+", "completed duration"),
        expect=LIVE_FAMILY,
    ),
    combination(
        "dn-pause-flag-per-line",
        "live-state",
        "2.3 Pause 429: already paused; by DN they act on every recording of the line",
        DnPauseFlagPerLine,
        dimensions=("pause by DN", "resume by id", "cycle 2+"),
        expect=LIVE_FAMILY,
    ),
    combination(
        "resume-by-another-user-ignored",
        "live-state",
        "2.3 Resume 204; A-15 (the owner on its own line, level 10 on every line)",
        ResumeByAnotherUserIgnored,
        dimensions=("pause as one user", "resume as another"),
        expect=LIVE_FAMILY,
    ),
    combination(
        "device-filter-stale-after-by-line",
        "live-state",
        "2.3 listActiveRecordings deviceName filter; section 3 isPaused",
        DeviceFilterStaleAfterByLine,
        dimensions=("pause/resume by DN", "live list by deviceName"),
        expect=LIVE_FAMILY,
    ),
    combination(
        "mine-stale-after-by-line",
        "live-state",
        "2.3 listMyActiveRecordings; section 3 isPaused",
        MineStaleAfterByLine,
        dimensions=("pause/resume by DN", "/Mine"),
        expect=LIVE_FAMILY,
    ),
]
