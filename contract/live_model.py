"""A plain in-memory model of live recordings: what a correct server answers, step by step.

The model is pure logic (no HTTP), so it is unit-tested on its own. Reference 2.3, A-7, A-8,
A-16..A-18. Each prediction is an :class:`Outcome`: the accepted statuses, the 400 reason when it
matters, and the provenance of the expectation. The model also keeps client-clock bounds on each
recording's recorded time (A-8), so the server's ``duration`` can be judged with a stated tolerance.

Lines come from the scene: a fresh user's line and a placed call on the emulator, a declared
standing-call line on a lab. What a lab does not declare is learned, never assumed: a line may have
no owner, and a call's far end and direction are known only when set up (:class:`FarEnd`); unknown
ones are taken from the server's first description and every later answer must agree with it. A
lab line has carried recordings before (the preflight's probe, other checks, earlier runs) and its
owner may own thousands: a stopped recording is found among the line's completed recordings by its
``startTime`` (= the live ``startedAt``, A-7), never by counting (:func:`match_completed`).

The helpers at the end (:func:`completed_of`, :func:`live_on_line`, ...) are the only part that
sends requests: the reads every live check shares.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from contract import api, expect
from contract.client import ApiClient, Reply
from strategies.durations import parse_iso_duration
from strategies.rhs_colon import TICKS_PER_SECOND, Instant

if TYPE_CHECKING:
    from contract.scene import Call, User

TICK_TOLERANCE_S = 1.0
"""Durations may be rounded to whole seconds by a correct server: one second either way is allowed."""
HANDOVER_S = 2.0
"""A-7: a stopped recording is listed as completed within 2 seconds."""
HANDOVER_SLACK_S = 0.5
"""Polling and network time allowed on top of the A-7 hand-over time."""
LOOKBACK_S = 5
"""How far before a live ``startedAt`` the completed-recordings query starts (``startTime=after:``):
more than any rounding of ``startTime``, so the recording is in the answer whatever its precision."""
SNAPSHOT_S = 600
"""How far back a line's existing completed recordings are read once, to be told apart from ours."""


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

    def plus(self, provenance: str, why: str = "") -> Outcome:
        """The same prediction, resting also on ``provenance`` (e.g. A-15; empty or "documented": on
        nothing more), with ``why`` appended."""
        parts = [p for p in (self.provenance, provenance) if p and p != "documented"]
        return Outcome(self.statuses, self.reason, ",".join(parts) or "documented", self.why + why)


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
    """The live list's ``startedAt``, as first seen (server clock)."""
    pauses: int = 0
    """Pauses the server accepted so far: the next pause is cycle ``pauses + 1``."""
    resumes: int = 0
    """Resumes the server accepted so far: completed pause/resume cycles."""


REMOTE_FIELDS = ("phoneNumber", "firstName", "lastName")


@dataclass
class FarEnd:
    """The far end and direction of a line's call, as the server must describe them.

    A field is the call's set-up when known (the emulator places every call; a target file may declare
    ``remoteParty`` and ``direction``). An unknown field (``None``) is learned from the first answer
    that shows it, and every later answer must agree: a consistency check (the live list, ``/Mine`` and
    the completed recording describe the same call alike), weaker than a comparison with the set-up.
    """

    remote: dict[str, str | None] = field(default_factory=lambda: dict.fromkeys(REMOTE_FIELDS))
    direction: int | None = None
    learned: set[str] = field(default_factory=set)

    @classmethod
    def of(
        cls,
        number: str | None,
        first: str | None = None,
        last: str | None = None,
        direction: int | None = None,
    ) -> FarEnd:
        return cls({"phoneNumber": number, "firstName": first, "lastName": last}, direction)

    def want_remote(self, seen: Mapping[str, Any]) -> dict[str, str]:
        """What a LiveRecording's ``remoteParty`` must say (absent or null names count as empty);
        fields not known yet are learned from ``seen`` first."""
        for name in REMOTE_FIELDS:
            if self.remote[name] is None:
                self.remote[name] = str(seen.get(name) or "")
                self.learned.add(name)
        return {name: str(self.remote[name]) for name in REMOTE_FIELDS}

    def want_number(self, seen: Any) -> str:
        """What a completed recording's ``remotePartyNumber`` must be (learned if still unknown)."""
        return self.want_remote({"phoneNumber": seen})["phoneNumber"]

    def want_direction(self, seen: Any) -> Any:
        """What a completed recording's ``direction`` must be (learned if still unknown)."""
        if self.direction is None:
            self.direction = seen
            self.learned.add("direction")
        return self.direction

    def basis(self, *names: str) -> str:
        """How the expectation was formed, for a failure's expected text."""
        if any(name in self.learned for name in names):
            return " (as the server first described this call: the set-up is not declared)"
        return " (the call's set-up)"


@dataclass
class LineModel:
    """One line of the scene: its owner (``None``: nobody's own line), whether a call is connected
    (``call_id`` ``None``: none; ``""``: a standing call nobody can hang up), its live recording, the
    far end of its call, and what the line carried before (to tell its completed recordings apart)."""

    device: str
    dn: str
    owner: str | None
    call_id: str | None = None
    far: FarEnd = field(default_factory=FarEnd)
    rec: LiveRec | None = None
    starts: dict[str, int] = field(default_factory=dict)
    """Every live recording this line carried in the check: id -> ``startedAt`` ticks (server clock)."""
    claimed: set[str] = field(default_factory=set)
    """Completed recordings already accounted for: older than the check, or matched to one of ours."""

    def restart(self) -> None:
        """A new walk on the same line (a lab's lines serve every example): no live recording; the far
        end learned so far, the starts and the claimed recordings are kept."""
        self.rec = None


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
        rec.pauses += 1
        rec.time.halt(sent, received)

    def resumed(self, rec_id: str, sent: float, received: float) -> None:
        rec = self.find(rec_id)
        assert rec is not None
        rec.paused = False
        rec.resumes += 1
        rec.time.run(sent, received)

    def stopped_rec(self, rec_id: str, sent: float, received: float) -> LiveRec:
        rec = self.find(rec_id)
        assert rec is not None
        rec.time.halt(sent, received)
        self.lines[rec.line].rec = None
        self.stopped.add(rec.rec_id)
        return rec

    def hung_up(self, i: int, sent: float, received: float) -> LiveRec | None:
        line = self.lines[i]
        line.call_id = None
        if line.rec is None:
            return None
        return self.stopped_rec(line.rec.rec_id, sent, received)


def match_completed(
    candidates: list[tuple[str, int]],
    rec_id: str,
    starts: Mapping[str, int],
    claimed: set[str],
    tolerance: int,
) -> list[str]:
    """The ids among ``candidates`` (completed recordings of the line: id, ``startTime`` ticks) that
    are the completed form of live recording ``rec_id`` (A-7: ``startTime`` = its ``startedAt``).

    A candidate qualifies when nobody claimed it yet, its ``startTime`` is within ``tolerance`` of
    ``starts[rec_id]``, and it is not nearer to the start of another recording the line carried (two
    short recordings on one line may start within the tolerance of each other). More than one
    qualifying candidate means the recording is listed twice.
    """
    mine = starts[rec_id]
    found: list[str] = []
    for candidate, start in candidates:
        gap = abs(start - mine)
        if candidate in claimed or gap > tolerance:
            continue
        if any(abs(start - other) < gap for rid, other in starts.items() if rid != rec_id):
            continue
        found.append(candidate)
    return found


def now() -> float:
    return time.monotonic()


def ticks_of(text: Any) -> int | None:
    """An RFC 3339 date-time (zone-less means UTC, A-11) as ticks, or ``None`` if unreadable."""
    try:
        return Instant.parse(str(text)).ticks
    except ValueError:
        return None


def duration_s(text: str) -> float:
    return parse_iso_duration(text) / TICKS_PER_SECOND


# -- reading the server (the only part that sends requests) ----------------------------------------------


def check_outcome(reply: Reply, outcome: Outcome, check: str) -> None:
    expect.status(reply, outcome.statuses, check=check, why=outcome.why, provenance=outcome.provenance)
    if outcome.reason is not None:
        expect.reason(reply, outcome.reason, check=check, why=outcome.why, provenance=outcome.provenance)


def timed(send: Callable[[], Reply]) -> tuple[Reply, float, float]:
    sent = now()
    reply = send()
    return reply, sent, now()


def live_on_line(
    admin: ApiClient, device: str, dn: str, check: str
) -> tuple[Reply, dict[str, dict[str, Any]]]:
    """The live recordings of one line, keyed by lowercase id: the documented ``deviceName`` and
    ``directoryNumber`` filters together (2.3: combined with AND), so a lab's other recordings and
    lines never enter a check."""
    reply = api.list_active(admin, deviceName=device, directoryNumber=dn)
    expect.status(reply, 200, check=check, why="level 10 lists the line's active recordings")
    body = expect.json_body(reply, check=check)
    items = body if isinstance(body, list) else []
    return reply, {str(i.get("id", "")).lower(): i for i in items if isinstance(i, dict)}


def require_unrecorded(admin: ApiClient, device: str, dn: str) -> None:
    """Set-up: nobody records the line yet (a recording left by someone else makes every start 429)."""
    check = "set-up: a connected line nobody records"
    reply, items = live_on_line(admin, device, dn, check)
    expect.that(
        not items,
        reply,
        check=check,
        title=f"line {device}/{dn} is already being recorded before the check",
        expected="no live recording on the line",
        actual=sorted(items),
    )


def completed_since(admin: ApiClient, dn: str, after: Instant) -> tuple[Reply, list[dict[str, Any]]]:
    """Completed recordings on local number ``dn`` that started after ``after`` (server clock).

    The filters are re-applied here, so a server that ignores one (the AND is A-3) still yields the
    right rows, only more of them."""
    reply = api.list_recordings(admin, {"localPartyNumber": dn, "startTime": "after:" + after.isoformat()})
    body = reply.json_or_none() if reply.status == 200 else None
    items = body.get("recordings") if isinstance(body, dict) else None
    rows = [
        r
        for r in items or []
        if isinstance(r, dict)
        and str(r.get("localPartyNumber", "")) == dn
        and (ticks_of(r.get("startTime")) or 0) > after.ticks
    ]
    return reply, rows


def claim_existing(admin: ApiClient, line: LineModel, server_now: Instant) -> None:
    """Mark the line's recent completed recordings as not ours: on a lab the line carried some before
    (the preflight's probe, other checks), and one of them may have started close to ours."""
    _, rows = completed_since(admin, line.dn, server_now - SNAPSHOT_S * TICKS_PER_SECOND)
    line.claimed.update(str(r.get("id", "")).lower() for r in rows)


def lent_line(admin: ApiClient, owner: User | None, call: Call, server_now: Instant) -> LineModel:
    """The model of a line the scene lent with a connected call: nobody records it yet (checked), its
    far end as set up (``None`` where a lab does not declare it), its recent completed recordings
    claimed as not ours. ``server_now``: the server's clock (``scene.upload_window.server_now()``)."""
    line = call.line
    require_unrecorded(admin, line.device_name, line.directory_number)
    model = LineModel(
        line.device_name,
        line.directory_number,
        owner.username if owner else line.username,
        call_id=call.call_id,
        far=FarEnd.of(call.remote_number, call.remote_first, call.remote_last, call.direction),
    )
    claim_existing(admin, model, server_now)
    return model


@dataclass
class Lookup:
    """One look for the completed form of a stopped live recording (see :func:`look_for_completed`)."""

    reply: Reply
    rows: dict[str, dict[str, Any]]
    """The line's completed recordings since a little before the live start, by lowercase id."""
    found: list[str]
    """The ids that are the completed form of the recording (more than one: listed twice)."""
    listed: dict[str, int]
    """How often each id appears in the answer (a recording listed twice under one id is a fault)."""


def look_for_completed(admin: ApiClient, line: LineModel, rec: LiveRec, check: str) -> Lookup:
    """One look for the completed form of ``rec`` (stopped): the line's number and ``startTime=after:``
    a little before the live ``startedAt``, matched on ``startTime`` = ``startedAt``
    (:func:`match_completed`). Non-blocking, so a check that runs several recordings at once can
    poll for each between its other steps; :func:`completed_of` polls it for the A-7 hand-over time."""
    started = ticks_of(rec.started_at)
    expect.that(
        started is not None,
        None,
        check=check,
        title=f"live recording {rec.rec_id} was never listed with a readable startedAt",
        expected="a startedAt to find its completed recording by",
        actual=rec.started_at,
        operation="listActiveRecordings",
        provenance="A-7",
    )
    assert started is not None
    line.starts.setdefault(rec.rec_id, started)
    after = Instant(started - LOOKBACK_S * TICKS_PER_SECOND)
    tolerance = int(TICK_TOLERANCE_S * TICKS_PER_SECOND)
    reply, rows = completed_since(admin, line.dn, after)
    listed: dict[str, int] = {}
    for row in rows:
        rid = str(row.get("id", "")).lower()
        listed[rid] = listed.get(rid, 0) + 1
    by_id = {str(r.get("id", "")).lower(): r for r in rows}
    pairs = [(rid, ticks_of(r.get("startTime")) or 0) for rid, r in by_id.items()]
    found = match_completed(pairs, rec.rec_id, line.starts, line.claimed, tolerance)
    return Lookup(reply, by_id, found, listed)


def judge_lookup(lookup: Lookup, line: LineModel, rec: LiveRec, check: str) -> dict[str, Any]:
    """The completed recording a final :class:`Lookup` found (claimed from now on), or the A-7 failure:
    nothing listed in time, nothing matched, or the recording listed twice."""
    found = lookup.found
    twice = [rid for rid in found if lookup.listed.get(rid, 0) > 1]
    expect.that(
        len(found) == 1 and not twice,
        lookup.reply,
        check=check,
        title=(
            f"recording {rec.rec_id} on {line.dn} is listed {max(len(found), 2)} times as completed"
            if found
            else f"stopped recording {rec.rec_id} is not listed on {line.dn} within {HANDOVER_S:g}s "
            "with startTime = its startedAt"
        ),
        expected=f"one completed recording with localPartyNumber {line.dn} and startTime {rec.started_at}",
        actual=[(rid, r.get("startTime")) for rid, r in lookup.rows.items() if rid not in line.claimed]
        or "none",
        provenance="A-7",
    )
    line.claimed.add(found[0])
    return lookup.rows[found[0]]


def completed_of(admin: ApiClient, line: LineModel, rec: LiveRec, check: str) -> tuple[Reply, dict[str, Any]]:
    """A-7: the completed form of ``rec`` (stopped), polled for up to the hand-over time.

    Looked up by the line's number and ``startTime=after:`` a little before the live ``startedAt``,
    then matched on ``startTime`` = ``startedAt`` (:func:`match_completed`); claimed once found. A
    failure says whether nothing was listed, nothing matched, or the recording was listed twice.
    """
    deadline = now() + HANDOVER_S + HANDOVER_SLACK_S
    while True:
        lookup = look_for_completed(admin, line, rec, check)
        if lookup.found or now() > deadline:
            break
        time.sleep(0.1)
    return lookup.reply, judge_lookup(lookup, line, rec, check)


def check_remote_party(reply: Reply, item: dict[str, Any], far: FarEnd, check: str) -> None:
    """Section 3: a LiveRecording's ``remoteParty`` is the far end of the recorded call: the phone
    number and names the call was placed with (an absent or null name counts as empty), or, where a
    lab does not declare them, what the server said the first time.

    Why field by field: a server that swaps firstName and lastName, or fills in the local party,
    still has a schema-valid object, so only a comparison with the call's set-up can tell.
    """
    remote = item.get("remoteParty")
    got = remote if isinstance(remote, dict) else {}
    want = far.want_remote(got)
    seen = {name: got.get(name) or "" for name in want}
    expect.that(
        seen == want,
        reply,
        check=check,
        title=f"remoteParty of {item.get('id')} is not the recorded call's far end",
        expected=f"{want}{far.basis(*REMOTE_FIELDS)}",
        actual=remote,
    )
