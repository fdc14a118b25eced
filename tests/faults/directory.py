"""The users (and standing calls) the server knows: learned from the control plane, or read from a
site file.

Auth faults need to know who is calling and at which level (a level-2 user that gets an admin's
view, a wrong password that is let through). The proxy cannot ask the emulator, so on the emulator it
reads the ``POST /_emulator/users`` bodies that pass through it, exactly as the emulator received
them. A lab (``--site``: the emulator in its deployed form) has no control plane: there the proxy reads
the site file's ``[[users]]`` and ``[[calls]]`` instead (``Directory.from_site``), as the emulator did
at start-up. The proxy is test code, so it may know what a customer's server would keep to itself.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .ops import CONTROL
from .wire import Req, Resp, basic


@dataclass(frozen=True)
class Account:
    username: str
    password: str
    level: int
    extension: str = ""
    device_name: str = ""

    @property
    def authorization(self) -> str:
        return basic(self.username, self.password)

    @classmethod
    def of(cls, body: Mapping[str, Any]) -> Account:
        """An account from a user-setup body (``POST /_emulator/users``, a site file's ``[[users]]``)."""
        return cls(
            str(body["username"]),
            str(body.get("password", "")),
            int(body.get("level", 0)),
            str(body.get("extension") or ""),
            str(body.get("deviceName") or ""),
        )


@dataclass(frozen=True)
class Call:
    """A connected call the server had before any client came (a site file's standing ``[[calls]]``)."""

    device_name: str
    directory_number: str
    username: str = ""

    def as_control(self) -> dict[str, str]:
        """The call as ``GET /_emulator/calls`` lists it (the fields faults read)."""
        return {"deviceName": self.device_name, "directoryNumber": self.directory_number}


ADMIN = Account("admin", "admin", 10, "100", "SEP000000000100")
"""The emulator's seeded Complete Management user (``emulator/auth.py`` ADMIN_SETUP); the deployed
form seeds it too, which is how faults look things up on a lab."""


class Directory:
    def __init__(self, seeds: Iterable[Account] = (), calls: Iterable[Call] = ()) -> None:
        self._seeds: dict[str, Account] = {ADMIN.username: ADMIN}
        self._seeds.update((a.username.lower(), a) for a in seeds)
        self._accounts = dict(self._seeds)
        self.calls: tuple[Call, ...] = tuple(calls)
        """Standing calls (a lab's); calls placed through the control plane are not tracked here."""

    @classmethod
    def from_site(cls, path: str | Path) -> Directory:
        """The users and standing calls of a site file (``python -m emulator --site``), which the
        emulator seeds at start-up and keeps across resets."""
        with open(path, "rb") as f:
            doc = tomllib.load(f)
        users = [Account.of(u) for u in doc.get("users", []) if isinstance(u, dict) and "username" in u]
        calls = [
            Call(str(c["deviceName"]), str(c["directoryNumber"]), str(c.get("username") or ""))
            for c in doc.get("calls", [])
            if isinstance(c, dict) and "deviceName" in c and "directoryNumber" in c
        ]
        return cls(users, calls)

    def observe(self, req: Req, resp: Resp) -> None:
        """Learn from a control-plane exchange: a created user, or a reset that forgets them (seeded
        users survive a reset, as on the emulator)."""
        if req.method == "POST" and req.path == CONTROL + "/users" and resp.status == 201:
            body = req.json()
            if isinstance(body, dict) and isinstance(body.get("username"), str):
                self._accounts[body["username"].lower()] = Account.of(body)
        elif req.method == "POST" and req.path == CONTROL + "/reset" and resp.status == 204:
            self._accounts = dict(self._seeds)

    def accounts(self) -> list[Account]:
        return list(self._accounts.values())

    def get(self, username: str) -> Account | None:
        return self._accounts.get(username.lower())

    def claimed(self, req: Req) -> Account | None:
        """The account the request names, whatever password it gives."""
        creds = req.credentials()
        return self.get(creds[0]) if creds else None

    def caller(self, req: Req) -> Account | None:
        """The account the request authenticates as (right password), else ``None``."""
        creds = req.credentials()
        account = self.get(creds[0]) if creds else None
        return account if account is not None and creds is not None and account.password == creds[1] else None

    def level(self, req: Req) -> int | None:
        account = self.caller(req)
        return account.level if account else None
