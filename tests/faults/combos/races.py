"""Combination faults: requests that overlap in time, and servers that change as they run.

Each is correct for one request at a time, which is what every one-rule check sends: the bug shows
only where a second request meets the first in time (two uploads, a stop by id and a stop by line, a
pause and a resume, a list during an upload), or only after the server has been busy for a while
(the load pass's trend gate). Dimensions, from the reference and the issue: the operation and its
overlap partner, the addressing (id / line / Mine), how many overlap, and the time into the run.
"""

from __future__ import annotations

import asyncio
import uuid
from collections import defaultdict
from collections.abc import Callable
from typing import Any

from ..behaviours import Behaviour
from ..fault import Fault, combination
from ..ops import LIVE, RECORDINGS, path_id
from ..upstream import Px
from ..wire import Req, Resp

UPLOAD = "uploadRecording"


class OverlappingUploads(Behaviour):
    """Groups uploads that overlap in time: an upload arriving while another is in flight joins that
    one's group (a busy period); a sequential upload starts a group of its own. Subclasses decide
    what a group of two or more gets wrong; a group of one is always answered correctly."""

    def __init__(self) -> None:
        super().__init__()
        self.inflight = 0
        self.group = 0
        self.members: dict[int, list[str]] = defaultdict(list)
        self.group_of: dict[str, int] = {}

    async def upload(self, req: Req, px: Px) -> tuple[Resp, int]:
        if self.inflight == 0:
            self.group += 1
        group = self.group
        self.inflight += 1
        try:
            resp = await px.forward(req)
        finally:
            self.inflight -= 1
        if resp.status == 201:
            rec_id = str((resp.json() or {}).get("id", "")).lower()
            if rec_id:
                self.members[group].append(rec_id)
                self.group_of[rec_id] = group
        return resp, group

    def partners(self, rec_id: str) -> list[str]:
        """The other members of ``rec_id``'s overlap group (empty for a lone upload)."""
        group = self.group_of.get(rec_id)
        return [] if group is None else [m for m in self.members[group] if m != rec_id]

    async def handle(self, req: Req, px: Px) -> Resp:
        if req.op == UPLOAD:
            return (await self.upload(req, px))[0]
        resp = await px.forward(req)
        if resp.status != 200 or req.op not in ("getRecording", "listRecordings", "downloadRecording"):
            return resp
        new = await self.rewrite(req, resp, px)
        return resp if new is None else self.report(resp, new)

    async def rewrite(self, req: Req, resp: Resp, px: Px) -> Resp | None:
        return None


def _items(req: Req, body: Any) -> list[dict[str, Any]]:
    if req.op == "getRecording" and isinstance(body, dict):
        return [body]
    if req.op == "listRecordings" and isinstance(body, dict):
        return [i for i in body.get("recordings") or [] if isinstance(i, dict)]
    return []


class SharedReferenceNumber(OverlappingUploads):
    """Overlapping uploads get the same referenceNumber: each reads "the highest number + 1" when it
    arrives, before any of them has committed (section 3: referenceNumber is unique). One upload at a
    time is numbered correctly."""

    def __init__(self) -> None:
        super().__init__()
        self.numbers: dict[str, Any] = {}

    async def first_number(self, rec_id: str, px: Px) -> Any:
        group = self.members[self.group_of[rec_id]]
        first = group[0]
        if first not in self.numbers:
            detail = await px.admin_json("GET", f"{RECORDINGS}/{first}")
            self.numbers[first] = (detail or {}).get("referenceNumber")
        return self.numbers[first]

    async def rewrite(self, req: Req, resp: Resp, px: Px) -> Resp | None:
        body = resp.json()
        changed = False
        for item in _items(req, body):
            rec_id = str(item.get("id", "")).lower()
            if self.partners(rec_id):
                number = await self.first_number(rec_id, px)
                if number is not None and item.get("referenceNumber") != number:
                    item["referenceNumber"] = number
                    changed = True
        return resp.with_json(body) if changed else None


class StagedMediaOverwritten(OverlappingUploads):
    """Overlapping uploads share one staging file: each stores the audio the last of the group
    wrote, so every earlier member of the group serves the last one's /Media (its size and hash,
    computed while receiving, stay its own). Documented: the id selects the recording; A-6."""

    async def rewrite(self, req: Req, resp: Resp, px: Px) -> Resp | None:
        if req.op != "downloadRecording":
            return None
        rec_id = path_id(req.path) or ""
        others = self.partners(rec_id)
        if not others:
            return None
        group = self.members[self.group_of[rec_id]]
        last = group[-1]
        if last == rec_id:
            return None
        media = await px.admin_bytes(f"{RECORDINGS}/{last}/Media")
        return None if media is None else resp.with_body(media)


class SharedUploadMetadata(OverlappingUploads):
    """Overlapping uploads parse jsondata into one shared object: earlier members of a group are
    stored with the remote party, duration and direction of the last one (section 3: the recording
    is what its upload said). A lone upload stores its own."""

    def __init__(self) -> None:
        super().__init__()
        self.stored: dict[str, dict[str, Any]] = {}

    async def detail(self, rec_id: str, px: Px) -> dict[str, Any]:
        if rec_id not in self.stored:
            self.stored[rec_id] = await px.admin_json("GET", f"{RECORDINGS}/{rec_id}") or {}
        return self.stored[rec_id]

    async def rewrite(self, req: Req, resp: Resp, px: Px) -> Resp | None:
        body = resp.json()
        changed = False
        for item in _items(req, body):
            rec_id = str(item.get("id", "")).lower()
            if not self.partners(rec_id):
                continue
            last = self.members[self.group_of[rec_id]][-1]
            if last == rec_id:
                continue
            source = await self.detail(last, px)
            for key in ("remotePartyNumber", "duration", "direction"):
                if key in source and item.get(key) != source[key]:
                    item[key] = source[key]
                    changed = True
        return resp.with_json(body) if changed else None


class HalfWrittenListed(Behaviour):
    """An upload inserts its row, then transcodes and fills in the rest before it answers; a list
    that runs in between (no isolation: READ UNCOMMITTED) shows the row half-written, with no
    referenceNumber and a zero duration. Once the upload has answered, lists are right."""

    HOLD_S = 0.15

    def __init__(self) -> None:
        super().__init__()
        self.pending: set[str] = set()

    async def handle(self, req: Req, px: Px) -> Resp:
        resp = await px.forward(req)
        if req.op == UPLOAD and resp.status == 201:
            rec_id = str((resp.json() or {}).get("id", "")).lower()
            if not rec_id:
                return resp
            self.pending.add(rec_id)
            try:
                await asyncio.sleep(self.HOLD_S)
            finally:
                self.pending.discard(rec_id)
            return resp
        if req.op != "listRecordings" or resp.status != 200 or not self.pending:
            return resp
        body = resp.json()
        changed = False
        for item in _items(req, body):
            if str(item.get("id", "")).lower() in self.pending:
                item["referenceNumber"] = ""
                item["duration"] = "PT0S"
                changed = True
        return self.report(resp, resp.with_json(body)) if changed else resp


# -- live recordings: overlapping control requests ---------------------------------------------------------

STOPS = {"stopRecording": "id", "stopRecordingByLine": "line", "stopMyRecording": "mine"}


class StopLockPerRoute(Behaviour):
    """Each stop route locks its own key (the id, the line, the caller): one recording stopped by two
    routes at once is stopped twice, both 204 (section 2.3: the second stop is 409, "not a live
    recording"). Two stops by the same route still serialise: one 204, the others 409."""

    LOSER, WINNER = 409, 204

    def __init__(self) -> None:
        super().__init__()
        self.inflight: dict[str, int] = defaultdict(int)
        self.overlapped: dict[str, set[str]] = defaultdict(set)

    def route(self, req: Req) -> str | None:
        return STOPS.get(req.op or "")

    def winner(self) -> Resp:
        return Resp.empty(204)

    async def handle(self, req: Req, px: Px) -> Resp:
        route = self.route(req)
        if route is None:
            return await px.forward(req)
        self.inflight[route] += 1
        for other, n in self.inflight.items():
            if other != route and n:
                self.overlapped[route].add(other)
                self.overlapped[other].add(route)
        try:
            await asyncio.sleep(0.02)  # the route's look-up before its lock: the window
            resp = await px.forward(req)
            crossed = bool(self.overlapped[route])
        finally:
            self.inflight[route] -= 1
            if not any(self.inflight.values()):
                self.overlapped.clear()
        if resp.status == self.LOSER and crossed:
            return self.report(resp, self.winner())
        return resp


class StartLockPerRoute(StopLockPerRoute):
    """A start naming the line locks the line; a start without a body (the caller's own line) locks
    the caller: the same line started both ways at once is recorded twice, both 201 (section 2.3: "a
    duplicate request, or the call is already being recorded" is 429). Two starts by the same route
    still serialise: one 201, the others 429."""

    LOSER, WINNER = 429, 201

    def route(self, req: Req) -> str | None:
        if req.op != "startRecording":
            return None
        return "line" if isinstance(req.json(), dict) else "own"

    def winner(self) -> Resp:
        return Resp.of_json(201, {"id": str(uuid.uuid4())})


class ResumeSeesPendingPause(Behaviour):
    """A pause writes its flag first and its duration accounting last; a resume of the same recording
    that overlaps it sees the flag, answers 204 and clears it, and the pause's last write sets it again:
    both 204, and the recording is left paused, which no order of the two explains (section 2.3: a
    resume of a recording that is not paused is 429). A pause or a resume alone is right."""

    PAUSE_S = 0.03

    def __init__(self) -> None:
        super().__init__()
        self.pausing: dict[str, int] = defaultdict(int)

    @staticmethod
    def key(req: Req) -> str | None:
        if req.op in ("pauseRecording", "resumeRecording"):
            return "id:" + (path_id(req.path) or "")
        if req.op in ("pauseRecordingsByLine", "resumeRecordingsByLine"):
            return "dn:" + (req.param("directoryNumber") or "")
        return None

    async def handle(self, req: Req, px: Px) -> Resp:
        key = self.key(req)
        if key is None:
            return await px.forward(req)
        keys = {key, *(await self._aliases(req, px))}
        if req.op in ("pauseRecording", "pauseRecordingsByLine"):
            for k in keys:
                self.pausing[k] += 1
            try:
                await asyncio.sleep(self.PAUSE_S)
                return await px.forward(req)
            finally:
                for k in keys:
                    self.pausing[k] -= 1
        resp = await px.forward(req)
        if resp.status == 429 and any(self.pausing[k] for k in keys):
            return self.report(resp, Resp.empty(204))
        return resp

    @staticmethod
    async def _aliases(req: Req, px: Px) -> set[str]:
        """A by-line request's recordings by id (a LiveRecording does not name its line, so a by-id
        request has no line key: a pause by id and a resume by line of one recording meet on the id)."""
        dn = req.param("directoryNumber")
        if not dn:
            return set()
        items = await px.admin_json("GET", LIVE, [("directoryNumber", dn)])
        if not isinstance(items, list):
            return set()
        return {"id:" + str(i.get("id", "")).lower() for i in items if isinstance(i, dict)}


# -- servers that change as they run: the load pass's trend gate -------------------------------------------


class LeakOnOverlap(Behaviour):
    """Every request served while another is in flight leaks a pooled handle, and every later request
    scans the leaked handles: latency grows steadily with the concurrent traffic served, a little per
    request (no single request is slow at first, the whole run's p95 stays under its SLO gate). One
    request at a time leaks nothing, so the conformance suite barely notices."""

    STEP_S = 0.0002
    CAP_S = 0.4

    def __init__(self) -> None:
        super().__init__()
        self.inflight = 0
        self.leaked = 0

    async def handle(self, req: Req, px: Px) -> Resp:
        if req.op is None:
            return await px.forward(req)
        self.inflight += 1
        if self.inflight > 1:
            self.leaked += 1
        try:
            return await self.serve(req, px)
        finally:
            self.inflight -= 1

    async def serve(self, req: Req, px: Px) -> Resp:
        """One API request, with ``leaked`` handles already counted (this one included)."""
        delay = min(self.CAP_S, self.leaked * self.STEP_S)
        if delay >= 0.001:
            self.fired += 1
            await asyncio.sleep(delay)
        return await px.forward(req)


class ErrorsAfterLeak(LeakOnOverlap):
    """The same leak, seen as errors instead of time: once the pool's leaked handles pass ``FREE``, a
    growing share of requests find no handle and fail with 500 (never a correct answer). Early in a
    run, and one request at a time, every answer is right."""

    FREE = 400

    async def serve(self, req: Req, px: Px) -> Resp:
        over = self.leaked - self.FREE
        if over > 0 and self.leaked % 100 < min(50, over // 20):
            self.fired += 1
            return Resp.of_json(500, {"message": "no connection available in the pool"})
        return await px.forward(req)


def _make(cls: Callable[[], Behaviour]) -> Callable[[], Behaviour]:
    def make() -> Behaviour:
        return cls()

    make.__doc__ = cls.__doc__
    return make


# fmt: off
COMBOS: list[Fault] = [
    combination("upload-overlap-same-reference", "races", "§3 referenceNumber: unique",
                _make(SharedReferenceNumber), dimensions=("uploadRecording", "overlapping uploads"),
                expect=("races", "transfer")),
    combination("upload-overlap-media-overwritten", "races", "§2 /{id}/Media is that recording; A-6",
                _make(StagedMediaOverwritten), dimensions=("uploadRecording", "overlapping uploads",
                                                           "downloadRecording"),
                expect=("races", "transfer")),
    combination("upload-overlap-metadata-shared", "races", "§3 the recording is what its upload said",
                _make(SharedUploadMetadata), dimensions=("uploadRecording", "overlapping uploads",
                                                         "getRecording/listRecordings"),
                expect=("races", "transfer")),
    combination("list-during-upload-half-written", "races", "§3 Recording (a listed recording is complete)",
                _make(HalfWrittenListed), dimensions=("listRecordings", "upload in flight"),
                expect=("races", "filters", "paging")),
    combination("stop-two-routes-both-win", "races", "§2.3 Stop 409 (not a live recording)",
                _make(StopLockPerRoute),
                dimensions=("stop by id/line/Mine", "overlapping stop by another route"),
                expect=("races",)),
    combination("start-two-routes-both-win", "races", "§2.3 Start 429 (already being recorded)",
                _make(StartLockPerRoute),
                dimensions=("start by line / own line", "overlapping start by the other"),
                expect=("races", "live-state")),
    combination("pause-resume-overlap-both-win", "races", "§2.3 Resume 429 (not paused)",
                _make(ResumeSeesPendingPause), dimensions=("pause", "overlapping resume"),
                expect=("races", "live-state")),
    combination("latency-grows-with-overlaps", "races", "load trend gate (latency drift)",
                _make(LeakOnOverlap), dimensions=("overlapping requests", "time into the run"),
                expect=("races",), load="races"),
    combination("errors-grow-with-overlaps", "races", "load trend gate (error drift), §2",
                _make(ErrorsAfterLeak), dimensions=("overlapping requests", "time into the run"),
                expect=("races",), load="races"),
]
# fmt: on
