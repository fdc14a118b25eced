"""Live recordings behave as a small state machine (reference 2.3, A-7, A-8, A-15..A-18).

Invariant: for any sequence of start (with a body by device, DN or both; with no body as the line's
own user), pause/resume (by id and by line), stop (by id, by line, ``/Mine``), hang-up and waiting,
every status is the one the model in ``contract/live_model.py`` predicts (201/204/400/409/429), and
after every step the live list holds exactly the model's recordings with the right ``isPaused``, the
call's far end as ``remoteParty``, and a ``duration`` within the client-clock bounds of the recorded
time (A-8: it does not grow while paused); ``/Mine`` agrees on ids, ``isPaused`` and ``remoteParty``.
A stopped or hung-up recording leaves the live list at once and is listed as a completed recording
within 2 seconds with the line's owner, the start time, the call's parties and direction (A-7).

Targeted checks cover what random walks over one device per line never reach: a call on an
automatic-recording or unmonitorable device (A-18), two devices sharing one directory number (by-DN
pause/resume acts on every recording of the line, by-id pause/resume/stop on that recording only), a
start naming a device and a DN of two different calls (the call must match both), and pauses long
enough that a duration counting wall-clock time, or restarting at each resume, cannot hide inside the
rounding tolerance (A-8).

Needs the emulator control plane (calls are placed and hung up by the test); on a real server the
live checks that need no set-up are in ``test_races.py`` and ``test_auth_matrix.py``.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from typing import Any, ClassVar

import pytest
from hypothesis import note, settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, consumes, initialize, invariant, rule

from contract import api, expect
from contract.client import ApiClient, Reply
from contract.live_model import TICK_TOLERANCE_S, LineModel, LiveModel, LiveRec, Outcome, RecordedTime, now
from contract.provenance import RUN
from contract.scene import Line, Scene, User
from strategies.durations import parse_iso_duration
from strategies.rhs_colon import TICKS_PER_SECOND, Instant

N_LINES = 3
HANDOVER_S = 2.0
HANDOVER_SLACK_S = 0.5


def completed_of(admin: ApiClient, username: str, count: int = 1) -> tuple[Reply, list[dict[str, Any]]]:
    """The owner's completed recordings, polled until ``count`` are listed or the A-7 hand-over time
    (plus slack) has passed."""
    deadline = now() + HANDOVER_S + HANDOVER_SLACK_S
    while True:
        reply = api.list_recordings(admin, {"ownerUsername": username})
        items = reply.json().get("recordings", []) if reply.status == 200 else []
        if len(items) >= count or now() > deadline:
            return reply, items
        time.sleep(0.1)


def check_outcome(reply: Reply, outcome: Outcome, check: str) -> None:
    expect.status(reply, outcome.statuses, check=check, why=outcome.why, provenance=outcome.provenance)
    if outcome.reason is not None:
        expect.reason(reply, outcome.reason, check=check, why=outcome.why, provenance=outcome.provenance)


def timed(send: Callable[[], Reply]) -> tuple[Reply, float, float]:
    sent = now()
    reply = send()
    return reply, sent, now()


def duration_s(text: str) -> float:
    return parse_iso_duration(text) / TICKS_PER_SECOND


def check_remote_party(reply: Reply, item: dict[str, Any], line: LineModel, check: str) -> None:
    """Section 3: a LiveRecording's ``remoteParty`` is the far end of the recorded call, i.e. the
    phone number and names the call was placed with (an absent or null name counts as empty).

    Why field by field: a server that swaps firstName and lastName, or fills in the local party,
    still has a schema-valid object, so only a comparison with the call's set-up can tell.
    """
    remote = item.get("remoteParty")
    got = remote if isinstance(remote, dict) else {}
    want = {"phoneNumber": line.remote, "firstName": line.remote_first, "lastName": line.remote_last}
    seen = {name: got.get(name) or "" for name in want}
    expect.that(
        seen == want,
        reply,
        check=check,
        title=f"remoteParty of {item.get('id')} is not the recorded call's far end",
        expected=want,
        actual=remote,
    )


class LiveMachine(RuleBasedStateMachine):
    """One rule per operation; the model decides each status; an invariant compares the live list."""

    scene: ClassVar[Scene]
    admin: ClassVar[ApiClient]
    recordings = Bundle("recordings")

    def __init__(self) -> None:
        super().__init__()
        self.model = LiveModel([])
        self.users: list[User] = []

    @initialize()
    def set_the_scene(self) -> None:
        self.users = [self.scene.new_user(1, stem="live") for _ in range(N_LINES)]
        self.model = LiveModel(
            [LineModel(u.device_name or "", u.extension or "", u.username) for u in self.users]
        )
        for i in range(N_LINES):
            self._connect(i)

    def teardown(self) -> None:
        for line in self.model.lines:
            if line.call_id is not None:
                self.scene.control.hang_up(line.call_id)  # type: ignore[union-attr]

    # -- helpers -----------------------------------------------------------------------------------

    def _owner(self, i: int) -> ApiClient:
        return self.scene.client_for(self.users[i])

    def _connect(self, i: int) -> None:
        user = self.users[i]
        assert user.line is not None
        call = self.scene.connect(user.line, direction=1 + i % 2)
        line = self.model.lines[i]
        line.call_id, line.direction, line.remote = call.call_id, call.direction, call.remote_number
        line.remote_first, line.remote_last = call.remote_first, call.remote_last

    def _started(self, i: int, reply: Reply, sent: float, received: float) -> str:
        rec_id = str(reply.json().get("id", "")).lower()
        self.model.started(i, rec_id, sent, received)
        return rec_id

    def _handover(self, rec: LiveRec, check: str) -> None:
        """A-7: the completed recording shows up within 2 s with owner, start, parties, direction."""
        line = self.model.lines[rec.line]
        reply, items = completed_of(self.admin, line.owner, count=line.completed)
        expect.that(
            len(items) == line.completed,
            reply,
            check=check,
            title=f"stopped recordings of {line.owner} are not all listed within {HANDOVER_S:g}s",
            expected=f"{line.completed} completed recordings",
            actual=f"{len(items)}",
            provenance="A-7",
        )
        newest = items[0]
        lower, upper = rec.time.lower, rec.time.upper
        got = duration_s(str(newest.get("duration", "PT0S")))
        fields = {
            "localPartyNumber": (newest.get("localPartyNumber") == line.dn, line.dn),
            "remotePartyNumber": (newest.get("remotePartyNumber") == line.remote, line.remote),
            "direction": (newest.get("direction") == line.direction, line.direction),
            "duration": (
                lower - TICK_TOLERANCE_S <= got <= upper + TICK_TOLERANCE_S,
                f"{lower:.2f}..{upper:.2f}s",
            ),
        }
        if rec.started_at is not None:
            gap = abs(Instant.parse(str(newest.get("startTime"))).ticks - Instant.parse(rec.started_at).ticks)
            fields["startTime"] = (gap <= TICK_TOLERANCE_S * TICKS_PER_SECOND, rec.started_at)
        for name, (ok, want) in fields.items():
            expect.that(
                ok,
                reply,
                check=check,
                title=f"the completed recording's {name} is not the call's",
                expected=want,
                actual=newest.get(name),
                provenance="A-7,A-8" if name == "duration" else "A-7",
            )

    # -- rules -------------------------------------------------------------------------------------

    @rule(
        target=recordings,
        i=st.integers(0, N_LINES - 1),
        how=st.sampled_from(["device", "dn", "both"]),
        mode=st.sampled_from([None, 0, 1]),
        as_owner=st.booleans(),
    )
    def start_with_body(self, i: int, how: str, mode: int | None, as_owner: bool) -> Any:
        line = self.model.lines[i]
        body: dict[str, Any] = {}
        if how in ("device", "both"):
            body["deviceName"] = line.device
        if how in ("dn", "both"):
            body["directoryNumber"] = line.dn
        if mode is not None:
            body["mode"] = mode
        client = self._owner(i) if as_owner else self.admin
        outcome = self.model.start(i)
        if as_owner:
            outcome = Outcome(
                outcome.statuses,
                outcome.reason,
                "A-15" if outcome.provenance == "documented" else outcome.provenance + ",A-15",
                outcome.why + " (own line, level 1)",
            )
        reply, sent, received = timed(lambda: api.start(client, body))
        note(f"start {body} as {'owner' if as_owner else 'level 10'} -> {reply.status}")
        check_outcome(reply, outcome, "start by line")
        if reply.status == 201:
            return self._started(i, reply, sent, received)
        return str(uuid.uuid4())

    @rule(target=recordings, i=st.integers(0, N_LINES - 1))
    def start_own_line_no_body(self, i: int) -> Any:
        outcome = self.model.start(i)
        outcome = Outcome(outcome.statuses, outcome.reason, "A-15,A-16", outcome.why + " (no body: own line)")
        reply, sent, received = timed(lambda: api.start(self._owner(i)))
        check_outcome(reply, outcome, "start with no body")
        if reply.status == 201:
            return self._started(i, reply, sent, received)
        return str(uuid.uuid4())

    @rule(body=st.sampled_from([{}, {"mode": 1}, {"deviceName": ""}]))
    def start_naming_no_line(self, body: dict[str, Any]) -> None:
        reply = api.start(self.admin, body)
        check_outcome(
            reply,
            Outcome.of(400, f"body {body} names no line", reason=0, provenance="A-16"),
            "start naming no line",
        )

    @rule()
    def start_unknown_line(self) -> None:
        unknown = f"SEPRQ{uuid.uuid4().hex[:10].upper()}"
        reply = api.start(self.admin, {"deviceName": unknown})
        check_outcome(
            reply,
            Outcome.of(400, "the line does not exist", reason=1, provenance="A-16"),
            "start on an unknown line",
        )
        body = reply.json_or_none()
        expect.that(
            isinstance(body, dict) and "deviceName" in body,
            reply,
            check="start on an unknown line",
            title="400 reason 1 without deviceName",
            expected="a deviceName field",
            actual=body,
        )

    @rule(i=st.integers(0, N_LINES - 1), mode=st.sampled_from([2, 7, -1, "0"]))
    def start_invalid_mode(self, i: int, mode: Any) -> None:
        line = self.model.lines[i]
        if not self.model.only_mode_error_applies(i):
            return
        reply = api.start(self.admin, {"deviceName": line.device, "mode": mode})
        check_outcome(
            reply, Outcome.of(400, f"mode {mode!r} is not 0 or 1", reason=2), "start with invalid mode"
        )

    @rule(rec=recordings)
    def pause_by_id(self, rec: str) -> None:
        outcome = self.model.pause(rec)
        reply, sent, received = timed(lambda: api.pause(self.admin, rec))
        check_outcome(reply, outcome, "pause by id")
        if reply.status == 204:
            self.model.paused(rec, sent, received)

    @rule(rec=recordings)
    def resume_by_id(self, rec: str) -> None:
        outcome = self.model.resume(rec)
        reply, sent, received = timed(lambda: api.resume(self.admin, rec))
        check_outcome(reply, outcome, "resume by id")
        if reply.status == 204:
            self.model.resumed(rec, sent, received)

    @rule(rec=consumes(recordings))
    def stop_by_id(self, rec: str) -> None:
        outcome = self.model.stop(rec)
        reply, sent, received = timed(lambda: api.stop(self.admin, rec))
        check_outcome(reply, outcome, "stop by id")
        if reply.status == 204:
            self._handover(self.model.stopped_rec(rec, sent, received), "stop hands over")

    @rule(i=st.integers(0, N_LINES - 1), as_owner=st.booleans(), pause=st.booleans())
    def pause_or_resume_by_line(self, i: int, as_owner: bool, pause: bool) -> None:
        line = self.model.lines[i]
        outcome = self.model.on_line(i, "pause" if pause else "resume")
        provenance = "A-17" if outcome.statuses == {409} else outcome.provenance
        if as_owner:
            provenance += ",A-15"
        outcome = Outcome(outcome.statuses, outcome.reason, provenance, outcome.why + " (by DN)")
        client = self._owner(i) if as_owner else self.admin
        send = api.pause_by_line if pause else api.resume_by_line
        reply, sent, received = timed(lambda: send(client, line.dn))
        check_outcome(reply, outcome, "pause/resume by line")
        if reply.status == 204 and line.rec is not None:
            (self.model.paused if pause else self.model.resumed)(line.rec.rec_id, sent, received)

    @rule(i=st.integers(0, N_LINES - 1), how=st.sampled_from(["line", "mine"]))
    def stop_by_line_or_mine(self, i: int, how: str) -> None:
        line = self.model.lines[i]
        outcome = self.model.on_line(i, "stop")
        if how == "mine":
            outcome = Outcome(outcome.statuses, outcome.reason, "A-15", outcome.why + " (/Mine, level 1)")
            reply, sent, received = timed(lambda: api.stop_mine(self._owner(i)))
        else:
            reply, sent, received = timed(lambda: api.stop_by_line(self.admin, line.device, line.dn))
        check_outcome(reply, outcome, f"stop by {how}")
        if reply.status == 204 and line.rec is not None:
            self._handover(self.model.stopped_rec(line.rec.rec_id, sent, received), "stop hands over")

    @rule(i=st.integers(0, N_LINES - 1))
    def hang_up(self, i: int) -> None:
        line = self.model.lines[i]
        if line.call_id is None:
            self._connect(i)
            return
        sent = now()
        self.scene.control.hang_up(line.call_id)  # type: ignore[union-attr]
        rec = self.model.hung_up(i, sent, now())
        if rec is not None:
            self._handover(rec, "hang-up hands over")

    @rule(seconds=st.sampled_from([0.4, 0.9]))
    def wait(self, seconds: float) -> None:
        time.sleep(seconds)

    @rule(i=st.integers(0, N_LINES - 1))
    def list_mine(self, i: int) -> None:
        reply = api.list_mine(self._owner(i))
        expect.status(
            reply, 200, check="/Mine", why="a level-1 user lists its own live recordings", provenance="A-15"
        )
        mine = {str(r.get("id", "")).lower() for r in reply.json()}
        rec = self.model.lines[i].rec
        want = {rec.rec_id} if rec else set()
        expect.that(
            mine == want,
            reply,
            check="/Mine shows only the caller's own",
            title="/Mine does not list exactly the caller's live recordings",
            expected=sorted(want),
            actual=sorted(mine),
        )
        for item in reply.json():
            if rec is not None and str(item.get("id", "")).lower() == rec.rec_id:
                expect.that(
                    item.get("isPaused") is rec.paused,
                    reply,
                    check="/Mine isPaused",
                    title=f"/Mine reports isPaused {item.get('isPaused')!r} for {rec.rec_id}",
                    expected=rec.paused,
                    actual=item.get("isPaused"),
                )
                check_remote_party(reply, item, self.model.lines[i], "/Mine remote party")

    # -- the invariant -------------------------------------------------------------------------------

    @invariant()
    def live_list_agrees(self) -> None:
        if not self.model.lines:
            return
        owners = {line.owner.lower() for line in self.model.lines}
        reply, sent, received = timed(lambda: api.list_active(self.admin))
        expect.status(reply, 200, check="live list", why="level 10 lists active recordings")
        ours = {
            str(r.get("id", "")).lower(): r
            for r in reply.json()
            if str((r.get("localParty") or {}).get("username", "")).lower() in owners
        }
        live = self.model.live()
        expect.that(
            set(ours) == set(live),
            reply,
            check="live list",
            title="the live list is not the model's",
            expected=sorted(live),
            actual=sorted(ours),
        )
        for rec_id, item in ours.items():
            rec = live[rec_id]
            rec.started_at = rec.started_at or item.get("startedAt")
            check_remote_party(reply, item, self.model.lines[rec.line], "live list remote party")
            expect.that(
                item.get("isPaused") is rec.paused,
                reply,
                check="live list isPaused",
                title=f"isPaused of {rec_id} is wrong",
                expected=rec.paused,
                actual=item.get("isPaused"),
            )
            lower, upper = rec.time.bounds(sent, received)
            got = duration_s(str(item.get("duration", "PT0S")))
            expect.that(
                lower - TICK_TOLERANCE_S <= got <= upper + TICK_TOLERANCE_S,
                reply,
                check="duration counts recorded time only",
                title=f"duration of {rec_id} is outside the recorded-time bounds",
                expected=f"{lower:.2f}s..{upper:.2f}s (±{TICK_TOLERANCE_S:g}s)",
                actual=item.get("duration"),
                provenance="A-8",
            )


@pytest.mark.recqual(
    family="live-state",
    operation=[
        "startRecording",
        "pauseRecording",
        "resumeRecording",
        "stopRecording",
        "stopRecordingByLine",
        "stopMyRecording",
        "pauseRecordingsByLine",
        "resumeRecordingsByLine",
        "listActiveRecordings",
        "listMyActiveRecordings",
    ],
    check="live state machine",
    needs=("emulator",),
)
def test_live_state_machine(scene: Scene, admin: ApiClient) -> None:
    from hypothesis.stateful import run_state_machine_as_test

    LiveMachine.scene, LiveMachine.admin = scene, admin
    run_state_machine_as_test(
        LiveMachine,
        settings=settings(
            max_examples=RUN.examples(full=40, quick=10), stateful_step_count=RUN.examples(25, 15)
        ),
    )


BEFORE_PAUSE_S = 2.0
"""Recorded before the pause: longer than the rounding allowance, so a duration that restarts at the
resume (forgetting this first stretch) falls outside the recorded-time bounds."""


def mine_is_paused(owner: ApiClient, rec: str, paused: bool) -> None:
    """The owner's ``/Mine`` lists ``rec`` with ``isPaused`` ``paused`` (section 3, 2.3).

    Why here: the state machine reads ``/Mine`` only when its random walk picks that rule, so a
    ``/Mine`` that reports every recording as running could slip through; this check always looks
    at a paused and then a resumed recording.
    """
    reply = api.list_mine(owner)
    expect.status(reply, 200, check="/Mine isPaused", why="a level-1 user lists its own", provenance="A-15")
    body = expect.json_body(reply, check="/Mine isPaused")
    item = next(
        (i for i in body if isinstance(i, dict) and str(i.get("id", "")).lower() == rec.lower()), None
    )
    expect.that(
        item is not None and item.get("isPaused") is paused,
        reply,
        check="/Mine isPaused",
        title=f"/Mine does not list the caller's {'paused' if paused else 'running'} recording as such",
        expected=f"{rec} with isPaused {paused}",
        actual=item if item is not None else "absent",
    )


@pytest.mark.recqual(
    family="live-state",
    operation=["pauseRecording", "resumeRecording", "listActiveRecordings", "listMyActiveRecordings"],
    check="duration frozen while paused",
    provenance="A-8",
    needs=("emulator",),
)
def test_duration_frozen_while_paused(scene: Scene, admin: ApiClient) -> None:
    """Two reads 2.5 s apart while paused are equal (± one tick); the clock runs again after resume,
    and then counts everything recorded, the stretch before the pause included (A-8): read against
    client-clock bounds, not just "it grew". ``/Mine`` agrees on isPaused throughout."""
    user = scene.new_user(1, stem="freeze")
    assert user.line is not None
    scene.connect(user.line)
    device = user.line.device_name
    owner = scene.client_for(user)
    recorded = RecordedTime()
    reply, sent, received = timed(lambda: api.start(admin, {"deviceName": device}))
    expect.status(reply, 201, check="set-up: start", why="a connected, unrecorded line")
    recorded.run(sent, received)
    rec = str(reply.json()["id"])
    time.sleep(BEFORE_PAUSE_S)
    reply, sent, received = timed(lambda: api.pause(admin, rec))
    expect.status(reply, 204, check="set-up: pause", why="a running recording")
    recorded.halt(sent, received)

    def duration() -> tuple[float, Reply, float, float]:
        listing, sent, received = timed(lambda: api.list_active(admin, deviceName=device))
        item = next(r for r in listing.json() if str(r["id"]).lower() == rec.lower())
        return duration_s(item["duration"]), listing, sent, received

    first, *_ = duration()
    mine_is_paused(owner, rec, True)
    time.sleep(2.5)
    second, listing, *_ = duration()
    expect.that(
        abs(second - first) <= TICK_TOLERANCE_S - 0.01 or second == first,
        listing,
        check="duration frozen while paused",
        title="duration grew while the recording was paused",
        expected=f"{first:g}s (frozen)",
        actual=f"{second:g}s",
        provenance="A-8",
    )
    reply, sent, received = timed(lambda: api.resume(admin, rec))
    expect.status(reply, 204, check="set-up: resume", why="a paused recording")
    recorded.run(sent, received)
    time.sleep(2.2)
    third, listing, sent, received = duration()
    expect.that(
        third >= second + 1.0,
        listing,
        check="duration runs after resume",
        title="duration does not grow after resume",
        expected=f">= {second + 1:g}s",
        actual=f"{third:g}s",
        provenance="A-8",
    )
    lower, upper = recorded.bounds(sent, received)
    expect.that(
        lower - TICK_TOLERANCE_S <= third <= upper + TICK_TOLERANCE_S,
        listing,
        check="duration counts recorded time only",
        title="after a resume, duration is not the whole recorded time (before and after the pause)",
        expected=f"{lower:.2f}s..{upper:.2f}s (±{TICK_TOLERANCE_S:g}s)",
        actual=f"{third:g}s",
        provenance="A-8",
    )
    mine_is_paused(owner, rec, False)


def live_of(admin: ApiClient, username: str, check: str) -> tuple[Reply, dict[str, dict[str, Any]]]:
    """The live recordings owned by ``username`` (by ``localParty.username``), keyed by lowercase id.

    Reads the unfiltered list on purpose: these checks judge start/stop/pause, not the list's filters.
    """
    reply = api.list_active(admin)
    expect.status(reply, 200, check=check, why="level 10 lists active recordings")
    body = expect.json_body(reply, check=check)
    items = body if isinstance(body, list) else []
    ours = {
        str(item.get("id", "")).lower(): item
        for item in items
        if isinstance(item, dict)
        and str((item.get("localParty") or {}).get("username", "")).lower() == username.lower()
    }
    return reply, ours


CHECK_AUTO = "automatic-recording device"


@pytest.mark.recqual(
    family="live-state",
    operation=["startRecording", "stopRecording", "listActiveRecordings"],
    check=CHECK_AUTO,
    provenance="A-18",
    needs=("emulator",),
)
def test_auto_record_device(scene: Scene, admin: ApiClient) -> None:
    """A-18: a call on an automatic-recording device is recorded from the moment it connects, owned by
    the line's user; a manual start on it is 400 reason 4 (not 429 "already recorded": the device
    setting decides, not the existing recording) and stopping it by id is 400 reason 2.

    The state machine never places such a call, so without this check both answers go unjudged.
    """
    user = scene.new_user(1, stem="auto")
    line = user.line
    assert line is not None
    scene.connect(line, auto_record=True)
    reply, ours = live_of(admin, user.username, CHECK_AUTO)
    expect.that(
        len(ours) == 1,
        reply,
        check=CHECK_AUTO,
        title="a call on an automatic-recording device is not recorded at once by the line's user",
        expected=f"one live recording owned by {user.username}",
        actual=f"{len(ours)}: {sorted(ours)}",
        provenance="A-18",
    )
    rec_id = next(iter(ours))
    bodies: list[dict[str, Any]] = [
        {"deviceName": line.device_name},
        {"directoryNumber": line.directory_number},
        {"deviceName": line.device_name, "directoryNumber": line.directory_number},
    ]
    for body in bodies:
        check_outcome(
            api.start(admin, body),
            Outcome.of(
                400,
                f"start {body}: the device is configured for automatic recording",
                reason=4,
                provenance="A-18",
            ),
            CHECK_AUTO,
        )
    check_outcome(
        api.stop(admin, rec_id),
        Outcome.of(400, "stop by id of an automatic recording", reason=2, provenance="A-18"),
        CHECK_AUTO,
    )
    reply, after = live_of(admin, user.username, CHECK_AUTO)
    expect.that(
        set(after) == {rec_id},
        reply,
        check=CHECK_AUTO,
        title="a refused start or stop changed the automatic recording",
        expected=[rec_id],
        actual=sorted(after),
        provenance="A-18",
    )


CHECK_UNMONITORABLE = "unmonitorable line"


@pytest.mark.recqual(
    family="live-state",
    operation=["startRecording", "listActiveRecordings"],
    check=CHECK_UNMONITORABLE,
    provenance="A-18",
    needs=("emulator",),
)
def test_unmonitorable_line(scene: Scene, admin: ApiClient) -> None:
    """Start on a call placed with ``monitorable: false`` (A-18) is 400 reason 1 and the body carries
    ``deviceName`` (documented for reason 1); nothing gets recorded. No other check places such a call.
    """
    user = scene.new_user(1, stem="nomon")
    line = user.line
    assert line is not None
    scene.connect(line, monitorable=False)
    for body in ({"deviceName": line.device_name}, {"directoryNumber": line.directory_number}):
        reply = api.start(admin, body)
        check_outcome(
            reply,
            Outcome.of(400, f"start {body}: the line is not monitorable", reason=1, provenance="A-18"),
            CHECK_UNMONITORABLE,
        )
        error = reply.json_or_none()
        expect.that(
            isinstance(error, dict) and "deviceName" in error,
            reply,
            check=CHECK_UNMONITORABLE,
            title="400 reason 1 (not monitorable) without deviceName",
            expected="a deviceName field",
            actual=error,
            provenance="A-18",
        )
    reply, ours = live_of(admin, user.username, CHECK_UNMONITORABLE)
    expect.that(
        not ours,
        reply,
        check=CHECK_UNMONITORABLE,
        title="a refused start on an unmonitorable line left a live recording",
        expected="none",
        actual=sorted(ours),
        provenance="A-18",
    )


CHECK_BY_DN = "by DN: every recording of the line"


def shared_line(scene: Scene, admin: ApiClient) -> tuple[User, str, list[str]]:
    """A user whose DN is shared by two devices, each with a connected call recorded by level 10;
    returns the user, the DN and the two recording ids (lowercase)."""
    user = scene.new_user(1, stem="shared")
    first = user.line
    assert first is not None
    dn = first.directory_number
    second = Line(f"SEP{scene.number()}", dn, user.username)
    ids: list[str] = []
    for line in (first, second):
        scene.connect(line)
        body = {"deviceName": line.device_name, "directoryNumber": dn}
        reply = api.start(admin, body)
        expect.status(reply, 201, check="set-up: start", why=f"{body}: a connected, unrecorded call")
        ids.append(str(reply.json()["id"]).lower())
    return user, dn, ids


@pytest.mark.recqual(
    family="live-state",
    operation=["startRecording", "pauseRecordingsByLine", "resumeRecordingsByLine", "listActiveRecordings"],
    check=CHECK_BY_DN,
    needs=("emulator",),
)
def test_by_line_acts_on_every_recording(scene: Scene, admin: ApiClient) -> None:
    """Reference 2.3: pause/resume by DN act on every recording of the line (Pause 429: already
    paused; Resume 429: not paused). The state machine has one device per DN, so "every" is never more
    than one there; here two devices share the user's DN and both are recorded.
    """
    user, dn, ids = shared_line(scene, admin)
    steps = (
        (api.pause_by_line, "pause", 204, True, "two running recordings on the line"),
        (api.pause_by_line, "pause", 429, True, "every recording of the line is already paused"),
        (api.resume_by_line, "resume", 204, False, "two paused recordings on the line"),
        (api.resume_by_line, "resume", 429, False, "no recording of the line is paused"),
    )
    for send, verb, status, paused, why in steps:
        sent = send(admin, dn)
        expect.status(sent, status, check=CHECK_BY_DN, why=f"{verb} by DN {dn}: {why}")
        reply, ours = live_of(admin, user.username, CHECK_BY_DN)
        states = {rid: (ours.get(rid) or {}).get("isPaused", "absent") for rid in ids}
        expect.that(
            all(state is paused for state in states.values()),
            reply,
            check=CHECK_BY_DN,
            title=f"after {verb} by DN {dn}, not every recording of the line has isPaused {paused}",
            expected={rid: paused for rid in ids},
            actual=states,
            notes=[f"the {verb} by DN answered {sent.status}: {sent.curl}"],
        )


CHECK_BY_ID = "by id: only that recording"


@pytest.mark.recqual(
    family="live-state",
    operation=[
        "startRecording",
        "pauseRecording",
        "resumeRecording",
        "stopRecording",
        "listActiveRecordings",
    ],
    check=CHECK_BY_ID,
    needs=("emulator",),
)
def test_by_id_acts_on_that_recording_only(scene: Scene, admin: ApiClient) -> None:
    """Reference 2.3: pause, resume and stop by id act on the recording named; only the by-DN forms
    act on every recording of the line. With one device per DN (the state machine) a server that
    resolves the id to its line and runs the by-line code cannot be told apart; here two devices
    share the DN, so the sibling recording must keep its state at every step.
    """
    user, dn, (rec, sibling) = shared_line(scene, admin)
    steps: tuple[tuple[Any, str, dict[str, Any]], ...] = (
        (api.pause, "pause", {rec: True, sibling: False}),
        (api.resume, "resume", {rec: False, sibling: False}),
        (api.stop, "stop", {sibling: False}),
    )
    for send, verb, want in steps:
        sent = send(admin, rec)
        expect.status(sent, 204, check=CHECK_BY_ID, why=f"{verb} by id of a live recording on DN {dn}")
        reply, ours = live_of(admin, user.username, CHECK_BY_ID)
        states = {rid: (ours.get(rid) or {}).get("isPaused", "absent") for rid in (rec, sibling)}
        expect.that(
            states == {rid: want.get(rid, "absent") for rid in (rec, sibling)},
            reply,
            check=CHECK_BY_ID,
            title=f"{verb} by id of {rec} changed another recording of DN {dn}"
            if states[sibling] != want[sibling]
            else f"{verb} by id of {rec} did not take effect",
            expected={rid: want.get(rid, "absent") for rid in (rec, sibling)},
            actual=states,
            notes=[f"the {verb} by id answered {sent.status}: {sent.curl}"],
        )


CHECK_BOTH_NAMES = "start naming both: the call must match both"


@pytest.mark.recqual(
    family="live-state",
    operation=["startRecording", "listActiveRecordings"],
    check=CHECK_BOTH_NAMES,
    needs=("emulator",),
)
def test_start_names_must_match(scene: Scene, admin: ApiClient) -> None:
    """Reference 2.3 [doc]: if both deviceName and directoryNumber are given, the call must match
    both. Two users each have a connected call; a start naming one's device and the other's DN
    matches no call, so nothing may be recorded: the documented refusals are 400 (line unknown) or
    409 (no connected call); A-16 makes it 400 reason 1 (that pair is not a line), with deviceName.

    Every other start names a matching pair, so a server looking the call up by device alone (and
    ignoring the DN) passes them all.
    """
    users = [scene.new_user(1, stem="pair") for _ in range(2)]
    for user in users:
        assert user.line is not None
        scene.connect(user.line)
    a, b = (u.line for u in users)
    assert a is not None and b is not None
    for body in (
        {"deviceName": a.device_name, "directoryNumber": b.directory_number},
        {"deviceName": b.device_name, "directoryNumber": a.directory_number},
    ):
        reply = api.start(admin, body)
        expect.status(
            reply,
            (400, 409),
            check=CHECK_BOTH_NAMES,
            why=f"start {body}: the device and the DN belong to two different calls",
        )
        check_outcome(
            reply,
            Outcome.of(400, f"start {body}: that device+DN pair is not a line", reason=1, provenance="A-16"),
            CHECK_BOTH_NAMES,
        )
    for user in users:
        reply, ours = live_of(admin, user.username, CHECK_BOTH_NAMES)
        expect.that(
            not ours,
            reply,
            check=CHECK_BOTH_NAMES,
            title=f"a start whose names matched no call recorded {user.username}'s call",
            expected="no live recording",
            actual=sorted(ours),
        )


RECORDED_S = 1.2
PAUSED_S = 3.0
CHECK_COMPLETED_DURATION = "completed duration excludes paused time"


@pytest.mark.recqual(
    family="live-state",
    operation=["startRecording", "pauseRecording", "stopRecording", "listRecordings", "getRecording"],
    check=CHECK_COMPLETED_DURATION,
    provenance="A-8",
    needs=("emulator",),
)
def test_completed_duration_excludes_paused_time(scene: Scene, admin: ApiClient) -> None:
    """A-8: the completed recording's duration is the recorded time. Record ~1.2 s, pause 3 s, stop:
    the duration must lie within the client-clock bounds of the recorded time (± the one-second
    rounding allowance), which stay well under the 4.2 s a wall-clock duration would show. The state
    machine's pauses (0.4/0.9 s) fit inside that allowance, so it cannot tell the two apart.
    """
    user = scene.new_user(1, stem="paused")
    line = user.line
    assert line is not None
    scene.connect(line)
    recorded = RecordedTime()
    reply, sent, received = timed(lambda: api.start(admin, {"deviceName": line.device_name}))
    expect.status(reply, 201, check="set-up: start", why="a connected, unrecorded line")
    recorded.run(sent, received)
    rec = str(reply.json()["id"])
    time.sleep(RECORDED_S)
    reply, sent, received = timed(lambda: api.pause(admin, rec))
    expect.status(reply, 204, check="set-up: pause", why="a running recording")
    recorded.halt(sent, received)
    time.sleep(PAUSED_S)
    expect.status(api.stop(admin, rec), 204, check="set-up: stop", why="a paused live recording")
    listing, items = completed_of(admin, user.username)
    expect.that(
        len(items) == 1,
        listing,
        check=CHECK_COMPLETED_DURATION,
        title=f"the stopped recording of {user.username} is not listed within {HANDOVER_S:g}s",
        expected="1 completed recording",
        actual=len(items),
        provenance="A-7",
    )
    low = max(0.0, recorded.lower - TICK_TOLERANCE_S)
    high = recorded.upper + TICK_TOLERANCE_S
    detail = api.get_recording(admin, str(items[0].get("id", "")))
    expect.status(detail, 200, check=CHECK_COMPLETED_DURATION, why="the completed recording was just listed")
    detail_body = expect.json_body(detail, check=CHECK_COMPLETED_DURATION)
    for reply, value in ((listing, items[0].get("duration")), (detail, detail_body.get("duration"))):
        got = duration_s(str(value or "PT0S"))
        expect.that(
            low <= got <= high,
            reply,
            check=CHECK_COMPLETED_DURATION,
            title=(
                f"the completed duration counts the {PAUSED_S:g}s of pause"
                if got > high
                else "the completed duration is shorter than the recorded time"
            ),
            expected=(
                f"{low:.2f}..{high:.2f}s (recorded {recorded.lower:.2f}..{recorded.upper:.2f}s "
                f"±{TICK_TOLERANCE_S:g}s; the {PAUSED_S:g}s paused do not count)"
            ),
            actual=value,
            provenance="A-8",
        )


@pytest.mark.recqual(
    family="live-state",
    operation=[
        "startRecording",
        "pauseRecording",
        "resumeRecording",
        "stopRecording",
        "listActiveRecordings",
        "listRecordings",
    ],
    check="configured lines: start, pause, resume, stop",
    needs=("lines",),
)
def test_configured_lines(scene: Scene, admin: ApiClient) -> None:
    """On each usable standing-call line of a lab (one fresh line on the emulator), one full cycle.

    start 201 -> listed, running -> pause 204 -> paused -> pause 429 -> resume 204 -> resume 429 ->
    stop 204 -> gone from the live list, stop again 409 -> a completed recording on that number.
    """
    for _ in range(scene.standing_line_count):
        line = scene.line_with_call(owned=False)[1].line
        body = {"deviceName": line.device_name, "directoryNumber": line.directory_number}
        started_at = Instant.now()
        reply = api.start(admin, body)
        expect.status(
            reply,
            201,
            check="configured lines: start",
            why=f"{body}: a connected call, not recorded (as the --target-file promises)",
        )
        rec = str(reply.json()["id"])
        scene.on_cleanup(lambda rec=rec: api.stop(admin, rec))

        def listed(rec: str = rec, line: Any = line) -> dict[str, Any] | None:
            listing = api.list_active(admin, deviceName=line.device_name)
            expect.status(
                listing, 200, check="configured lines: live list", why="level 10 lists active recordings"
            )
            return next((r for r in listing.json() if str(r.get("id", "")).lower() == rec.lower()), None)

        item = listed()
        expect.that(
            item is not None and item.get("isPaused") is False,
            reply,
            check="configured lines: live list",
            title="a started recording is not listed as running",
            expected="isPaused false",
            actual=item,
        )
        for send, status, why in (
            (api.pause, 204, "pause a running recording"),
            (api.pause, 429, "pause a paused recording"),
            (api.resume, 204, "resume a paused recording"),
            (api.resume, 429, "resume a running recording"),
            (api.stop, 204, "stop a live recording"),
            (api.stop, 409, "stop a stopped recording"),
        ):
            expect.status(send(admin, rec), status, check="configured lines: state changes", why=why)
        expect.that(
            listed() is None,
            reply,
            check="configured lines: live list",
            title="a stopped recording is still listed as live",
            expected="absent",
            actual="listed",
            provenance="A-7",
        )
        deadline = now() + HANDOVER_S + HANDOVER_SLACK_S
        after = {
            "localPartyNumber": line.directory_number,
            "pageSize": 20,
            "startTime": "after:" + (started_at - 60 * TICKS_PER_SECOND).isoformat(),
        }
        while True:
            found = api.list_recordings(admin, after)
            if found.status != 200 or found.json().get("recordings") or now() > deadline:
                break
            time.sleep(0.2)
        expect.that(
            bool(found.status == 200 and found.json().get("recordings")),
            found,
            check="configured lines: stop hands over",
            title=f"no completed recording on the line's number within {HANDOVER_S:g}s",
            expected="at least one",
            actual=found.describe(),
            provenance="A-7",
        )
