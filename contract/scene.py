"""The test scene: users per role, lines with connected calls, lines without, and their clean-up.

Isolation rule: every test works on names nobody else uses (a session-unique prefix plus a counter),
so tests do not see each other's data and a pre-populated real server does not break an oracle.

One interface, two back-ends. With the emulator control plane (only when the preflight proved the
server to be recqual's emulator and the run may use it) the scene creates users and places calls.
On any other server (a lab, a customer's staging) it lends the users and lines declared in the target
file: ``line_with_call`` lends a declared ``call = "standing"`` line to one check at a time (the line is
locked until the check ends, and whatever the check started on it is stopped), ``idle_line`` a declared
``call = "none"`` line. Only what no lab can declare (a fresh user, a hang-up on cue, an automatic-
recording device, server settings) needs ``require_emulator``, and is skipped with a reason elsewhere.
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

from contract import api
from contract.client import ApiClient, Credentials
from contract.emulator_control import ControlPlane, new_password
from contract.upload_window import UploadWindow
from recqual.preflight import Preflight
from recqual.target_config import LEVELS, ROLE_NAMES, LineSpec, TargetConfig


@dataclass(frozen=True)
class Line:
    """A device + directory number; ``username`` is the user whose own line it is (if any)."""

    device_name: str
    directory_number: str
    username: str | None = None
    role: str | None = None


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
    """A connected call: placed through the control plane, or a lab's declared standing call.

    A standing call's far end and direction are known only when the target file declares them
    (``remoteParty``, ``direction``); otherwise they are ``None`` and checks compare what the server
    says about the call with itself (the live list, ``/Mine`` and the completed recording agree)
    instead of with the set-up. ``call_id`` is empty for a standing call: nobody can hang it up.
    """

    call_id: str
    line: Line
    direction: int | None
    remote_number: str | None
    remote_first: str | None
    remote_last: str | None
    username: str | None

    @property
    def standing(self) -> bool:
        return not self.call_id


class Scene:
    """Everything a check needs to act as someone, on some line, with a call in progress."""

    def __init__(
        self,
        api: ApiClient,
        control: ControlPlane | None,
        config: TargetConfig,
        preflight: Preflight | None = None,
    ) -> None:
        self.api = api
        self.control = control
        self.config = config
        usable = set(preflight.usable_lines) if preflight is not None else {ln.label for ln in config.lines}
        self._standing = [ln for ln in config.standing_lines if ln.label in usable]
        self._idle = [ln for ln in config.idle_lines if ln.label in usable]
        self._lent: set[str] = set()
        self.upload_window = UploadWindow.of(
            preflight.clock_offset_s if preflight is not None else None, config.retention_days
        )
        """Start dates uploads may use: the server's clock and retention (``contract/upload_window.py``)."""
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
        given = {
            role: Credentials(c.username, c.password, role) for role, c in self.config.credentials.items()
        }
        if self.control is None:
            for role, credentials in given.items():
                line = next((ln for ln in self.config.lines if ln.role == role), None)
                self.users[role] = User(
                    credentials,
                    LEVELS[role],
                    extension=line.directory_number if line else None,
                    device_name=line.device_name if line else None,
                )
            return
        if self.config.retention_days is None:  # the emulator says its retention: uploads may use it all
            retention = self.control.settings().get("retentionDays")
            if isinstance(retention, int) and retention >= 1:
                self.upload_window = UploadWindow.of(self.upload_window.offset_s, retention)
        for role, level in LEVELS.items():
            configured = given.get(role)
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
        """The control plane, or a skip: ``what`` is set-up no lab can declare (see README)."""
        if self.control is None:
            pytest.skip(
                f"{what} needs the emulator control plane (no lab can declare it); this target has none "
                "the run may use"
            )
        return self.control

    # -- lines with and without calls: both back-ends --------------------------------------------------

    @property
    def can_hang_up(self) -> bool:
        return self.control is not None

    @property
    def standing_line_count(self) -> int:
        """How many lines with calls a check can hold at once: a lab's usable standing-call lines; on
        the emulator one (it makes as many as it needs, but one proves a per-line behaviour)."""
        return 1 if self.control is not None else len(self._standing)

    def line_with_call(
        self,
        *,
        level: int = 1,
        direction: int = 1,
        stem: str = "live",
        owned: bool = True,
        role: str | None = None,
        not_role: str | None = None,
    ) -> tuple[User | None, Call]:
        """A line with a connected call, for this check alone, and its owner (the user whose own line
        it is). Emulator: a fresh user of ``level`` and a call placed on their line. Lab: a declared
        standing-call line lent until the check ends (its owner is the declared ``role`` user, of
        whatever level the file says); ``owned`` asks for a line that has an owner.

        ``role`` asks for the own line of that role's user (lab: a line declared with that role; on the
        emulator a fresh user of the role's level); ``not_role`` for a line that is not that role's
        user's own (lab: declared with another role; on the emulator any fresh user's line is)."""
        if self.control is not None:
            user = self.new_user(LEVELS[role] if role is not None else level, stem=stem)
            assert user.line is not None
            return user, self.connect(user.line, direction=direction)
        spec = self._lend(owned=owned, role=role, not_role=not_role)
        owner = self.users.get(spec.role) if spec.role else None
        line = Line(spec.device_name, spec.directory_number, owner.username if owner else None, spec.role)
        call = Call(
            "", line, spec.direction, spec.remote_party, spec.remote_first, spec.remote_last, line.username
        )
        return owner, call

    def lines_with_calls(
        self, count: int, *, owned: bool = True, stem: str = "live"
    ) -> list[tuple[User | None, Call]]:
        """``count`` lines with calls (distinct owners when ``owned``), or a skip saying what to declare."""
        if self.control is None:
            free = [ln for ln in self._standing if ln.label not in self._lent and (ln.role or not owned)]
            owners = {ln.role for ln in free}
            if len(free) < count or (owned and len(owners) < count):
                pytest.skip(
                    f'needs {count} declared [[lines]] with call = "standing"'
                    + (" and distinct roles" if owned else "")
                    + f"; {len(free)} usable in this target file"
                )
            picked: list[tuple[User | None, Call]] = []
            for _ in range(count):
                picked.append(self.line_with_call(owned=owned))
            return picked
        return [self.line_with_call(direction=1 + i % 2, stem=stem) for i in range(count)]

    def has_standing_line(self, role: str) -> bool:
        """Whether ``line_with_call(role=role)`` can find a line: always on the emulator (it makes one);
        on a lab, when a usable ``call = "standing"`` line is declared with that role."""
        return self.control is not None or any(ln.role == role for ln in self._standing)

    def idle_line(self, *, role: str | None = None) -> Line:
        """A line the server knows that has no connected call (a start on it is 409); ``role`` asks for
        that role's user's own line (lab: one declared with that role; emulator: a fresh user's)."""
        if self.control is not None:
            user = self.new_user(LEVELS[role] if role is not None else 1, stem="idle")
            assert user.line is not None
            return user.line
        spec = next(
            (ln for ln in self._idle if ln.label not in self._lent and (role is None or ln.role == role)),
            None,
        )
        if spec is None:
            pytest.skip(
                'needs a declared [[lines]] entry with call = "none"'
                + (f' and role = "{role}"' if role is not None else "")
                + " (a known line with no call)"
            )
        owner = self.users.get(spec.role) if spec.role else None
        return Line(spec.device_name, spec.directory_number, owner.username if owner else None, spec.role)

    def _lend(self, *, owned: bool, role: str | None = None, not_role: str | None = None) -> LineSpec:
        def fits(ln: LineSpec, *, free: bool = True) -> bool:
            return (
                (ln.label not in self._lent or not free)
                and bool(ln.role or not owned)
                and (role is None or ln.role == role)
                and (not_role is None or (ln.role is not None and ln.role != not_role))
            )

        with self._lock:
            spec = next((ln for ln in self._standing if fits(ln)), None)
            if spec is None:
                pytest.skip(
                    'needs a declared [[lines]] entry with call = "standing"'
                    + (
                        f' and role = "{role}" (a line of that role\'s own user)'
                        if role is not None
                        else f' and a role other than "{not_role}" (another user\'s line)'
                        if not_role is not None
                        else " and a role"
                        if owned
                        else ""
                    )
                    + (
                        " that no other part of this check holds"
                        if any(fits(ln, free=False) for ln in self._standing)
                        else "; this target file declares none (among its usable lines)"
                    )
                )
            self._lent.add(spec.label)
        self._cleanups.append(lambda: self._give_back(spec))
        return spec

    def _give_back(self, spec: LineSpec) -> None:
        """Stop whatever this check left recording on a lent line, then free the line."""
        try:
            admin = self.api.as_user(self.users["l10"].credentials) if "l10" in self.users else None
            if admin is not None:
                api.stop_by_line(admin, spec.device_name, spec.directory_number)
        finally:
            with self._lock:
                self._lent.discard(spec.label)

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
