"""The newer fault behaviours, in process against small fake emulators (``httpx.MockTransport``).

Invariant: each fault changes exactly what its description says and nothing else: the fake answers
correctly, the proxy's answer shows the bug (or, for hidden-effect faults, the fake's state does),
and a request the bug does not touch goes through unchanged.
"""

from __future__ import annotations

import json
import re
from typing import Any

import httpx

from . import multipart
from .ops import LIVE, RECORDINGS
from .test_proxy_units import exchange

ADMIN_AUTH = httpx.BasicAuth("admin", "admin")._auth_header


def _ids(resp: httpx.Response) -> list[str]:
    return [r["id"] for r in resp.json()["recordings"]]


# ---------------------------------------------------------------------------------------- filters


def test_between_reversed_is_refused() -> None:
    """A-14: T1 >= T2 is a 200 with nothing; the fault answers 400 reason 0, ordered bounds pass."""

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"totalCount": 0, "recordings": []})

    reversed_q = "startTime=between:2024-01-02T00:00:00Z;2024-01-01T00:00:00Z"
    equal_q = "endTime=between:2024-01-01T00:00:00Z;2024-01-01T00:00:00Z"
    ordered_q = "startTime=between:2024-01-01T00:00:00Z;2024-01-02T00:00:00Z"
    reversed_, equal, ordered = exchange(
        "between-reversed-400",
        handler,
        [("GET", f"{RECORDINGS}?{q}", {}) for q in (reversed_q, equal_q, ordered_q)],
    )
    assert reversed_.status_code == 400 and reversed_.json()["reason"] == 0
    assert equal.status_code == 400
    assert ordered.status_code == 200


ITEMS = [
    {"id": "a", "startTime": "2024-01-03T00:00:00Z", "referenceNumber": "3", "direction": 0,
     "localPartyNumber": "1001"},
    {"id": "b", "startTime": "2024-01-02T00:00:00Z", "referenceNumber": "2", "direction": 1,
     "localPartyNumber": "+391001"},
    {"id": "c", "startTime": "2024-01-01T00:00:00Z", "referenceNumber": "1", "direction": 2,
     "localPartyNumber": "10019"},
]  # fmt: skip


def _filtering(request: httpx.Request) -> httpx.Response:
    """A correct listRecordings over ITEMS for direction and localPartyNumber (equality)."""
    params = request.url.params
    shown = [
        i
        for i in ITEMS
        if ("direction" not in params or str(i["direction"]) == params["direction"])
        and ("localPartyNumber" not in params or i["localPartyNumber"] == params["localPartyNumber"])
    ]
    return httpx.Response(200, json={"totalCount": len(shown), "recordings": shown})


def test_direction_zero_is_ignored_but_not_one() -> None:
    zero, one = exchange(
        "direction-zero-ignored",
        _filtering,
        [("GET", f"{RECORDINGS}?direction=0", {}), ("GET", f"{RECORDINGS}?direction=1", {})],
    )
    assert _ids(zero) == ["a", "b", "c"]
    assert _ids(one) == ["b"]


def test_local_party_matches_suffixes() -> None:
    [resp] = exchange(
        "local-party-suffix-match", _filtering, [("GET", f"{RECORDINGS}?localPartyNumber=1001", {})]
    )
    assert _ids(resp) == ["a", "b"]  # "+391001" ends with 1001; "10019" does not


def test_last_partial_page_is_empty() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"totalCount": len(ITEMS), "recordings": ITEMS})

    first, last, oversized = exchange(
        "last-partial-page-empty",
        handler,
        [
            ("GET", f"{RECORDINGS}?page=0&pageSize=2", {}),
            ("GET", f"{RECORDINGS}?page=1&pageSize=2", {}),
            ("GET", f"{RECORDINGS}?page=0&pageSize=5", {}),
        ],
    )
    assert _ids(first) == ["a", "b"]
    assert _ids(last) == [] and last.json()["totalCount"] == 3
    assert _ids(oversized) == []


def test_owner_filter_widens_a_base_access_view() -> None:
    """A level-2 user naming another owner is served with the admin's rights; naming itself is not."""
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/_emulator/users":
            return httpx.Response(201, json={})
        seen.append(request.headers.get("authorization", ""))
        return httpx.Response(200, json={"totalCount": 0, "recordings": []})

    user = {"username": "base", "password": "pw", "level": 2}
    exchange(
        "level2-owner-filter-widens",
        handler,
        [
            ("POST", "/_emulator/users", {"json": user}),
            ("GET", f"{RECORDINGS}?ownerUsername=base", {"auth": ("base", "pw")}),
            ("GET", f"{RECORDINGS}?ownerUsername=other", {"auth": ("base", "pw")}),
        ],
    )
    assert seen[0] != ADMIN_AUTH  # own name: forwarded once, as the caller
    assert seen[-1] == ADMIN_AUTH  # another name: re-sent as the admin


# --------------------------------------------------------------------------------------- live state


class FakeLive:
    """A tiny correct live API: recordings on lines, pause/resume by id and by DN, the calls list."""

    def __init__(self, recs: dict[str, tuple[str, bool]]) -> None:
        self.recs = {rid: {"dn": dn, "paused": paused} for rid, (dn, paused) in recs.items()}
        self.admin_pauses: list[str] = []

    def item(self, rid: str) -> dict[str, Any]:
        return {
            "id": rid,
            "duration": "PT10S",
            "startedAt": "2024-01-01T00:00:00Z",
            "localParty": {"username": "u"},
            "remoteParty": {"firstName": "Ada", "lastName": "Lovelace", "phoneNumber": "+39"},
            "isPaused": self.recs[rid]["paused"],
        }

    def __call__(self, request: httpx.Request) -> httpx.Response:
        path, params = request.url.path, request.url.params
        if path == "/_emulator/calls":
            return httpx.Response(200, json=[{"directoryNumber": r["dn"]} for r in self.recs.values()])
        if request.method == "GET" and path in (LIVE, LIVE + "/Mine"):
            dn = params.get("directoryNumber")
            return httpx.Response(
                200, json=[self.item(i) for i, r in self.recs.items() if dn in (None, r["dn"])]
            )
        by_id = re.fullmatch(rf"{LIVE}/([^/]+)/(Pause|Resume)", path)
        if by_id and by_id.group(1) not in ("Pause", "Resume"):
            rid, verb = by_id.groups()
            if request.headers.get("authorization") == ADMIN_AUTH and verb == "Pause":
                self.admin_pauses.append(rid)
            return self._act([rid], verb == "Pause")
        if path in (LIVE + "/Pause", LIVE + "/Resume"):
            dn = params.get("directoryNumber")
            return self._act([i for i, r in self.recs.items() if r["dn"] == dn], path.endswith("Pause"))
        return httpx.Response(404)

    def _act(self, ids: list[str], pause: bool) -> httpx.Response:
        todo = [i for i in ids if self.recs[i]["paused"] is not pause]
        if not todo:
            return httpx.Response(429, json={"message": "no change"})
        for rid in todo:
            self.recs[rid]["paused"] = pause
        return httpx.Response(204)


def test_resume_noop_leaves_the_recording_paused() -> None:
    fake = FakeLive({"r1": ("100", True)})
    [resp] = exchange("resume-noop", fake, [("PUT", f"{LIVE}/r1/Resume", {"auth": ("admin", "admin")})])
    assert resp.status_code == 204
    assert fake.recs["r1"]["paused"] is True


def test_resume_by_line_first_only() -> None:
    fake = FakeLive({"r1": ("100", True), "r2": ("100", True)})
    [resp] = exchange(
        "resume-by-line-first-only",
        fake,
        [("PUT", f"{LIVE}/Resume?directoryNumber=100", {"auth": ("admin", "admin")})],
    )
    assert resp.status_code == 204
    assert [fake.recs[i]["paused"] for i in ("r1", "r2")] == [False, True]


def test_pause_by_id_pauses_the_whole_line_only() -> None:
    """r1 and r2 share DN 100, r3 is alone on 200: pausing r1 also pauses r2, never r3."""
    fake = FakeLive({"r1": ("100", False), "r2": ("100", False), "r3": ("200", False)})
    [resp] = exchange(
        "pause-by-id-pauses-line", fake, [("PUT", f"{LIVE}/r1/Pause", {"auth": ("admin", "admin")})]
    )
    assert resp.status_code == 204
    assert {i: r["paused"] for i, r in fake.recs.items()} == {"r1": True, "r2": True, "r3": False}


def test_mine_reports_running_and_names_swapped() -> None:
    fake = FakeLive({"r1": ("100", True)})
    [mine] = exchange("mine-ispaused-false", fake, [("GET", f"{LIVE}/Mine", {})])
    [active] = exchange("mine-ispaused-false", fake, [("GET", LIVE, {})])
    assert mine.json()[0]["isPaused"] is False and active.json()[0]["isPaused"] is True
    [swapped] = exchange("live-remote-names-swapped", fake, [("GET", LIVE, {})])
    assert swapped.json()[0]["remoteParty"] == {
        "firstName": "Lovelace",
        "lastName": "Ada",
        "phoneNumber": "+39",
    }


def test_duration_restarts_at_resume() -> None:
    """Before any resume the duration is the server's; after one it counts from the resume (~0 s)."""
    fake = FakeLive({"r1": ("100", True)})
    before, _, after = exchange(
        "live-duration-since-resume",
        fake,
        [("GET", LIVE, {}), ("PUT", f"{LIVE}/r1/Resume", {"auth": ("admin", "admin")}), ("GET", LIVE, {})],
    )
    assert before.json()[0]["duration"] == "PT10S"
    assert after.json()[0]["duration"].startswith("PT0")


def test_start_ignores_a_mismatched_directory_number() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        if body.get("directoryNumber") not in (None, "100"):
            return httpx.Response(400, json={"reason": 1, "message": "no such line", "deviceName": ""})
        return httpx.Response(201, json={"id": "new"})

    mismatch, match = exchange(
        "start-device-dn-mismatch",
        handler,
        [
            ("POST", LIVE, {"json": {"deviceName": "SEP1", "directoryNumber": "999"}}),
            ("POST", LIVE, {"json": {"deviceName": "SEP1", "directoryNumber": "100"}}),
        ],
    )
    assert mismatch.status_code == 201 and match.status_code == 201


# ----------------------------------------------------------------------------------------- transfer


def _upload_request(meta: dict[str, Any], ctype: str | None = "audio/wav") -> dict[str, Any]:
    attachment = ("a.wav", b"RIFF....", ctype) if ctype else ("a.wav", b"RIFF....")
    return {"files": {"jsondata": (None, json.dumps(meta), "application/json"), "attachment": attachment}}


def _validating(request: httpx.Request) -> httpx.Response:
    """A correct upload: direction 0..2, localParty.phoneNumber required, a typed attachment."""
    parsed = multipart.parse(request.headers["content-type"], request.content)
    assert parsed is not None
    meta = multipart.metadata(parsed[1]) or {}
    audio = multipart.audio(parsed[1])
    if audio is None or not audio.content_type:
        return httpx.Response(400, json={"reason": 2, "message": "no audio type"})
    if meta.get("direction") not in (0, 1, 2) or "phoneNumber" not in meta.get("localParty", {}):
        return httpx.Response(400, json={"reason": 1, "message": "bad metadata"})
    if not str(meta.get("duration", "")).startswith("P"):
        return httpx.Response(400, json={"reason": 1, "message": "bad duration"})
    return httpx.Response(201, json={"id": "stored"})


VALID = {"startDateTime": "2024-01-01T00:00:00Z", "duration": "PT1S", "direction": 1,
         "localParty": {"username": "admin", "phoneNumber": "1001"}}  # fmt: skip


def test_lenient_uploads_store_what_should_be_refused() -> None:
    cases = {
        "upload-direction-unchecked": {**VALID, "direction": 7},
        "upload-local-number-optional": {**VALID, "localParty": {"username": "admin"}},
        "upload-bad-duration-zero": {**VALID, "duration": "ninety seconds"},
    }
    for fault, meta in cases.items():
        bad, good = exchange(
            fault,
            _validating,
            [("POST", RECORDINGS, _upload_request(meta)), ("POST", RECORDINGS, _upload_request(VALID))],
        )
        assert bad.status_code == 201, fault
        assert good.status_code == 201, fault
    [untouched] = exchange(
        "upload-direction-unchecked",
        _validating,
        [("POST", RECORDINGS, _upload_request({**VALID, "duration": "x"}))],
    )
    assert untouched.status_code == 400  # another rule broken: the fault does not apply


def test_attachment_type_is_sniffed() -> None:
    [resp] = exchange(
        "upload-attachment-type-sniffed", _validating, [("POST", RECORDINGS, _upload_request(VALID, None))]
    )
    assert resp.status_code == 201


def test_media_of_the_latest_upload() -> None:
    audio = {"old": b"ID3-old", "new": b"ID3-new"}
    uploads = iter(["new"])

    def handler(request: httpx.Request) -> httpx.Response:
        if request.method == "POST":
            return httpx.Response(201, json={"id": next(uploads)})
        rid = request.url.path.split("/")[-2]
        return httpx.Response(200, headers={"content-type": "audio/mpeg"}, content=audio[rid])

    before, _, old, new = exchange(
        "media-of-latest-upload",
        handler,
        [
            ("GET", f"{RECORDINGS}/old/Media", {}),
            ("POST", RECORDINGS, _upload_request(VALID)),
            ("GET", f"{RECORDINGS}/old/Media", {}),
            ("GET", f"{RECORDINGS}/new/Media", {}),
        ],
    )
    assert before.content == b"ID3-old"  # nothing uploaded through the proxy yet
    assert old.content == b"ID3-new" and new.content == b"ID3-new"
