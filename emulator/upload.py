"""Reading an uploadRecording body: streamed multipart parsing and metadata validation (reference 2.2).

The body is parsed as it arrives and the attachment's bytes are counted as they come: past the size
limit the server stops reading and answers 400 reason 2 at once, instead of buffering a huge body
first. Reasons follow the reference: 0 body missing or unreadable, 1 metadata invalid, 2 audio invalid.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from python_multipart.multipart import MultipartParser, parse_options_header

from emulator import errors, jsonbody
from emulator.times import MAX_TICKS, parse_datetime, parse_duration

MAX_AUDIO_BYTES = 256 * 1024 * 1024  # "256 MB", read as binary megabytes like the Windows server would
MAX_METADATA_BYTES = 1024 * 1024
# Whole-body bound: the audio, the metadata and room for part headers and boundaries.
MAX_BODY_BYTES = MAX_AUDIO_BYTES + MAX_METADATA_BYTES + 64 * 1024

_CLOSE = {"Connection": "close"}

PBX_VARIANTS: dict[str, tuple[str, ...]] = {
    "generic": ("localCallId", "remoteCallId"),
    "media-forking": ("localCallId", "remoteCallId", "sessionId"),
    "siprec": ("localSessionId", "remoteSessionId"),
    "webex": ("callId", "externalTrackingId"),
    "ms-teams": ("callId", "callChainId"),
}


class TooLarge(Exception):
    """The upload crossed the size limit while streaming."""


@dataclass(slots=True)
class _Part:
    name: str | None = None
    content_type: str | None = None
    keep: bool = False
    data: bytearray | None = None


@dataclass(slots=True)
class UploadParts:
    metadata: bytes
    audio: bytes
    audio_type: str | None


class _Collector:
    """Callbacks for python-multipart's streaming parser; keeps the first jsondata and attachment."""

    def __init__(self) -> None:
        self.parts: dict[str, _Part] = {}
        self.ended = False
        self._current = _Part()
        self._field = bytearray()
        self._value = bytearray()
        self._headers: dict[str, str] = {}

    def callbacks(self) -> dict[str, Any]:
        return {
            "on_part_begin": self._on_part_begin,
            "on_header_field": self._on_header_field,
            "on_header_value": self._on_header_value,
            "on_header_end": self._on_header_end,
            "on_headers_finished": self._on_headers_finished,
            "on_part_data": self._on_part_data,
            "on_end": self._on_end,
        }

    def _on_part_begin(self) -> None:
        self._current = _Part()
        self._headers = {}

    def _on_header_field(self, data: bytes, start: int, end: int) -> None:
        self._field += data[start:end]

    def _on_header_value(self, data: bytes, start: int, end: int) -> None:
        self._value += data[start:end]

    def _on_header_end(self) -> None:
        name = self._field.decode("latin-1").strip().lower()
        self._headers[name] = self._value.decode("latin-1").strip()
        self._field.clear()
        self._value.clear()

    def _on_headers_finished(self) -> None:
        part = self._current
        disposition = self._headers.get("content-disposition", "")
        _, params = parse_options_header(disposition)
        raw_name = params.get(b"name")
        part.name = raw_name.decode("latin-1") if raw_name is not None else None
        part.content_type = self._headers.get("content-type")
        if part.name in ("jsondata", "attachment") and part.name not in self.parts:
            part.keep = True
            part.data = bytearray()
            self.parts[part.name] = part

    def _on_part_data(self, data: bytes, start: int, end: int) -> None:
        part = self._current
        if not part.keep or part.data is None:
            return
        part.data += data[start:end]
        if part.name == "attachment" and len(part.data) > MAX_AUDIO_BYTES:
            raise TooLarge
        if part.name == "jsondata" and len(part.data) > MAX_METADATA_BYTES:
            raise errors.bad_request(1, "the metadata part is too large")

    def _on_end(self) -> None:
        self.ended = True


def _boundary(content_type: str | None) -> bytes:
    if not content_type:
        raise errors.bad_request(0, "the body must be multipart/form-data")
    mime, params = parse_options_header(content_type)
    boundary = params.get(b"boundary")
    if mime != b"multipart/form-data" or not boundary or len(boundary) > 70:
        raise errors.bad_request(0, "the body must be multipart/form-data with a boundary")
    return boundary


async def read_parts(content_type: str | None, stream: AsyncIterator[bytes]) -> UploadParts:
    """Parse the body as it streams in; raise :class:`TooLarge` or a 400 :class:`errors.Refusal`."""
    boundary = _boundary(content_type)
    collector = _Collector()
    try:
        parser = MultipartParser(boundary, collector.callbacks())  # type: ignore[arg-type]  # python-multipart's TypedDict of callbacks
    except Exception:
        raise errors.bad_request(0, "the multipart boundary is invalid") from None
    received = 0
    async for chunk in stream:
        received += len(chunk)
        if received > MAX_BODY_BYTES:
            raise TooLarge
        try:
            parser.write(chunk)
        except TooLarge:
            raise
        except errors.Refusal as refusal:
            refusal.headers = _CLOSE  # the rest of the body is not read
            raise
        except Exception:
            unreadable = errors.bad_request(0, "the multipart body is unreadable")
            unreadable.headers = _CLOSE
            raise unreadable from None
    try:
        parser.finalize()
    except Exception:
        raise errors.bad_request(0, "the multipart body is unreadable") from None
    if not collector.ended:
        raise errors.bad_request(0, "the multipart body is truncated")
    meta = collector.parts.get("jsondata")
    audio = collector.parts.get("attachment")
    if meta is None or audio is None:
        raise errors.bad_request(0, "the body needs a jsondata part and an attachment part")
    return UploadParts(bytes(meta.data or b""), bytes(audio.data or b""), audio.content_type)


# ---------------------------------------------------------------------------------------------------


@dataclass(slots=True)
class Metadata:
    start_ticks: int
    duration_ticks: int
    direction: int
    username: str
    local_number: str
    remote_number: str
    notes: str | None
    preserved: bool
    pbx_call_id: str | None
    pbx_info: dict[str, str] | None


def _invalid(message: str) -> errors.Refusal:
    return errors.bad_request(1, message)


def _string(obj: dict[str, Any], name: str, *, where: str, required: bool) -> str | None:
    if name not in obj:
        if required:
            raise _invalid(f"{where}{name} is required")
        return None
    value = obj[name]
    if not isinstance(value, str):
        raise _invalid(f"{where}{name} must be a string")
    return value


def _metadata_object(raw: bytes) -> dict[str, Any]:
    try:
        body = jsonbody.loads(raw)
    except ValueError:
        raise _invalid("the metadata is not valid JSON") from None
    if not isinstance(body, dict):
        raise _invalid("the metadata must be a JSON object")
    return body


def _start_and_duration(body: dict[str, Any]) -> tuple[int, int]:
    """ISO-8601 ``startDateTime`` and a non-negative ``duration``, ending by year 9999 (in ticks)."""
    start_text = _string(body, "startDateTime", where="", required=True)
    start = parse_datetime(start_text or "")
    if start is None:
        raise _invalid("startDateTime is not an ISO-8601 date-time")
    duration_text = _string(body, "duration", where="", required=True)
    duration = parse_duration(duration_text or "")
    if duration is None:
        raise _invalid("duration is not a non-negative ISO-8601 duration")
    if start + duration > MAX_TICKS:
        raise _invalid("the recording would end after year 9999")
    return start, duration


def _direction(body: dict[str, Any]) -> int:
    """The Direction enum: exactly the integers 0, 1, 2 (``true`` and ``1.0`` are not)."""
    if "direction" not in body:
        raise _invalid("direction is required")
    direction = body["direction"]
    if type(direction) is not int or direction not in (0, 1, 2):
        raise _invalid("direction must be 0, 1 or 2")
    return direction


def _local_party(body: dict[str, Any]) -> tuple[str, str]:
    """``(username, phoneNumber)`` of the required localParty, both required strings."""
    local = body.get("localParty")
    if not isinstance(local, dict):
        raise _invalid("localParty is required and must be an object")
    username = _string(local, "username", where="localParty.", required=True) or ""
    local_number = _string(local, "phoneNumber", where="localParty.", required=True) or ""
    return username, local_number


def _remote_number(body: dict[str, Any]) -> str:
    """The optional remoteParty's phoneNumber ("" without a remoteParty; required within one)."""
    if "remoteParty" not in body:
        return ""
    remote = body["remoteParty"]
    if not isinstance(remote, dict):
        raise _invalid("remoteParty must be an object")
    return _string(remote, "phoneNumber", where="remoteParty.", required=True) or ""


def _preserved(body: dict[str, Any]) -> bool:
    preserved = body.get("preserved", False)
    if not isinstance(preserved, bool):
        raise _invalid("preserved must be a boolean")
    return preserved


def _pbx_info(body: dict[str, Any]) -> dict[str, str] | None:
    """The optional PbxInfo: a known ``type`` (the discriminator) and that variant's string fields;
    fields of other variants are dropped."""
    if "pbxInfo" not in body:
        return None
    info = body["pbxInfo"]
    if not isinstance(info, dict):
        raise _invalid("pbxInfo must be an object")
    kind = info.get("type")
    if not isinstance(kind, str) or kind not in PBX_VARIANTS:
        raise _invalid(f"pbxInfo.type must be one of {', '.join(PBX_VARIANTS)}")
    pbx_info = {"type": kind}
    for name in PBX_VARIANTS[kind]:
        value = _string(info, name, where="pbxInfo.", required=False)
        if value is not None:
            pbx_info[name] = value
    return pbx_info


def parse_metadata(raw: bytes) -> Metadata:
    """Validate UploadRecordingMetadata as the spec states it; anything off is 400 reason 1.

    Fields are checked in a fixed order (the first fault found is the message).
    """
    body = _metadata_object(raw)
    start, duration = _start_and_duration(body)
    direction = _direction(body)
    username, local_number = _local_party(body)
    remote_number = _remote_number(body)
    notes = _string(body, "notes", where="", required=False)
    preserved = _preserved(body)
    pbx_call_id = _string(body, "pbxCallId", where="", required=False)
    pbx_info = _pbx_info(body)
    return Metadata(
        start_ticks=start,
        duration_ticks=duration,
        direction=direction,
        username=username,
        local_number=local_number,
        remote_number=remote_number,
        notes=notes,
        preserved=preserved,
        pbx_call_id=pbx_call_id,
        pbx_info=pbx_info,
    )
