"""The Recordings API: list, detail, download, upload (reference 2.1, 2.2, A-1..A-6, A-15)."""

from __future__ import annotations

import asyncio
import re
from typing import TYPE_CHECKING

from starlette import status
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response

from emulator import errors, upload
from emulator.audio import AudioError, prepare_upload
from emulator.auth import LEVEL_BASE_ACCESS, LEVEL_COMPLETE, User, unknown_user_json
from emulator.filters import (
    Condition,
    FilterError,
    datetime_condition,
    direction_condition,
    end_time_condition,
    plain_condition,
    string_condition,
)
from emulator.ids import new_id, parse_guid
from emulator.store import NewRecording
from emulator.times import TICKS_PER_DAY, TICKS_PER_SECOND, now_ticks
from emulator.vendor import vendor

if TYPE_CHECKING:
    from emulator.app import Emulator

_DIGITS = re.compile(r"[0-9]+")
_INT32_MAX = 2**31 - 1
FUTURE_TOLERANCE_TICKS = 5 * 60 * TICKS_PER_SECOND


def _paging_int(name: str, text: str, minimum: int) -> int:
    """Paging values bind to a .NET int: digits only, within int32, at least ``minimum``."""
    # Length first: int() refuses strings of more than 4300 digits, and no int32 needs more than 10.
    if not _DIGITS.fullmatch(text) or len(text.lstrip("0")) > 10:
        raise errors.bad_request(1, f"{name} must be an integer from {minimum} to {_INT32_MAX}")
    value = int(text)
    if not minimum <= value <= _INT32_MAX:
        raise errors.bad_request(1, f"{name} must be an integer from {minimum} to {_INT32_MAX}")
    return value


@vendor(LEVEL_BASE_ACCESS)
async def list_recordings(request: Request, emu: Emulator, user: User) -> Response:
    q = request.query_params
    page_text, size_text = q.get("page"), q.get("pageSize")
    page = _paging_int("page", page_text, 0) if page_text is not None else 0
    size = _paging_int("pageSize", size_text, 1) if size_text is not None else None
    if size is None:
        page = 0  # A-3b: page without pageSize is ignored

    # Order matters twice: among equally selective conditions with an index the first decides the index
    # (owner is usually the most selective), and SQLite evaluates cheap integer comparisons before
    # substring searches.
    conditions: list[Condition] = []
    if user.level < LEVEL_COMPLETE:  # Base Access sees its own recordings only
        conditions.append(Condition("owner_lower = ?", (user.lower,), index="recordings_by_owner_lower"))
    try:
        if (v := q.get("ownerUsername")) is not None:
            conditions.append(plain_condition("owner_lower", v))
        if (v := q.get("localPartyNumber")) is not None:
            conditions.append(plain_condition("local_lower", v))
        if (v := q.get("startTime")) is not None:
            conditions.append(datetime_condition("start_ticks", v))
        if (v := q.get("endTime")) is not None:
            conditions.append(end_time_condition(v))
        if (v := q.get("direction")) is not None:
            conditions.append(direction_condition(v))
        if (v := q.get("remoteParty")) is not None:
            conditions.append(string_condition("remote_lower", v))
    except FilterError as exc:
        raise errors.bad_request(0, f"invalid filter: {exc}") from None

    offset = page * size if size is not None else 0
    total, items = emu.store.list(conditions, offset, size)
    return JSONResponse({"totalCount": total, "recordings": items})


def _guid(raw: str) -> str:
    rid = parse_guid(raw)
    if rid is None:
        raise errors.bad_request(0, "the id is not a GUID")
    return rid


def _check_owner(user: User, owner_lower: str) -> None:
    if user.level < LEVEL_COMPLETE and owner_lower != user.lower:
        raise errors.forbidden("the recording belongs to another user")


@vendor(LEVEL_BASE_ACCESS)
async def get_recording(request: Request, emu: Emulator, user: User) -> Response:
    rid = _guid(request.path_params["id"])
    detail = emu.store.detail(rid)
    if detail is None:
        raise errors.not_found("no recording with this id")
    _check_owner(user, detail["owner"]["username"].lower())
    return JSONResponse(detail)


@vendor(LEVEL_BASE_ACCESS)
async def download_recording(request: Request, emu: Emulator, user: User) -> Response:
    rid = _guid(request.path_params["id"])
    found = emu.store.media(rid)
    if found is None:
        raise errors.not_found("no recording with this id")
    owner_lower, data = found
    _check_owner(user, owner_lower)
    return Response(data, media_type="audio/mpeg")


def _too_large() -> errors.Refusal:
    refusal = errors.bad_request(2, f"the audio exceeds {upload.MAX_AUDIO_BYTES} bytes")
    refusal.headers = {"Connection": "close"}  # the rest of the body is not read
    return refusal


@vendor(LEVEL_COMPLETE)
async def upload_recording(request: Request, emu: Emulator, user: User) -> Response:
    try:
        parts = await upload.read_parts(request.headers.get("content-type"), request.stream())
    except upload.TooLarge:
        raise _too_large() from None
    except ClientDisconnect:
        raise errors.bad_request(0, "the body ended early") from None

    meta = upload.parse_metadata(parts.metadata)
    if meta.start_ticks > now_ticks() + FUTURE_TOLERANCE_TICKS:
        raise errors.bad_request(1, "startDateTime is more than 5 minutes in the future")
    try:
        audio = await asyncio.to_thread(prepare_upload, parts.audio, parts.audio_type)
    except AudioError as exc:
        raise errors.bad_request(2, f"invalid audio: {exc}") from None

    if meta.start_ticks < now_ticks() - emu.settings.retentionDays * TICKS_PER_DAY:
        raise errors.conflict("the start date is outside the retention period")
    if not emu.settings.licenseValid:
        raise errors.licence_invalid()

    known = emu.users.get(meta.username)
    rid = new_id()
    emu.store.insert(
        NewRecording(
            id=rid,
            start_ticks=meta.start_ticks,
            duration_ticks=meta.duration_ticks,
            direction=meta.direction,
            local_number=meta.local_number,
            remote_number=meta.remote_number,
            owner=known.as_json() if known else unknown_user_json(meta.username),
            preserving_user=user.as_json() if meta.preserved else None,
            note={"owner": user.as_json(), "text": meta.notes} if meta.notes else None,
            pbx_call_id=meta.pbx_call_id,
            pbx_info=meta.pbx_info,
            audio=audio.data,
            size=audio.size,
            sha256=audio.sha256,
        )
    )
    return JSONResponse({"id": rid}, status_code=status.HTTP_201_CREATED)
