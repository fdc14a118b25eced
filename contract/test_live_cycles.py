"""Pause and resume, again and again: multi-cycle live recordings on every addressing (reference 2.3,
A-7, A-8, A-15..A-17).

Invariant: a recording started (by device, by DN, by both, with no body as the line's owner), paused
and resumed three times (each pause and each resume by id or by DN; as the line's owner, as level
10, or the two taking turns) and stopped (by id, by line, by ``/Mine``; running, or while paused after
its third pause) gets the status the model predicts at every step: 201, 204, then 429 to the same
pause or resume repeated through the other addressing, and 409 to a stop or resume once stopped.
After every step every view agrees with the model, for every recording of the check at once: the
unfiltered live list, the stepped line by a documented filter (``deviceName``, ``directoryNumber``,
both, ``username``, ``numericUserId``) or its owner's ``/Mine``, in turn: each live
recording listed once with its id, ``isPaused``, the same ``startedAt`` as when first listed (A-7),
the line's user and the call's far end, and a ``duration`` within the client-clock bounds of the
recorded time of all stretches so far, every pause of every cycle excluded (A-8). Within 2 s of the
stop the completed recording is listed (and its detail read) with the line's number and owner, the
call's far end and direction, ``startTime`` = ``startedAt`` and a ``duration`` that is the recorded time
across all three cycles (A-7, A-8).

Why a check of its own: a server that handles the first pause/resume right and the second wrong
(a "was paused" flag, a pause start kept from the first cycle, only the last pause subtracted, a flag
per addressing that a resume by the other one does not clear, a pause that only its own user may
resume) passes every one-cycle check; the state machine (``test_live_machine.py``) reaches a second
cycle of one recording only now and then, and its pauses are shorter than the rounding allowance.

How the walks are chosen: a covering array (``strategies/pairwise.py``) over the walk's dimensions
(the line owner's level, the call's direction, the actor, the start form, the addressing of each
pause and resume, whether the third resume happens, the stop addressing), so every pair of them meets
in some walk; the pairs the steps reached are recorded per operation (the report's pair coverage).
Hypothesis draws the values: the stretch lengths, the start's ``mode``, the stagger. Every walk has
one long stretch (over 2.2 s: an error of one stretch exceeds the one-second rounding allowance even
on a server that truncates durations to whole seconds) and short ones otherwise; which of its seven
stretches is long goes round the walks, pauses first.

Cost: on the emulator every walk has a line and user of its own and they all run at once (the steps
due together are sent in parallel, then every view is read in parallel): the stretches take about
3.5 s and the ~470 requests overlap them. On a lab the declared standing-call lines carry the walks
one after another (two lines: two at a time); ``--quick`` runs the first ``LAB_QUICK_WALKS`` rows
there (the rows a covering array lists first reach most pairs; the coverage recorded says how many).
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Hashable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import pytest

from contract import api
from contract.client import ApiClient, Reply
from contract.corpus_support import draw_once
from contract.live_model import (
    HANDOVER_S,
    HANDOVER_SLACK_S,
    LineModel,
    LiveModel,
    Lookup,
    Outcome,
    check_outcome,
    judge_lookup,
    lent_line,
    look_for_completed,
    now,
)
from contract.live_observe import (
    View,
    concerns_model,
    filtered,
    judge_completed,
    judge_view,
    mine,
    on_lines,
    owned_by,
    unfiltered,
)
from contract.live_walks import (
    EMULATOR_KINDS,
    STEP_DIMENSIONS,
    Action,
    LineKind,
    Slot,
    Walk,
    allowed_for,
    dimensions,
    fits,
    label,
    make_walks,
    step_allowed,
    timings,
)
from contract.pair_ledger import PairLedger
from contract.run_context import RunContext
from contract.scene import Call, Scene, User
from strategies.pairwise import Row, covering_rows

CHECK = "multi-cycle walks on every addressing"
LAB_QUICK_WALKS = 8
"""Walks on a lab with ``--quick``: each holds a standing-call line for about 4 s."""
DUE_WINDOW_S = 0.03
"""Steps due within this much of each other are sent together."""
HANDOVER_POLL_S = 0.15
WORKERS = 8
"""Parallel requests at most (the session's rate limit still spaces them on a lab)."""

VIEW_KINDS = ("deviceName", "directoryNumber", "device and DN", "username", "numericUserId", "mine")
"""How the stepped line is read after each step, in turn (one documented filter, or /Mine)."""


# -- one step: sent in a worker thread, judged in the main one ------------------------------------------


@dataclass
class Sent:
    reply: Reply
    sent: float
    received: float


@dataclass
class Exchange:
    """What a step sent: the state change and the probes right after it, or one hand-over look."""

    main: Sent | None = None
    probes: list[Sent] = field(default_factory=list)
    lookup: Lookup | None = None


def _timed(send: Callable[[], Reply]) -> Sent:
    sent = now()
    reply = send()
    return Sent(reply, sent, now())


class Walks:
    """Runs the walks: the steps that are due together in parallel, then every view, then judging."""

    def __init__(
        self, scene: Scene, admin: ApiClient, model: LiveModel, slots: list[Slot], pool: ThreadPoolExecutor
    ) -> None:
        self.scene, self.admin, self.model, self.slots, self.pool = scene, admin, model, slots, pool
        self.views = itertools.count()

    # -- who sends what ------------------------------------------------------------------------------

    def client(self, walk: Walk, actor: str) -> tuple[ApiClient, str]:
        assert walk.slot is not None
        owner = walk.slot.owner
        if actor == "owner" and owner is not None:
            return self.scene.client_for(owner), "A-15" if owner.level < 10 else ""
        return self.admin, ""

    def line(self, walk: Walk) -> LineModel:
        assert walk.slot is not None
        return self.model.lines[walk.slot.index]

    def send(self, walk: Walk, action: Action) -> Callable[[], Reply]:
        client, _ = self.client(walk, action.actor)
        line = self.line(walk)
        rec_id = walk.rec.rec_id if walk.rec is not None else ""
        if action.verb == "start":
            if action.how == "no body":
                return lambda: api.start(client)
            body: dict[str, Any] = {}
            if action.how in ("device", "both"):
                body["deviceName"] = line.device
            if action.how in ("dn", "both"):
                body["directoryNumber"] = line.dn
            if walk.mode is not None:
                body["mode"] = walk.mode
            return lambda: api.start(client, body)
        if action.verb in ("pause", "resume"):
            by_id = api.pause if action.verb == "pause" else api.resume
            by_dn = api.pause_by_line if action.verb == "pause" else api.resume_by_line
            if action.how == "id":
                return lambda: by_id(client, rec_id)
            return lambda: by_dn(client, line.dn)
        if action.how == "mine":
            return lambda: api.stop_mine(client)
        if action.how == "line":
            return lambda: api.stop_by_line(client, line.device, line.dn)
        return lambda: api.stop(client, rec_id)

    def probes(self, walk: Walk, action: Action) -> list[Action]:
        """Right after a pause (resume), the same through the other addressing: 429 (already paused /
        not paused); right after the stop, a stop by id and a resume by DN: 409 (not live)."""
        if action.verb in ("pause", "resume"):
            other = "dn" if action.how == "id" else "id"
            return [Action(action.verb, other, action.cycle, action.actor)]
        if action.verb == "stop":
            return [
                Action("stop", "id", action.cycle, action.actor),
                Action("resume", "dn", action.cycle, action.actor),
            ]
        return []

    def exchange(self, walk: Walk) -> Exchange:
        """Worker thread: send the walk's due step (and its probes), or look for its completed form."""
        if walk.handover_until is not None:
            assert walk.rec is not None
            return Exchange(lookup=look_for_completed(self.admin, self.line(walk), walk.rec, CHECK))
        action = walk.next
        assert action is not None
        out = Exchange(main=_timed(self.send(walk, action)))
        if out.main is not None and out.main.reply.status // 100 == 2:
            out.probes = [_timed(self.send(walk, probe)) for probe in self.probes(walk, action)]
        return out

    # -- judging ------------------------------------------------------------------------------------

    def predict(self, walk: Walk, action: Action) -> Outcome:
        assert walk.slot is not None
        i = walk.slot.index
        rec_id = walk.rec.rec_id if walk.rec is not None else ""
        if action.verb == "start":
            outcome = self.model.start(i)
            if action.how == "no body":
                outcome = outcome.plus("A-16", " (no body: the caller's own line)")
        elif action.how == "id":
            outcome = getattr(self.model, action.verb)(rec_id)
        else:
            outcome = self.model.on_line(i, action.verb)
            if outcome.statuses == {409}:
                outcome = outcome.plus("A-17")
        _, basis = self.client(walk, action.actor)
        return outcome.plus(
            basis, f" ({action.verb} by {action.how} as the line's {action.actor}, cycle {action.cycle})"
        )

    def judge(self, walk: Walk, out: Exchange) -> None:
        """Main thread: the step's status, the model's transition, the probes' statuses."""
        action = walk.next
        assert action is not None and out.main is not None and walk.slot is not None
        what = f"{walk.describe()}: {action.verb} by {action.how}"
        check_outcome(out.main.reply, self.predict(walk, action), f"{CHECK}: {what}")
        main = out.main
        if action.verb == "start":
            rec = self.model.started(walk.slot.index, _new_id(main.reply), main.sent, main.received)
            walk.rec = rec
        elif action.verb == "pause":
            assert walk.rec is not None
            self.model.paused(walk.rec.rec_id, main.sent, main.received)
        elif action.verb == "resume":
            assert walk.rec is not None
            self.model.resumed(walk.rec.rec_id, main.sent, main.received)
        else:
            assert walk.rec is not None
            walk.stopped_paused = walk.rec.paused
            self.model.stopped_rec(walk.rec.rec_id, main.sent, main.received)
        walk.ran.append(self.ledger_row(walk, action))
        for probe, sent in zip(self.probes(walk, action), out.probes, strict=True):
            check_outcome(
                sent.reply, self.predict(walk, probe), f"{CHECK}: {what}, then {probe.verb} by {probe.how}"
            )
        walk.step += 1
        if action.verb == "stop":
            walk.handover_until = main.received + HANDOVER_S + HANDOVER_SLACK_S
            walk.due = now()
        else:
            walk.due = main.received + walk.stretches[walk.step - 1]

    def ledger_row(self, walk: Walk, action: Action) -> tuple[str, dict[str, Hashable]]:
        assert walk.slot is not None
        if action.verb == "start":
            return "startRecording", {"form": action.how, "actor": action.actor}
        if action.verb == "stop":
            state = "paused" if walk.stopped_paused else "running"
            return (
                "stopRecording+stopRecordingByLine+stopMyRecording",
                {"addressing": action.how, "state": state, "actor": action.actor},
            )
        operation = {
            "pause": "pauseRecording+pauseRecordingsByLine",
            "resume": "resumeRecording+resumeRecordingsByLine",
        }[action.verb]
        return operation, {"cycle": action.cycle, "addressing": action.how, "actor": action.actor}

    def handover(self, walk: Walk, lookup: Lookup) -> None:
        assert walk.rec is not None and walk.handover_until is not None
        if not lookup.found and now() <= walk.handover_until:
            walk.due = now() + HANDOVER_POLL_S
            return
        line = self.line(walk)
        check = f"{CHECK}: {walk.describe()}: the completed recording"
        item = judge_lookup(lookup, line, walk.rec, check)
        judge_completed(self.admin, lookup.reply, item, line, walk.rec, check)
        walk.done = True
        walk.handover_until = None

    # -- views ----------------------------------------------------------------------------------------

    def view_of(self, walk: Walk) -> tuple[Callable[[], View], set[str], str]:
        """The stepped line read one documented way (in turn): what to send, whom it must list, on what
        the expectation rests."""
        assert walk.slot is not None
        line, owner = self.line(walk), walk.slot.owner
        kinds = [k for k in VIEW_KINDS if self._can_view(walk, k)]
        kind = kinds[next(self.views) % len(kinds)]
        if kind == "deviceName":
            return (
                lambda: filtered(self.admin, deviceName=line.device),
                self._on(lambda ln: ln.device == line.device),
                "documented",
            )
        if kind == "directoryNumber":
            return (
                lambda: filtered(self.admin, directoryNumber=line.dn),
                self._on(lambda ln: ln.dn == line.dn),
                "documented",
            )
        if kind == "device and DN":
            return (
                lambda: filtered(self.admin, deviceName=line.device, directoryNumber=line.dn),
                self._on(lambda ln: ln.device == line.device and ln.dn == line.dn),
                "documented",
            )
        assert owner is not None
        if kind == "username":
            return (
                lambda: filtered(self.admin, username=owner.username),
                owned_by(self.model, owner.username),
                "documented",
            )
        if kind == "numericUserId":
            numeric = str(owner.numeric_user_id)
            return (
                lambda: filtered(self.admin, numericUserId=numeric),
                owned_by(self.model, owner.username),
                "documented",
            )
        client = self.scene.client_for(owner)
        return (
            lambda: mine(client, owner.username),
            owned_by(self.model, owner.username),
            "A-15" if owner.level < 10 else "documented",
        )

    def _on(self, keep: Callable[[LineModel], bool]) -> set[str]:
        return on_lines(self.model, keep)

    def _can_view(self, walk: Walk, kind: str) -> bool:
        assert walk.slot is not None
        owner = walk.slot.owner
        if kind in ("deviceName", "directoryNumber", "device and DN"):
            return True
        if owner is None or self.line(walk).owner is None:
            return False
        if kind == "numericUserId":
            return owner.numeric_user_id is not None
        if kind == "mine":
            return walk.slot.kind.acting
        return True

    def observe(self, stepped: list[Walk]) -> None:
        """Every view after the steps: the unfiltered list (every recording of the check) and each
        stepped line one documented way; read in parallel, judged in turn."""
        plans: list[tuple[Callable[[], View], set[str], str, Callable[[dict[str, Any]], bool] | None]] = [
            (
                lambda: unfiltered(self.admin),
                set(self.model.live()),
                "documented",
                concerns_model(self.model),
            ),
        ]
        for walk in stepped:
            if walk.rec is not None:
                send, want, provenance = self.view_of(walk)
                plans.append((send, want, provenance, None))
        views = list(self.pool.map(lambda plan: plan[0](), plans))
        for view, (_, want, provenance, concerns) in zip(views, plans, strict=True):
            judge_view(
                view, self.model, want, f"{CHECK}: {view.where}", concerns=concerns, provenance=provenance
            )

    # -- the loop -------------------------------------------------------------------------------------

    def run(self, walks: list[Walk], stagger_s: float) -> None:
        queues: dict[int, list[Walk]] = {s.index: [] for s in self.slots}
        for walk in walks:
            assert walk.slot is not None
            queues[walk.slot.index].append(walk)
        active: list[Walk] = []
        started = 0
        while True:
            for slot in self.slots:
                if not slot.busy and queues[slot.index]:
                    walk = queues[slot.index].pop(0)
                    slot.busy = True
                    walk.due = now() + stagger_s * started
                    started += 1
                    active.append(walk)
            if not active:
                return
            soonest = min(w.due for w in active)
            if soonest > now():
                time.sleep(soonest - now())
            due = [w for w in active if w.due <= now() + DUE_WINDOW_S]
            exchanges = list(self.pool.map(self.exchange, due))
            stepped: list[Walk] = []
            for walk, out in zip(due, exchanges, strict=True):
                if out.lookup is not None:
                    self.handover(walk, out.lookup)
                else:
                    self.judge(walk, out)
                    stepped.append(walk)
                    if walk.step == len(walk.actions):
                        assert walk.slot is not None
                        walk.slot.busy = False  # the line is free; the hand-over is looked for meanwhile
            if stepped:
                self.observe(stepped)
            active = [w for w in active if not w.done]


def _new_id(reply: Reply) -> str:
    body = reply.json_or_none()
    return str(body.get("id", "") if isinstance(body, dict) else "").lower()


# -- the lines -----------------------------------------------------------------------------------------


def _acting(scene: Scene, owner: User | None, call: Call) -> bool:
    """The owner can act on this line as "my own": Record Only or more, and (on a lab) the target
    file declares no other line of its role, so a body-less start and /Mine name this one."""
    if owner is None or owner.level < 1:
        return False
    role = call.line.role
    return not role or sum(1 for ln in scene.config.lines if ln.role == role) == 1


def _slot(scene: Scene, model: LiveModel, owner: User | None, call: Call, line: LineModel) -> Slot:
    model.lines.append(line)
    kind = LineKind(owner.level if owner else None, call.direction, _acting(scene, owner, call))
    return Slot(len(model.lines) - 1, kind, owner, call)


def slots_for(
    scene: Scene,
    admin: ApiClient,
    model: LiveModel,
    picked: Sequence[tuple[User | None, Call]],
    pool: ThreadPoolExecutor,
) -> list[Slot]:
    """The lines lent (in parallel: each is read once, nobody may record it yet) as the model's lines."""
    server_now = scene.upload_window.server_now()
    lines = list(pool.map(lambda oc: lent_line(admin, oc[0], oc[1], server_now), picked))
    return [_slot(scene, model, owner, call, line) for (owner, call), line in zip(picked, lines, strict=True)]


def emulator_slots(
    scene: Scene, admin: ApiClient, model: LiveModel, rows: Sequence[Row], pool: ThreadPoolExecutor
) -> list[Slot]:
    """A fresh user (of the row's owner level) and a call (of its direction) for every walk."""

    def place(row: Row) -> tuple[User | None, Call]:
        level, direction = row["owner"], row["direction"]
        assert isinstance(level, int) and isinstance(direction, int)
        return scene.line_with_call(level=level, direction=direction, stem="cycle")

    return slots_for(scene, admin, model, list(pool.map(place, rows)), pool)


def lab_slots(scene: Scene, admin: ApiClient, model: LiveModel, pool: ThreadPoolExecutor) -> list[Slot]:
    """The declared standing-call lines (up to three), held for the whole check."""
    count = max(1, min(3, scene.standing_line_count))
    return slots_for(scene, admin, model, scene.lines_with_calls(count, owned=False), pool)


def record_pairs(pairs: PairLedger, walks: Sequence[Walk], kinds: Sequence[LineKind]) -> None:
    """Per operation, the pairs the steps that ran reached (with the line owner's level and the call's
    direction as two more dimensions)."""
    lines = {
        "owner": tuple(sorted({label(k.owner) for k in kinds}, key=str)),
        "direction": tuple(sorted({label(k.direction) for k in kinds}, key=str)),
    }
    for operation, dims in STEP_DIMENSIONS.items():
        ran = [
            {**row, "owner": label(w.slot.kind.owner), "direction": label(w.slot.kind.direction)}
            for w in walks
            if w.slot is not None
            for op, row in w.ran
            if op == operation
        ]
        pairs.record(operation, ran, {**dims, **lines}, step_allowed(kinds))


@pytest.mark.recqual(
    family="live-state",
    operation=[
        "startRecording",
        "pauseRecording",
        "resumeRecording",
        "pauseRecordingsByLine",
        "resumeRecordingsByLine",
        "stopRecording",
        "stopRecordingByLine",
        "stopMyRecording",
        "listActiveRecordings",
        "listMyActiveRecordings",
        "listRecordings",
        "getRecording",
    ],
    check=CHECK,
    needs=("lines",),
)
def test_multi_cycle_walks(
    scene: Scene, admin: ApiClient, run_context: RunContext, pairs: PairLedger
) -> None:
    """The walks of the module docstring: every step and every view judged against the model."""
    model = LiveModel([])
    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        if scene.can_hang_up:
            kinds: Sequence[LineKind] = EMULATOR_KINDS
            rows = covering_rows(dimensions(kinds), allowed_for(kinds))
            slots = emulator_slots(scene, admin, model, rows, pool)
            assigned = slots
        else:
            slots = lab_slots(scene, admin, model, pool)
            kinds = [slot.kind for slot in slots]
            rows = covering_rows(dimensions(kinds), allowed_for(kinds))
            if run_context.quick:
                rows = rows[:LAB_QUICK_WALKS]
            assigned = [next(slot for slot in slots if fits(slot, row)) for row in rows]
        timing = draw_once(timings(len(rows)), run_context.seed)
        walks = make_walks(rows, timing)
        for walk, slot in zip(walks, assigned, strict=True):
            walk.slot = slot
        try:
            Walks(scene, admin, model, slots, pool).run(walks, timing.stagger_s)
        finally:
            record_pairs(pairs, walks, kinds)
