"""Devices a lab cannot declare: automatic recording, unmonitorable, two devices on one DN (A-18, 2.3).

Invariant: a call on an automatic-recording device is recorded at once by the line's user, a manual
start on it is 400 reason 4 and stopping it by id 400 reason 2 (A-18); a start on an unmonitorable
call is 400 reason 1 with ``deviceName`` and records nothing (A-18); where two devices share one
directory number, pause/resume by DN act on every recording of the line and pause/resume/stop by id
on the recording named only (2.3).

Emulator only, each for the same reason: the set-up is a device configuration no target file can
declare (``[[lines]]`` names a device, a number, a role and whether a call stands; not how the PBX
treats the device, nor a second device on the same number), so on a lab these are skipped with that
reason. The state machine (``test_live_machine.py``) never places such calls.
"""

from __future__ import annotations

from typing import Any

import pytest

from contract import api, expect
from contract.client import ApiClient, Reply
from contract.live_model import Outcome, check_outcome
from contract.scene import Line, Scene, User


def live_of(admin: ApiClient, username: str, check: str) -> tuple[Reply, dict[str, dict[str, Any]]]:
    """The live recordings owned by ``username`` (by ``localParty.username``), keyed by lowercase id.

    Reads the unfiltered list on purpose: these checks judge start/stop/pause, not the list's filters
    (the user is a fresh emulator user, so nobody else's recordings can be attributed to it).
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
    Emulator only: an automatic-recording device is PBX configuration no target file declares.
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
    Emulator only: an unmonitorable device is PBX configuration no target file declares.
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
    than one there; here two devices share the user's DN and both are recorded. Emulator only: a
    target file declares one device per line, never two devices sharing one DN.
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
    share the DN, so the sibling recording must keep its state at every step. Emulator only (two
    devices on one DN cannot be declared); on two separate lab lines the state machine already sees a
    by-id action spill over onto another line.
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
