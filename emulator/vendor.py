"""What every vendor-API request goes through before and after its operation.

Order of checks (shared by all 14 operations): 401 for missing or invalid Basic credentials, then 403
when the caller's level does not allow the operation at all (A-15; level 0 is 403 everywhere), then the
operation itself (400 validation, then resource checks). ``latencyMs`` delays every vendor answer,
never the control plane, so load tests can emulate a slow server without slowing their own set-up.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import Response

from emulator import errors
from emulator.auth import User

if TYPE_CHECKING:
    from emulator.app import Emulator

Operation = Callable[[Request, "Emulator", User], Awaitable[Response]]


def _authorization(request: Request) -> str | None:
    """The Authorization header straight from the ASGI scope (the hot path of every request)."""
    for name, value in request.scope["headers"]:
        if name == b"authorization":
            return value.decode("latin-1")
    return None


def vendor(min_level: int) -> Callable[[Operation], Callable[[Request], Awaitable[Response]]]:
    """Wrap an operation with authentication, the operation-level permission and the latency knob."""

    def decorate(operation: Operation) -> Callable[[Request], Awaitable[Response]]:
        @functools.wraps(operation)
        async def endpoint(request: Request) -> Response:
            emu: Emulator = request.app.state.emulator
            header = _authorization(request)
            user = emu.users.cached(header)
            if user is None:
                user = await emu.users.authenticate(header)
            try:
                if user is None:
                    raise errors.unauthorized()
                if user.level < max(min_level, 1):
                    raise errors.forbidden()
                response = await operation(request, emu, user)
            except errors.Refusal as refusal:
                response = refusal.response()
            latency = emu.settings.latencyMs
            if latency:
                await asyncio.sleep(latency / 1000)
            return response

        return endpoint

    return decorate
