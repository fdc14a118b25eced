"""Live-state faults: transitions that do not happen, or answer with the wrong code
(reference 2.3, A-7, A-8, and the Pause/Resume/Stop 409/429 rules)."""

from __future__ import annotations

import dataclasses
import json
import time
from collections import Counter
from typing import Any

from ..directory import ADMIN
from ..listing import recompute
from ..ops import CONTROL, LIVE, STOPS, path_id
from ..ticks import format_duration, parse_instant
from ..upstream import Px
from ..wire import Req, Resp
from . import Behaviour, rewrite, status_map
from .schema import LIVE_LISTS, map_live, map_recordings

PAUSES = ("pauseRecording", "pauseRecordingsByLine")
RESUMES = ("resumeRecording", "resumeRecordingsByLine")


def _now_ticks() -> int:
    return time.time_ns() // 100


class PauseNoop(Behaviour):
    """Pause is validated and answers 204, but the recording keeps running."""

    async def handle(self, req: Req, px: Px) -> Resp:
        resp = await px.forward(req)
        if req.op not in PAUSES or resp.status != 204:
            return resp
        undo = dataclasses.replace(
            req, path=req.path[: -len("Pause")] + "Resume", raw_path=req.raw_path[: -len("Pause")] + "Resume"
        )
        if (await px.forward(undo)).status != 204:
            await px.as_admin(undo)
        self.fired += 1
        return resp


class StopNoop(Behaviour):
    """Stop by id of a live recording answers 204 without stopping it (the stop is lost)."""

    async def handle(self, req: Req, px: Px) -> Resp:
        rid = path_id(req.path)
        if (
            req.op != "stopRecording"
            or px.directory.level(req) != ADMIN.level
            or rid not in await px.live_ids()
        ):
            return await px.forward(req)
        self.fired += 1
        return Resp.empty(204)


resume_not_paused_409 = status_map(
    RESUMES,
    429,
    409,
    {"message": "The recording is not paused."},
    doc="Resume of a recording that is not paused answers 409 instead of 429.",
)

pause_paused_204 = status_map(
    PAUSES,
    429,
    204,
    doc="Pause of an already paused recording is idempotent (204) instead of 429.",
)

stop_unknown_404 = status_map(
    ("stopRecording",),
    409,
    404,
    {"message": "Recording not found."},
    doc="Stop of an id that is not a live recording answers 404 instead of 409.",
)

start_duplicate_409 = status_map(
    ("startRecording",),
    429,
    409,
    {"message": "Conflict."},
    doc="A start on a call that is already being recorded answers 409 instead of 429.",
)


@rewrite(("listActiveRecordings", "listMyActiveRecordings"))
def duration_grows_while_paused(req: Req, resp: Resp) -> Resp | None:
    """A live duration is computed as now - startedAt, so it keeps growing while paused (A-8)."""

    def fn(item: dict[str, Any]) -> None:
        started = parse_instant(str(item.get("startedAt", "")))
        if item.get("isPaused") is True and started is not None:
            item["duration"] = format_duration(_now_ticks() - started)

    return map_live(resp, fn)


class _ByLineFirstOnly(Behaviour):
    """``op`` by directory number acts on the first eligible recording of the line only, not on every
    one (reference 2.3: by DN they act on every recording of the line). ``verb`` is the by-id path
    segment the buggy server ends up calling; eligible recordings have ``isPaused == was_paused``."""

    op = ""
    verb = ""
    was_paused = False

    async def handle(self, req: Req, px: Px) -> Resp:
        dn = req.param("directoryNumber")
        if req.op != self.op or not dn or px.directory.level(req) != ADMIN.level:
            return await px.forward(req)
        items = await px.admin_json("GET", LIVE, [("directoryNumber", dn)])
        eligible = [i for i in items or [] if isinstance(i, dict) and i.get("isPaused") is self.was_paused]
        if len(eligible) < 2:
            return await px.forward(req)
        first = eligible[0]["id"]
        path = f"{LIVE}/{first}/{self.verb}"
        resp = await px.forward(Req("PUT", path, path, "", req.headers))
        if resp.status == 204:
            self.fired += 1
        return resp


class PauseByLineFirstOnly(_ByLineFirstOnly):
    """Pause by directory number pauses only the first recording of the line, not every one."""

    op, verb, was_paused = "pauseRecordingsByLine", "Pause", False


class ResumeByLineFirstOnly(_ByLineFirstOnly):
    """Resume by directory number resumes only the first paused recording of the line, not every one."""

    op, verb, was_paused = "resumeRecordingsByLine", "Resume", True


async def _paused_states(px: Px) -> dict[str, bool]:
    """``{id: isPaused}`` of every live recording right now (admin view)."""
    items = await px.admin_json("GET", LIVE)
    return {
        str(i.get("id", "")).lower(): i.get("isPaused") is True for i in items or [] if isinstance(i, dict)
    }


def _by_id(verb: str, rid: str, headers: tuple[tuple[str, str], ...]) -> Req:
    path = f"{LIVE}/{rid}/{verb}"
    return Req("PUT", path, path, "", headers)


class ResumeNoop(Behaviour):
    """Resume (by id or by DN) is validated and answers 204, but the recording stays paused."""

    async def handle(self, req: Req, px: Px) -> Resp:
        if req.op not in RESUMES:
            return await px.forward(req)
        before = await _paused_states(px)
        resp = await px.forward(req)
        if resp.status != 204:
            return resp
        after = await _paused_states(px)
        for rid, paused in after.items():
            if before.get(rid) is True and not paused:
                await px.as_admin(_by_id("Pause", rid, req.headers))
                self.fired += 1
        return resp


class PauseByIdPausesLine(Behaviour):
    """Pause by id pauses every running recording of that recording's directory number: the id is
    resolved to its line and the by-line code path runs (reference 2.3: pause by id acts on the
    recording named, only by DN on every recording of the line)."""

    async def handle(self, req: Req, px: Px) -> Resp:
        resp = await px.forward(req)
        rid = path_id(req.path)
        if req.op != "pauseRecording" or resp.status != 204 or rid is None:
            return resp
        calls = await px.admin_json("GET", CONTROL + "/calls")
        if calls is None:  # a lab: no control plane, its standing calls are all there is
            calls = [c.as_control() for c in px.directory.calls]
        shared = Counter(str(c.get("directoryNumber")) for c in calls or [] if isinstance(c, dict))
        for dn, count in shared.items():
            if count < 2:
                continue
            items = await px.admin_json("GET", LIVE, [("directoryNumber", dn)])
            items = [i for i in items or [] if isinstance(i, dict)]
            if rid not in {str(i.get("id", "")).lower() for i in items}:
                continue
            for item in items:
                other = str(item.get("id", "")).lower()
                if other == rid or item.get("isPaused") is not False:
                    continue
                if (await px.as_admin(_by_id("Pause", other, req.headers))).status == 204:
                    self.fired += 1
        return resp


@rewrite(("listMyActiveRecordings",))
def mine_is_paused_false(req: Req, resp: Resp) -> Resp | None:
    """``/Mine`` reports every recording as running: its query does not select the paused flag, so
    ``isPaused`` keeps its default ``false`` (listActiveRecordings is right)."""

    def fn(item: dict[str, Any]) -> None:
        if "isPaused" in item:
            item["isPaused"] = False

    return map_live(resp, fn)


@rewrite(("listActiveRecordings", "listMyActiveRecordings"))
def live_remote_names_swapped(req: Req, resp: Resp) -> Resp | None:
    """A live recording's remoteParty has firstName and lastName swapped (constructor argument order)."""

    def fn(item: dict[str, Any]) -> None:
        remote = item.get("remoteParty")
        if isinstance(remote, dict) and "firstName" in remote and "lastName" in remote:
            remote["firstName"], remote["lastName"] = remote["lastName"], remote["firstName"]

    return map_live(resp, fn)


class DurationSinceResume(Behaviour):
    """After a resume, a live recording's duration counts only the time since the last resume: the
    recorded-time counter is restarted instead of added to (A-8: duration is all recorded time)."""

    def __init__(self) -> None:
        super().__init__()
        self.resumed_at: dict[str, int] = {}
        self.paused_at: dict[str, int] = {}

    async def handle(self, req: Req, px: Px) -> Resp:
        if req.op in PAUSES or req.op in RESUMES:
            before = await _paused_states(px)
            resp = await px.forward(req)
            if resp.status == 204:
                now = _now_ticks()
                for rid, paused in (await _paused_states(px)).items():
                    was = before.get(rid)
                    if was is True and not paused:
                        self.resumed_at[rid] = now
                        self.paused_at.pop(rid, None)
                    elif was is False and paused and rid in self.resumed_at:
                        self.paused_at[rid] = now
            return resp
        resp = await px.forward(req)
        if req.op not in LIVE_LISTS:
            return resp
        now = _now_ticks()

        def fn(item: dict[str, Any]) -> None:
            rid = str(item.get("id", "")).lower()
            since = self.resumed_at.get(rid)
            if since is not None:
                end = self.paused_at.get(rid, now) if item.get("isPaused") is True else now
                item["duration"] = format_duration(end - since)

        faulty = map_live(resp, fn)
        return resp if faulty is None else self.report(resp, faulty)


class StartDeviceWins(Behaviour):
    """A start naming both deviceName and directoryNumber looks the call up by device alone: a DN
    that does not belong to the device is ignored instead of refused ([doc] 2.3: if both names are
    given the call must match both)."""

    async def handle(self, req: Req, px: Px) -> Resp:
        body = req.json()
        if (
            req.op != "startRecording"
            or not isinstance(body, dict)
            or not body.get("deviceName")
            or not body.get("directoryNumber")
        ):
            return await px.forward(req)
        correct = await px.forward(req)
        if correct.status not in (400, 409):
            return correct
        alone = {k: v for k, v in body.items() if k != "directoryNumber"}
        faulty = await px.forward(req.with_body(json.dumps(alone).encode()))
        return self.report(correct, faulty) if faulty.status == 201 else correct


# ---------------------------------------------------------------------------- completed recordings


class CompletionTracker(Behaviour):
    """Knows when each live recording stopped (by a stop request or a hang-up), for A-7/A-8 faults."""

    def __init__(self) -> None:
        super().__init__()
        self.stopped_at: dict[str, int] = {}  # id -> wall-clock ticks of the stop

    async def _tracked(self, req: Req, px: Px, send: Any) -> Resp:
        before = await px.live_ids()
        resp = await send(req)
        if resp.status // 100 == 2:
            now = _now_ticks()
            for rid in before - await px.live_ids():
                self.stopped_at.setdefault(rid, now)
        return resp

    async def handle(self, req: Req, px: Px) -> Resp:
        if req.op in STOPS:
            return await self._tracked(req, px, px.forward)
        return await self.completed(req, px)

    async def control(self, req: Req, px: Px) -> Resp:
        if req.method == "DELETE" and req.path.startswith(CONTROL + "/calls/"):
            return await self._tracked(req, px, px.forward)
        resp = await px.forward(req)
        if req.path == CONTROL + "/reset" and resp.status == 204:
            self.stopped_at.clear()
        return resp

    async def completed(self, req: Req, px: Px) -> Resp:
        return await px.forward(req)


class HiddenAfterStop(CompletionTracker):
    """A stopped recording is missing from listRecordings for ``delay`` seconds (forever if ``None``);
    with ``hide_by_id`` it is also a 404 on get/download meanwhile (A-7 says: listed within 2 s)."""

    def __init__(self, delay: float | None, hide_by_id: bool) -> None:
        super().__init__()
        self.delay = delay
        self.hide_by_id = hide_by_id

    def hidden(self, rid: str) -> bool:
        at = self.stopped_at.get(rid.lower())
        return at is not None and (self.delay is None or _now_ticks() - at < self.delay * 10_000_000)

    async def completed(self, req: Req, px: Px) -> Resp:
        if req.op == "listRecordings":
            correct, faulty = await recompute(
                px, req, keep=lambda item: not self.hidden(str(item.get("id", "")))
            )
            return self.report(correct, faulty)
        if self.hide_by_id and req.op in ("getRecording", "downloadRecording"):
            correct = await px.forward(req)
            if correct.status == 200 and self.hidden(path_id(req.path) or ""):
                return self.report(correct, Resp.of_json(404, {"message": "Recording not found."}))
            return correct
        return await px.forward(req)


class WallClockDuration(CompletionTracker):
    """A completed recording's duration is stop time - start time, paused time included (A-8)."""

    async def completed(self, req: Req, px: Px) -> Resp:
        correct = await px.forward(req)
        if req.op not in ("listRecordings", "getRecording"):
            return correct

        def fn(item: dict[str, Any]) -> None:
            stopped = self.stopped_at.get(str(item.get("id", "")).lower())
            started = parse_instant(str(item.get("startTime", "")))
            if stopped is not None and started is not None:
                item["duration"] = format_duration(stopped - started)

        faulty = map_recordings(correct, fn)
        return correct if faulty is None else self.report(correct, faulty)
