"""Upload, detail and download agree with each other and with what was sent (reference 2.2, 3).

Invariants:

- every accepted audio type (each WAV encoding under each WAV content type, and MP3) is accepted
  with 201 and downloads as ``audio/mpeg`` (documented);
- the detail echoes the metadata: start, duration, direction, parties, the pbxInfo variant, the note
  text with the *caller* as note owner, the caller as preservingUser when preserved (documented:
  notes are authored by, and ``preserved`` set by, the calling user);
- ``size`` and ``hash`` describe exactly the bytes ``/Media`` returns (A-6, hash shape A-10);
- each invalid upload gets its documented 400 reason (0 body, 1 metadata, 2 audio), and every
  metadata rule is tried once on every seed (the random check may not draw a given rule);
- ``/{id}`` and ``/{id}/Media`` serve that recording, not the latest upload (documented);
- a start outside the retention period is 409 (documented: on the emulator with a retention set
  through its control plane, on any other server with the retention its target file declares), an
  invalid licence 501 (documented; emulator only, because only there can the suite turn that knob).

Dates: every start this module uploads comes from the scene's upload window (the server's clock
and retention, ``contract/upload_window.py``), never from a fixed date, so a server with a short
retention does not refuse the set-up with 409.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Hashable, Iterator
from typing import Any, Protocol

import pytest
from hypothesis import event, given, note, settings

from contract import api, expect
from contract.client import ApiClient, Reply
from contract.pair_ledger import PairLedger
from contract.run_context import RunContext
from contract.scene import Scene
from contract.upload_window import UploadWindow
from strategies import audio, metadata
from strategies.durations import parse_iso_duration
from strategies.pairwise import covering_rows
from strategies.rhs_colon import TICKS_PER_SECOND, Instant

CHECK_ECHO = "detail echoes the metadata"


def _start(scene: Scene, hours: float = 2.0, fraction_ticks: int = 0) -> str:
    """A start ``hours`` back in the upload window, on a whole second plus ``fraction_ticks``."""
    at = scene.upload_window.hours_ago(hours).ticks
    digits = 7 if fraction_ticks else 0
    return Instant(at - at % TICKS_PER_SECOND + fraction_ticks).isoformat(digits=digits)


def _dates(scene: Scene) -> dict[str, Any]:
    """What ``strategies.metadata`` needs to draw valid starts: the window's latest start (read at
    each draw) and its width."""
    window = scene.upload_window
    return {"now": lambda: window.latest, "max_age_s": window.span_s}


def _upload(admin: ApiClient, meta: dict[str, Any], data: bytes, ctype: str) -> str:
    reply = api.upload_recording(admin, meta, data, ctype)
    expect.status(reply, 201, check="accepted audio is stored", why=f"valid metadata and {ctype} audio")
    body = expect.json_body(reply, check="accepted audio is stored", provenance="A-5")
    rec_id = body.get("id") if isinstance(body, dict) else None
    expect.that(
        isinstance(rec_id, str),
        reply,
        check="accepted audio is stored",
        title="201 body has no id",
        expected='{"id": "<uuid>"}',
        actual=body,
        provenance="A-5",
    )
    return str(rec_id)


def _same_party(value: Any, sent: str | None) -> bool:
    """Absent remote party: the server may answer null or "" (both mean "none")."""
    return (value or "") == (sent or "")


def _expect_echoed(reply: Reply, field_name: str, ok: bool, expected: Any, actual: Any) -> None:
    expect.that(
        ok,
        reply,
        check=CHECK_ECHO,
        title=f"{field_name} differs from the uploaded metadata",
        expected=expected,
        actual=actual,
    )


def _expect_start_echoed(detail: dict[str, Any], meta: dict[str, Any], reply: Reply) -> None:
    """startTime to the second (documented); to the 100 ns tick only under A-11 (a server storing
    milliseconds is a deviation, not a failure)."""
    start_sent, start_got = Instant.parse(meta["startDateTime"]), Instant.parse(str(detail.get("startTime")))
    gap = abs(start_sent.ticks - start_got.ticks)
    _expect_echoed(reply, "startTime", gap < TICKS_PER_SECOND, meta["startDateTime"], detail.get("startTime"))
    expect.that(
        gap == 0,
        reply,
        check=CHECK_ECHO,
        title="startTime lost sub-second precision",
        expected=meta["startDateTime"],
        actual=detail.get("startTime"),
        provenance="A-11",
    )


def same_duration(got: Any, sent: str) -> bool:
    """The stored duration is the uploaded one: exactly for whole seconds; within a second when the
    upload had a fraction (the reference's durations are whole seconds, ``PT1M30S``; a server
    keeping whole seconds rounds ``PT2.5S`` one way or the other, and both are the same call)."""
    try:
        got_ticks = parse_iso_duration(str(got))
    except ValueError:
        return False
    sent_ticks = parse_iso_duration(sent)
    if sent_ticks % TICKS_PER_SECOND == 0:
        return got_ticks == sent_ticks
    return abs(got_ticks - sent_ticks) < TICKS_PER_SECOND


def _user_name(value: Any) -> str:
    """A User's username; "" for null, and for anything that is not a User object (the schema
    checks report its shape)."""
    return str(value.get("username") or "") if isinstance(value, dict) else ""


def _expect_call_echoed(detail: dict[str, Any], meta: dict[str, Any], reply: Reply) -> None:
    """The call as uploaded: duration (as a length, not as text), direction, both parties (an absent
    remote party may read back as null or ""), and the pbxInfo variant's fields."""
    _expect_echoed(
        reply,
        "duration",
        same_duration(detail.get("duration"), meta["duration"]),
        meta["duration"],
        detail.get("duration"),
    )
    _expect_echoed(
        reply,
        "direction",
        detail.get("direction") == meta["direction"],
        meta["direction"],
        detail.get("direction"),
    )
    local = meta["localParty"]["phoneNumber"]
    _expect_echoed(
        reply,
        "localPartyNumber",
        detail.get("localPartyNumber") == local,
        local,
        detail.get("localPartyNumber"),
    )
    remote = (meta.get("remoteParty") or {}).get("phoneNumber")
    _expect_echoed(
        reply,
        "remotePartyNumber",
        _same_party(detail.get("remotePartyNumber"), remote),
        remote,
        detail.get("remotePartyNumber"),
    )
    if "pbxInfo" in meta:
        got = detail.get("pbxInfo") or {}
        sent = meta["pbxInfo"]
        _expect_echoed(reply, "pbxInfo", all(got.get(k) == v for k, v in sent.items()), sent, got)


def _expect_caller_authored(detail: dict[str, Any], meta: dict[str, Any], caller: str, reply: Reply) -> None:
    """Documented: the note's text with the *caller* as its owner; the caller as preservingUser when
    preserved, and no preservingUser otherwise (usernames compare case-insensitively)."""
    notes = meta.get("notes")
    raw_note = detail.get("note")
    note_got: dict[str, Any] = raw_note if isinstance(raw_note, dict) else {}
    if notes:
        text = note_got.get("text")
        _expect_echoed(reply, "note.text", text == notes, notes, text)
        owner = _user_name(note_got.get("owner"))
        _expect_echoed(reply, "note.owner", owner.lower() == caller.lower(), caller, note_got.get("owner"))
    if meta.get("preserved"):
        preserving = _user_name(detail.get("preservingUser"))
        _expect_echoed(
            reply,
            "preservingUser",
            preserving.lower() == caller.lower(),
            caller,
            detail.get("preservingUser"),
        )
    else:
        _expect_echoed(
            reply, "preservingUser", not detail.get("preservingUser"), None, detail.get("preservingUser")
        )


def check_echo(detail: dict[str, Any], meta: dict[str, Any], caller: str, reply: Reply) -> None:
    """Field by field: the detail says what the upload said.

    The start time must match to the second (documented: the detail echoes the upload); exactly, to
    the 100 ns tick, only under A-11 (a server storing milliseconds is a deviation, not a failure).
    """
    _expect_start_echoed(detail, meta, reply)
    _expect_call_echoed(detail, meta, reply)
    _expect_caller_authored(detail, meta, caller, reply)


def check_media(admin: ApiClient, rec_id: str, detail: dict[str, Any]) -> None:
    """/Media is MP3 and is exactly what size and hash describe."""
    reply = api.download_recording(admin, rec_id)
    expect.status(reply, 200, check="download", why="the recording was just uploaded")
    ctype = reply.headers.get("content-type", "").split(";")[0].strip().lower()
    expect.that(
        ctype == "audio/mpeg",
        reply,
        check="download is audio/mpeg",
        title="wrong media type",
        expected="audio/mpeg",
        actual=ctype,
    )
    data = reply.content
    expect.that(
        detail.get("size") == len(data),
        reply,
        check="size matches the downloaded bytes",
        title="size differs from the length of /Media",
        expected=len(data),
        actual=detail.get("size"),
        provenance="A-6",
    )
    digest = hashlib.sha256(data).hexdigest()
    got = detail.get("hash") or {}
    expect.that(
        str(got.get("value", "")).lower() == digest,
        reply,
        check="hash matches the downloaded bytes",
        title="hash is not the SHA-256 of /Media",
        expected=digest,
        actual=got,
        provenance="A-6,A-10",
    )
    looks_mp3 = data[:3] == b"ID3" or (len(data) > 1 and data[0] == 0xFF and data[1] & 0xE0 == 0xE0)
    expect.that(
        looks_mp3,
        reply,
        check="stored form is MP3",
        title="/Media does not start like an MP3 file",
        expected="an ID3 tag or an MPEG frame sync",
        actual=data[:8].hex(),
        provenance="A-6",
    )


AUDIO_TYPES = [
    pytest.param(encoding, ctype, id=f"{encoding}-{ctype}")
    for encoding in ("pcm16", "pcm8", "alaw", "ulaw")
    for ctype in audio.WAV_CONTENT_TYPES
] + [pytest.param("mp3", audio.MP3_CONTENT_TYPE, id="mp3-audio/mpeg")]
"""Every accepted audio type of reference 2.2: each WAV encoding under each WAV content type, and MP3."""


@pytest.mark.recqual(
    family="transfer",
    operation=["uploadRecording", "getRecording", "downloadRecording"],
    check="each audio type round-trips",
)
@pytest.mark.parametrize(("encoding", "ctype"), AUDIO_TYPES)
def test_each_audio_type_round_trips(encoding: str, ctype: str, admin: ApiClient, scene: Scene) -> None:
    caller = admin.credentials.username if admin.credentials else ""
    data = audio.mp3(0.2) if encoding == "mp3" else audio.wav(encoding, seconds=0.2)
    meta = {
        "startDateTime": _start(scene, 3, fraction_ticks=1_234_567),  # 7 digits: A-11 echo
        "duration": "PT1M30S",
        "direction": 2,
        "localParty": {"username": caller, "phoneNumber": scene.number()},
        "remoteParty": {"phoneNumber": f"+39{scene.number()}"},
        "notes": f"note for {encoding} as {ctype}",
        "preserved": True,
        "pbxInfo": {"type": "media-forking", "localCallId": "l-1", "remoteCallId": "r-1", "sessionId": "s-1"},
    }
    rec_id = _upload(admin, meta, data, ctype)
    reply = api.get_recording(admin, rec_id)
    expect.status(reply, 200, check=CHECK_ECHO, why="the recording was just uploaded")
    detail = expect.json_body(reply, check=CHECK_ECHO)
    check_echo(detail, meta, caller, reply)
    check_media(admin, rec_id, detail)


@pytest.mark.recqual(
    family="transfer",
    operation=["uploadRecording", "getRecording", "downloadRecording"],
    check="uploads with varied metadata round-trip",
)
def test_varied_uploads_round_trip(admin: ApiClient, scene: Scene, run_context: RunContext) -> None:
    caller = admin.credentials.username if admin.credentials else ""
    owner = caller

    @settings(max_examples=run_context.examples(full=40, quick=6, creates=True))
    @given(sound=audio.audio_files(), meta=metadata.upload_metadata(usernames=(owner,), **_dates(scene)))
    def check(sound: audio.AudioFile, meta: dict[str, Any]) -> None:
        event(f"{sound.kind} as {sound.content_type}")
        event(f"pbxInfo:{(meta.get('pbxInfo') or {}).get('type', 'none')}")
        note(f"metadata: {meta}")
        rec_id = _upload(admin, meta, sound.data, sound.content_type)
        reply = api.get_recording(admin, rec_id)
        expect.status(reply, 200, check=CHECK_ECHO, why="the recording was just uploaded")
        detail = expect.json_body(reply, check=CHECK_ECHO)
        check_echo(detail, meta, caller, reply)
        check_media(admin, rec_id, detail)

    check()


CHECK_OWN_MEDIA = "each id serves its own recording"


@pytest.mark.recqual(
    family="transfer",
    operation=["uploadRecording", "getRecording", "downloadRecording"],
    check=CHECK_OWN_MEDIA,
)
def test_each_id_serves_its_own_recording(admin: ApiClient, scene: Scene) -> None:
    """Section 2: ``/{id}`` and ``/{id}/Media`` are *that* recording. The round-trip checks read a
    recording right after uploading it, when it is also the newest one, so a server that serves the
    latest upload (a staging file or cache not keyed by id) passes them. Here two recordings with
    different audio are uploaded; the first is then read again and must still be itself: its detail
    names its id and local number, and its /Media bytes are the ones it served before the second
    upload (documented: nothing but the id selects what is served).
    """
    caller = admin.credentials.username if admin.credentials else "admin"
    first_meta = {
        **_valid_meta(caller, scene),
        "localParty": {"username": caller, "phoneNumber": scene.number()},
    }
    second_meta = {
        **_valid_meta(caller, scene),
        "localParty": {"username": caller, "phoneNumber": scene.number()},
    }
    first = _upload(admin, first_meta, audio.wav("pcm16", seconds=0.3), "audio/wav")
    before = api.download_recording(admin, first)
    expect.status(before, 200, check=CHECK_OWN_MEDIA, why="the recording was just uploaded")
    second = _upload(admin, second_meta, audio.wav("pcm16", seconds=0.6), "audio/wav")
    later = api.download_recording(admin, second)
    expect.status(later, 200, check=CHECK_OWN_MEDIA, why="the recording was just uploaded")
    detail = api.get_recording(admin, first)
    expect.status(detail, 200, check=CHECK_OWN_MEDIA, why="an existing recording")
    body = expect.json_body(detail, check=CHECK_OWN_MEDIA)
    got = {"id": str(body.get("id", "")).lower(), "localPartyNumber": body.get("localPartyNumber")}
    want = {"id": first.lower(), "localPartyNumber": first_meta["localParty"]["phoneNumber"]}
    expect.that(
        got == want,
        detail,
        check=CHECK_OWN_MEDIA,
        title="getRecording answered with another recording than the id asked",
        expected=want,
        actual=got,
    )
    again = api.download_recording(admin, first)
    expect.status(again, 200, check=CHECK_OWN_MEDIA, why="an existing recording")
    same = hashlib.sha256(again.content).hexdigest()
    expect.that(
        again.content == before.content,
        again,
        check=CHECK_OWN_MEDIA,
        title="/Media of the first recording changed after another upload",
        expected=f"{len(before.content)} bytes, sha256 {hashlib.sha256(before.content).hexdigest()}",
        actual=f"{len(again.content)} bytes, sha256 {same}"
        + (" (the second recording's audio)" if again.content == later.content else ""),
    )


CHECK_AUTHOR = "notes and preserved are the caller's"


@pytest.mark.recqual(
    family="transfer",
    operation=["uploadRecording", "getRecording"],
    check=CHECK_AUTHOR,
)
def test_upload_for_another_owner(admin: ApiClient, scene: Scene) -> None:
    """Reference 2.2: ``notes`` are authored by, and ``preserved`` is set by, the calling user.

    The round-trip tests upload for the caller itself, where caller and owner coincide, so a server
    crediting the note or the preservation to the owner passes them. Here the level-10 caller uploads
    a recording whose localParty is another user (the Base Access role): the owner is that user, while
    note.owner and preservingUser are the caller.
    """
    caller = admin.credentials.username if admin.credentials else ""
    owner = scene.user("l2").username
    if owner.lower() == caller.lower():
        pytest.skip(f"{CHECK_AUTHOR}: the l2 and l10 roles are the same user ({owner}); configure two users")
    meta = {
        **_valid_meta(owner, scene),
        "localParty": {"username": owner, "phoneNumber": scene.number()},
        "remoteParty": {"phoneNumber": f"+39{scene.number()}"},
        "notes": f"written by {caller} for {owner}",
        "preserved": True,
    }
    rec_id = _upload(admin, meta, audio.wav("pcm16", seconds=0.05), "audio/wav")
    reply = api.get_recording(admin, rec_id)
    expect.status(reply, 200, check=CHECK_AUTHOR, why="the recording was just uploaded")
    detail = expect.json_body(reply, check=CHECK_AUTHOR)
    got = {
        "owner": (detail.get("owner") or {}).get("username"),
        "note.owner": ((detail.get("note") or {}).get("owner") or {}).get("username"),
        "preservingUser": (detail.get("preservingUser") or {}).get("username"),
    }
    want = {"owner": owner, "note.owner": caller, "preservingUser": caller}
    for name, expected in want.items():
        expect.that(
            str(got[name] or "").lower() == expected.lower(),
            reply,
            check=CHECK_AUTHOR,
            title=f"{name} is not the {'localParty user' if name == 'owner' else 'calling user'}",
            expected=expected,
            actual=got[name],
            notes=[f"caller {caller}, localParty.username {owner}"],
        )
    check_echo(detail, meta, caller, reply)


class Refusal(Protocol):
    """An invalid upload drawn by ``strategies`` (``InvalidAudio``, ``InvalidMetadata``): the 400
    reason it must get, why, and what that expectation assumes."""

    @property
    def why(self) -> str: ...

    @property
    def expected_reason(self) -> int: ...

    @property
    def assumptions(self) -> tuple[str, ...]: ...


def expect_refused(reply: Reply, bad: Refusal, *, check: str) -> None:
    """400 with the case's reason; documented unless the case rests on assumptions (A-n)."""
    provenance = ",".join(bad.assumptions) or "documented"
    expect.reason(reply, bad.expected_reason, check=check, why=bad.why, provenance=provenance)


@pytest.mark.recqual(family="transfer", operation="uploadRecording", check="invalid audio is 400 reason 2")
def test_invalid_audio_rejected(admin: ApiClient, scene: Scene, run_context: RunContext) -> None:
    owner = admin.credentials.username if admin.credentials else "admin"

    @settings(max_examples=run_context.examples(full=50, quick=8))
    @given(bad=audio.invalid_audio(), meta=metadata.upload_metadata(usernames=(owner,), **_dates(scene)))
    def check(bad: audio.InvalidAudio, meta: dict[str, Any]) -> None:
        event(bad.why.split(" ")[0])
        reply = api.upload_recording(admin, meta, bad.data, bad.content_type)
        expect_refused(reply, bad, check="invalid audio is 400 reason 2")

    check()


@pytest.mark.recqual(family="transfer", operation="uploadRecording", check="invalid metadata is 400 reason 1")
def test_invalid_metadata_rejected(admin: ApiClient, scene: Scene, run_context: RunContext) -> None:
    owner = admin.credentials.username if admin.credentials else "admin"
    sound = audio.wav("pcm16", seconds=0.05)

    @settings(max_examples=run_context.examples(full=50, quick=8))
    @given(bad=metadata.invalid_metadata(usernames=(owner,), **_dates(scene)))
    def check(bad: metadata.InvalidMetadata) -> None:
        event(bad.why.split(" ")[0])
        note(f"metadata: {bad.metadata}")
        reply = api.upload_recording(admin, bad.metadata, sound, "audio/wav")
        expect_refused(reply, bad, check="invalid metadata is 400 reason 1")

    check()


def _without(meta: dict[str, Any], name: str) -> dict[str, Any]:
    return {k: v for k, v in meta.items() if k != name}


INVALID_METADATA_RULES: dict[str, Any] = {
    "startDateTime missing": lambda m: _without(m, "startDateTime"),
    "duration missing": lambda m: _without(m, "duration"),
    "direction missing": lambda m: _without(m, "direction"),
    "localParty missing": lambda m: _without(m, "localParty"),
    "localParty.username missing": lambda m: {**m, "localParty": _without(m["localParty"], "username")},
    "localParty.phoneNumber missing": lambda m: {**m, "localParty": _without(m["localParty"], "phoneNumber")},
    "direction 3": lambda m: {**m, "direction": 3},
    "direction -1": lambda m: {**m, "direction": -1},
    "startDateTime not a date-time": lambda m: {**m, "startDateTime": "not-a-date"},
    "duration not ISO-8601 (words)": lambda m: {**m, "duration": "ninety seconds"},
    "duration not ISO-8601 (bare number)": lambda m: {**m, "duration": "90"},
    "pbxInfo type unknown": lambda m: {**m, "pbxInfo": {"type": "avaya", "callId": "c-1"}},
}
"""One upload per metadata rule of section 3 (required fields, the Direction enum, ISO-8601 start and
duration, the PbxInfo discriminator). The random check draws 8 of these in --quick and a rule can be
missed on a seed; a server that lets one rule slip (a duration TryParse whose failure is ignored,
say) must fail on every seed."""


@pytest.mark.recqual(family="transfer", operation="uploadRecording", check="invalid metadata is 400 reason 1")
@pytest.mark.parametrize("rule", list(INVALID_METADATA_RULES))
def test_each_metadata_rule(rule: str, admin: ApiClient, scene: Scene) -> None:
    """Documented: metadata invalid -> 400 reason 1 (2.2), for each rule of UploadRecordingMetadata."""
    owner = admin.credentials.username if admin.credentials else "admin"
    meta = INVALID_METADATA_RULES[rule](_valid_meta(owner, scene))
    reply = api.upload_recording(admin, meta, audio.wav("pcm16", seconds=0.05), "audio/wav")
    expect.reason(reply, 1, check="invalid metadata is 400 reason 1", why=f"metadata invalid: {rule}")


def _valid_meta(owner: str, scene: Scene) -> dict[str, Any]:
    """Valid metadata, two hours back in the upload window (inside the server's retention)."""
    return {
        "startDateTime": _start(scene, 2),
        "duration": "PT2S",
        "direction": 1,
        "localParty": {"username": owner, "phoneNumber": "1001"},
    }


BROKEN_BODIES = {
    "no parts at all": (None, None, None, {0}),
    "no jsondata part": (None, "wav", "audio/wav", {0, 1}),
    "no attachment part": ("meta", None, None, {0, 2}),
    "jsondata is not JSON": ("{not json", "wav", "audio/wav", {0, 1}),
    "attachment typed application/octet-stream": ("meta", "wav", None, {0, 2}),
    "attachment without Content-Type": ("meta", "wav", "", {0, 2}),
}
"""Broken multipart bodies and the reasons that may answer them.

Where two documented reasons fit (a missing metadata part is both "body unreadable" (0) and
"metadata invalid" (1)), the reference does not say which wins, so either is accepted. An HTTP
client given no type for a file part sends ``application/octet-stream``, so the part with no
Content-Type header at all ([doc] 2.2: the part must carry its Content-Type) is written by hand.
"""

BOUNDARY = "rqBoundary7MA4YWxkTrZu0gW"


def raw_upload(admin: ApiClient, meta: dict[str, Any], data: bytes) -> Reply:
    """A multipart upload whose ``attachment`` part has no Content-Type header."""
    body = (
        (
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="jsondata"\r\n'
            f"Content-Type: application/json\r\n\r\n{json.dumps(meta)}\r\n"
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="attachment"; filename="recording.wav"'
            "\r\n\r\n"
        ).encode()
        + data
        + f"\r\n--{BOUNDARY}--\r\n".encode()
    )
    return admin.request(
        "POST",
        api.OPERATIONS["uploadRecording"][1],
        operation="uploadRecording",
        content=body,
        headers={"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"},
    )


@pytest.mark.recqual(family="transfer", operation="uploadRecording", check="broken bodies are 400")
@pytest.mark.parametrize("case", list(BROKEN_BODIES))
def test_broken_upload_bodies(case: str, admin: ApiClient, scene: Scene) -> None:
    meta_kind, sound_kind, ctype, reasons = BROKEN_BODIES[case]
    owner = admin.credentials.username if admin.credentials else "admin"
    raw = None
    meta = None
    if meta_kind == "meta":
        meta = _valid_meta(owner, scene)
    elif meta_kind is not None:
        raw = meta_kind
    data = audio.wav("pcm16", seconds=0.05) if sound_kind else None
    if ctype == "":
        assert meta is not None and data is not None
        reply = raw_upload(admin, meta, data)
    elif meta is None and raw is None and data is None:
        reply = admin.request(
            "POST",
            api.OPERATIONS["uploadRecording"][1],
            operation="uploadRecording",
            content=b"",
            headers={"Content-Type": "multipart/form-data; boundary=x"},
        )
    else:
        reply = api.upload_recording(admin, meta, data, ctype, raw_jsondata=raw)
    expect.reason(reply, reasons, check="broken bodies are 400", why=case)


@pytest.fixture
def settings_knob(scene: Scene) -> Iterator[Any]:
    """Change emulator settings for one test and restore them afterwards."""
    control = scene.require_emulator("changing server settings")
    before = control.settings()
    yield control
    control.settings(
        **{k: v for k, v in before.items() if k in ("licenseValid", "channels", "retentionDays", "latencyMs")}
    )


RETENTION_EDGE_OFFSETS = (0, 120, -300)
"""The edge date is sent as ``Z`` and with two offsets (one instant, three spellings, A-14): a server
whose retention check compares local times, or skips offset dates, refuses only some of them."""
EMULATOR_RETENTION_DAYS = 7
"""The retention the emulator is given for the retention check (through its control plane)."""
CHECK_RETENTION = "retention is 409"


@pytest.mark.recqual(family="transfer", operation="uploadRecording", check=CHECK_RETENTION)
def test_retention_409(
    admin: ApiClient, scene: Scene, request: pytest.FixtureRequest, run_context: RunContext
) -> None:
    """Documented (2.2): an upload whose start date is outside the retention period is 409.

    The retention must be known: on the emulator the check sets it (7 days) through the control
    plane; on any other server it is the ``[target] retention_days`` the target file declares (a
    wrong declaration is the lab's to fix: a server keeping recordings longer answers 201). Without
    either, the check is skipped. The first upload is dated a day before the retention period began
    (``upload_window.before_retention()``), the drawn ones up to 400 days earlier.
    """
    if scene.is_emulator:
        request.getfixturevalue("settings_knob").settings(retentionDays=EMULATOR_RETENTION_DAYS)
        retention, source = EMULATOR_RETENTION_DAYS, "set through the emulator control plane"
    elif scene.config.retention_days:
        retention, source = scene.config.retention_days, "declared as [target] retention_days"
    else:
        pytest.skip(
            f"{CHECK_RETENTION}: the server's retention is unknown; declare it in the --target-file "
            "([target] retention_days = N) to check that an upload dated before it is refused"
        )
    window = UploadWindow.of(scene.upload_window.offset_s, retention)
    owner = admin.credentials.username if admin.credentials else "admin"
    sound = audio.wav("pcm16", seconds=0.05)

    def refused(meta: dict[str, Any]) -> None:
        reply = api.upload_recording(admin, meta, sound, "audio/wav")
        expect.status(
            reply,
            409,
            check=CHECK_RETENTION,
            why=f"start {meta['startDateTime']} is older than the {retention}-day retention ({source})",
        )

    edge = window.before_retention()
    for offset in RETENTION_EDGE_OFFSETS:
        refused(
            {
                **_valid_meta(owner, scene),
                "localParty": {"username": owner, "phoneNumber": scene.number()},
                "startDateTime": Instant(edge.ticks - edge.ticks % TICKS_PER_SECOND).isoformat(
                    offset, digits=0
                ),
            }
        )

    @settings(max_examples=run_context.examples(full=8, quick=3, creates=True))
    @given(
        meta=metadata.outside_retention_metadata(
            retention_days=retention, usernames=(owner,), now=window.server_now
        )
    )
    def check(meta: dict[str, Any]) -> None:
        refused(meta)

    check()


@pytest.mark.recqual(
    family="transfer",
    operation=["uploadRecording", "startRecording"],
    check="licence is 501",
    needs=("emulator",),
)
def test_licence_501(admin: ApiClient, scene: Scene, settings_knob: Any) -> None:
    owner = scene.new_user(1, stem="lic")
    assert owner.line is not None
    scene.connect(owner.line)
    settings_knob.settings(licenseValid=False)
    meta = _valid_meta(admin.credentials.username if admin.credentials else "admin", scene)
    reply = api.upload_recording(admin, meta, audio.wav("pcm16", seconds=0.05), "audio/wav")
    expect.status(reply, 501, check="licence is 501", why="the Call Recording licence is invalid")
    reply = api.start(
        admin, {"deviceName": owner.line.device_name, "directoryNumber": owner.line.directory_number}
    )
    expect.status(reply, 501, check="licence is 501", why="the Call Recording licence is invalid")


ID_DIMENSIONS: dict[str, tuple[Hashable, ...]] = {
    "operation": ("getRecording", "downloadRecording"),
    "exists": (True, False),
    "case": ("lower", "upper", "mixed"),
}
"""Every id a client may send for a recording: one that exists or not, in any case (A-1)."""


def recased(rec_id: str, case: str) -> str:
    """``rec_id`` in lower, upper or mixed case (every other hex letter upper, as the vendor shows)."""
    if case == "upper":
        return rec_id.upper()
    if case == "mixed":
        return "".join(c.upper() if i % 2 else c.lower() for i, c in enumerate(rec_id))
    return rec_id.lower()


@pytest.mark.recqual(
    family="status",
    operation=["getRecording", "downloadRecording"],
    check="ids: unknown 404, not a GUID 400, any case accepted",
)
def test_recording_ids(admin: ApiClient, scene: Scene, pairs: PairLedger) -> None:
    """Section 2: an unknown id is 404, a malformed one 400; A-1: any case is accepted. Every
    combination of operation, existence and case is sent (12 requests), so a server that validates
    the case only after a miss (an unknown uppercase id called malformed) fails too."""
    rec_id = _upload(
        admin,
        _valid_meta(admin.credentials.username if admin.credentials else "admin", scene),
        audio.wav("pcm16", seconds=0.05),
        "audio/wav",
    )
    ops = {"getRecording": api.get_recording, "downloadRecording": api.download_recording}
    unknown = str(uuid.uuid4())
    ran: list[dict[str, Hashable]] = []
    try:
        for row in covering_rows(ID_DIMENSIONS):
            sent = recased(rec_id if row["exists"] else unknown, str(row["case"]))
            reply = ops[str(row["operation"])](admin, sent)
            ran.append(row)
            expect.status(
                reply,
                200 if row["exists"] else 404,
                check="unknown id is 404" if not row["exists"] else "ids in any case",
                why=f"{'the id of an existing recording' if row['exists'] else 'a GUID nobody uses'}, "
                f"in {row['case']} case: {sent}",
                provenance="documented" if row["case"] == "lower" else "A-1",
            )
    finally:
        pairs.record("getRecording", ran, ID_DIMENSIONS)
    for op in ops.values():
        expect.status(op(admin, "not-a-guid"), 400, check="not a GUID is 400", why="id 'not-a-guid'")
    expect.that(
        rec_id == rec_id.lower(),
        None,
        check="ids lowercase",
        title="the server returned a non-lowercase id",
        expected=rec_id.lower(),
        actual=rec_id,
        provenance="A-1",
        operation="uploadRecording",
    )
