"""Upload/download integrity faults: hash, size, bytes, media type and lost metadata
(reference 2.2, section 3 RecordingDetail, A-5, A-6, A-10)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any

from .. import multipart
from ..ops import RECORDINGS, path_id
from ..ticks import format_instant, parse_duration, parse_instant
from ..upstream import Px
from ..wire import Req, Resp
from . import Behaviour, rewrite
from .schema import map_recordings

DETAIL = ("getRecording",)
MEDIA = ("downloadRecording",)


@rewrite(DETAIL)
def size_off_by_one(req: Req, resp: Resp) -> Resp | None:
    """size counts one byte too many (a length that includes a terminator)."""

    def fn(item: dict[str, Any]) -> None:
        if isinstance(item.get("size"), int):
            item["size"] += 1

    return map_recordings(resp, fn)


@rewrite(DETAIL)
def hash_uppercase(req: Req, resp: Resp) -> Resp | None:
    """The SHA-256 value is rendered in uppercase hex (A-10 says 64 lowercase hex digits)."""

    def fn(item: dict[str, Any]) -> None:
        if isinstance(item.get("hash"), dict) and isinstance(item["hash"].get("value"), str):
            item["hash"]["value"] = item["hash"]["value"].upper()

    return map_recordings(resp, fn)


class HashWrong(Behaviour):
    """The hash covers the audio frames after the 10-byte ID3 header, not the bytes /Media returns (A-6)."""

    async def handle(self, req: Req, px: Px) -> Resp:
        resp = await px.forward(req)
        rid = path_id(req.path)
        if req.op != "getRecording" or resp.status != 200 or rid is None:
            return resp
        media = await px.admin_bytes(f"{RECORDINGS}/{rid}/Media")
        if media is None:
            return resp
        value = hashlib.sha256(media[10:]).hexdigest()

        def fn(item: dict[str, Any]) -> None:
            if isinstance(item.get("hash"), dict):
                item["hash"]["value"] = value

        faulty = map_recordings(resp, fn)
        return resp if faulty is None else self.report(resp, faulty)


@rewrite(MEDIA)
def media_corrupt_byte(req: Req, resp: Resp) -> Resp | None:
    """One byte in the middle of the audio is flipped (a storage or buffer bug)."""
    if resp.status != 200 or not resp.body:
        return None
    body = bytearray(resp.body)
    body[len(body) // 2] ^= 0xFF
    return resp.with_body(bytes(body))


@rewrite(MEDIA)
def media_truncated(req: Req, resp: Resp) -> Resp | None:
    """The last tenth of the audio is missing (a final buffer that is never flushed)."""
    if resp.status != 200 or len(resp.body) < 10:
        return None
    return resp.with_body(resp.body[: len(resp.body) * 9 // 10])


@rewrite(MEDIA)
def media_octet_stream(req: Req, resp: Resp) -> Resp | None:
    """/Media is served as application/octet-stream instead of audio/mpeg."""
    return resp.with_header("content-type", "application/octet-stream") if resp.status == 200 else None


def _detail_field(name: str, fn: Any, doc: str):  # type: ignore[no-untyped-def]
    @rewrite(DETAIL)
    def rewrite_fn(req: Req, resp: Resp) -> Resp | None:
        def apply(item: dict[str, Any]) -> None:
            if item.get(name) is not None:
                item[name] = fn(item)

        return map_recordings(resp, apply)

    rewrite_fn.__doc__ = doc
    return rewrite_fn


note_dropped = _detail_field("note", lambda item: None, "The upload's notes are never stored: note is null.")
note_author_is_owner = _detail_field(
    "note",
    lambda item: {**item["note"], "owner": item.get("owner")},
    "The note's author is the recording's owner instead of the user who uploaded it ([doc] 2.2).",
)
preserving_user_dropped = _detail_field(
    "preservingUser", lambda item: None, "preserved: true on upload is ignored: preservingUser is null."
)


@rewrite(("listRecordings", "getRecording"))
def start_time_shifted(req: Req, resp: Resp) -> Resp | None:
    """startTime is the server's local time (UTC+1) labelled as UTC."""

    def fn(item: dict[str, Any]) -> None:
        ticks = parse_instant(str(item.get("startTime", "")))
        if ticks is not None:
            item["startTime"] = format_instant(ticks + 3600 * 10_000_000)

    return map_recordings(resp, fn)


class RemotePartyDropped(Behaviour):
    """The upload's remoteParty is not stored: remotePartyNumber comes back empty."""

    async def handle(self, req: Req, px: Px) -> Resp:
        parsed = (
            multipart.parse(req.header("content-type"), req.body) if req.op == "uploadRecording" else None
        )
        meta = multipart.metadata(parsed[1]) if parsed else None
        if parsed is None or meta is None or not meta.get("remoteParty"):
            return await px.forward(req)
        boundary, parts = parsed
        meta.pop("remoteParty")
        for part in parts:
            if part.name == "jsondata":
                part.data = json.dumps(meta).encode()
        resp = await px.forward(req.with_body(multipart.build(boundary, parts)))
        if resp.status == 201:
            self.fired += 1
        return resp


class WavNotTranscoded(Behaviour):
    """A WAV upload is stored and served as the original WAV (size and hash consistent with it), not
    transcoded to MP3 (A-6); /Media then answers audio/wav."""

    def __init__(self) -> None:
        super().__init__()
        self.originals: dict[str, tuple[bytes, str]] = {}

    async def handle(self, req: Req, px: Px) -> Resp:
        resp = await px.forward(req)
        if req.op == "uploadRecording" and resp.status == 201:
            parsed = multipart.parse(req.header("content-type"), req.body)
            audio = multipart.audio(parsed[1]) if parsed else None
            rid = str((resp.json() or {}).get("id", "")).lower()
            if audio is not None and audio.data[:4] == b"RIFF":
                self.originals[rid] = (audio.data, audio.content_type or "audio/wav")
            return resp
        original = self.originals.get(path_id(req.path) or "")
        if original is None or resp.status != 200:
            return resp
        data, ctype = original
        if req.op == "downloadRecording":
            return self.report(resp, resp.with_body(data, ctype))
        if req.op == "getRecording":

            def fn(item: dict[str, Any]) -> None:
                item["size"] = len(data)
                item["hash"] = {"algorithm": "SHA-256", "value": hashlib.sha256(data).hexdigest()}

            faulty = map_recordings(resp, fn)
            return resp if faulty is None else self.report(resp, faulty)
        return resp


# ------------------------------------------------------------------------- lenient upload validation


class LenientMetadata(Behaviour):
    """An upload whose metadata breaks one rule (``applies``) is stored anyway, after ``repair``
    (what the buggy server silently does), instead of 400 reason 1 ([doc] 2.2)."""

    def __init__(self, applies: Callable[[dict[str, Any]], bool], repair: Callable[[dict[str, Any]], None]):
        super().__init__()
        self.applies = applies
        self.repair = repair

    async def handle(self, req: Req, px: Px) -> Resp:
        parsed = (
            multipart.parse(req.header("content-type"), req.body) if req.op == "uploadRecording" else None
        )
        meta = multipart.metadata(parsed[1]) if parsed else None
        if parsed is None or meta is None or not self.applies(meta):
            return await px.forward(req)
        correct = await px.forward(req)
        if correct.status != 400 or (correct.json() or {}).get("reason") != 1:
            return correct
        boundary, parts = parsed
        self.repair(meta)
        for part in parts:
            if part.name == "jsondata":
                part.data = json.dumps(meta).encode()
        faulty = await px.forward(req.with_body(multipart.build(boundary, parts)))
        return self.report(correct, faulty) if faulty.status == 201 else correct


def _int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def direction_unchecked() -> Behaviour:
    """An upload's direction is checked for type only: 3, -1 or 99 is accepted (stored as 0,
    unknown) instead of 400 reason 1 (section 3: Direction is 0, 1 or 2)."""

    def repair(meta: dict[str, Any]) -> None:
        meta["direction"] = 0

    return LenientMetadata(lambda m: _int(m.get("direction")) and m["direction"] not in (0, 1, 2), repair)


def local_number_optional() -> Behaviour:
    """localParty.phoneNumber is treated as optional (a nullable column): an upload without it is
    stored with an empty local number instead of 400 reason 1 (section 3: localParty is
    {username, phoneNumber}, required)."""

    def applies(meta: dict[str, Any]) -> bool:
        local = meta.get("localParty")
        return (
            isinstance(local, dict) and isinstance(local.get("username"), str) and "phoneNumber" not in local
        )

    def repair(meta: dict[str, Any]) -> None:
        meta["localParty"]["phoneNumber"] = ""

    return LenientMetadata(applies, repair)


def bad_duration_zero() -> Behaviour:
    """A duration string that is not ISO-8601 ("ninety seconds", "90") is stored as zero (a TryParse
    whose result is ignored) instead of 400 reason 1."""

    def applies(meta: dict[str, Any]) -> bool:
        value = meta.get("duration")
        return isinstance(value, str) and parse_duration(value) is None

    def repair(meta: dict[str, Any]) -> None:
        meta["duration"] = "PT0S"

    return LenientMetadata(applies, repair)


class AttachmentTypeSniffed(Behaviour):
    """An attachment part without a Content-Type is accepted, its type guessed from the bytes
    ([doc] 2.2: the part must carry its Content-Type; answer 400)."""

    async def handle(self, req: Req, px: Px) -> Resp:
        parsed = (
            multipart.parse(req.header("content-type"), req.body) if req.op == "uploadRecording" else None
        )
        attachment = multipart.audio(parsed[1]) if parsed else None
        if parsed is None or attachment is None or attachment.content_type:
            return await px.forward(req)
        correct = await px.forward(req)
        if correct.status != 400:
            return correct
        guessed = "audio/wav" if attachment.data[:4] == b"RIFF" else "audio/mpeg"
        attachment.head += f"\r\nContent-Type: {guessed}".encode()
        faulty = await px.forward(req.with_body(multipart.build(parsed[0], parsed[1])))
        return self.report(correct, faulty) if faulty.status == 201 else correct


class MediaOfLatestUpload(Behaviour):
    """downloadRecording serves the audio of the most recent upload, whatever id is asked (a staging
    file not keyed by id); the detail (size, hash) stays right ([doc] section 2: /{id}/Media is that
    recording's audio)."""

    def __init__(self) -> None:
        super().__init__()
        self.latest: str | None = None

    async def handle(self, req: Req, px: Px) -> Resp:
        resp = await px.forward(req)
        if req.op == "uploadRecording" and resp.status == 201:
            self.latest = str((resp.json() or {}).get("id", "")).lower() or self.latest
            return resp
        rid = path_id(req.path)
        if req.op != "downloadRecording" or resp.status != 200 or self.latest in (None, rid):
            return resp
        media = await px.admin_bytes(f"{RECORDINGS}/{self.latest}/Media")
        return resp if media is None else self.report(resp, resp.with_body(media))
