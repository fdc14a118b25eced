"""The ``/_emulator`` control plane (reference section 7): paths and bodies exactly as specified.

No authentication (the server binds to loopback by default) and no latency: tests and load scenarios
set the scene here, and a slow set-up would only distort what they measure.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from starlette import status
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response

from emulator import errors, jsonbody
from emulator.auth import UserExistsError, UserSetupError
from emulator.identity import health_json
from emulator.settings import SettingsError

if TYPE_CHECKING:
    from emulator.app import Emulator

MAX_CONTROL_BODY = 1024 * 1024


def _emulator(request: Request) -> Emulator:
    return request.app.state.emulator


def _plain_400(message: str) -> Response:
    return JSONResponse({"message": message}, status_code=status.HTTP_400_BAD_REQUEST)


async def _json_body(request: Request) -> Any:
    body = bytearray()
    try:
        async for chunk in request.stream():
            body += chunk
            if len(body) > MAX_CONTROL_BODY:
                raise ValueError("the body is too large")
        return jsonbody.loads(bytes(body))
    except ClientDisconnect:
        raise ValueError("the body ended early") from None


async def health(request: Request) -> Response:
    return JSONResponse(health_json())


async def reset(request: Request) -> Response:
    _emulator(request).reset()
    return Response(status_code=status.HTTP_204_NO_CONTENT)


async def list_calls(request: Request) -> Response:
    pbx = _emulator(request).pbx
    return JSONResponse([pbx.call_json(c) for c in sorted(pbx.calls.values(), key=lambda c: c.seq)])


async def place_call(request: Request) -> Response:
    try:
        body = await _json_body(request)
    except ValueError as exc:
        return _plain_400(f"invalid JSON: {exc}")
    try:
        call = _emulator(request).pbx.place_call(body)
    except errors.Refusal as refusal:
        return refusal.response()
    return JSONResponse({"callId": call.call_id}, status_code=status.HTTP_201_CREATED)


async def hang_up(request: Request) -> Response:
    try:
        _emulator(request).pbx.hang_up(request.path_params["callId"])
    except errors.Refusal as refusal:
        return refusal.response()
    return Response(status_code=status.HTTP_204_NO_CONTENT)


async def update_settings(request: Request) -> Response:
    emu = _emulator(request)
    try:
        body = await _json_body(request)
        emu.settings.update(body)
    except (ValueError, SettingsError) as exc:
        return _plain_400(str(exc))
    return JSONResponse(emu.settings.as_json())


async def create_user(request: Request) -> Response:
    emu = _emulator(request)
    try:
        body = await _json_body(request)
    except ValueError as exc:
        return _plain_400(f"invalid JSON: {exc}")
    try:
        user = emu.users.add(body)
    except UserSetupError as exc:
        return _plain_400(str(exc))
    except UserExistsError as exc:
        return JSONResponse({"message": str(exc)}, status_code=status.HTTP_409_CONFLICT)
    return JSONResponse(
        {
            "username": user.username,
            "level": user.level,
            "extension": user.extension,
            "deviceName": user.device_name,
            "numericUserId": user.numeric_user_id,
            "firstName": user.first_name,
            "lastName": user.last_name,
            "group": user.group,
            "department": user.department,
        },
        status_code=status.HTTP_201_CREATED,
    )
