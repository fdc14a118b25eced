"""What every vendor-API request goes through before and after its operation.

Order of checks (shared by all 14 operations): 401 for missing or invalid Basic credentials, then 403
when the caller's level does not allow the operation at all (A-15; level 0 is 403 everywhere), then the
operation itself (400 validation, then resource checks). ``latencyMs`` delays every vendor answer,
never the control plane, so load tests can emulate a slow server without slowing their own set-up.

Each operation is served as a plain ASGI app, which Starlette's ``Route`` calls directly: a function
endpoint would add Starlette's per-route request/response wrapper (a second exception-handling layer
and a wrapped ``send``) to every request, on the hottest path the emulator has. Nothing is lost: an
operation answers its refusals itself, and any other exception still reaches the app-wide handlers.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from emulator import errors
from emulator.auth import User

if TYPE_CHECKING:
    from emulator.app import Emulator

Operation = Callable[[Request, "Emulator", User], Awaitable[Response]]


def _authorization(scope: Scope) -> str | None:
    """The Authorization header straight from the ASGI scope (the hot path of every request)."""
    for name, value in scope["headers"]:
        if name == b"authorization":
            return value.decode("latin-1")
    return None


class VendorEndpoint:
    """An operation wrapped with authentication, the operation-level permission and the latency knob."""

    def __init__(self, operation: Operation, min_level: int) -> None:
        self.operation = operation
        self.min_level = max(min_level, 1)
        self.__name__ = operation.__name__

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive)
        emu: Emulator = scope["app"].state.emulator
        header = _authorization(scope)
        user = emu.users.cached(header)
        if user is None:
            user = await emu.users.authenticate(header)
        try:
            if user is None:
                raise errors.unauthorized()
            if user.level < self.min_level:
                raise errors.forbidden()
            response = await self.operation(request, emu, user)
        except errors.Refusal as refusal:
            response = refusal.response()
        latency = emu.settings.latencyMs
        if latency:
            await asyncio.sleep(latency / 1000)
        await response(scope, receive, send)


def vendor(min_level: int) -> Callable[[Operation], VendorEndpoint]:
    """Turn an operation into the ASGI endpoint of its route (see :class:`VendorEndpoint`)."""

    def decorate(operation: Operation) -> VendorEndpoint:
        return VendorEndpoint(operation, min_level)

    return decorate
