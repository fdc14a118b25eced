"""Which line a live request acts on: both names must match one call; a known line without a call.

Invariant: a start naming the device of one connected call and the directory number of another
records nothing (2.3 [doc]: if both names are given the call must match both); on a known line with
no connected call, a start (by device, by DN, by both; with no body as the line's owner) is 409
(A-16: the line is known, so not 400 reason 1), and pause/resume by DN and stop by line are 409 (2.3:
no live recording on that line).

Both run on a lab: the first on two declared standing-call lines (two different devices and
numbers), the second on a declared ``call = "none"`` line; the emulator makes both with fresh users.
The state machine reaches the no-call 409 only after a hang-up, which a lab cannot do.
"""

from __future__ import annotations

from typing import Any

import pytest

from contract import api, expect
from contract.client import ApiClient
from contract.live_model import Outcome, check_outcome, live_on_line, require_unrecorded
from contract.scene import Scene

CHECK_BOTH_NAMES = "start naming both: the call must match both"
CHECK_IDLE = "a known line with no call: 409"


@pytest.mark.recqual(
    family="live-state",
    operation=["startRecording", "listActiveRecordings"],
    check=CHECK_BOTH_NAMES,
    needs=("lines",),
)
def test_start_names_must_match(scene: Scene, admin: ApiClient) -> None:
    """Reference 2.3 [doc]: if both deviceName and directoryNumber are given, the call must match
    both. Two lines each have a connected call; a start naming one's device and the other's DN
    matches no call, so nothing may be recorded: the documented refusals are 400 (line unknown) or
    409 (no connected call); A-16 makes it 400 reason 1 (that pair is not a line), with deviceName.

    Every other start names a matching pair, so a server looking the call up by device alone (and
    ignoring the DN) passes them all. Needs two lines with calls (a lab: two declared standing lines
    on different devices and numbers).
    """
    a, b = (call.line for _, call in scene.lines_with_calls(2, owned=False, stem="pair"))
    if a.device_name == b.device_name or a.directory_number == b.directory_number:
        pytest.skip(f"needs two lines on different devices and numbers; declared: {a} and {b}")
    for line in (a, b):
        require_unrecorded(admin, line.device_name, line.directory_number)
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
    for line in (a, b):
        for query in ({"deviceName": line.device_name}, {"directoryNumber": line.directory_number}):
            reply = api.list_active(admin, **query)
            expect.status(reply, 200, check=CHECK_BOTH_NAMES, why="level 10 lists active recordings")
            body = expect.json_body(reply, check=CHECK_BOTH_NAMES)
            listed = body if isinstance(body, list) else []
            expect.that(
                not listed,
                reply,
                check=CHECK_BOTH_NAMES,
                title=f"a start whose names matched no call recorded the call on {query}",
                expected="no live recording",
                actual=[r.get("id") for r in listed if isinstance(r, dict)],
            )


@pytest.mark.recqual(
    family="live-state",
    operation=[
        "startRecording",
        "pauseRecordingsByLine",
        "resumeRecordingsByLine",
        "stopRecordingByLine",
        "listActiveRecordings",
    ],
    check=CHECK_IDLE,
    provenance="A-16",
)
def test_known_line_without_call(scene: Scene, admin: ApiClient) -> None:
    """A known line with no connected call: start by device, by DN and by both is 409 (A-16: known,
    so not 400 reason 1), pause/resume by DN and stop by line are 409 (2.3: none on the line, A-17),
    and nothing gets recorded. On a lab whose idle line is a declared role's only line, a start with
    no body as that user is 409 too: the caller's own line has no call (A-15/A-16); on the emulator
    the state machine covers that case (a body-less start after a hang-up).
    """
    line = scene.idle_line()
    device, dn = line.device_name, line.directory_number
    steps: list[tuple[Any, str, str]] = [
        (lambda: api.start(admin, {"deviceName": device}), "A-16", "start by device"),
        (lambda: api.start(admin, {"directoryNumber": dn}), "A-16", "start by DN"),
        (lambda: api.start(admin, {"deviceName": device, "directoryNumber": dn}), "A-16", "start by both"),
        (lambda: api.pause_by_line(admin, dn), "A-16,A-17", "pause by DN"),
        (lambda: api.resume_by_line(admin, dn), "A-16,A-17", "resume by DN"),
        (lambda: api.stop_by_line(admin, device, dn), "A-16,A-17", "stop by line"),
    ]
    owner = scene.users.get(line.role) if line.role else None
    declared = sum(1 for ln in scene.config.lines if ln.role == line.role) if line.role else 1
    if owner is not None and owner.level >= 1 and declared == 1:
        client = scene.client_for(owner)
        steps.append((lambda: api.start(client), "A-15,A-16", "start with no body as the line's owner"))
    for send, provenance, what in steps:
        check_outcome(
            send(),
            Outcome.of(
                409, f"{what} on {device}/{dn}: a known line with no connected call", provenance=provenance
            ),
            CHECK_IDLE,
        )
    reply, items = live_on_line(admin, device, dn, CHECK_IDLE)
    expect.that(
        not items,
        reply,
        check=CHECK_IDLE,
        title="a refused start on a line with no call left a live recording",
        expected="none",
        actual=sorted(items),
    )
