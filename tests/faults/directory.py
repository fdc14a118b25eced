"""The users the server knows, learned by watching the control plane go by.

Auth faults need to know who is calling and at which level (a level-2 user that gets an admin's
view, a wrong password that is let through). The proxy cannot ask the emulator, so it reads the
``POST /_emulator/users`` bodies that pass through it, exactly as the emulator received them.
"""

from __future__ import annotations

from dataclasses import dataclass

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


ADMIN = Account("admin", "admin", 10, "100", "SEP000000000100")
"""The emulator's seeded Complete Management user (``emulator/auth.py`` ADMIN_SETUP)."""


class Directory:
    def __init__(self) -> None:
        self._accounts: dict[str, Account] = {ADMIN.username: ADMIN}

    def observe(self, req: Req, resp: Resp) -> None:
        """Learn from a control-plane exchange: a created user, or a reset that forgets them."""
        if req.method == "POST" and req.path == CONTROL + "/users" and resp.status == 201:
            body = req.json()
            if isinstance(body, dict) and isinstance(body.get("username"), str):
                self._accounts[body["username"].lower()] = Account(
                    body["username"],
                    str(body.get("password", "")),
                    int(body.get("level", 0)),
                    str(body.get("extension") or ""),
                    str(body.get("deviceName") or ""),
                )
        elif req.method == "POST" and req.path == CONTROL + "/reset" and resp.status == 204:
            self._accounts = {ADMIN.username: ADMIN}

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
