"""One full start/pause/resume/stop cycle on every line the run may record (reference 2.3, A-7).

Invariant: on each line with a connected call, start is 201 and the recording is listed running;
pause 204 -> listed paused -> pause 429; resume 204 -> listed running -> resume 429; stop 204 -> gone
from the live list, stop again 409; within 2 seconds a completed recording on the line's number whose
startTime is the live startedAt (A-7).

Why a check of its own: the state machine (``test_live_machine.py``) walks at most three lines at
random; this cycle visits every declared standing-call line of a lab once, in a fixed order, so a
line the server cannot record is named in the report (one fresh line on the emulator). The module
keeps its historical name: ``tests/contract/test_faulty_servers.py`` runs it against a lab.
"""

from __future__ import annotations

import pytest

from contract import api, expect
from contract.client import ApiClient
from contract.live_model import LineModel, LiveRec, completed_of, lent_line, live_on_line
from contract.scene import Scene

CHECK = "configured lines: start, pause, resume, stop"


def listed_state(admin: ApiClient, line: LineModel, rec: str, paused: bool | None, why: str) -> None:
    """The line's live list shows ``rec`` with ``isPaused`` ``paused`` (``None``: not at all)."""
    reply, items = live_on_line(admin, line.device, line.dn, "configured lines: live list")
    item = items.get(rec.lower())
    expect.that(
        (item is None) if paused is None else (item is not None and item.get("isPaused") is paused),
        reply,
        check="configured lines: live list",
        title=why,
        expected="absent" if paused is None else f"{rec} with isPaused {paused}",
        actual=item if item is not None else "absent",
        provenance="A-7" if paused is None else "documented",
    )


def cycle(scene: Scene, admin: ApiClient) -> None:
    """One lent line: start, the state changes with the live list read after each, the hand-over."""
    owner, call = scene.line_with_call(owned=False)
    line = lent_line(admin, owner, call, scene.upload_window.server_now())
    body = {"deviceName": line.device, "directoryNumber": line.dn}
    reply = api.start(admin, body)
    expect.status(
        reply,
        201,
        check="configured lines: start",
        why=f"{body}: a connected call, not recorded (as the --target-file promises)",
    )
    rec = LiveRec(str(reply.json()["id"]).lower(), 0)
    scene.on_cleanup(lambda: api.stop(admin, rec.rec_id))
    _, items = live_on_line(admin, line.device, line.dn, "configured lines: live list")
    rec.started_at = (items.get(rec.rec_id) or {}).get("startedAt")
    listed_state(admin, line, rec.rec_id, False, "a started recording is not listed as running")
    for send, status, paused, why in (
        (api.pause, 204, True, "pause a running recording"),
        (api.pause, 429, True, "pause a paused recording"),
        (api.resume, 204, False, "resume a paused recording"),
        (api.resume, 429, False, "resume a running recording"),
        (api.stop, 204, None, "stop a live recording"),
        (api.stop, 409, None, "stop a stopped recording"),
    ):
        expect.status(send(admin, rec.rec_id), status, check="configured lines: state changes", why=why)
        listed_state(admin, line, rec.rec_id, paused, f"after '{why}' the live list disagrees")
    completed_of(admin, line, rec, "configured lines: stop hands over")


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
    check=CHECK,
    needs=("lines",),
)
def test_configured_lines(scene: Scene, admin: ApiClient) -> None:
    """On each usable standing-call line of a lab (one fresh line on the emulator), one full cycle."""
    for _ in range(scene.standing_line_count):
        cycle(scene, admin)
