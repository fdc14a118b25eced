"""Building the ASGI app: the emulator's state, its lifespan and its error pages."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Iterable
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Match

from emulator.auth import Users
from emulator.live import Pbx
from emulator.routes import ROUTES
from emulator.settings import Settings
from emulator.store import Store


class Emulator:
    """Everything the server knows: completed recordings (SQLite), users, settings and the live PBX."""

    def __init__(self, db_path: str = ":memory:", users: Iterable[dict[str, Any]] | None = None) -> None:
        self.store = Store(db_path)
        self.settings = Settings()
        self.users = Users(list(users or []))
        self.pbx = Pbx(self.users, self.store, self.settings)

    def reset(self) -> None:
        """Back to the start state (section 7): seeded users stay, everything else goes."""
        self.pbx.reset()
        self.store.clear()
        defaults = Settings()
        for name in ("licenseValid", "channels", "retentionDays", "latencyMs"):
            setattr(self.settings, name, getattr(defaults, name))
        self.users.reset()

    def close(self) -> None:
        self.store.close()


async def _http_error(request: Request, exc: Exception) -> Response:
    """Unknown paths and wrong methods answer JSON too, and a 405 lists every method of the path."""
    assert isinstance(exc, HTTPException)
    headers = dict(exc.headers or {})
    if exc.status_code == 405:
        allowed: set[str] = set()
        for route in request.app.routes:
            match, _ = route.matches(request.scope)
            if match is not Match.NONE:
                allowed |= set(getattr(route, "methods", None) or ())
        if allowed:
            headers["Allow"] = ", ".join(sorted(allowed))
    return JSONResponse({"message": exc.detail}, status_code=exc.status_code, headers=headers)


async def _server_error(request: Request, exc: Exception) -> Response:
    return JSONResponse({"message": "internal server error"}, status_code=500)


def create_app(db_path: str = ":memory:", users: Iterable[dict[str, Any]] | None = None) -> Starlette:
    """The emulator as a Starlette app.

    The database opens here rather than in the lifespan so the app also works in-process under
    transports that skip lifespan events; the lifespan owns closing it.
    """
    emulator = Emulator(db_path, users)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        try:
            yield
        finally:
            emulator.close()

    app = Starlette(
        routes=ROUTES,
        exception_handlers={HTTPException: _http_error, Exception: _server_error},
        lifespan=lifespan,
    )
    app.router.redirect_slashes = False
    app.state.emulator = emulator
    return app
