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

from emulator import errors, preload
from emulator.auth import UserExistsError, Users
from emulator.live import Pbx
from emulator.routes import ROUTES, VENDOR_ROUTES
from emulator.settings import Settings
from emulator.site import Site, SiteError
from emulator.store import Store
from emulator.times import now_ticks


class Emulator:
    """Everything the server knows: completed recordings (SQLite), users, settings and the live PBX.

    A :class:`Site` (deployed mode) adds to the start state: its users are seeded, its retention is the
    default setting, its preloaded recordings are in the store and its standing calls are connected. A
    reset goes back to exactly that state. Without a site the start state is the plain emulator's.
    """

    def __init__(
        self,
        db_path: str = ":memory:",
        users: Iterable[dict[str, Any]] | None = None,
        site: Site | None = None,
    ) -> None:
        self.site = site or Site()
        self._defaults = Settings()
        if self.site.retention_days is not None:
            self._defaults.retentionDays = self.site.retention_days
        self.settings = Settings(**self._defaults.as_json())
        self.users = Users(list(users or []))
        for i, body in enumerate(self.site.users):
            try:
                self.users.add(body, seeded=True)
            except UserExistsError:
                raise SiteError(
                    f"users[{i}].username {body['username']!r} exists already (built-in or --users file)"
                ) from None
        self.store = Store(db_path)
        try:
            self.preloaded = self._preload()
            self.pbx = Pbx(self.users, self.store, self.settings)
            for i, body in enumerate(self.site.calls):
                try:
                    self.pbx.place_call(body, standing=True)
                except errors.Refusal as refusal:
                    raise SiteError(f"calls[{i}]: {refusal.message}") from None
        except BaseException:
            self.store.close()
            raise

    def _preload(self) -> int:
        """Put the site's preloaded recordings in the store, in one transaction; return how many.

        A database file that already holds this very preload (same count, same first id: a restart with
        the same ``--site`` and ``--db``) is left as it is; one holding another preload is an error.
        """
        wanted = self.site.preload_recordings
        held, first_id = self.store.preloaded()
        if not wanted:
            return held
        # Owned by the site's users (every seeded user when the site names none) and by ghosts.
        owners = [u for u in (self.users.get(b["username"]) for b in self.site.users) if u is not None]
        recs = preload.generate(
            wanted,
            self.site.preload_seed,
            owners or list(self.users),
            self.settings.retentionDays,
            now_ticks(),
            taken={u.lower for u in self.users},
        )
        if held:
            if held == wanted and first_id == recs[0].id:
                return held
            raise SiteError(
                f"the database {self.store.path} already holds another preload ({held} recordings);"
                " use a fresh --db"
            )
        self.store.preload(recs)
        return wanted

    def reset(self) -> None:
        """Back to the start state (section 7): seeded users, preloaded recordings, standing calls and
        the site's settings stay; everything created since goes."""
        self.pbx.reset()
        self.store.clear()
        for name, value in self._defaults.as_json().items():
            setattr(self.settings, name, value)
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


def create_app(
    db_path: str = ":memory:", users: Iterable[dict[str, Any]] | None = None, site: Site | None = None
) -> Starlette:
    """The emulator as a Starlette app; with ``site.control_plane`` false it serves the vendor APIs only.

    The database opens here rather than in the lifespan so the app also works in-process under
    transports that skip lifespan events; the lifespan owns closing it.
    """
    emulator = Emulator(db_path, users, site)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        try:
            yield
        finally:
            emulator.close()

    app = Starlette(
        routes=ROUTES if emulator.site.control_plane else VENDOR_ROUTES,
        exception_handlers={HTTPException: _http_error, Exception: _server_error},
        lifespan=lifespan,
    )
    app.router.redirect_slashes = False
    app.state.emulator = emulator
    return app
