"""The benign variants, in process: each changes what it says and nothing the reference fixes.

Invariant: a variant keeps every JSON value the reference gives meaning to (same instants, same
durations, same required fields, same statuses, same bytes of /Media) and changes only the form; the
spec facts each variant relies on (optional, nullable, no ``additionalProperties``) are read from
``specs/`` here, so a spec change that makes a variant illegal fails this file, not a customer's run.
"""

from __future__ import annotations

import gzip
import json
import re
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

import specs

from .catalogue import behaviour as resolve
from .ops import LIVE, RECORDINGS
from .test_proxy_units import exchange
from .ticks import parse_duration, parse_instant
from .variants import (
    DETAIL_OPTIONAL,
    EXTRA,
    OPTIONAL_ERROR_BODY,
    REMOTE_FIELDS,
    USER_FIELDS,
    VARIANT_PREFIX,
    VARIANTS,
    Stamp,
    Variant,
    gzip_encoded,
    json_reserialised,
)
from .wire import Req, Resp

RID = "231759ff-096e-47c6-919e-17b645a78c3e"
LID = "792a5434-d8ae-4df2-ac9a-c0356fd62e96"
USER = {
    "username": "admin",
    "firstName": "",
    "lastName": "",
    "phoneNumber": "100",
    "group": "",
    "department": "",
}
ITEM = {
    "id": RID,
    "referenceNumber": "0000000001",
    "startTime": "2024-03-01T10:00:00.5000000Z",
    "duration": "PT1M30S",
    "direction": 1,
    "localPartyNumber": "100",
    "remotePartyNumber": "",
    "ownerUsername": "admin",
}
DETAIL = {
    **{k: v for k, v in ITEM.items() if k != "ownerUsername"},
    "pbxCallId": None,
    "pbxInfo": None,
    "owner": USER,
    "preservingUser": None,
    "note": {"owner": USER, "text": "h\u00e9llo"},
    "size": 3,
    "hash": {"algorithm": "SHA-256", "value": "0" * 64},
}
LIVE_ITEM = {
    "id": LID,
    "duration": "PT0.0920657S",
    "startedAt": "2026-11-28T12:56:12.0440000Z",
    "localParty": {"username": "admin"},
    "remoteParty": {"firstName": "", "lastName": "", "phoneNumber": "+39 \u00e9"},
    "isPaused": False,
}
MEDIA = b"\xff\xe3\x88\xc4\x00"


def fake_emulator(request: httpx.Request) -> httpx.Response:
    """The emulator's answers as they are on the wire (captured from a real one)."""
    path = request.url.path
    if path == RECORDINGS + "/" + RID:
        return httpx.Response(200, json=DETAIL)
    if path == RECORDINGS + "/" + RID + "/Media":
        return httpx.Response(200, content=MEDIA, headers={"content-type": "audio/mpeg"})
    if path == RECORDINGS and request.method == "GET":
        return httpx.Response(200, json={"totalCount": 2, "recordings": [ITEM, {**ITEM, "id": "x"}]})
    if path == RECORDINGS and request.method == "POST":
        return httpx.Response(201, json={"id": RID})
    if path == LIVE:
        return httpx.Response(200, json=[LIVE_ITEM, {**LIVE_ITEM, "id": "y"}])
    if path == LIVE + "/" + LID:
        return httpx.Response(409, json={"message": "the id is not a live recording"})
    if path == LIVE + "/" + LID + "/Pause":
        return httpx.Response(400, json={"reason": 0, "message": "not a GUID"})
    if path == RECORDINGS + "/00000000-0000-0000-0000-000000000000":
        return httpx.Response(404, json={"message": "no recording with this id"})
    if path.startswith("/_emulator"):
        return httpx.Response(200, json={"status": "ok", "startTime": "2024-03-01T10:00:00.0000000Z"})
    return httpx.Response(401, headers={"WWW-Authenticate": 'Basic realm="UCX"'}, json={"message": "no"})


def through(variant: str, method: str, path: str, **kw: Any) -> httpx.Response:
    [resp] = exchange(VARIANT_PREFIX + variant, fake_emulator, [(method, path, kw)])
    return resp


def get(variant: str, path: str, **kw: Any) -> httpx.Response:
    return through(variant, "GET", path, **kw)


# ------------------------------------------------------------------------ the spec facts relied on


def _schemas(name: str) -> dict[str, Any]:
    path = Path(specs.LIVE_RECORDINGS if name == "live" else specs.RECORDINGS)
    return yaml.safe_load(path.read_text(encoding="utf-8"))["components"]["schemas"]


def _walk(node: Any) -> list[dict[str, Any]]:
    if isinstance(node, dict):
        return [node, *(n for v in node.values() for n in _walk(v))]
    if isinstance(node, list):
        return [n for v in node for n in _walk(v)]
    return []


def test_no_schema_forbids_additional_properties() -> None:
    """extra-properties is legal only while no response schema says ``additionalProperties: false``."""
    for name in ("recordings", "live"):
        closed = [n for n in _walk(_schemas(name)) if n.get("additionalProperties") is False]
        assert not closed, (
            f"{name}: additionalProperties false somewhere: extra-properties is no longer benign"
        )


def test_omitted_fields_are_optional_and_nulled_fields_nullable() -> None:
    """optional-fields-omitted leaves out only non-required properties; empty-strings-as-null writes
    null only where the spec says nullable."""
    rec, live = _schemas("recordings"), _schemas("live")
    detail_required = set(rec["RecordingBase"]["required"]) | set(
        rec["RecordingDetail"]["allOf"][1]["required"]
    )
    assert not detail_required & set(DETAIL_OPTIONAL)
    assert not set(rec["User"]["required"]) & set(USER_FIELDS)
    assert not set(live["RemoteParty"].get("required", [])) & set(REMOTE_FIELDS)
    assert rec["RecordingBase"]["properties"]["remotePartyNumber"]["nullable"] is True
    assert all(rec["User"]["properties"][f]["nullable"] for f in USER_FIELDS)
    assert all(live["RemoteParty"]["properties"][f]["nullable"] for f in REMOTE_FIELDS)
    assert set(rec["ErrorBody"].get("required", [])) == set() == set(live["ErrorBody"].get("required", []))
    assert rec["ErrorBody"]["x-assumed"] == "A-9"
    assert frozenset({409, 429, 501, 503, 504}) == OPTIONAL_ERROR_BODY


def test_every_variant_is_selectable_and_documented() -> None:
    for name, variant in VARIANTS.items():
        assert isinstance(resolve(VARIANT_PREFIX + name), Variant), name
        assert variant.description and variant.reference, name
    with pytest.raises(KeyError, match="unknown variant"):
        resolve(VARIANT_PREFIX + "no-such-variant")


# --------------------------------------------------------------------------------- each variant


def test_json_reserialised_is_the_same_value_in_other_text() -> None:
    resp = get("json-reserialised", RECORDINGS + "/" + RID)
    assert resp.json() == DETAIL
    assert resp.content.isascii() and b"\\u00e9" in resp.content and b'\n  "hash"' in resp.content
    assert b'"SHA-256"' in resp.content
    listed = get("json-reserialised", LIVE)
    assert listed.json()[0]["remoteParty"]["phoneNumber"] == "+39 \u00e9"
    assert next(iter(resp.json())) == "hash"  # keys reversed


@pytest.mark.parametrize(
    ("variant", "path", "expected"),
    [
        ("json-charset", RECORDINGS, "application/json; charset=utf-8"),
        ("media-type-case", RECORDINGS, 'Application/JSON; Charset="UTF-8"'),
        ("media-type-case", RECORDINGS + "/" + RID + "/Media", "Audio/MPEG"),
        ("json-charset", RECORDINGS + "/" + RID + "/Media", "audio/mpeg"),
    ],
)
def test_media_type_forms(variant: str, path: str, expected: str) -> None:
    assert get(variant, path).headers["content-type"] == expected


def test_extra_properties_everywhere_and_nothing_lost() -> None:
    body = get("extra-properties", RECORDINGS + "/" + RID).json()
    assert _without(body, set(EXTRA)) == DETAIL
    for obj in (body, body["owner"], body["note"], body["note"]["owner"], body["hash"]):
        assert obj["xVendorRevision"] == 7 and "xVendorExtension" in obj
    assert body["note"]["text"] == "h\u00e9llo" and body["owner"]["username"] == "admin"
    created = through("extra-properties", "POST", RECORDINGS)
    assert created.status_code == 201 and created.json()["id"] == RID


def _without(obj: Any, keys: set[str]) -> Any:
    if isinstance(obj, dict):
        return {k: _without(v, keys) for k, v in obj.items() if k not in keys}
    if isinstance(obj, list):
        return [_without(v, keys) for v in obj]
    return obj


def test_optional_fields_omitted_only_when_empty() -> None:
    body = get("optional-fields-omitted", RECORDINGS + "/" + RID).json()
    assert not {"pbxCallId", "pbxInfo", "preservingUser"} & set(body)
    assert body["note"]["text"] == "h\u00e9llo"  # a present optional value stays
    assert body["owner"] == {"username": "admin", "phoneNumber": "100"}
    assert body["remotePartyNumber"] == ""  # required: never omitted
    live = get("optional-fields-omitted", LIVE).json()
    assert live[0]["remoteParty"] == {"phoneNumber": "+39 \u00e9"}


def test_empty_strings_as_null() -> None:
    body = get("empty-strings-as-null", RECORDINGS + "/" + RID).json()
    assert body["remotePartyNumber"] is None and body["owner"]["firstName"] is None
    assert body["owner"]["phoneNumber"] == "100"
    assert get("empty-strings-as-null", LIVE).json()[0]["remoteParty"]["lastName"] is None


@pytest.mark.parametrize(
    ("variant", "start_time", "started_at"),
    [
        ("datetime-short-fraction", "2024-03-01T10:00:00.5Z", "2026-11-28T12:56:12.044Z"),
        ("datetime-utc-offset", "2024-03-01T10:00:00.5000000+00:00", "2026-11-28T12:56:12.0440000+00:00"),
        ("datetime-local-offset", "2024-03-01T12:00:00.5000000+02:00", "2026-11-28T14:56:12.0440000+02:00"),
        ("startedat-zoneless", ITEM["startTime"], "2026-11-28T12:56:12.0440000"),
    ],
)
def test_datetime_forms_keep_the_instant(variant: str, start_time: str, started_at: str) -> None:
    listed = get(variant, RECORDINGS).json()["recordings"][0]["startTime"]
    live = get(variant, LIVE).json()[0]["startedAt"]
    assert (listed, live) == (start_time, started_at)
    assert parse_instant(listed) == parse_instant(str(ITEM["startTime"]))
    assert parse_instant(live) == parse_instant(str(LIVE_ITEM["startedAt"]))


def test_stamp_render() -> None:
    ticks = parse_instant("2024-01-01T00:30:00.1200000Z")
    assert ticks is not None
    assert Stamp("-05:00", trim=True).render(ticks) == "2023-12-31T19:30:00.12-05:00"
    assert Stamp("none").render(ticks) == "2024-01-01T00:30:00.1200000"
    assert Stamp("Z", trim=True).render(ticks - 1_200_000) == "2024-01-01T00:30:00Z"


def test_durations_in_seconds_keep_the_length() -> None:
    item = get("durations-in-seconds", RECORDINGS).json()["recordings"][0]
    assert item["duration"] == "PT90S" and parse_duration(item["duration"]) == parse_duration("PT1M30S")
    assert get("durations-in-seconds", LIVE).json()[0]["duration"] == "PT0.0920657S"


def test_reference_number_keeps_its_order() -> None:
    item = get("reference-number-format", RECORDINGS + "/" + RID).json()
    assert item["referenceNumber"] == "REC-0000000001"


def test_live_lists_reversed_and_recordings_not() -> None:
    assert [i["id"] for i in get("live-lists-reversed", LIVE).json()] == ["y", LID]
    assert [i["id"] for i in get("live-lists-reversed", RECORDINGS).json()["recordings"]] == [RID, "x"]


def test_error_bodies() -> None:
    """409 loses its body (A-9), 400 keeps reason and gets another message, 401 keeps Basic."""
    conflict = through("optional-error-bodies-omitted", "DELETE", LIVE + "/" + LID)
    assert conflict.status_code == 409 and conflict.content == b"" and "content-type" not in conflict.headers
    bad = through("optional-error-bodies-omitted", "PUT", LIVE + "/" + LID + "/Pause")
    assert bad.json() == {"reason": 0, "message": "not a GUID"}
    reworded = through("error-messages-reworded", "PUT", LIVE + "/" + LID + "/Pause")
    assert reworded.json()["reason"] == 0 and reworded.json()["message"] != "not a GUID"
    page = get("auth-errors-html", RECORDINGS + "/00000000-0000-0000-0000-000000000000")
    assert page.status_code == 404 and page.headers["content-type"].startswith("text/html")
    denied = get("auth-errors-html", LIVE + "/Mine")
    assert denied.status_code == 401 and 'Basic realm="UCX"' in denied.headers.get_list("www-authenticate")


def test_extra_headers() -> None:
    created = through("extra-headers", "POST", RECORDINGS)
    assert created.headers["location"] == f"{RECORDINGS}/{RID}" and created.headers["x-powered-by"]


def test_gzip_only_when_accepted_and_never_on_media() -> None:
    resp = get("gzip", RECORDINGS + "/" + RID)
    assert resp.headers["content-encoding"] == "gzip" and resp.json() == DETAIL
    plain = get("gzip", RECORDINGS + "/" + RID, headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in plain.headers and plain.json() == DETAIL
    refused = get("gzip", RECORDINGS, headers={"Accept-Encoding": "gzip;q=0, identity"})
    assert "content-encoding" not in refused.headers
    media = get("gzip", RECORDINGS + "/" + RID + "/Media")
    assert "content-encoding" not in media.headers and media.content == MEDIA


def test_gzip_body_is_a_gzip_stream() -> None:
    req = Req("GET", RECORDINGS, RECORDINGS, "", (("accept-encoding", "gzip"),))
    out = gzip_encoded(req, Resp.of_json(200, {"a": 1}))
    assert out is not None and json.loads(gzip.decompress(out.body)) == {"a": 1}


def test_control_plane_untouched_and_fired_counted() -> None:
    """The control plane is ours, never changed; ``fired`` and the per-step counts say what acted."""
    control, _, status = exchange(
        VARIANT_PREFIX + "datetime-utc-offset",
        fake_emulator,
        [("GET", "/_emulator/health", {}), ("GET", RECORDINGS, {}), ("GET", "/_faults/status", {})],
    )
    assert control.json()["startTime"] == "2024-03-01T10:00:00.0000000Z"
    assert status.json() == {
        "fault": "variant:datetime-utc-offset",
        "fired": 1,
        "requests": 1,
        "steps": {"datetime-utc-offset": 1},
    }


def test_latency_is_counted_as_fired() -> None:
    _, status = exchange(
        VARIANT_PREFIX + "latency", fake_emulator, [("GET", LIVE, {}), ("GET", "/_faults/status", {})]
    )
    assert status.json()["fired"] == 1 and status.json()["steps"] == {"latency": 1}


def test_stacked_variant_keeps_the_values() -> None:
    """All at once: the answer still means the same (instants, durations, required fields)."""
    body = get("all", RECORDINGS).json()
    item = body["recordings"][0]
    assert body["totalCount"] == 2
    assert parse_instant(item["startTime"]) == parse_instant(str(ITEM["startTime"]))
    assert parse_duration(item["duration"]) == parse_duration(str(ITEM["duration"]))
    assert re.fullmatch(r"REC-\d+", item["referenceNumber"])
    assert {k for k in ITEM} <= set(item)


def test_live_durations_whole_seconds() -> None:
    assert get("live-durations-whole-seconds", LIVE).json()[0]["duration"] == "PT0S"
    assert get("live-durations-whole-seconds", RECORDINGS).json()["recordings"][0]["duration"] == "PT1M30S"


def test_json_escapes_slashes() -> None:
    created = through("json-reserialised", "POST", RECORDINGS)
    assert created.json() == {"id": RID}
    out = json_reserialised(Req("GET", RECORDINGS, RECORDINGS, "", ()), Resp.of_json(200, {"type": "a/b"}))
    assert out is not None and b'"a\\/b"' in out.body and json.loads(out.body) == {"type": "a/b"}
