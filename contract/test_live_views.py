"""Every live view of a recording stays valid and consistent through two pause cycles (2.3, section 3).

Invariant: after each step of start, pause (by id), resume (by id), pause (by line), pause again
(by id: 429), resume (by line), resume again (by id: 429), pause (by id), each view that shows the
recording (the active list, the active list filtered by its line, the owner's /Mine) shows it

- as a valid ``LiveRecording`` (the spec's model: an ISO-8601 duration, a date-time startedAt with
  up to 7 digits and an optional zone, A-11; every answer item, not just ours);
- with the ``isPaused`` the step implies (documented), and the same ``startedAt`` instant it had
  when it started (the start does not move when the recording is paused);

and each step answers its documented status (pause 204, or 429 when already paused; resume 204, or
429 when not paused), in every cycle, not just the first.

Why beside the state machine: the machine draws its steps and reads the line's list; a bug in one
view (/Mine) for one state (paused), or only after a first pause/resume cycle, needs every view at
every step of a fixed multi-cycle walk. The pairs (step x view) reached are recorded.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any

import pytest

import specs
from contract import api, expect
from contract.client import ApiClient, Reply
from contract.live_model import lent_line
from contract.pair_ledger import PairLedger
from contract.scene import Scene
from contract.schema_checks import model_errors
from contract.spec_provenance import load, response_provenance
from strategies.rhs_colon import Instant

CHECK = "live views through two pause cycles"

Step = tuple[str, Callable[[ApiClient, str, str], Reply], int, bool]
STEPS: tuple[Step, ...] = (
    ("pause by id", lambda c, rec, dn: api.pause(c, rec), 204, True),
    ("resume by id", lambda c, rec, dn: api.resume(c, rec), 204, False),
    ("pause by line", lambda c, rec, dn: api.pause_by_line(c, dn), 204, True),
    ("pause again by id", lambda c, rec, dn: api.pause(c, rec), 429, True),
    ("resume by line", lambda c, rec, dn: api.resume_by_line(c, dn), 204, False),
    ("resume again by id", lambda c, rec, dn: api.resume(c, rec), 429, False),
    ("pause by id, third cycle", lambda c, rec, dn: api.pause(c, rec), 204, True),
)
"""(name, request, documented status, isPaused afterwards)."""

VIEWS = ("all", "line", "mine")


def view_dimensions(views: tuple[str, ...]) -> dict[str, tuple[Hashable, ...]]:
    return {"step": ("started", *(s[0] for s in STEPS)), "view": views}


def model_failure(reply: Reply, operation: str, items: list[Any]) -> None:
    """Every item of a live list must be a valid LiveRecording (provenance from the spec path)."""
    for index, item in enumerate(items):
        errors = model_errors(specs.LIVE_RECORDINGS, "LiveRecording", item)
        if errors:
            path, message = errors[0]
            spec = load(str(specs.LIVE_RECORDINGS))
            expect.that(
                False,
                reply,
                check=CHECK,
                title=f"a live list item does not match LiveRecording at {'/'.join(map(str, path))}",
                expected="a LiveRecording (specs/live-recordings.yaml)",
                actual=message,
                provenance=response_provenance(spec, operation, 200, [index, *path]),
            )


def same_instant(a: Any, b: Any) -> bool:
    try:
        return Instant.parse(str(a)) == Instant.parse(str(b))
    except ValueError:
        return False


@pytest.mark.recqual(
    family="live-state",
    operation=[
        "startRecording",
        "pauseRecording",
        "resumeRecording",
        "pauseRecordingsByLine",
        "resumeRecordingsByLine",
        "listActiveRecordings",
        "listMyActiveRecordings",
        "stopRecording",
    ],
    check=CHECK,
    needs=("lines",),
)
def test_live_views_through_cycles(admin: ApiClient, scene: Scene, pairs: PairLedger) -> None:
    owner, call = scene.line_with_call(stem="views", owned=True)
    line = lent_line(admin, owner, call, scene.upload_window.server_now())
    mine = scene.client_for(owner) if owner is not None and owner.credentials.password else None
    views = VIEWS if mine is not None else VIEWS[:2]
    dims = view_dimensions(views)
    reply = api.start(admin, {"deviceName": line.device, "directoryNumber": line.dn})
    expect.status(reply, 201, check=CHECK, why="a connected call nobody records")
    rec = str((reply.json_or_none() or {}).get("id", "")).lower()
    scene.on_cleanup(lambda: api.stop(admin, rec))
    first_started: list[Any] = []
    ran: list[dict[str, Hashable]] = []

    def look(step: str, paused: bool) -> None:
        readers: dict[str, tuple[str, Callable[[], Reply]]] = {
            "all": ("listActiveRecordings", lambda: api.list_active(admin)),
            "line": (
                "listActiveRecordings",
                lambda: api.list_active(admin, deviceName=line.device, directoryNumber=line.dn),
            ),
        }
        if mine is not None:
            readers["mine"] = ("listMyActiveRecordings", lambda: api.list_mine(mine))
        for view, (operation, read) in readers.items():
            answer = read()
            expect.status(answer, 200, check=CHECK, why=f"{view} view after '{step}'")
            body = expect.json_body(answer, check=CHECK)
            items = [i for i in body if isinstance(i, dict)] if isinstance(body, list) else []
            model_failure(answer, operation, items)
            item = next((i for i in items if str(i.get("id", "")).lower() == rec), None)
            if not first_started and item is not None:
                first_started.append(item.get("startedAt"))
            expect.that(
                item is not None and item.get("isPaused") is paused,
                answer,
                check=CHECK,
                title=f"after '{step}' the {view} view shows the recording wrong",
                expected=f"{rec} with isPaused {paused}",
                actual=item if item is not None else "absent",
            )
            assert item is not None
            expect.that(
                same_instant(item.get("startedAt"), first_started[0]),
                answer,
                check=CHECK,
                title=f"after '{step}' the {view} view moved startedAt",
                expected=first_started[0],
                actual=item.get("startedAt"),
            )
            ran.append({"step": step, "view": view})

    try:
        look("started", False)
        for step in STEPS:
            name, send, status, paused = step
            expect.status(
                send(admin, rec, line.dn),
                status,
                check=CHECK,
                why=f"'{name}' after {' -> '.join(['start', *[s[0] for s in STEPS][: STEPS.index(step)]])}",
            )
            look(name, paused)
    finally:
        pairs.record("listActiveRecordings", ran, dims)
    expect.status(api.stop(admin, rec), 204, check=CHECK, why="stop the live recording this check started")
