"""A live recording's duration counts recorded time only, live and completed (A-8).

Invariant: while a recording is paused its live ``duration`` does not grow; after a resume it counts
everything recorded, the stretch before the pause included; the completed recording's ``duration``
is the recorded time, not the wall-clock time from start to stop. Each is judged against client-clock
bounds on the recorded time, with the one-second rounding allowance.

Why checks of their own: the state machine's pauses (0.4/0.9 s) fit inside the rounding allowance,
so a duration that counts wall-clock time, or restarts at each resume, could hide there; these pauses
are long enough that it cannot. Both run on a lab's declared standing-call line as on the emulator
(``/Mine`` is read only when the line's owner can act on it).

Timing: the two checks mostly wait (6.7 s and 4.2 s). On the emulator they run as flows inside the
state machine's sleeps (``contract/shared_waits.py``; the plugin runs them right after it, to report
what their flows found), each on its own fresh line: about 11 s for the three checks instead of 18.
Each flow sends the same requests in the same order and keeps every wait it had (a wait may only
grow, while the machine or the other flow takes its turn, and each bound is taken from the client
clock around the actual requests). Without the machine they run side by side in the first of them
to report. On a lab they run one after the other, as its declared lines may be too few for two at
once, and the machine's lines are held for the whole machine.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from contract import api, expect
from contract.client import ApiClient, Reply
from contract.live_model import (
    TICK_TOLERANCE_S,
    LineModel,
    LiveRec,
    completed_of,
    duration_s,
    lent_line,
    live_on_line,
    now,
    timed,
)
from contract.scene import Scene, User
from contract.shared_waits import Flow, SharedWaits

BEFORE_PAUSE_S = 2.0
"""Recorded before the pause: longer than the rounding allowance, so a duration that restarts at the
resume (forgetting this first stretch) falls outside the recorded-time bounds."""
FROZEN_S = 2.5
AFTER_RESUME_S = 2.2
RECORDED_S = 1.2
PAUSED_S = 3.0
CHECK_FROZEN = "duration frozen while paused"
CHECK_COMPLETED_DURATION = "completed duration excludes paused time"


def mine_is_paused(owner: User | None, scene: Scene, rec: str, paused: bool) -> None:
    """The owner's ``/Mine`` lists ``rec`` with ``isPaused`` ``paused`` (section 3, 2.3); nothing to
    read when the line has no owner who can act (a lab line without a role or credentials).

    Why here: the state machine reads ``/Mine`` only when its random walk picks that rule, so a
    ``/Mine`` that reports every recording as running could slip through; this check always looks
    at a paused and then a resumed recording.
    """
    if owner is None or owner.level < 1:
        return
    reply = api.list_mine(scene.client_for(owner))
    basis = "A-15" if owner.level < 10 else "documented"
    expect.status(reply, 200, check="/Mine isPaused", why="a user lists its own", provenance=basis)
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


def start_on_a_line(scene: Scene, admin: ApiClient, stem: str) -> tuple[User | None, LineModel, LiveRec]:
    """A lent line with a call, recorded by level 10 from now on: its owner, model and live recording
    (``startedAt`` as the live list first shows it)."""
    owner, call = scene.line_with_call(stem=stem)
    line = lent_line(admin, owner, call, scene.upload_window.server_now())
    body = {"deviceName": line.device, "directoryNumber": line.dn}
    reply, sent, received = timed(lambda: api.start(admin, body))
    expect.status(reply, 201, check="set-up: start", why=f"{body}: a connected, unrecorded line")
    rec = LiveRec(str(reply.json()["id"]).lower(), 0)
    rec.time.run(sent, received)
    item = listed(admin, line, rec.rec_id, "set-up: start")[1]
    rec.started_at = item.get("startedAt")
    return owner, line, rec


def listed(admin: ApiClient, line: LineModel, rec: str, check: str) -> tuple[Reply, dict[str, Any]]:
    """``rec`` as the live list of its line shows it (a failure if it is not there)."""
    reply, items = live_on_line(admin, line.device, line.dn, check)
    expect.that(
        rec in items,
        reply,
        check=check,
        title=f"live recording {rec} is not listed on its line",
        expected=rec,
        actual=sorted(items),
    )
    return reply, items[rec]


def read_duration(admin: ApiClient, line: LineModel, rec: str) -> tuple[float, Reply, float, float]:
    """(seconds, the listing, sent, received) of ``rec``'s live ``duration``."""
    sent = now()
    listing, item = listed(admin, line, rec, CHECK_FROZEN)
    return duration_s(str(item.get("duration", "PT0S"))), listing, sent, now()


@pytest.mark.recqual_after("test_live_state_machine")
@pytest.mark.recqual(
    family="live-state",
    operation=["pauseRecording", "resumeRecording", "listActiveRecordings", "listMyActiveRecordings"],
    check=CHECK_FROZEN,
    provenance="A-8",
    needs=("lines",),
)
def test_duration_frozen_while_paused(request: pytest.FixtureRequest, scene: Scene, admin: ApiClient) -> None:
    """Two reads 2.5 s apart while paused are equal (± one tick); the clock runs again after resume,
    and then counts everything recorded, the stretch before the pause included (A-8): read against
    client-clock bounds, not just "it grew". ``/Mine`` agrees on isPaused throughout."""
    run_sharing_waits(request, scene, admin, CHECK_FROZEN)


def frozen_flow(scene: Scene, admin: ApiClient) -> Iterator[float]:
    """The frozen-while-paused check; each ``yield`` is a wait of at least that many seconds."""
    owner, line, rec = start_on_a_line(scene, admin, "freeze")
    yield BEFORE_PAUSE_S
    reply, sent, received = timed(lambda: api.pause(admin, rec.rec_id))
    expect.status(reply, 204, check="set-up: pause", why="a running recording")
    rec.time.halt(sent, received)
    first, *_ = read_duration(admin, line, rec.rec_id)
    mine_is_paused(owner, scene, rec.rec_id, True)
    yield FROZEN_S
    second, listing, *_ = read_duration(admin, line, rec.rec_id)
    expect.that(
        abs(second - first) <= TICK_TOLERANCE_S - 0.01 or second == first,
        listing,
        check=CHECK_FROZEN,
        title="duration grew while the recording was paused",
        expected=f"{first:g}s (frozen)",
        actual=f"{second:g}s",
        provenance="A-8",
    )
    reply, sent, received = timed(lambda: api.resume(admin, rec.rec_id))
    expect.status(reply, 204, check="set-up: resume", why="a paused recording")
    rec.time.run(sent, received)
    yield AFTER_RESUME_S
    third, listing, sent, received = read_duration(admin, line, rec.rec_id)
    expect.that(
        third >= second + 1.0,
        listing,
        check="duration runs after resume",
        title="duration does not grow after resume",
        expected=f">= {second + 1:g}s",
        actual=f"{third:g}s",
        provenance="A-8",
    )
    lower, upper = rec.time.bounds(sent, received)
    expect.that(
        lower - TICK_TOLERANCE_S <= third <= upper + TICK_TOLERANCE_S,
        listing,
        check="duration counts recorded time only",
        title="after a resume, duration is not the whole recorded time (before and after the pause)",
        expected=f"{lower:.2f}s..{upper:.2f}s (±{TICK_TOLERANCE_S:g}s)",
        actual=f"{third:g}s",
        provenance="A-8",
    )
    mine_is_paused(owner, scene, rec.rec_id, False)


@pytest.mark.recqual_after("test_live_state_machine")
@pytest.mark.recqual(
    family="live-state",
    operation=["startRecording", "pauseRecording", "stopRecording", "listRecordings", "getRecording"],
    check=CHECK_COMPLETED_DURATION,
    provenance="A-8",
    needs=("lines",),
)
def test_completed_duration_excludes_paused_time(
    request: pytest.FixtureRequest, scene: Scene, admin: ApiClient
) -> None:
    """A-8: the completed recording's duration is the recorded time. Record ~1.2 s, pause 3 s, stop:
    the duration must lie within the client-clock bounds of the recorded time (± the one-second
    rounding allowance), which stay well under the 4.2 s a wall-clock duration would show. The
    completed recording is the one on the line's number whose startTime is the live startedAt (A-7),
    so a lab's other recordings on that number never count.
    """
    run_sharing_waits(request, scene, admin, CHECK_COMPLETED_DURATION)


def completed_flow(scene: Scene, admin: ApiClient) -> Iterator[float]:
    """The completed-duration check; each ``yield`` is a wait of at least that many seconds."""
    _, line, rec = start_on_a_line(scene, admin, "paused")
    yield RECORDED_S
    reply, sent, received = timed(lambda: api.pause(admin, rec.rec_id))
    expect.status(reply, 204, check="set-up: pause", why="a running recording")
    rec.time.halt(sent, received)
    yield PAUSED_S
    expect.status(api.stop(admin, rec.rec_id), 204, check="set-up: stop", why="a paused live recording")
    listing, item = completed_of(admin, line, rec, CHECK_COMPLETED_DURATION)
    detail = api.get_recording(admin, str(item.get("id", "")))
    expect.status(detail, 200, check=CHECK_COMPLETED_DURATION, why="the completed recording was just listed")
    detail_body = expect.json_body(detail, check=CHECK_COMPLETED_DURATION)
    low = max(0.0, rec.time.lower - TICK_TOLERANCE_S)
    high = rec.time.upper + TICK_TOLERANCE_S
    for reply, value in ((listing, item.get("duration")), (detail, detail_body.get("duration"))):
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
                f"{low:.2f}..{high:.2f}s (recorded {rec.time.lower:.2f}..{rec.time.upper:.2f}s "
                f"±{TICK_TOLERANCE_S:g}s; the {PAUSED_S:g}s paused do not count)"
            ),
            actual=value,
            provenance="A-8",
        )


# -- sharing the waits --------------------------------------------------------------------------------
FLOWS: dict[str, tuple[str, Callable[[Scene, ApiClient], Flow]]] = {
    CHECK_FROZEN: ("test_duration_frozen_while_paused", frozen_flow),
    CHECK_COMPLETED_DURATION: ("test_completed_duration_excludes_paused_time", completed_flow),
}
"""Each check of this module: its test function and its flow."""
_LENT = pytest.StashKey[SharedWaits]()
"""Flows lent to another check's waits (the state machine's), finished by the first of them to report."""
_RAN = pytest.StashKey[set[str]]()


def _flows_not_run(request: pytest.FixtureRequest, scene: Scene, admin: ApiClient) -> dict[str, Flow]:
    """This module's selected checks that have not run yet, each as a flow, marked as run. Several at
    once only on the emulator (each flow takes fresh lines; a lab may declare too few for two)."""
    session = request.session
    ran = session.stash.setdefault(_RAN, set())
    selected = {getattr(item, "originalname", item.name) for item in session.items}
    flows = {
        check: flow(scene, admin)
        for check, (test, flow) in FLOWS.items()
        if check not in ran and test in selected
    }
    ran.update(flows)
    return flows


def lend_to_waits_of(request: pytest.FixtureRequest, scene: Scene, admin: ApiClient) -> SharedWaits | None:
    """For a check that mostly sleeps (the state machine, which the plugin runs before this module's
    checks): this module's flows, to be run inside its sleeps (``SharedWaits.sleep``) and finished
    (``SharedWaits.finish``) before that check ends, as the scene hangs up the calls a check placed
    when it ends. ``None`` on a lab, or when none of this module's checks is selected."""
    if not scene.is_emulator:
        return None
    flows = _flows_not_run(request, scene, admin)
    if not flows:
        return None
    waits = request.session.stash[_LENT] = SharedWaits(flows)
    return waits


def run_sharing_waits(request: pytest.FixtureRequest, scene: Scene, admin: ApiClient, check: str) -> None:
    """Report ``check``'s outcome: of its flow lent to another check's waits (finished here if it has
    not ended), or else run now, on the emulator together with this module's other selected checks."""
    session = request.session
    waits = session.stash.get(_LENT, None)
    if waits is None or check not in waits.names:
        flows = {check: FLOWS[check][1](scene, admin)}
        session.stash.setdefault(_RAN, set()).add(check)
        if scene.is_emulator:
            flows.update(_flows_not_run(request, scene, admin))
        waits = session.stash[_LENT] = SharedWaits(flows)
    outcome = waits.finish()[check]
    if outcome is not None:
        raise outcome
