"""Every access level on every addressing of a live recording, in every cycle (reference 2.3, 5, A-15).

The level matrix acts once on a fresh recording. A permission bug can hide in a combination: the
owner of a recording forgotten after its first pause/resume cycle (anyone may then pause it), a
line check done for the by-id form but not by line, ``/Mine`` stopping whatever the caller may
see instead of the caller's own. This check covers every pair of level (10, 2, 1, 0) x addressing
(by id, by line, ``/Mine``) x action (pause, resume, stop) x whose line (own, another user's) x cycle
(the recording's first, or after a pause/resume cycle), and after each request compares the whole
observable state with what the answer claims:

- level 0: 403 (A-15); levels 1 and 2 on another user's line: 403 (documented: acting on lines other
  than one's own needs Complete Management); ``/Mine`` when only another user's line records: 409
  (documented: the caller has no active recording); otherwise the action succeeds (204; level 10
  documented, 1 and 2 on their own line A-15);
- a refused request changes nothing: the recording is still live, paused exactly as before; a
  successful one did what it said (paused, resumed, gone from the live list). Read by level 10.

Lines: on the emulator each role's own line and one other user's line are placed for the check; on
a lab the declared standing-call lines (each lent for the whole check and reset between rows), so a
role without its own standing line plays only the rows on another user's line.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from typing import Any

import pytest

from contract import api, expect
from contract.client import ApiClient, Reply
from contract.pair_ledger import PairLedger
from contract.scene import Call, Scene, User
from strategies.pairwise import covering_rows

CHECK = "every level, every addressing and cycle of a live recording"
ROLES = {"l10": 10, "l2": 2, "l1": 1, "l0": 0}

DIMENSIONS: dict[str, tuple[Hashable, ...]] = {
    "role": tuple(ROLES),
    "address": ("id", "line", "mine"),
    "action": ("pause", "resume", "stop"),
    "line": ("own", "other"),
    "cycle": ("first", "second"),
}


def allowed(row: Mapping[str, Hashable]) -> bool:
    """``/Mine`` only stops (pause and resume have no ``/Mine`` form)."""
    return not (row.get("address") == "mine" and row.get("action", "stop") != "stop")


def expected(row: Mapping[str, Hashable]) -> tuple[int, str]:
    """(status, provenance) for a row, on a line with a live recording in the state its action needs."""
    level = ROLES[str(row["role"])]
    if level == 0:
        return 403, "A-15"
    if row["address"] == "mine":
        if row["line"] == "other":
            return 409, "documented"
        return 204, "documented" if level == 10 else "A-15"
    if row["line"] == "other" and level != 10:
        return 403, "documented"
    return 204, "documented" if level == 10 else "A-15"


def after(row: Mapping[str, Hashable], succeeded: bool) -> tuple[bool, bool]:
    """(still live, paused) once the row's request has been answered."""
    paused_before = row["action"] == "resume"
    if not succeeded:
        return True, paused_before
    if row["action"] == "stop":
        return False, False
    return True, row["action"] == "pause"


def _send(client: ApiClient, row: Mapping[str, Hashable], rec: str, call: Call) -> Reply:
    line, action = call.line, str(row["action"])
    if row["address"] == "mine":
        return api.stop_mine(client)
    if row["address"] == "id":
        return {"pause": api.pause, "resume": api.resume, "stop": api.stop}[action](client, rec)
    if action == "stop":
        return api.stop_by_line(client, line.device_name, line.directory_number)
    by_line = api.pause_by_line if action == "pause" else api.resume_by_line
    return by_line(client, line.directory_number)


def _live(admin: ApiClient, call: Call, rec: str) -> dict[str, Any] | None:
    reply = api.list_active(admin, deviceName=call.line.device_name)
    expect.status(reply, 200, check=CHECK, why="level 10 lists the line's live recordings")
    items = reply.json_or_none()
    return next(
        (i for i in (items if isinstance(items, list) else []) if str(i.get("id", "")).lower() == rec),
        None,
    )


def _prepare(admin: ApiClient, call: Call, row: Mapping[str, Hashable], every: list[Call]) -> str:
    """A fresh live recording on ``call``'s line in the state the row needs (level 10 does it), and
    none on the caller's own line otherwise (``every``: both lines), so ``/Mine`` has only what the
    row put there."""
    for held in every:
        api.stop_by_line(admin, held.line.device_name, held.line.directory_number)
    line = call.line
    reply = api.start(admin, {"deviceName": line.device_name, "directoryNumber": line.directory_number})
    expect.status(reply, 201, check=CHECK, why="set-up: level 10 starts a recording")
    rec = str(reply.json()["id"]).lower()
    steps = (["pause", "resume"] if row["cycle"] == "second" else []) + (
        ["pause"] if row["action"] == "resume" else []
    )
    for step in steps:
        act = api.pause if step == "pause" else api.resume
        expect.status(act(admin, rec), 204, check=CHECK, why=f"set-up: level 10 {step}s it")
    return rec


class Cast:
    """Each role's caller, its own line (when it has one) and another user's line."""

    def __init__(self, scene: Scene) -> None:
        self.callers: dict[str, User] = {}
        self.own: dict[str, Call] = {}
        self.other: dict[str, Call] = {}
        if scene.is_emulator:
            _, shared = scene.line_with_call(stem="otherline")
            for role in ROLES:
                owner, call = scene.line_with_call(role=role, stem=f"live{role}")
                assert owner is not None
                self.callers[role], self.own[role], self.other[role] = owner, call, shared
            return
        held = scene.lines_with_calls(min(2, scene.standing_line_count))
        for role in ROLES:
            if role not in scene.users:
                continue
            self.callers[role] = scene.users[role]
            for owner, call in held:
                if owner is not None and owner.username.lower() == scene.users[role].username.lower():
                    self.own[role] = call
                elif call.line.role is not None:
                    self.other.setdefault(role, call)

    def line(self, row: Mapping[str, Hashable]) -> Call | None:
        role = str(row["role"])
        return (self.own if row["line"] == "own" else self.other).get(role)


@pytest.mark.recqual(family="auth", operation="(each)", check=CHECK, provenance="A-15", needs=("lines",))
def test_every_level_every_addressing_and_cycle(scene: Scene, admin: ApiClient, pairs: PairLedger) -> None:
    """Each pair of (level, addressing, action, whose line, cycle): the answer, then the state."""
    cast = Cast(scene)
    ran: list[dict[str, Hashable]] = []
    try:
        for row in covering_rows(DIMENSIONS, allowed):
            call = cast.line(row)
            caller = cast.callers.get(str(row["role"]))
            if call is None or caller is None:
                continue  # a lab role without that line (the pair coverage shows it)
            own = cast.own.get(str(row["role"]))
            rec = _prepare(admin, call, row, [call] + ([own] if own is not None and own is not call else []))
            status, provenance = expected(row)
            whose = "its own" if row["line"] == "own" else "another user's"
            what = (
                f"level {ROLES[str(row['role'])]} {row['action']} by {row['address']} on {whose} line, "
                f"{row['cycle']} cycle"
            )
            reply = _send(scene.client_for(caller), row, rec, call)
            expect.status(reply, status, check=CHECK, why=what, provenance=provenance)
            live, paused = after(row, reply.status == 204)
            state = _live(admin, call, rec)
            got = (state is not None, bool(state.get("isPaused")) if state else False)
            expect.that(
                got == (live, paused),
                reply,
                check=CHECK,
                title=f"{what}: answered {reply.status} but the recording is "
                + ("gone" if state is None else "paused" if got[1] else "recording"),
                expected="gone" if not live else "paused" if paused else "recording (not paused)",
                actual="gone" if state is None else f"isPaused={got[1]}",
                provenance=provenance,
            )
            ran.append(row)
    finally:
        pairs.record("(each)", ran, DIMENSIONS, allowed)
