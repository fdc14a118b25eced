"""Recordings API over HTTP: upload -> detail -> download integrity, and every documented refusal.

Invariant: what ``/Media`` returns is exactly what the detail's ``size`` and ``hash`` describe (A-6),
it is always MP3, and an MP3 upload comes back byte for byte.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import socket
import threading
import time
import uuid

import pytest
from emu_support import (
    DROP,
    RECORDINGS,
    TICKS,
    fmt,
    metadata,
    mp3_bytes,
    parse_wire_datetime,
    raw_multipart,
    ticks_of,
    upload_files,
    wav_bytes,
)

WAV_TYPES = ["audio/wave", "audio/vnd.wav", "audio/vnd.wave", "audio/wav", "audio/x-pn-wav", "audio/x-wav"]


def _now_ticks() -> int:
    return ticks_of(dt.datetime.now(dt.UTC))


def _is_mp3(data: bytes) -> bool:
    """An independent frame-sync check: an MPEG audio frame header (after an optional ID3 tag)."""
    pos = 0
    if data[:3] == b"ID3":
        pos = 10 + ((data[6] << 21) | (data[7] << 14) | (data[8] << 7) | data[9])
    return len(data) > pos + 4 and data[pos] == 0xFF and data[pos + 1] & 0xE0 == 0xE0


def _roundtrip(emu, audio: bytes, ctype: str) -> tuple[dict, bytes]:
    admin = emu.client()
    r = admin.post(RECORDINGS, files=upload_files(metadata(), audio, ctype))
    assert r.status_code == 201, r.text
    rid = r.json()["id"]
    assert rid == str(uuid.UUID(rid))  # a lowercase canonical GUID
    detail = admin.get(f"{RECORDINGS}/{rid}")
    assert detail.status_code == 200
    media = admin.get(f"{RECORDINGS}/{rid}/Media")
    assert media.status_code == 200
    assert media.headers["content-type"] == "audio/mpeg"
    body = detail.json()
    assert body["size"] == len(media.content)
    assert body["hash"] == {"algorithm": "SHA-256", "value": hashlib.sha256(media.content).hexdigest()}
    return body, media.content


def test_mp3_upload_comes_back_byte_for_byte(emu):
    audio = mp3_bytes(0.5, rate=16000)
    _, served = _roundtrip(emu, audio, "audio/mpeg")
    assert served == audio


def test_mp3_with_id3_tag_is_accepted(emu):
    audio = mp3_bytes(0.3)
    tag = b"ID3\x03\x00\x00" + bytes([0, 0, 0, 10]) + b"\0" * 10
    _, served = _roundtrip(emu, tag + audio, "audio/mpeg")
    assert served == tag + audio


@pytest.mark.parametrize(
    ("format_code", "bits", "channels", "rate"),
    [
        (1, 16, 1, 8000),
        (1, 8, 1, 8000),
        (6, 8, 1, 8000),
        (7, 8, 1, 8000),
        (1, 16, 2, 44100),
        (7, 8, 2, 16000),
    ],
    ids=["pcm16", "pcm8", "alaw", "ulaw", "pcm16-stereo-44k", "ulaw-stereo-16k"],
)
def test_wav_is_transcoded_to_mp3(emu, format_code, bits, channels, rate):
    audio = wav_bytes(format_code, bits, channels=channels, rate=rate, frames=rate // 4)
    _, served = _roundtrip(emu, audio, "audio/wav")
    assert _is_mp3(served)
    assert served != audio


@pytest.mark.parametrize("ctype", WAV_TYPES)
def test_every_documented_wav_type_is_accepted(emu, ctype):
    r = emu.upload(audio=wav_bytes(1, 16), ctype=ctype + "; charset=binary")
    assert r.status_code == 201, r.text


def test_detail_fields(emu):
    emu.user(
        2,
        username="Carla",
        firstName="Carla",
        lastName="Rossi",
        extension="201",
        group="g1",
        department="sales",
    )
    start = _now_ticks() // TICKS * TICKS - 7200 * TICKS + 1234567
    rid = emu.uploaded(
        startDateTime=fmt(start, offset_minutes=120),
        duration="PT90S",
        direction=2,
        localParty={"username": "carla", "phoneNumber": "201"},
        remoteParty={"phoneNumber": "+39 055"},
        notes="call back",
        preserved=True,
        pbxCallId="pbx-1",
        pbxInfo={"type": "webex", "callId": "c-1", "externalTrackingId": "t-1", "extra": "ignored"},
    )
    d = emu.client().get(f"{RECORDINGS}/{rid}").json()
    admin_user = {
        "username": "admin",
        "firstName": "",
        "lastName": "",
        "phoneNumber": "100",
        "group": "",
        "department": "",
    }
    assert d["id"] == rid
    assert parse_wire_datetime(d["startTime"]) == start
    assert d["duration"] == "PT1M30S"
    assert d["direction"] == 2
    assert d["localPartyNumber"] == "201"
    assert d["remotePartyNumber"] == "+39 055"
    assert d["owner"] == {
        "username": "Carla",
        "firstName": "Carla",
        "lastName": "Rossi",
        "phoneNumber": "201",
        "group": "g1",
        "department": "sales",
    }
    assert d["note"] == {"owner": admin_user, "text": "call back"}
    assert d["preservingUser"] == admin_user
    assert d["pbxCallId"] == "pbx-1"
    assert d["pbxInfo"] == {"type": "webex", "callId": "c-1", "externalTrackingId": "t-1"}
    listed = emu.client().get(RECORDINGS).json()["recordings"]
    assert [(x["id"], x["ownerUsername"], x["referenceNumber"]) for x in listed] == [
        (rid, "Carla", d["referenceNumber"])
    ]


def test_unknown_owner_and_optional_fields_absent(emu):
    rid = emu.uploaded(localParty={"username": "ghost", "phoneNumber": "999"}, remoteParty=DROP)
    d = emu.client().get(f"{RECORDINGS}/{rid}").json()
    assert d["owner"] == {
        "username": "ghost",
        "firstName": "",
        "lastName": "",
        "phoneNumber": "",
        "group": "",
        "department": "",
    }
    assert d["note"] is None and d["preservingUser"] is None
    assert d["pbxInfo"] is None and d["pbxCallId"] is None
    assert d["remotePartyNumber"] == ""


@pytest.mark.parametrize(
    "info",
    [
        {"type": "generic", "localCallId": "1", "remoteCallId": "2"},
        {"type": "media-forking", "localCallId": "1", "remoteCallId": "2", "sessionId": "s"},
        {"type": "siprec", "localSessionId": "1", "remoteSessionId": "2"},
        {"type": "webex", "callId": "1", "externalTrackingId": "2"},
        {"type": "ms-teams", "callId": "1", "callChainId": "2"},
    ],
    ids=lambda i: i["type"],
)
def test_each_pbx_info_variant_is_echoed(emu, info):
    rid = emu.uploaded(pbxInfo=info)
    assert emu.client().get(f"{RECORDINGS}/{rid}").json()["pbxInfo"] == info


def test_ids_in_any_case(emu):
    rid = emu.uploaded()
    admin = emu.client()
    assert admin.get(f"{RECORDINGS}/{rid.upper()}").json()["id"] == rid
    assert admin.get(f"{RECORDINGS}/{rid.upper()}/Media").status_code == 200


@pytest.mark.parametrize(
    "bad",
    [
        "not-a-guid",
        "12345",
        "75a90276e47e4e9eb463e3c743d5ff3a",
        "75a90276-e47e-4e9e-b463-e3c743d5ff3",
        "75a90276-e47e-4e9e-b463-e3c743d5ff3g",
    ],
)
def test_malformed_guid_is_400_reason_0(emu, bad):
    admin = emu.client()
    for path in (f"{RECORDINGS}/{bad}", f"{RECORDINGS}/{bad}/Media"):
        r = admin.get(path)
        assert r.status_code == 400
        assert r.json()["reason"] == 0 and isinstance(r.json()["message"], str)


def test_unknown_id_is_404(emu):
    emu.uploaded()
    other = str(uuid.uuid4())
    admin = emu.client()
    assert admin.get(f"{RECORDINGS}/{other}").status_code == 404
    assert admin.get(f"{RECORDINGS}/{other}/Media").status_code == 404


def test_trailing_slash_on_the_collection_without_redirect(emu):
    emu.uploaded()
    admin = emu.client()
    for path in (RECORDINGS, RECORDINGS + "/"):
        r = admin.get(path)
        assert r.status_code == 200 and r.json()["totalCount"] == 1
    r = admin.post(RECORDINGS + "/", files=upload_files(metadata(), emu.small_mp3))
    assert r.status_code == 201


# --- upload refusals ---------------------------------------------------------------------------------


def _reason(r) -> int:
    assert r.status_code == 400, r.text
    body = r.json()
    assert isinstance(body["message"], str)
    return body["reason"]


def test_body_not_multipart_is_reason_0(emu):
    admin = emu.client()
    assert _reason(admin.post(RECORDINGS, content=b"{}", headers={"Content-Type": "application/json"})) == 0
    assert _reason(admin.post(RECORDINGS)) == 0
    assert (
        _reason(
            admin.post(
                RECORDINGS, content=b"garbage", headers={"Content-Type": "multipart/form-data; boundary=xyz"}
            )
        )
        == 0
    )
    assert _reason(admin.post(RECORDINGS, content=b"x", headers={"Content-Type": "multipart/form-data"})) == 0


@pytest.mark.parametrize("missing", ["jsondata", "attachment"])
def test_missing_part_is_reason_0(emu, missing):
    files = upload_files(metadata(), emu.small_mp3)
    del files[missing]
    files["other"] = (None, "x", "text/plain")
    assert _reason(emu.client().post(RECORDINGS, files=files)) == 0


def test_truncated_multipart_is_reason_0(emu):
    body, ctype = raw_multipart(
        [
            (
                ['Content-Disposition: form-data; name="jsondata"', "Content-Type: application/json"],
                json.dumps(metadata()).encode(),
            ),
            (
                [
                    'Content-Disposition: form-data; name="attachment"; filename="a.mp3"',
                    "Content-Type: audio/mpeg",
                ],
                emu.small_mp3,
            ),
        ]
    )
    r = emu.client().post(RECORDINGS, content=body[:-40], headers={"Content-Type": ctype})
    assert _reason(r) == 0
    ok = emu.client().post(RECORDINGS, content=body, headers={"Content-Type": ctype})
    assert ok.status_code == 201


def _future(minutes: float) -> str:
    return fmt(_now_ticks() // TICKS * TICKS + int(minutes * 60 * TICKS))


@pytest.mark.parametrize(
    "meta",
    [
        b"{not json",
        b"[1, 2]",
        '"just a string"',
        metadata(startDateTime=DROP),
        metadata(startDateTime="yesterday"),
        metadata(startDateTime="2024-02-30T10:00:00Z"),
        metadata(startDateTime=20240101),
        metadata(duration=DROP),
        metadata(duration="-PT1S"),
        metadata(duration="P1M"),
        metadata(duration="PT"),
        metadata(duration="90"),
        metadata(direction=DROP),
        metadata(direction=3),
        metadata(direction="1"),
        metadata(direction=True),
        metadata(direction=1.0),
        metadata(localParty=DROP),
        metadata(localParty={"username": "admin"}),
        metadata(localParty={"phoneNumber": "100"}),
        metadata(localParty={"username": 5, "phoneNumber": "100"}),
        metadata(localParty="admin"),
        metadata(remoteParty={}),
        metadata(remoteParty={"phoneNumber": 39}),
        metadata(notes=5),
        metadata(preserved="yes"),
        metadata(pbxCallId=7),
        metadata(pbxInfo={"type": "avaya"}),
        metadata(pbxInfo={"callId": "x"}),
        metadata(pbxInfo={"type": "webex", "callId": 5}),
        metadata(pbxInfo="webex"),
        json.dumps(metadata(notes="\ud800")),  # a lone surrogate cannot be stored or echoed
        json.dumps(metadata(extra=float("nan"))),  # NaN is not JSON
    ],
)
def test_invalid_metadata_is_reason_1(emu, meta):
    r = emu.client().post(RECORDINGS, files=upload_files(meta, emu.small_mp3))
    assert _reason(r) == 1


def test_start_more_than_five_minutes_ahead_is_reason_1(emu):
    assert _reason(emu.upload(startDateTime=_future(6))) == 1
    assert emu.upload(startDateTime=_future(4)).status_code == 201


@pytest.mark.parametrize(
    ("audio", "ctype"),
    [
        (wav_bytes(1, 16), "audio/mpeg"),
        (mp3_bytes(0.3), "audio/wav"),
        (mp3_bytes(0.3), "audio/ogg"),
        (mp3_bytes(0.3), "application/octet-stream"),
        (b"", "audio/mpeg"),
        (b"\xff\xfb" + b"\0" * 200, "audio/mpeg"),  # a sync word but no valid header
        (b"hello world" * 50, "audio/mpeg"),
        (wav_bytes(3, 32), "audio/wav"),  # IEEE float
        (wav_bytes(1, 24), "audio/wav"),
        (wav_bytes(6, 16), "audio/wav"),  # A-law must be 8 bit
        (wav_bytes(0x55, 8), "audio/wav"),  # format code 0x55 is MP3-in-WAV
        (wav_bytes(1, 16, channels=3), "audio/wav"),
        (wav_bytes(1, 16, rate=12345), "audio/wav"),
        (wav_bytes(1, 16, payload=b""), "audio/wav"),
        (wav_bytes(1, 16)[:30], "audio/wav"),
        (b"RIFF\x00\x00\x00\x00WAVEjunk", "audio/wav"),
    ],
    ids=[
        "wav-as-mp3",
        "mp3-as-wav",
        "ogg",
        "octet",
        "empty",
        "bad-header",
        "text",
        "float",
        "pcm24",
        "alaw16",
        "fmt-0x55",
        "3ch",
        "odd-rate",
        "no-samples",
        "truncated",
        "no-chunks",
    ],
)
def test_invalid_audio_is_reason_2(emu, audio, ctype):
    assert _reason(emu.upload(audio=audio, ctype=ctype)) == 2


def test_mp3_needs_a_second_frame_where_the_first_says(emu):
    audio = mp3_bytes(0.3)
    first = audio[:4]
    # A lone valid header followed by noise: the second frame is not where the first frame's length points.
    r = emu.upload(audio=first + bytes(range(256)) * 4, ctype="audio/mpeg")
    assert _reason(r) == 2


def test_attachment_without_content_type_is_reason_2(emu):
    body, ctype = raw_multipart(
        [
            (['Content-Disposition: form-data; name="jsondata"'], json.dumps(metadata()).encode()),
            (['Content-Disposition: form-data; name="attachment"; filename="a.mp3"'], emu.small_mp3),
        ]
    )
    r = emu.client().post(RECORDINGS, content=body, headers={"Content-Type": ctype})
    assert _reason(r) == 2


def test_retention_409_and_licence_501(emu):
    old = fmt(_now_ticks() - 11 * 86_400 * TICKS)
    assert emu.upload(startDateTime=old).status_code == 201  # default retention is 3650 days
    emu.settings(retentionDays=10)
    r = emu.upload(startDateTime=old)
    assert r.status_code == 409 and isinstance(r.json()["message"], str)
    assert emu.upload(startDateTime=fmt(_now_ticks() - 9 * 86_400 * TICKS)).status_code == 201
    emu.settings(licenseValid=False)
    r = emu.upload()
    assert r.status_code == 501
    # Validation still comes first (400 before 501).
    assert _reason(emu.upload(direction=9)) == 1
    assert emu.client().get(RECORDINGS).json()["totalCount"] == 2


def _stream_oversized(port: int, auth: str, total_audio: int) -> tuple[bytes, int]:
    """Send an upload whose attachment is ``total_audio`` bytes; return the answer and bytes sent."""
    boundary = "oversize"
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="jsondata"\r\nContent-Type: application/json'
        f"\r\n\r\n{json.dumps(metadata())}\r\n--{boundary}\r\nContent-Disposition: form-data; "
        f'name="attachment"; filename="a.mp3"\r\nContent-Type: audio/mpeg\r\n\r\n'
    ).encode()
    tail = f"\r\n--{boundary}--\r\n".encode()
    length = len(head) + total_audio + len(tail)
    request = (
        f"POST {RECORDINGS} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Basic {auth}\r\n"
        f"Content-Type: multipart/form-data; boundary={boundary}\r\nContent-Length: {length}\r\n\r\n"
    ).encode()
    sock = socket.create_connection(("127.0.0.1", port))
    sent = [0]

    def send() -> None:
        chunk = b"\0" * (1 << 20)
        try:
            sock.sendall(request + head)
            while sent[0] < total_audio:
                n = min(len(chunk), total_audio - sent[0])
                sock.sendall(chunk[:n])
                sent[0] += n
            sock.sendall(tail)
        except OSError:
            pass

    sender = threading.Thread(target=send, daemon=True)
    sender.start()
    sock.settimeout(60)
    answer = b""
    try:
        while b"\r\n\r\n" not in answer or len(answer.split(b"\r\n\r\n", 1)[1]) < 10:
            data = sock.recv(65536)
            if not data:
                break
            answer += data
    finally:
        sock.close()
        sender.join(timeout=10)
    return answer, sent[0]


def test_audio_over_256_mb_is_refused_while_streaming(emu, server):
    """The client offers 1 GiB; the server must answer 400 reason 2 long before it has all of it."""
    limit = 256 * 1024 * 1024
    started = time.monotonic()
    answer, sent = _stream_oversized(server.port, "YWRtaW46YWRtaW4=", 4 * limit)
    assert time.monotonic() - started < 50
    status_line, _, rest = answer.partition(b"\r\n")
    assert status_line.split()[1] == b"400", answer[:300]
    body = json.loads(rest.split(b"\r\n\r\n", 1)[1])
    assert body["reason"] == 2
    assert sent < 2 * limit  # it stopped reading: the client could not push the whole body
    assert emu.client().get(RECORDINGS).json()["totalCount"] == 0
