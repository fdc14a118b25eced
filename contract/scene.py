"""The test scene: users per role, unique lines, connected calls, and their clean-up.

Isolation rule: every test works on names nobody else uses (a session-unique prefix plus a counter),
so tests do not see each other's data and a pre-populated real server does not break an oracle.
On an emulator the scene is built through the control plane; on a real server it is read from the
target file, and whatever cannot be set up is skipped with a reason that says what to configure.
"""

from __future__ import annotations

import contextlib
import itertools
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from contract.client import ApiClient, Credentials
from contract.target import LEVELS, ROLE_NAMES, ControlPlane, Line, TargetSettings, new_password


@dataclass(frozen=True)
class User:
    """A user of the scene; ``extension``/``device_name`` form their own line."""

    credentials: Credentials
    level: int
    extension: str | None = None
    device_name: str | None = None
    first_name: str = ""
    last_name: str = ""
    numeric_user_id: str | None = None
    """The user's Numeric User ID (a listActiveRecordings filter, reference 2.3); emulator users only."""

    @property
    def username(self) -> str:
        return self.credentials.username

    @property
    def line(self) -> Line | None:
        if self.extension is None or self.device_name is None:
            return None
        return Line(self.device_name, self.extension, self.username)


@dataclass
class Call:
    """A connected call placed through the control plane."""

    call_id: str
    line: Line
    direction: int
    remote_number: str
    remote_first: str
    remote_last: str
    username: str | None


class Scene:
    """Everything a check needs to act as someone, on some line, with a call in progress."""

    def __init__(
        self,
        api: ApiClient,
        control: ControlPlane | None,
        settings: TargetSettings,
    ) -> None:
        self.api = api
        self.control = control
        self.settings = settings
        self.prefix = secrets.token_hex(2)
        self.digits = f"{secrets.randbelow(9000) + 1000}"
        self._counter = itertools.count(1)
        self._lock = threading.Lock()
        self.users: dict[str, User] = {}
        self._cleanups: list[Callable[[], Any]] = []

    # -- names -----------------------------------------------------------------------------------------

    def serial(self) -> int:
        with self._lock:
            return next(self._counter)

    def name(self, stem: str) -> str:
        """A session-unique lowercase name such as ``rq3f2a_line_17``."""
        return f"rq{self.prefix}_{stem}_{self.serial()}"

    def number(self) -> str:
        """A session-unique string of digits, usable as a directory or party number."""
        return f"7{self.digits}{self.serial():05d}"

    # -- roles -----------------------------------------------------------------------------------------

    @property
    def is_emulator(self) -> bool:
        return self.control is not None

    def provision_roles(self) -> None:
        """Emulator: one user per level; real server: the configured credentials."""
        if self.control is None:
            for role, credentials in self.settings.credentials.items():
                line = next((ln for ln in self.settings.lines if ln.role == role), None)
                self.users[role] = User(
                    credentials,
                    LEVELS[role],
                    extension=line.directory_number if line else None,
                    device_name=line.device_name if line else None,
                )
            return
        for role, level in LEVELS.items():
            configured = self.settings.credentials.get(role)
            if configured is not None:  # configured credentials win, e.g. a user seeded with --users
                self.users[role] = User(configured, level)
            else:
                self.users[role] = self.new_user(level, stem=role)

    def user(self, role: str) -> User:
        """The role's user, or a skip that says how to configure it."""
        found = self.users.get(role)
        if found is None:
            prefix = "RECQUAL" if role == "l10" else f"RECQUAL_{role.upper()}"
            var = f"{prefix}_USER/{prefix}_PASSWORD"
            pytest.skip(
                f"no credentials for role {role} ({ROLE_NAMES[role]}, level {LEVELS[role]}): set {var} "
                f"or add [credentials.{role}] to the --target-file"
            )
        return found

    def client(self, role: str) -> ApiClient:
        return self.api.as_user(self.user(role).credentials)

    def client_for(self, user: User) -> ApiClient:
        return self.api.as_user(user.credentials)

    # -- emulator-only set-up ----------------------------------------------------------------------------

    def require_emulator(self, what: str) -> ControlPlane:
        if self.control is None:
            pytest.skip(
                f"{what} needs the emulator control plane (server-side set-up); this target is not an "
                "emulator, so the check is skipped"
            )
        return self.control

    def new_user(self, level: int, *, stem: str = "u", extension: bool = True) -> User:
        """A fresh user with its own line (emulator only)."""
        control = self.require_emulator("creating a user")
        username = self.name(stem)
        password = new_password()
        number = self.number() if extension else None
        device = f"SEP{self.number()}" if extension else None
        first, last = f"First{self.serial()}", f"Last{self.serial()}"
        numeric = self.number()
        body: dict[str, Any] = {
            "username": username,
            "password": password,
            "level": level,
            "firstName": first,
            "lastName": last,
            "numericUserId": numeric,
        }
        if extension:
            body.update(extension=number, deviceName=device)
        credentials = Credentials(username, password, f"level{level}")
        self.api.config.redactor.add(credentials)
        control.create_user(**body)
        return User(credentials, level, number, device, first, last, numeric)

    def new_line(self, owner: User | None = None) -> Line:
        """A line nobody else uses; the owner's own line when ``owner`` has one."""
        if owner is not None and owner.line is not None:
            return owner.line
        return Line(f"SEP{self.number()}", self.number(), owner.username if owner else None)

    def connect(
        self,
        line: Line,
        *,
        username: str | None = None,
        direction: int = 1,
        monitorable: bool = True,
        auto_record: bool = False,
    ) -> Call:
        """Place a call on ``line`` (emulator only); it is hung up at the end of the test."""
        control = self.require_emulator("placing a call")
        remote = f"+39{self.number()}"
        first, last = f"Rf{self.serial()}", f"Rl{self.serial()}"
        owner = username if username is not None else line.username
        body: dict[str, Any] = {
            "deviceName": line.device_name,
            "directoryNumber": line.directory_number,
            "direction": direction,
            "remoteParty": {"phoneNumber": remote, "firstName": first, "lastName": last},
            "monitorable": monitorable,
            "autoRecord": auto_record,
        }
        if owner is not None:
            body["username"] = owner
        call_id = control.place_call(**body)
        self._cleanups.append(lambda: control.hang_up(call_id))
        return Call(call_id, line, direction, remote, first, last, owner)

    def on_cleanup(self, func: Callable[[], Any]) -> None:
        self._cleanups.append(func)

    def cleanup(self) -> None:
        """Undo this test's set-up, newest first; clean-up failures never hide the test's result."""
        while self._cleanups:
            func = self._cleanups.pop()
            with contextlib.suppress(Exception):  # clean-up is best effort by design
                func()
