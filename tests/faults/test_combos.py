"""The combination catalogue is what issue #17 asks for, and each of its faults hides where it says.

Invariants:

- every combination fault builds, names at least two dimensions, a reference rule and check families
  that exist, under a unique kebab-case name, and the catalogue holds at least 40 of them;
- each status, schema and data fault (in process, through the proxy, against a small fake server
  that answers correctly) leaves the simplest request for each of its single rules unchanged and
  changes the answer, or what is stored, only where its dimensions meet.
"""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from typing import Any

import httpx
import pytest

from .behaviours import Behaviour
from .combos import COMBINATIONS, data, schema, status
from .fault import FAMILIES
from .ops import LIVE, RECORDINGS
from .test_proxy_units import exchange

ADMIN = httpx.BasicAuth("admin", "admin")._auth_header
MINE = {"status", "schema", "data"}


# ------------------------------------------------------------------------------------ the catalogue


def test_at_least_forty_combination_faults() -> None:
    """The issue's done-when: 40 or more (red until every family's module has landed)."""
    assert len(COMBINATIONS) >= 40, f"{len(COMBINATIONS)} combination faults"


@pytest.mark.parametrize("name", list(COMBINATIONS))
def test_combination_is_well_formed(name: str) -> None:
    fault = COMBINATIONS[name]
    assert re.fullmatch(r"[0-9a-z][0-9a-z-]*", name), "names are kebab-case (selectable on a command line)"
    assert len(fault.dimensions) >= 2 and len(set(fault.dimensions)) == len(fault.dimensions)
    assert fault.description and fault.reference, "every fault says what it does and which rule it breaks"
    assert set(fault.expect) <= {*FAMILIES, "*"}, "expected families must be contract check families"
    assert fault.family in FAMILIES
    assert isinstance(fault.make(), Behaviour)


def test_names_are_unique_across_modules() -> None:
    names = [f.name for module in (status, schema, data) for f in module.COMBOS]
    assert len(names) == len(set(names))
    assert all(name in COMBINATIONS for name in names)


def test_this_part_of_the_catalogue_is_complete() -> None:
    """Every status, schema and data fault has a behaviour test below."""
    tested = {n.removeprefix("test_").replace("_", "-") for n in globals() if n.startswith("test_")}
    mine = {f.name for module in (status, schema, data) for f in module.COMBOS}
    assert mine <= tested, f"faults without a behaviour test: {sorted(mine - tested)}"


# ------------------------------------------------------------------------------- a fake server


class FakeRecordings:
    """A correct, tiny Recordings server: stores uploads as sent, lists and details them, serves
    each recording's own media; 404 for an unknown id (any case), 409 for a start before 2020."""

    def __init__(self) -> None:
        self.stored: dict[str, dict[str, Any]] = {}
        self.media: dict[str, bytes] = {}

    def __call__(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if request.method == "POST" and path == RECORDINGS:
            from . import multipart

            parts = multipart.parse(request.headers.get("content-type"), request.content)
            assert parts is not None
            meta = multipart.metadata(parts[1]) or {}
            if str(meta.get("startDateTime", "")) < "2020":
                return httpx.Response(409, json={"message": "outside the retention period"})
            rid = str(uuid.uuid4())
            self.stored[rid] = meta
            sound = multipart.audio(parts[1])
            self.media[rid] = b"ID3" + hashlib.sha256(sound.data if sound else b"").digest()
            return httpx.Response(201, json={"id": rid})
        rest = path.removeprefix(RECORDINGS + "/").split("/")
        rid = rest[0].lower()
        if rid not in self.stored:
            return httpx.Response(404, json={"message": "not found"})
        if len(rest) == 2:
            return httpx.Response(200, content=self.media[rid], headers={"content-type": "audio/mpeg"})
        return httpx.Response(200, json=self.detail(rid))

    def detail(self, rid: str) -> dict[str, Any]:
        meta = self.stored[rid]
        return {
            "id": rid,
            "duration": meta.get("duration"),
            "note": {"text": meta["notes"], "owner": {"username": "admin"}} if meta.get("notes") else None,
            "preservingUser": {"username": "admin"} if meta.get("preserved") else None,
            "size": len(self.media[rid]),
            "hash": {"algorithm": "SHA-256", "value": hashlib.sha256(self.media[rid]).hexdigest()},
        }


def _upload(
    meta: dict[str, Any], sound: bytes = b"RIFFxxxxWAVE", ctype: str = "audio/wav"
) -> tuple[str, str, dict]:
    return (
        "POST",
        RECORDINGS,
        {
            "files": {
                "jsondata": (None, json.dumps(meta), "application/json"),
                "attachment": ("a", sound, ctype),
            },
            "headers": {"Authorization": ADMIN},
        },
    )


def _stored(
    fault: str, metas: list[dict[str, Any]], sounds: list[tuple[bytes, str]] | None = None
) -> list[dict]:
    """What the fake stored for each upload, sent through ``fault``."""
    server = FakeRecordings()
    sounds = sounds or [(b"RIFFxxxxWAVE", "audio/wav")] * len(metas)
    answers = exchange(fault, server, [_upload(m, *s) for m, s in zip(metas, sounds, strict=True)])
    return [server.stored[r.json()["id"]] for r in answers]


BASE = {
    "startDateTime": "2026-12-01T10:00:00Z",
    "duration": "PT42S",
    "direction": 2,
    "localParty": {"username": "admin", "phoneNumber": "100"},
}


# ---------------------------------------------------------------------------------------------- data


def test_notes_lost_when_preserved() -> None:
    both, notes_only, preserved_only = _stored(
        "notes-lost-when-preserved",
        [{**BASE, "notes": "n", "preserved": True}, {**BASE, "notes": "n"}, {**BASE, "preserved": True}],
    )
    assert "notes" not in both
    assert notes_only["notes"] == "n" and preserved_only["preserved"] is True


def test_note_latin1_for_mp3() -> None:
    mp3_unicode, wav_unicode, mp3_ascii = _stored(
        "note-latin1-for-mp3",
        [{**BASE, "notes": "Café Ж"}, {**BASE, "notes": "Café Ж"}, {**BASE, "notes": "plain"}],
        [(b"ID3x", "audio/mpeg"), (b"RIFFx", "audio/wav"), (b"ID3x", "audio/mpeg")],
    )
    assert mp3_unicode["notes"] == "Café ?"
    assert wav_unicode["notes"] == "Café Ж" and mp3_ascii["notes"] == "plain"


def test_incoming_plus_normalised() -> None:
    incoming_plus, outgoing_plus, incoming_digits = _stored(
        "incoming-plus-normalised",
        [
            {**BASE, "direction": 1, "remoteParty": {"phoneNumber": "+390212345"}},
            {**BASE, "direction": 2, "remoteParty": {"phoneNumber": "+390212345"}},
            {**BASE, "direction": 1, "remoteParty": {"phoneNumber": "0212345"}},
        ],
    )
    assert incoming_plus["remoteParty"]["phoneNumber"] == "00390212345"
    assert outgoing_plus["remoteParty"]["phoneNumber"] == "+390212345"
    assert incoming_digits["remoteParty"]["phoneNumber"] == "0212345"


def test_summer_offset_shifted() -> None:
    summer_offset, winter_offset, summer_utc = _stored(
        "summer-offset-shifted",
        [
            {**BASE, "startDateTime": "2026-07-01T10:00:00+02:00"},
            {**BASE, "startDateTime": "2026-12-01T10:00:00+01:00"},
            {**BASE, "startDateTime": "2026-07-01T08:00:00Z"},
        ],
    )
    assert summer_offset["startDateTime"] == "2026-07-01T09:00:00.0000000Z"  # 08:00Z, an hour late
    assert winter_offset["startDateTime"] == "2026-12-01T10:00:00+01:00"
    assert summer_utc["startDateTime"] == "2026-07-01T08:00:00Z"


def test_fraction_after_minutes_misread() -> None:
    stored = _stored(
        "fraction-after-minutes-misread",
        [{**BASE, "duration": d} for d in ("PT1M2.5S", "PT1H0M3.25S", "PT2.5S", "PT1M2S")],
    )
    assert [s["duration"] for s in stored] == ["PT1M25S", "PT1H0M325S", "PT2.5S", "PT1M2S"]


def _ulaw_wav() -> bytes:
    fmt = (
        (7).to_bytes(2, "little")
        + b"\x01\x00"
        + (8000).to_bytes(4, "little")
        + b"\x40\x1f\x00\x00\x01\x00\x08\x00"
    )
    return (
        b"RIFF"
        + (36).to_bytes(4, "little")
        + b"WAVE"
        + b"fmt "
        + (16).to_bytes(4, "little")
        + fmt
        + b"data\x00\x00\x00\x00"
    )


def test_ulaw_unknown_direction_kept_as_wav() -> None:
    server = FakeRecordings()
    ulaw = _ulaw_wav()
    pcm = ulaw.replace((7).to_bytes(2, "little") + b"\x01\x00", b"\x01\x00\x01\x00", 1)
    uploads = [
        _upload({**BASE, "direction": 0}, ulaw),
        _upload({**BASE, "direction": 1}, ulaw),
        _upload({**BASE, "direction": 0}, pcm),
    ]
    ids, media = _session("ulaw-unknown-direction-kept-as-wav", server, uploads, _downloads)
    assert media[0] == ulaw, "u-law on an unknown direction is served as the original WAV"
    assert media[1] == server.media[ids[1]] and media[2] == server.media[ids[2]]


def _downloads(ids: list[str]) -> list[tuple[str, str, dict[str, Any]]]:
    return [("GET", f"{RECORDINGS}/{i}/Media", {"headers": {"Authorization": ADMIN}}) for i in ids]


def test_others_media_is_owners_latest() -> None:
    server = FakeRecordings()
    bob = {**BASE, "localParty": {"username": "bob", "phoneNumber": "200"}}
    requests = [
        _upload(bob, b"RIFF-bob-first"),
        _upload(bob, b"RIFF-bob-second"),
        _upload(BASE, b"RIFF-admin-first"),
        _upload(BASE, b"RIFF-admin-second"),
    ]
    ids, media = _session(
        "others-media-is-owners-latest",
        server,
        requests,
        _downloads,
    )
    assert media[0] == server.media[ids[1]], "bob's first recording serves bob's latest"
    assert media[1] == server.media[ids[1]], "the owner's latest serves itself"
    assert media[2] == server.media[ids[2]] and media[3] == server.media[ids[3]], "the caller's own are right"


def _session(fault: str, server: Any, first: list, then: Any) -> tuple[list[str], list[bytes]]:
    """Uploads, then requests built from their ids, all through ONE proxy (faults that remember)."""
    import asyncio

    from .proxy import FaultProxy

    app = FaultProxy(fault, "http://emulator", transport=httpx.MockTransport(server))

    async def run() -> tuple[list[str], list[bytes]]:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://proxy"
        ) as client:
            ids = [(await client.request(m, p, **kw)).json()["id"] for m, p, kw in first]
            out = [(await client.request(m, p, **kw)).content for m, p, kw in then(ids)]
            return ids, out

    return asyncio.run(run())


# -------------------------------------------------------------------------------------------- schema

ITEM = {
    "id": "a",
    "referenceNumber": "1",
    "startTime": "2026-12-01T10:00:00Z",
    "duration": "PT1H2M3S",
    "direction": 1,
    "localPartyNumber": "100",
    "remotePartyNumber": None,
    "ownerUsername": "admin",
}


def _listing(items: list[dict[str, Any]]) -> Any:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path != RECORDINGS:
            return httpx.Response(200, json={**items[0], "owner": {"username": "admin"}})
        return httpx.Response(200, json={"totalCount": len(items), "recordings": items})

    return handler


def test_later_pages_direction_as_string() -> None:
    first, later, unpaged = exchange(
        "later-pages-direction-as-string",
        _listing([ITEM]),
        [("GET", f"{RECORDINGS}?page={p}", {}) for p in ("0&pageSize=1", "1&pageSize=1", "1")],
    )
    assert first.json()["recordings"][0]["direction"] == 1
    assert later.json()["recordings"][0]["direction"] == "1"
    assert unpaged.json()["recordings"][0]["direction"] == 1, "page without pageSize is ignored (A-3b)"


def test_listed_hour_durations_as_clock() -> None:
    short = {**ITEM, "id": "b", "duration": "PT59M59S"}
    listed, detail = exchange(
        "listed-hour-durations-as-clock",
        _listing([ITEM, short]),
        [("GET", RECORDINGS, {}), ("GET", f"{RECORDINGS}/a", {})],
    )
    assert [i["duration"] for i in listed.json()["recordings"]] == ["01:02:03", "PT59M59S"]
    assert detail.json()["duration"] == "PT1H2M3S"


def test_preserving_user_name_with_note() -> None:
    admin = {"username": "admin"}

    def handler(request: httpx.Request) -> httpx.Response:
        with_note = request.url.path.endswith("/both")
        return httpx.Response(
            200, json={**ITEM, "preservingUser": admin, "note": {"text": "n"} if with_note else None}
        )

    both, preserved_only = exchange(
        "preserving-user-name-with-note",
        handler,
        [("GET", f"{RECORDINGS}/both", {}), ("GET", f"{RECORDINGS}/one", {})],
    )
    assert both.json()["preservingUser"] == "admin"
    assert preserved_only.json()["preservingUser"] == admin


LIVE_ITEM = {
    "id": "l1",
    "duration": "PT1M13S",
    "startedAt": "2026-12-01T10:00:00.0000000Z",
    "localParty": {"username": "u"},
    "remoteParty": {"phoneNumber": "1"},
}


def test_mine_paused_duration_as_seconds() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            200, json=[{**LIVE_ITEM, "isPaused": True}, {**LIVE_ITEM, "id": "l2", "isPaused": False}]
        )

    mine, active = exchange(
        "mine-paused-duration-as-seconds", handler, [("GET", f"{LIVE}/Mine", {}), ("GET", LIVE, {})]
    )
    assert [i["duration"] for i in mine.json()] == [73.0, "PT1M13S"]
    assert [i["duration"] for i in active.json()] == ["PT1M13S", "PT1M13S"]


def test_started_at_sql_text_after_pause() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.method == "PUT":
            return httpx.Response(204)
        return httpx.Response(
            200, json=[{**LIVE_ITEM, "isPaused": False}, {**LIVE_ITEM, "id": "l2", "isPaused": False}]
        )

    before, _, after, after_resume = exchange(
        "started-at-sql-text-after-pause",
        handler,
        [("GET", LIVE, {}), ("PUT", f"{LIVE}/L1/Pause", {}), ("GET", f"{LIVE}/Mine", {}), ("GET", LIVE, {})],
    )
    assert [i["startedAt"] for i in before.json()] == [LIVE_ITEM["startedAt"]] * 2
    assert [i["startedAt"] for i in after.json()] == ["01/12/2026 10:00:00", LIVE_ITEM["startedAt"]]
    assert after_resume.json()[0]["startedAt"] == "01/12/2026 10:00:00", "once paused, always wrong"


def test_long_pages_omit_owner() -> None:
    items = [{**ITEM, "id": str(n)} for n in range(21)]

    def handler(request: httpx.Request) -> httpx.Response:
        size = int(request.url.params.get("pageSize", "21"))
        return httpx.Response(200, json={"totalCount": 21, "recordings": items[:size]})

    twenty, all_of_them = exchange(
        "long-pages-omit-owner", handler, [("GET", f"{RECORDINGS}?pageSize=20", {}), ("GET", RECORDINGS, {})]
    )
    assert all("ownerUsername" in i for i in twenty.json()["recordings"])
    assert not any("ownerUsername" in i for i in all_of_them.json()["recordings"])


# -------------------------------------------------------------------------------------------- status


def _refusing(reason: int) -> Any:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(400, json={"reason": reason, "message": "invalid"})

    return handler


def test_filter_reason_with_second_filter() -> None:
    alone, beside = exchange(
        "filter-reason-with-second-filter",
        _refusing(0),
        [
            ("GET", f"{RECORDINGS}?startTime=after:x", {}),
            ("GET", f"{RECORDINGS}?startTime=after:x&direction=1", {}),
        ],
    )
    assert alone.json()["reason"] == 0 and beside.json()["reason"] == 1


def test_paging_reason_with_filter() -> None:
    alone, filtered = exchange(
        "paging-reason-with-filter",
        _refusing(1),
        [
            ("GET", f"{RECORDINGS}?page=-1&pageSize=5", {}),
            ("GET", f"{RECORDINGS}?page=-1&pageSize=5&direction=1", {}),
        ],
    )
    assert alone.json()["reason"] == 1 and filtered.json()["reason"] == 0


def test_second_pause_is_409() -> None:
    paused = {"now": False}

    def handler(request: httpx.Request) -> httpx.Response:
        pausing = request.url.path.endswith("/Pause")
        if pausing == paused["now"]:
            return httpx.Response(429, json={"message": "already paused" if pausing else "not paused"})
        paused["now"] = pausing
        return httpx.Response(204)

    rid = "6b98303a-b295-473a-adae-19b78aca468d"
    steps = ["Pause", "Pause", "Resume", "Pause", "Pause", "Resume", "Resume"]
    answers = exchange("second-pause-is-409", handler, [("PUT", f"{LIVE}/{rid}/{s}", {}) for s in steps])
    assert [a.status_code for a in answers] == [204, 429, 204, 204, 409, 204, 429]


def test_unknown_uppercase_id_is_400() -> None:
    known = "6b98303a-b295-473a-adae-19b78aca468d"

    def handler(request: httpx.Request) -> httpx.Response:
        rid = request.url.path.split("/")[-2 if request.url.path.endswith("/Media") else -1]
        return httpx.Response(200, json={"id": known}) if rid.lower() == known else httpx.Response(404)

    unknown = str(uuid.uuid4())
    answers = exchange(
        "unknown-uppercase-id-is-400",
        handler,
        [
            ("GET", f"{RECORDINGS}/{unknown}", {}),
            ("GET", f"{RECORDINGS}/{unknown.upper()}", {}),
            ("GET", f"{RECORDINGS}/{unknown.upper()}/Media", {}),
            ("GET", f"{RECORDINGS}/{known.upper()}", {}),
        ],
    )
    assert [a.status_code for a in answers] == [404, 400, 400, 200]
    assert answers[1].json()["reason"] == 0


def test_retention_skipped_for_offsets() -> None:
    old = "2019-06-01T10:00:00"
    answers = exchange(
        "retention-skipped-for-offsets",
        FakeRecordings(),
        [
            _upload({**BASE, "startDateTime": old + "Z"}),
            _upload({**BASE, "startDateTime": old + "+02:00"}),
            _upload({**BASE, "startDateTime": old + "+00:00"}),
        ],
    )
    assert [a.status_code for a in answers] == [409, 201, 409]
