"""What the server shows of live recordings, judged against the model (reference 2.3, 3, A-7, A-8).

Every view of a live recording must tell the same story as the model after every step: the live
list unfiltered and by each documented filter (``deviceName``, ``directoryNumber``, ``username``,
``numericUserId``), ``/Mine`` of its owner, and once stopped the completed recording (list and
detail). A bug that hides in a combination shows in one view only (a paused recording running in
``/Mine`` after a pause by DN; a device-filtered list that lags behind): so each view is read and
judged in full, not just the view the step touched.

Shared by the state machine (``test_live_machine.py``) and the multi-cycle walks
(``test_live_cycles.py``); the model and the line-level reads are ``contract/live_model.py``.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from typing import Any

from contract import api, expect
from contract.client import ApiClient, Reply
from contract.live_model import (
    TICK_TOLERANCE_S,
    LineModel,
    LiveModel,
    LiveRec,
    check_remote_party,
    duration_s,
    now,
    ticks_of,
)
from strategies.rhs_colon import TICKS_PER_SECOND

STARTED_AT_JITTER_S = 0.5
"""How far two renderings of one recording's ``startedAt`` may differ: a store may round it (SQL
Server's ``datetime`` keeps 1/300 s) between a cached and a re-read copy, never by half a second; a
server that moves ``startedAt`` at a resume moves it by at least the stretch recorded before."""


@dataclass(frozen=True)
class View:
    """One read of a live list: what was asked (``where``), the answer and its client-clock times."""

    where: str
    reply: Reply
    sent: float
    received: float


def read(where: str, send: Callable[[], Reply]) -> View:
    sent = now()
    reply = send()
    return View(where, reply, sent, now())


def unfiltered(admin: ApiClient) -> View:
    return read("live list", lambda: api.list_active(admin))


def filtered(admin: ApiClient, **query: str) -> View:
    where = "live list by " + " and ".join(f"{k}={v}" for k, v in sorted(query.items()))
    return read(where, lambda: api.list_active(admin, **query))


def mine(client: ApiClient, username: str) -> View:
    return read(f"/Mine of {username}", lambda: api.list_mine(client))


def owned_by(model: LiveModel, username: str) -> set[str]:
    """Ids of the model's live recordings on lines whose owner is ``username``."""
    return {
        line.rec.rec_id
        for line in model.lines
        if line.rec is not None and line.owner is not None and line.owner.lower() == username.lower()
    }


def on_lines(model: LiveModel, keep: Callable[[LineModel], bool]) -> set[str]:
    """Ids of the model's live recordings on the lines ``keep`` selects."""
    return {line.rec.rec_id for line in model.lines if line.rec is not None and keep(line)}


def concerns_model(model: LiveModel) -> Callable[[dict[str, Any]], bool]:
    """Which items of an unfiltered list concern the model: its recordings (live or stopped) and any
    other owned by one of its lines' owners (a recording the model does not know of: a phantom).
    Everything else on a lab's live list is somebody else's and is left alone."""
    known = set(model.live()) | model.stopped
    owners = {line.owner.lower() for line in model.lines if line.owner}

    def concerns(item: dict[str, Any]) -> bool:
        rec_id = str(item.get("id", "")).lower()
        username = str((item.get("localParty") or {}).get("username", "")).lower()
        return rec_id in known or username in owners

    return concerns


def judge_view(
    view: View,
    model: LiveModel,
    want: Collection[str],
    check: str,
    *,
    concerns: Callable[[dict[str, Any]], bool] | None = None,
    provenance: str = "documented",
) -> None:
    """``view`` lists exactly the recordings ``want`` (each once), each as the model describes it.

    ``concerns``: which items the view's expectation is about (``None``: every item, as for a list
    filtered to the model's own lines or owners, where anything else is a filter that leaks).
    ``provenance``: what the 200 and the set of ids rest on (e.g. A-15 for a level-1 ``/Mine``).
    """
    expect.status(
        view.reply, 200, check=check, why=f"{view.where}: a read of live recordings", provenance=provenance
    )
    body = expect.json_body(view.reply, check=check, provenance=provenance)
    items = [i for i in body if isinstance(i, dict)] if isinstance(body, list) else []
    expect.that(
        isinstance(body, list),
        view.reply,
        check=check,
        title=f"{view.where} is not a JSON array",
        expected="LiveRecording[]",
        actual=type(body).__name__,
    )
    ours = [i for i in items if concerns is None or concerns(i)]
    ids = [str(i.get("id", "")).lower() for i in ours]
    twice = sorted({rid for rid in ids if ids.count(rid) > 1})
    expect.that(
        not twice,
        view.reply,
        check=check,
        title=f"{view.where} lists a live recording more than once",
        expected="each live recording once",
        actual=twice,
        provenance=provenance,
    )
    wanted = {rid.lower() for rid in want}
    expect.that(
        set(ids) == wanted,
        view.reply,
        check=check,
        title=f"{view.where} does not hold exactly the model's live recordings",
        expected=_describe(model, wanted),
        actual=_describe(model, set(ids)),
        provenance=provenance,
    )
    live = model.live()
    for item in ours:
        rec = live[str(item.get("id", "")).lower()]
        judge_item(view, model.lines[rec.line], rec, item, check)


def _describe(model: LiveModel, ids: set[str]) -> list[str]:
    """Ids with what the model knows of them, so a failure names the line and the state."""
    live, out = model.live(), []
    for rid in sorted(ids):
        rec = live.get(rid)
        if rec is None:
            out.append(f"{rid} ({'stopped' if rid in model.stopped else 'unknown to the check'})")
            continue
        line = model.lines[rec.line]
        state = "paused" if rec.paused else "running"
        out.append(f"{rid} (line {line.device}/{line.dn}, {state}, after {rec.resumes} pause/resume cycles)")
    return out


def judge_item(view: View, line: LineModel, rec: LiveRec, item: Mapping[str, Any], check: str) -> None:
    """One LiveRecording against the model: ``isPaused``; ``duration`` within the client-clock bounds
    of the recorded time (A-8: every stretch recorded, none paused, across every cycle);
    ``startedAt`` the same instant as first seen (A-7: it is the completed ``startTime``); the local
    party the line's owner (A-7) and the far end the call's."""
    cycle = f" (after {rec.resumes} pause/resume cycles)"
    if rec.started_at is None:
        rec.started_at = item.get("startedAt")
        started = ticks_of(rec.started_at)
        if started is not None:
            line.starts[rec.rec_id] = started
    else:
        first, seen = ticks_of(rec.started_at), ticks_of(item.get("startedAt"))
        expect.that(
            first is not None
            and seen is not None
            and abs(seen - first) <= STARTED_AT_JITTER_S * TICKS_PER_SECOND,
            view.reply,
            check=check,
            title=f"{view.where}: startedAt of {rec.rec_id} moved{cycle}",
            expected=f"{rec.started_at} (as first listed)",
            actual=item.get("startedAt"),
            provenance="A-7",
        )
    expect.that(
        item.get("isPaused") is rec.paused,
        view.reply,
        check=check,
        title=f"{view.where}: isPaused of {rec.rec_id} is wrong{cycle}",
        expected=rec.paused,
        actual=item.get("isPaused"),
    )
    lower, upper = rec.time.bounds(view.sent, view.received)
    expect.that(
        _within(item.get("duration"), lower, upper),
        view.reply,
        check=check,
        title=f"{view.where}: duration of {rec.rec_id} is not its recorded time{cycle}",
        expected=f"{lower:.2f}s..{upper:.2f}s (±{TICK_TOLERANCE_S:g}s): paused time excluded",
        actual=item.get("duration"),
        provenance="A-8",
    )
    if line.owner is not None:
        local = item.get("localParty")
        username = str((local if isinstance(local, dict) else {}).get("username", ""))
        expect.that(
            username.lower() == line.owner.lower(),
            view.reply,
            check=check,
            title=f"{view.where}: localParty of {rec.rec_id} is not the line's user{cycle}",
            expected=line.owner,
            actual=local,
            provenance="A-7",
        )
    check_remote_party(view.reply, dict(item), line.far, check)


def judge_completed(
    admin: ApiClient, reply: Reply, item: Mapping[str, Any], line: LineModel, rec: LiveRec, check: str
) -> None:
    """A-7: the completed recording carries the line's number and owner, the call's far end and
    direction; A-8: its duration is the recorded time across every cycle, in the list and in the
    detail (``getRecording``), where the owner is the line's user too."""
    cycles = f" (after {rec.resumes} pause/resume cycles, stopped {'paused' if rec.paused else 'running'})"
    lower, upper = rec.time.lower, rec.time.upper
    number = line.far.want_number(item.get("remotePartyNumber"))
    direction = line.far.want_direction(item.get("direction"))
    fields: dict[str, tuple[bool, Any]] = {
        "localPartyNumber": (item.get("localPartyNumber") == line.dn, line.dn),
        "remotePartyNumber": (
            item.get("remotePartyNumber") == number,
            number + line.far.basis("phoneNumber"),
        ),
        "direction": (item.get("direction") == direction, f"{direction}{line.far.basis('direction')}"),
        "duration": (_within(item.get("duration"), lower, upper), f"{lower:.2f}..{upper:.2f}s recorded"),
    }
    if line.owner is not None:
        owner = str(item.get("ownerUsername", ""))
        fields["ownerUsername"] = (owner.lower() == line.owner.lower(), line.owner)
    for name, (ok, want) in fields.items():
        expect.that(
            ok,
            reply,
            check=check,
            title=f"the completed recording's {name} is not the call's{cycles}",
            expected=want,
            actual=item.get(name),
            provenance="A-7,A-8" if name == "duration" else "A-7",
        )
    detail = api.get_recording(admin, str(item.get("id", "")))
    expect.status(detail, 200, check=check, why="the completed recording was just listed")
    body = expect.json_body(detail, check=check)
    body = body if isinstance(body, dict) else {}
    expect.that(
        _within(body.get("duration"), lower, upper),
        detail,
        check=check,
        title=f"the completed recording's detail gives another duration than its recorded time{cycles}",
        expected=f"{lower:.2f}..{upper:.2f}s (±{TICK_TOLERANCE_S:g}s)",
        actual=body.get("duration"),
        provenance="A-7,A-8",
    )
    if line.owner is not None:
        detail_owner = body.get("owner")
        named = str(detail_owner.get("username", "")) if isinstance(detail_owner, dict) else ""
        expect.that(
            named.lower() == line.owner.lower(),
            detail,
            check=check,
            title=f"the completed recording's owner is not the line's user{cycles}",
            expected=line.owner,
            actual=detail_owner,
            provenance="A-7",
        )


def _within(value: Any, lower: float, upper: float) -> bool:
    """``value`` is an ISO-8601 duration within ``lower..upper`` seconds, give or take the rounding
    allowance (an unreadable one is not: the schema checks say why)."""
    try:
        got = duration_s(str(value))
    except ValueError:
        return False
    return lower - TICK_TOLERANCE_S <= got <= upper + TICK_TOLERANCE_S
