"""Targeted scenarios that make a fault visible in a few requests: proof that a fault the suite
missed is a real, observable violation (and a sketch of the check the suite lacks).

Each scenario sets its scene through the control plane, then returns ``None`` when the server behaved
as the reference says, or a sentence describing the violation it saw. Against the transparent proxy
every scenario must return ``None``; against its fault, a violation (``test_demonstrations.py``).
"""

from __future__ import annotations

import io
import json
import time
import uuid
import wave
from collections.abc import Callable
from typing import Any

import httpx

from .ops import LIVE, RECORDINGS

ADMIN = ("admin", "admin")


class Scene:
    """The few set-up steps the scenarios need, over plain HTTP."""

    def __init__(self, base: str) -> None:
        self.http = httpx.Client(base_url=base, timeout=15)
        self.tag = uuid.uuid4().hex[:6]
        self.serial = 0
        assert self.http.post("/_emulator/reset").status_code == 204

    def number(self) -> str:
        self.serial += 1
        return f"77{int(self.tag, 16) % 10_000:04d}{self.serial:03d}"

    def user(self, level: int, *, line: bool = True) -> dict[str, Any]:
        body: dict[str, Any] = {
            "username": f"demo{self.tag}{self.number()}",
            "password": "pw",
            "level": level,
        }
        if line:
            body.update(extension=self.number(), deviceName=f"SEP{self.number()}")
        assert self.http.post("/_emulator/users", json=body).status_code == 201
        return body

    def call(self, device: str, dn: str, **extra: Any) -> str:
        resp = self.http.post("/_emulator/calls", json={"deviceName": device, "directoryNumber": dn, **extra})
        assert resp.status_code == 201, resp.text
        return str(resp.json()["callId"])

    def start(self, body: dict[str, Any]) -> httpx.Response:
        return self.http.post(LIVE, json=body, auth=ADMIN)

    def upload(
        self, start: str, *, local: str, remote: str = "+390000", auth: tuple[str, str] = ADMIN, **extra: Any
    ) -> str:
        meta = {
            "startDateTime": start,
            "duration": "PT1S",
            "direction": 1,
            "localParty": {"username": "admin", "phoneNumber": local},
            "remoteParty": {"phoneNumber": remote},
            **extra,
        }
        files = {
            "jsondata": (None, json.dumps(meta), "application/json"),
            "attachment": ("a.wav", _wav(), "audio/wav"),
        }
        resp = self.http.post(RECORDINGS, files=files, auth=auth)
        assert resp.status_code == 201, resp.text
        return str(resp.json()["id"]).lower()

    def ids(self, **params: str) -> list[str]:
        resp = self.http.get(RECORDINGS, params=params, auth=ADMIN)
        assert resp.status_code == 200, resp.text
        return [str(r["id"]).lower() for r in resp.json()["recordings"]]


def _wav() -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(8000)
        out.writeframes(b"\x00\x00" * 800)
    return buffer.getvalue()


def _seconds(duration: str) -> float:
    from .ticks import parse_duration

    return (parse_duration(duration) or 0) / 10_000_000


Scenario = Callable[[Scene], str | None]
T1, T2 = "2024-05-01T10:00:00.0000000Z", "2024-05-01T11:00:00.0000000Z"


def between_bounds(s: Scene) -> str | None:
    """§4: between:T1;T2 includes a recording at T1 and excludes one at T2."""
    local = s.number()
    at_t1, at_t2 = s.upload(T1, local=local), s.upload(T2, local=local)
    got = s.ids(startTime=f"between:{T1};{T2}", localPartyNumber=local)
    if got != [at_t1]:
        return (
            f"between:{T1};{T2} returned {len(got)} recordings (at T1: {at_t1 in got}, at T2: {at_t2 in got})"
        )
    return None


def equals_whole_instant(s: Scene) -> str | None:
    """§4, A-11: equals matches the instant to the tick, not the second."""
    local = s.number()
    s.upload("2024-05-01T10:00:00.5000000Z", local=local)
    got = s.ids(startTime="equals:2024-05-01T10:00:00.0000000Z", localPartyNumber=local)
    return f"equals on another fraction of the same second matched {len(got)} recording(s)" if got else None


def _remote_query(s: Scene, stored: str, query: str) -> str | None:
    local = s.number()
    rid = s.upload(T1, local=local, remote=stored)
    got = s.ids(remoteParty=query, localPartyNumber=local)
    return (
        None if got == [rid] else f"remoteParty={query} did not match the stored {stored!r} (got {len(got)})"
    )


def escaped_backslash(s: Scene) -> str | None:
    """§4 example: remoteParty=c:\\\\x matches c:\\x."""
    return _remote_query(s, "c:\\x", "c:\\\\x")


def escaped_semicolon(s: Scene) -> str | None:
    """§4 example: remoteParty=equals:a\\;b matches a;b."""
    return _remote_query(s, "a;b", "equals:a\\;b")


def explicit_equals(s: Scene) -> str | None:
    """A-12: equals:contains:x matches the literal contains:x."""
    return _remote_query(s, "contains:x", "equals:contains:x")


def auto_record_start(s: Scene) -> str | None:
    """A-18: a manual start on an automatically recorded device is 400 reason 4."""
    user = s.user(1)
    s.call(user["deviceName"], user["extension"], autoRecord=True)
    resp = s.start({"deviceName": user["deviceName"]})
    reason = (resp.json() or {}).get("reason") if resp.content else None
    return (
        None
        if (resp.status_code, reason) == (400, 4)
        else f"start on an auto device: {resp.status_code} {reason}"
    )


def live_username_filter(s: Scene) -> str | None:
    """§2.3: listActiveRecordings?username= lists only that user's recordings."""
    users = [s.user(1), s.user(1)]
    for u in users:
        s.call(u["deviceName"], u["extension"])
        assert s.start({"deviceName": u["deviceName"]}).status_code == 201
    items = s.http.get(LIVE, params={"username": users[0]["username"]}, auth=ADMIN).json()
    owners = {i["localParty"]["username"].lower() for i in items}
    return None if owners == {users[0]["username"].lower()} else f"username filter returned owners {owners}"


def pause_by_line_all(s: Scene) -> str | None:
    """§2.3: pause by DN pauses every recording of the line (two devices sharing one DN)."""
    user = s.user(1)
    dn, second = user["extension"], f"SEP{s.number()}"
    for device in (user["deviceName"], second):
        s.call(device, dn)
        assert s.start({"deviceName": device, "directoryNumber": dn}).status_code == 201
    resp = s.http.put(LIVE + "/Pause", params={"directoryNumber": dn}, auth=ADMIN)
    items = s.http.get(LIVE, params={"directoryNumber": dn}, auth=ADMIN).json()
    paused = [i["isPaused"] for i in items]
    return (
        None if resp.status_code == 204 and paused == [True, True] else f"pause by DN left isPaused={paused}"
    )


def completed_duration(s: Scene) -> str | None:
    """A-8: the completed recording's duration is recorded time: 3 s of pause do not count."""
    user = s.user(1)
    s.call(user["deviceName"], user["extension"])
    rid = str(s.start({"deviceName": user["deviceName"]}).json()["id"])
    time.sleep(1.0)
    assert s.http.put(f"{LIVE}/{rid}/Pause", auth=ADMIN).status_code == 204
    time.sleep(3.0)
    assert s.http.delete(f"{LIVE}/{rid}", auth=ADMIN).status_code == 204
    time.sleep(0.2)
    items = s.http.get(RECORDINGS, params={"ownerUsername": user["username"]}, auth=ADMIN).json()[
        "recordings"
    ]
    got = _seconds(items[0]["duration"]) if items else -1.0
    return None if 0.5 <= got <= 2.5 else f"completed duration {got:.2f}s for ~1 s recorded and 3 s paused"


def note_author(s: Scene) -> str | None:
    """[doc] 2.2: notes are authored by, and preserved set by, the calling user (not the owner)."""
    caller = s.user(10, line=False)
    rid = s.upload(T1, local=s.number(), auth=(caller["username"], "pw"), notes="n", preserved=True)
    detail = s.http.get(f"{RECORDINGS}/{rid}", auth=ADMIN).json()
    note_by = ((detail.get("note") or {}).get("owner") or {}).get("username")
    kept_by = (detail.get("preservingUser") or {}).get("username")
    if note_by != caller["username"] or kept_by != caller["username"]:
        return f"note.owner={note_by!r}, preservingUser={kept_by!r}; the caller was {caller['username']!r}"
    return None


def owner_filter_stays_within_rights(s: Scene) -> str | None:
    """A-15: a Base Access user never lists another user's recordings, whatever ownerUsername says."""
    base, other = s.user(2), s.user(1)
    theirs = s.upload(
        T1, local=s.number(), localParty={"username": other["username"], "phoneNumber": s.number()}
    )
    resp = s.http.get(RECORDINGS, params={"ownerUsername": other["username"]}, auth=(base["username"], "pw"))
    seen = (
        [str(r["id"]).lower() for r in resp.json().get("recordings", [])] if resp.status_code == 200 else []
    )
    return f"ownerUsername={other['username']} as level 2 listed {theirs}" if theirs in seen else None


DEMONSTRATIONS: dict[str, Scenario] = {
    "start-auto-record-429": auto_record_start,
    "between-upper-inclusive": between_bounds,
    "between-lower-exclusive": between_bounds,
    "datetime-equals-to-the-second": equals_whole_instant,
    "escape-backslash-literal": escaped_backslash,
    "escape-semicolon-literal": escaped_semicolon,
    "equals-prefix-literal": explicit_equals,
    "live-username-filter-ignored": live_username_filter,
    "pause-by-line-first-only": pause_by_line_all,
    "completed-duration-wall-clock": completed_duration,
    "note-author-owner": note_author,
    "level2-owner-filter-widens": owner_filter_stays_within_rights,
}
"""Fault -> the scenario that shows it. Covers every fault the suite has missed so far."""


def demonstrate(name: str, base: str) -> str | None:
    scene = Scene(base)
    try:
        return DEMONSTRATIONS[name](scene)
    finally:
        scene.http.close()
