"""Combination faults: data (upload/download, reference 2.2, section 3, A-6).

Written from the dimensions of an upload: audio encoding x direction, notes x preserved, notes'
characters x attachment type, remoteParty's characters x direction, the start's offset x its date
region (summer time), a duration's fraction x its minutes, the owner (caller or another user) x how
many recordings that owner has. Each bug rewrites the upload on its way in (what a buggy server
would have stored) or the answer on its way out, and only where its dimensions meet: the simplest
upload of each single rule (notes alone, preserved alone, a `+` number on an outgoing call, an offset
in winter, a fraction under a minute) is stored right.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from collections.abc import Callable
from typing import Any

from .. import multipart
from ..behaviours import Behaviour
from ..behaviours.schema import map_recordings
from ..fault import Fault, combination
from ..ops import RECORDINGS, path_id
from ..ticks import TICKS_PER_SECOND, format_instant, has_offset, parse_instant
from ..upstream import Px
from ..wire import Req, Resp

Meta = dict[str, Any]


class UploadRewrite(Behaviour):
    """Stores an upload as ``change`` rewrites it (the bug happens on the way in); ``change`` returns
    the metadata the buggy server would store, or ``None`` where the bug does not apply."""

    def __init__(self, change: Callable[[Meta, multipart.Part], Meta | None]) -> None:
        super().__init__()
        self.change = change

    async def handle(self, req: Req, px: Px) -> Resp:
        parsed = (
            multipart.parse(req.header("content-type"), req.body) if req.op == "uploadRecording" else None
        )
        meta = multipart.metadata(parsed[1]) if parsed else None
        attachment = multipart.audio(parsed[1]) if parsed else None
        if parsed is None or meta is None or attachment is None:
            return await px.forward(req)
        stored = self.change(json.loads(json.dumps(meta)), attachment)
        if stored is None or stored == meta:
            return await px.forward(req)
        boundary, parts = parsed
        for part in parts:
            if part.name == "jsondata":
                part.data = json.dumps(stored, ensure_ascii=False).encode()
        resp = await px.forward(req.with_body(multipart.build(boundary, parts)))
        if resp.status == 201:
            self.fired += 1
        return resp


def upload_rewrite(fn: Callable[[Meta, multipart.Part], Meta | None]) -> Callable[[], Behaviour]:
    def make() -> Behaviour:
        return UploadRewrite(fn)

    make.__doc__ = fn.__doc__
    return make


@upload_rewrite
def notes_lost_when_preserved(meta: Meta, attachment: multipart.Part) -> Meta | None:
    """An upload that is both preserved and annotated loses its note: the preserve path writes the
    recording to the archive table, whose insert has no note column (notes alone, or preserved alone,
    are stored right)."""
    if meta.get("notes") and meta.get("preserved") is True:
        meta.pop("notes")
        return meta
    return None


def _is_mp3(attachment: multipart.Part) -> bool:
    return attachment.content_type == "audio/mpeg"


@upload_rewrite
def note_latin1_for_mp3(meta: Meta, attachment: multipart.Part) -> Meta | None:
    """For an MP3 attachment the note is kept in the file's ID3 comment frame, written as Latin-1:
    every character outside Latin-1 comes back as ``?`` (an ASCII note on MP3, or any note on WAV,
    is stored right)."""
    notes = meta.get("notes")
    if not isinstance(notes, str) or not _is_mp3(attachment):
        return None
    mangled = notes.encode("latin-1", errors="replace").decode("latin-1")
    if mangled == notes:
        return None
    meta["notes"] = mangled
    return meta


@upload_rewrite
def incoming_plus_normalised(meta: Meta, attachment: multipart.Part) -> Meta | None:
    """An incoming call's remote number in E.164 (``+39...``) is "normalised" to the international
    dialling prefix (``0039...``), as caller-id normalisation for inbound calls does; outgoing and
    unknown directions, and numbers without ``+``, are stored as sent."""
    remote = meta.get("remoteParty")
    number = remote.get("phoneNumber") if isinstance(remote, dict) else None
    if meta.get("direction") != 1 or not isinstance(number, str) or not number.startswith("+"):
        return None
    remote["phoneNumber"] = "00" + number[1:]
    return meta


def _last_sunday(year: int, month: int) -> dt.date:
    last = dt.date(year, month + 1, 1) - dt.timedelta(days=1)
    return last - dt.timedelta(days=(last.weekday() + 1) % 7)


def in_eu_summer_time(ticks: int) -> bool:
    """European summer time: from 01:00 UTC on the last Sunday of March to 01:00 UTC on the last
    Sunday of October."""
    moment = dt.datetime(1970, 1, 1, tzinfo=dt.UTC) + dt.timedelta(microseconds=ticks // 10)
    year = moment.year
    begins = dt.datetime.combine(_last_sunday(year, 3), dt.time(1), tzinfo=dt.UTC)
    ends = dt.datetime.combine(_last_sunday(year, 10), dt.time(1), tzinfo=dt.UTC)
    return begins <= moment < ends


@upload_rewrite
def summer_offset_shifted(meta: Meta, attachment: multipart.Part) -> Meta | None:
    """A start written with an offset (``+02:00``) is converted with the server's own time-zone rules
    on top of the offset: in European summer time the stored start is an hour late (a ``Z`` start,
    or an offset start in winter, is stored right)."""
    text = meta.get("startDateTime")
    ticks = parse_instant(text) if isinstance(text, str) else None
    if ticks is None or not has_offset(str(text)) or not in_eu_summer_time(ticks):
        return None
    meta["startDateTime"] = format_instant(ticks + 3600 * TICKS_PER_SECOND)
    return meta


_FRACTION_AFTER_MINUTES = re.compile(r"^(P.*T.*[HM])(\d+)\.(\d+)S$")


@upload_rewrite
def fraction_after_minutes_misread(meta: Meta, attachment: multipart.Part) -> Meta | None:
    """A duration with a fraction of a second *and* a minutes or hours part loses its decimal point
    (``PT1M2.5S`` is read as ``PT1M25S``): the hand-written parser handles the fraction only in its
    seconds-only branch (``PT2.5S`` is right, and so is ``PT1M2S``)."""
    text = meta.get("duration")
    match = _FRACTION_AFTER_MINUTES.match(text) if isinstance(text, str) else None
    if match is None:
        return None
    meta["duration"] = f"{match.group(1)}{match.group(2)}{match.group(3)}S"
    return meta


class UlawUnknownDirectionKeptAsWav(Behaviour):
    """A u-law WAV whose direction is 0 (unknown) is stored and served as the original WAV, not
    transcoded to MP3 (A-6): such uploads take the legacy import path that keeps native G.711
    files. Other encodings, and u-law on a known direction, are transcoded."""

    def __init__(self) -> None:
        super().__init__()
        self.originals: dict[str, bytes] = {}

    async def handle(self, req: Req, px: Px) -> Resp:
        resp = await px.forward(req)
        if req.op == "uploadRecording" and resp.status == 201:
            parsed = multipart.parse(req.header("content-type"), req.body)
            meta = multipart.metadata(parsed[1]) if parsed else None
            sound = multipart.audio(parsed[1]) if parsed else None
            rid = str((resp.json() or {}).get("id", "")).lower()
            if meta and sound and meta.get("direction") == 0 and _wav_format(sound.data) == 7:
                self.originals[rid] = sound.data
            return resp
        original = self.originals.get(path_id(req.path) or "")
        if original is None or resp.status != 200:
            return resp
        if req.op == "downloadRecording":
            return self.report(resp, resp.with_body(original, "audio/wav"))
        if req.op == "getRecording":

            def fn(item: dict[str, Any]) -> None:
                item["size"] = len(original)
                item["hash"] = {"algorithm": "SHA-256", "value": hashlib.sha256(original).hexdigest()}

            faulty = map_recordings(resp, fn)
            return resp if faulty is None else self.report(resp, faulty)
        return resp


def _wav_format(data: bytes) -> int | None:
    """The ``wFormatTag`` of a RIFF/WAVE file's ``fmt `` chunk (7 is u-law), or ``None``."""
    if data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        return None
    at = 12
    while at + 8 <= len(data):
        kind, size = data[at : at + 4], int.from_bytes(data[at + 4 : at + 8], "little")
        if kind == b"fmt " and at + 10 <= len(data):
            return int.from_bytes(data[at + 8 : at + 10], "little")
        at += 8 + size + (size & 1)
    return None


class OthersMediaIsOwnersLatest(Behaviour):
    """Downloading a recording that a Complete Management user uploaded *for another owner* serves the
    audio of that owner's most recent upload (the media is looked up by owner, "the owner's current
    file", not by id). A recording uploaded for the caller itself, or the owner's only or latest one,
    downloads right ([doc] section 2: ``/{id}/Media`` is that recording's audio)."""

    def __init__(self) -> None:
        super().__init__()
        self.delegated: dict[str, str] = {}
        """Recording id -> owner, for uploads whose owner is not the caller."""
        self.latest: dict[str, str] = {}
        """Owner -> id of the most recent upload for that owner."""

    async def handle(self, req: Req, px: Px) -> Resp:
        resp = await px.forward(req)
        if req.op == "uploadRecording" and resp.status == 201:
            parsed = multipart.parse(req.header("content-type"), req.body)
            meta = multipart.metadata(parsed[1]) if parsed else None
            local = meta.get("localParty") if meta else None
            owner = str(local.get("username", "")).lower() if isinstance(local, dict) else ""
            caller = (req.credentials() or ("", ""))[0].lower()
            rid = str((resp.json() or {}).get("id", "")).lower()
            if owner and rid:
                self.latest[owner] = rid
                if owner != caller:
                    self.delegated[rid] = owner
            return resp
        rid = path_id(req.path) or ""
        owner = self.delegated.get(rid)
        latest = self.latest.get(owner or "")
        if req.op != "downloadRecording" or resp.status != 200 or latest in (None, rid):
            return resp
        media = await px.admin_bytes(f"{RECORDINGS}/{latest}/Media")
        return resp if media is None else self.report(resp, resp.with_body(media))


TRANSFER = ("transfer",)

COMBOS: list[Fault] = [
    combination(
        "notes-lost-when-preserved",
        "transfer",
        "2.2 [doc] notes and preserved are the caller's; section 3 RecordingDetail.note",
        notes_lost_when_preserved,
        dimensions=("notes present", "preserved true"),
        expect=TRANSFER,
    ),
    combination(
        "note-latin1-for-mp3",
        "transfer",
        "2.2 [doc] notes are stored as authored; section 3 Note.text",
        note_latin1_for_mp3,
        dimensions=("notes outside Latin-1", "MP3 attachment"),
        expect=TRANSFER,
    ),
    combination(
        "incoming-plus-normalised",
        "transfer",
        "section 3 remotePartyNumber echoes UploadRecordingMetadata.remoteParty.phoneNumber",
        incoming_plus_normalised,
        dimensions=("remoteParty with +", "direction 1 (incoming)"),
        expect=TRANSFER,
    ),
    combination(
        "summer-offset-shifted",
        "transfer",
        "section 3 startTime echoes startDateTime (an instant; offsets honoured, A-14)",
        summer_offset_shifted,
        dimensions=("start with a non-UTC offset", "start in summer time (DST)"),
        expect=TRANSFER,
    ),
    combination(
        "fraction-after-minutes-misread",
        "transfer",
        "section 3 duration is an ISO-8601 duration, echoed as uploaded",
        fraction_after_minutes_misread,
        dimensions=("sub-second duration", "duration of a minute or more"),
        expect=TRANSFER,
    ),
    combination(
        "ulaw-unknown-direction-kept-as-wav",
        "transfer",
        "A-6 the stored and downloadable form is MP3 (a WAV upload is transcoded)",
        UlawUnknownDirectionKeptAsWav,
        dimensions=("WAV u-law", "direction 0 (unknown)"),
        expect=TRANSFER,
    ),
    combination(
        "others-media-is-owners-latest",
        "transfer",
        "section 2 [doc] /{id}/Media returns that recording's audio",
        OthersMediaIsOwnersLatest,
        dimensions=("owner other than the caller", "owner has a later recording"),
        expect=TRANSFER,
    ),
]
