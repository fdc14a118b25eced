"""The LiveRecordings API: thin HTTP endpoints over :class:`emulator.live.Pbx` (reference 2.3, A-15..A-18).

The body of a start is read before any state is looked at; from then on each endpoint calls one
synchronous ``Pbx`` method, so the check-and-set of a request never interleaves with another's.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette import status
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response

from emulator import errors
from emulator.auth import LEVEL_COMPLETE, LEVEL_RECORD_ONLY, User
from emulator.live import json_array
from emulator.vendor import vendor

if TYPE_CHECKING:
    from emulator.app import Emulator

MAX_START_BODY = 64 * 1024
_LIST_FILTERS = ("deviceName", "directoryNumber", "username", "numericUserId")


def _no_content() -> Response:
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@vendor(LEVEL_COMPLETE)
async def list_active(request: Request, emu: Emulator, user: User) -> Response:
    q = request.query_params if request.scope["query_string"] else {}
    filters = {name: q[name] for name in _LIST_FILTERS if name in q}
    return Response(json_array(emu.pbx.list_active(filters)), media_type="application/json")


@vendor(LEVEL_RECORD_ONLY)
async def list_mine(request: Request, emu: Emulator, user: User) -> Response:
    return Response(json_array(emu.pbx.list_mine(user)), media_type="application/json")


async def _small_body(request: Request) -> bytes:
    body = bytearray()
    try:
        async for chunk in request.stream():
            body += chunk
            if len(body) > MAX_START_BODY:
                refusal = errors.bad_request(0, "the body is too large")
                refusal.headers = {"Connection": "close"}
                raise refusal
    except ClientDisconnect:
        raise errors.bad_request(0, "the body ended early") from None
    return bytes(body)


@vendor(LEVEL_RECORD_ONLY)
async def start(request: Request, emu: Emulator, user: User) -> Response:
    body = await _small_body(request)
    rid = emu.pbx.start(user, body)
    return JSONResponse({"id": rid}, status_code=status.HTTP_201_CREATED)


@vendor(LEVEL_RECORD_ONLY)
async def stop_by_line(request: Request, emu: Emulator, user: User) -> Response:
    q = request.query_params
    emu.pbx.stop_by_line(user, q.get("deviceName"), q.get("directoryNumber"))
    return _no_content()


@vendor(LEVEL_RECORD_ONLY)
async def stop_mine(request: Request, emu: Emulator, user: User) -> Response:
    emu.pbx.stop_mine(user)
    return _no_content()


@vendor(LEVEL_RECORD_ONLY)
async def stop_by_id(request: Request, emu: Emulator, user: User) -> Response:
    emu.pbx.stop_by_id(user, request.path_params["id"])
    return _no_content()


@vendor(LEVEL_RECORD_ONLY)
async def pause_by_id(request: Request, emu: Emulator, user: User) -> Response:
    emu.pbx.pause_by_id(user, request.path_params["id"])
    return _no_content()


@vendor(LEVEL_RECORD_ONLY)
async def resume_by_id(request: Request, emu: Emulator, user: User) -> Response:
    emu.pbx.resume_by_id(user, request.path_params["id"])
    return _no_content()


@vendor(LEVEL_RECORD_ONLY)
async def pause_by_line(request: Request, emu: Emulator, user: User) -> Response:
    emu.pbx.pause_by_line(user, request.query_params.get("directoryNumber"))
    return _no_content()


@vendor(LEVEL_RECORD_ONLY)
async def resume_by_line(request: Request, emu: Emulator, user: User) -> Response:
    emu.pbx.resume_by_line(user, request.query_params.get("directoryNumber"))
    return _no_content()
