"""Live recordings behave as a small state machine (reference 2.3, A-7, A-8, A-15..A-17).

Invariant: for any sequence of start (with a body by device, DN or both; with no body as the line's
own user), pause/resume (by id and by line), stop (by id, by line, ``/Mine``), hang-up and waiting,
every status is the one the model in ``contract/live_model.py`` predicts (201/204/400/409/429), and
after every step the live list holds exactly the model's recordings with the right ``isPaused``, the
call's far end as ``remoteParty``, and a ``duration`` within the client-clock bounds of the recorded
time (A-8: it does not grow while paused); ``/Mine`` agrees on ids, ``isPaused`` and ``remoteParty``.
A stopped or hung-up recording leaves the live list at once and is listed as a completed recording
within 2 seconds with the line's owner, the start time, the call's parties and direction (A-7).

Runs on the emulator and on a lab alike. Its lines come from the scene: three fresh users' lines with
placed calls on the emulator (new ones for each example); on a lab the declared standing-call lines
(up to three, held for the whole check and reused by every example, whatever was recording stopped
between examples). Only what a lab cannot do is left out there: the hang-up rule (nobody hangs up a
standing call), and the rules acting as a line's owner on a line that has none (or whose owner has
no credentials); a far end or direction the target file does not declare is checked for consistency
(the live list, ``/Mine`` and the completed recording describe the call alike).
"""

from __future__ import annotations

import time
import uuid
from typing import Any, ClassVar

import pytest
from hypothesis import event, note, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    consumes,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from contract import api, expect
from contract.client import ApiClient, Reply
from contract.live_model import (
    FarEnd,
    LineModel,
    LiveModel,
    LiveRec,
    Outcome,
    check_outcome,
    completed_of,
    lent_line,
    now,
    timed,
)
from contract.live_observe import concerns_model, judge_completed, judge_view, mine, owned_by, unfiltered
from contract.run_context import RunContext
from contract.scene import Call, Scene, User
from contract.shared_waits import SharedWaits
from contract.test_live_durations import lend_to_waits_of

MAX_LINES = 3
"""Lines per walk: three on the emulator; on a lab as many declared standing lines as there are, up
to three (one is enough for every rule)."""
INDEX = st.integers(0, MAX_LINES - 1)
"""A line index; taken modulo the walk's line count (a lab may lend one or two lines)."""

Held = tuple[User | None, Call, LineModel]
CYCLE = st.tuples(*[st.sampled_from(["id", "dn"])] * 2, *[st.sampled_from(["admin", "owner"])] * 2)
"""One pause/resume cycle: the pause's and the resume's addressing, then who sends each."""
WARMUP_HOLD_S = 0.05
"""How long each warm-up cycle stays paused: the live list is read in between; the durations of
long pauses are the multi-cycle walks' business (``test_live_cycles.py``)."""


class LiveMachine(RuleBasedStateMachine):
    """One rule per operation; the model decides each status; an invariant compares the live list."""

    scene: ClassVar[Scene]
    admin: ClassVar[ApiClient]
    held: ClassVar[list[Held]] = []
    """A lab's lines for the whole check (empty on the emulator: every example makes its own)."""
    waits: ClassVar[SharedWaits | None] = None
    """Flows that run inside this machine's sleeps (the A-8 duration checks, emulator only)."""
    recordings = Bundle("recordings")

    def __init__(self) -> None:
        super().__init__()
        self.model = LiveModel([])
        self.owners: list[User | None] = []
        self.calls: list[Call] = []
        self.mine: list[int] = []

    @initialize(target=recordings, k=INDEX, warmup=st.lists(CYCLE, min_size=1, max_size=3))
    def set_the_scene(self, k: int, warmup: list[tuple[str, str, str, str]]) -> Any:
        """The walk's lines, one of them already recording (started by level 10 naming device and
        DN) and through one to three pause/resume cycles: whatever the random steps do next, they
        often do it to a recording in its second or third cycle."""
        if self.held:
            lines = list(self.held)
            for _, _, model in lines:
                model.restart()
        else:
            server_now = self.scene.upload_window.server_now()
            picked = self.scene.lines_with_calls(MAX_LINES)
            lines = [(owner, call, lent_line(self.admin, owner, call, server_now)) for owner, call in picked]
        self.owners = [owner for owner, _, _ in lines]
        self.calls = [call for _, call, _ in lines]
        self.model = LiveModel([model for _, _, model in lines])
        self.mine = [i for i in range(len(lines)) if self._owns_only_this(i)]
        note(f"lines: {[(m.device, m.dn, m.owner) for m in self.model.lines]}; own-line rules on {self.mine}")
        rec_id = str(self.start_with_body(k, "both", None, False))
        rec = self.model.find(rec_id)
        assert rec is not None
        self._cycles(rec, warmup, WARMUP_HOLD_S)
        return rec_id

    def teardown(self) -> None:
        for line in self.model.lines:
            if line.call_id == "":  # a lab's standing call: the next example reuses the line
                api.stop_by_line(self.admin, line.device, line.dn)
            elif line.call_id is not None and self.scene.control is not None:
                self.scene.control.hang_up(line.call_id)

    # -- helpers -----------------------------------------------------------------------------------

    def _line(self, i: int) -> int:
        return i % len(self.model.lines)

    def _acting_owner(self, i: int) -> User | None:
        """The line's owner when it can act on its own line (Record Only or more, credentials known)."""
        owner = self.owners[i]
        return owner if owner is not None and owner.level >= 1 else None

    def _owns_only_this(self, i: int) -> bool:
        """``/Mine`` and a body-less start name "the caller's own line": only unambiguous when the owner
        has this one line (among the walk's, and among the target file's declared lines)."""
        owner = self._acting_owner(i)
        if owner is None:
            return False
        same = [
            j for j, other in enumerate(self.owners) if other is not None and other.username == owner.username
        ]
        role = self.calls[i].line.role
        declared = sum(1 for ln in self.scene.config.lines if ln.role == role) if role else 1
        return same == [i] and declared == 1

    def _client(self, i: int, as_owner: bool) -> tuple[ApiClient, str]:
        """The owner's client (when the line has an acting owner and ``as_owner``) or level 10's."""
        owner = self._acting_owner(i) if as_owner else None
        if owner is None:
            return self.admin, ""
        return self.scene.client_for(owner), "A-15" if owner.level < 10 else ""

    def _started(self, i: int, reply: Reply, sent: float, received: float) -> str:
        rec_id = str(reply.json().get("id", "")).lower()
        self.model.started(i, rec_id, sent, received)
        return rec_id

    def _handover(self, rec: LiveRec, check: str) -> None:
        """A-7: the completed recording shows up within 2 s with owner, start, parties, direction,
        and (A-8) the recorded time as its duration, in the list and in the detail."""
        line = self.model.lines[rec.line]
        reply, item = completed_of(self.admin, line, rec, check)
        judge_completed(self.admin, reply, item, line, rec, check)

    # -- rules -------------------------------------------------------------------------------------

    @rule(
        target=recordings,
        i=INDEX,
        how=st.sampled_from(["device", "dn", "both"]),
        mode=st.sampled_from([None, 0, 1]),
        as_owner=st.booleans(),
    )
    def start_with_body(self, i: int, how: str, mode: int | None, as_owner: bool) -> Any:
        i = self._line(i)
        line = self.model.lines[i]
        body: dict[str, Any] = {}
        if how in ("device", "both"):
            body["deviceName"] = line.device
        if how in ("dn", "both"):
            body["directoryNumber"] = line.dn
        if mode is not None:
            body["mode"] = mode
        client, basis = self._client(i, as_owner)
        outcome = self.model.start(i)
        if basis:
            outcome = outcome.plus(basis, " (own line, level 1)")
        reply, sent, received = timed(lambda: api.start(client, body))
        note(f"start {body} as {client.role} -> {reply.status}")
        check_outcome(reply, outcome, "start by line")
        if reply.status == 201:
            return self._started(i, reply, sent, received)
        return str(uuid.uuid4())

    @precondition(lambda self: bool(self.mine))
    @rule(target=recordings, k=INDEX)
    def start_own_line_no_body(self, k: int) -> Any:
        i = self.mine[k % len(self.mine)]
        outcome = self.model.start(i)
        client, basis = self._client(i, True)
        outcome = outcome.plus(basis).plus("A-16", " (no body: own line)")
        reply, sent, received = timed(lambda: api.start(client))
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

    @rule(i=INDEX, mode=st.sampled_from([2, 7, -1, "0"]))
    def start_invalid_mode(self, i: int, mode: Any) -> None:
        i = self._line(i)
        if not self.model.only_mode_error_applies(i):
            return
        reply = api.start(self.admin, {"deviceName": self.model.lines[i].device, "mode": mode})
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

    @rule(i=INDEX, as_owner=st.booleans(), pause=st.booleans())
    def pause_or_resume_by_line(self, i: int, as_owner: bool, pause: bool) -> None:
        i = self._line(i)
        line = self.model.lines[i]
        outcome = self.model.on_line(i, "pause" if pause else "resume")
        if outcome.statuses == {409}:
            outcome = outcome.plus("A-17")
        client, basis = self._client(i, as_owner)
        outcome = outcome.plus(basis, " (by DN)")
        send = api.pause_by_line if pause else api.resume_by_line
        reply, sent, received = timed(lambda: send(client, line.dn))
        check_outcome(reply, outcome, "pause/resume by line")
        if reply.status == 204 and line.rec is not None:
            (self.model.paused if pause else self.model.resumed)(line.rec.rec_id, sent, received)

    @rule(i=INDEX, how=st.sampled_from(["line", "mine"]))
    def stop_by_line_or_mine(self, i: int, how: str) -> None:
        i = self._line(i)
        if how == "mine" and not self.mine:
            how = "line"
        if how == "mine":
            i = self.mine[i % len(self.mine)]
        line = self.model.lines[i]
        outcome = self.model.on_line(i, "stop")
        if how == "mine":
            client, basis = self._client(i, True)
            outcome = outcome.plus(basis, " (/Mine)")
            reply, sent, received = timed(lambda: api.stop_mine(client))
        else:
            reply, sent, received = timed(lambda: api.stop_by_line(self.admin, line.device, line.dn))
        check_outcome(reply, outcome, f"stop by {how}")
        if reply.status == 204 and line.rec is not None:
            self._handover(self.model.stopped_rec(line.rec.rec_id, sent, received), "stop hands over")

    @precondition(lambda self: self.scene.can_hang_up)
    @rule(i=INDEX)
    def hang_up(self, i: int) -> None:
        """Emulator only: nobody hangs up a lab's standing call (a new call is placed when none is up)."""
        i = self._line(i)
        line = self.model.lines[i]
        control = self.scene.control
        assert control is not None
        if line.call_id is None:
            call = self.scene.connect(self.calls[i].line, direction=self.calls[i].direction or 1)
            line.call_id = call.call_id
            line.far = FarEnd.of(call.remote_number, call.remote_first, call.remote_last, call.direction)
            return
        sent = now()
        control.hang_up(line.call_id)
        rec = self.model.hung_up(i, sent, now())
        if rec is not None:
            self._handover(rec, "hang-up hands over")

    @rule(seconds=st.sampled_from([0.1, 0.4]))
    def wait(self, seconds: float) -> None:
        self._sleep(seconds)

    def _sleep(self, seconds: float) -> None:
        """Sleep; on the emulator the A-8 duration checks' flows take their turns meanwhile."""
        if self.waits is not None:
            self.waits.sleep(seconds)
        else:
            time.sleep(seconds)

    @precondition(lambda self: bool(self.mine))
    @rule(k=INDEX)
    def list_mine(self, k: int) -> None:
        """The owner's ``/Mine``: exactly its live recordings, each as the model describes it."""
        i = self.mine[k % len(self.mine)]
        owner = self._acting_owner(i)
        assert owner is not None
        client, basis = self._client(i, True)
        view = mine(client, owner.username)
        judge_view(
            view, self.model, owned_by(self.model, owner.username), "/Mine", provenance=basis or "documented"
        )

    @precondition(lambda self: any(line.rec is not None and not line.rec.paused for line in self.model.lines))
    @rule(k=INDEX, cycles=st.lists(CYCLE, min_size=1, max_size=3), hold=st.sampled_from([0.05, 0.2]))
    def pause_resume_cycles(self, k: int, cycles: list[tuple[str, str, str, str]], hold: float) -> None:
        """One to three more pause/resume cycles of a running recording, each half addressed (id or
        DN) and sent (owner or level 10) its own way, the live list read while paused: the second and
        third cycles of one recording, which the separate pause and resume rules meet only by chance."""
        running = [ln.rec for ln in self.model.lines if ln.rec is not None and not ln.rec.paused]
        self._cycles(running[k % len(running)], cycles, hold)

    def _cycles(self, rec: LiveRec, cycles: list[tuple[str, str, str, str]], hold: float) -> None:
        for pause_by, resume_by, pauser, resumer in cycles:
            event(f"pause/resume cycle {rec.resumes + 1} of one recording")
            self._toggle(rec, "pause", pause_by, pauser == "owner")
            self.live_list_agrees()
            self._sleep(hold)
            self._toggle(rec, "resume", resume_by, resumer == "owner")

    def _toggle(self, rec: LiveRec, verb: str, by: str, as_owner: bool) -> None:
        line = self.model.lines[rec.line]
        client, basis = self._client(rec.line, as_owner)
        if by == "id":
            outcome = getattr(self.model, verb)(rec.rec_id)
            send = api.pause if verb == "pause" else api.resume
            reply, sent, received = timed(lambda: send(client, rec.rec_id))
        else:
            outcome = self.model.on_line(rec.line, verb)
            by_dn = api.pause_by_line if verb == "pause" else api.resume_by_line
            reply, sent, received = timed(lambda: by_dn(client, line.dn))
        cycle = rec.pauses + (1 if verb == "pause" else 0)
        outcome = outcome.plus(basis, f" ({verb} by {by} as {client.role}, cycle {cycle})")
        check_outcome(reply, outcome, f"{verb} by {by} in cycle {cycle}")
        (self.model.paused if verb == "pause" else self.model.resumed)(rec.rec_id, sent, received)

    # -- the invariant -------------------------------------------------------------------------------

    @invariant()
    def live_list_agrees(self) -> None:
        """The unfiltered live list holds exactly the model's recordings, each as the model says."""
        if not self.model.lines:
            return
        view = unfiltered(self.admin)
        judge_view(view, self.model, set(self.model.live()), "live list", concerns=concerns_model(self.model))


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
        "listRecordings",
    ],
    check="live state machine",
    needs=("lines",),
)
def test_live_state_machine(
    request: pytest.FixtureRequest, scene: Scene, admin: ApiClient, run_context: RunContext
) -> None:
    """The random walk above; on a lab over the declared standing-call lines (one is enough). On the
    emulator its sleeps are lent to the A-8 duration checks (``contract/shared_waits.py``), which the
    plugin runs right after it: together ~11 s instead of ~18."""
    LiveMachine.scene, LiveMachine.admin, LiveMachine.held = scene, admin, []
    LiveMachine.waits = lend_to_waits_of(request, scene, admin)
    if not scene.can_hang_up:
        count = max(1, min(MAX_LINES, scene.standing_line_count))
        server_now = scene.upload_window.server_now()
        picked = scene.lines_with_calls(count, owned=False)
        LiveMachine.held = [
            (owner, call, lent_line(admin, owner, call, server_now)) for owner, call in picked
        ]
    try:
        run_state_machine_as_test(
            LiveMachine,
            settings=settings(
                max_examples=run_context.examples(full=40, quick=8),
                stateful_step_count=run_context.examples(25, 15),
            ),
        )
    finally:
        if LiveMachine.waits is not None:  # before the scene hangs up this check's calls, theirs too
            LiveMachine.waits.finish()
        LiveMachine.held, LiveMachine.waits = [], None
