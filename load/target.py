"""Who the load talks to, as whom, and on which lines.

Against the emulator (it answers ``GET /_emulator/health``) the scenarios make their own scene: they
create IAS users and place calls through the control plane, so the only credential needed is the admin's,
``admin``/``admin`` unless ``RECQUAL_USER``/``RECQUAL_PASSWORD`` say otherwise.

Against a real server nothing can be placed: the calls must already be connected on lines listed in a
target file (TOML, passed with ``--target-file``). It is the same file the conformance suite reads
(``contract/target.py``)::

    [target]
    url = "https://ucx.example.com"

    [credentials.l10]                          # Complete Management: start/stop/pause on every line
    username = "recqual"
    password_env = "UCX_QUAL_ADMIN_PASSWORD"   # or: password = "..." (keep the file private)

    [credentials.l1]                           # optional: a line's own user, for the ".../Mine" operations
    username = "agent1"
    password_env = "UCX_QUAL_AGENT_PASSWORD"

    [[lines]]
    deviceName = "SEP001122334455"
    directoryNumber = "1001"
    role = "l1"                                # whose own line it is (a [credentials.*] key)

    [[lines]]
    deviceName = "SEP001122334466"
    directoryNumber = "1002"

``[credentials.admin]`` is accepted for ``l10``, and ``user`` for ``role``.
``RECQUAL_USER``/``RECQUAL_PASSWORD`` override ``[credentials.admin]``. Passwords never leave this module
except inside an Authorization header: ``Credentials.__repr__`` hides them, and nothing here logs.
"""

from __future__ import annotations

import base64
import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

ENV_USER = "RECQUAL_USER"
ENV_PASSWORD = "RECQUAL_PASSWORD"
EMULATOR_DEFAULT = ("admin", "admin")


class TargetConfigError(ValueError):
    """The target file or the credential environment is unusable (message is one line, no secrets)."""


@dataclass(frozen=True)
class Credentials:
    username: str
    password: str = field(repr=False)

    def header(self) -> str:
        """The value of the ``Authorization`` header (HTTP Basic)."""
        token = base64.b64encode(f"{self.username}:{self.password}".encode()).decode("ascii")
        return "Basic " + token

    def __repr__(self) -> str:  # never show the password, even in a traceback
        return f"Credentials(username={self.username!r}, password=***)"


@dataclass(frozen=True)
class Line:
    """A device + directory number; ``owner`` is the line's own user (needed for the ``/Mine`` operations)."""

    device_name: str
    directory_number: str
    owner: Credentials | None = None


@dataclass(frozen=True)
class TargetFile:
    admin: Credentials | None
    lines: tuple[Line, ...]


def load_target_file(path: str | Path) -> TargetFile:
    """Parse a target file; raise ``TargetConfigError`` with a one-line reason."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise TargetConfigError(f"target file not found: {path}") from None
    except tomllib.TOMLDecodeError as exc:
        raise TargetConfigError(f"target file {path} is not valid TOML: {exc}") from None
    creds_table = data.get("credentials", {})
    if not isinstance(creds_table, dict):
        raise TargetConfigError(f"{path}: [credentials] must be a table")
    creds: dict[str, Credentials] = {}
    for name, entry in creds_table.items():
        if not isinstance(entry, dict) or not isinstance(entry.get("username"), str):
            raise TargetConfigError(f"{path}: [credentials.{name}] needs username and password strings")
        password = entry.get("password")
        if "password_env" in entry:
            password = os.environ.get(str(entry["password_env"]))
            if password is None:
                raise TargetConfigError(
                    f"{path}: [credentials.{name}] password_env names {entry['password_env']}, not set"
                )
        if not isinstance(password, str):
            raise TargetConfigError(
                f"{path}: [credentials.{name}] needs username and password (or password_env)"
            )
        creds[name] = Credentials(entry["username"], password)
    lines = []
    for i, entry in enumerate(data.get("lines", [])):
        if not isinstance(entry, dict):
            raise TargetConfigError(f"{path}: lines[{i}] must be a table")
        device, dn = entry.get("deviceName"), entry.get("directoryNumber")
        if not isinstance(device, str) or not isinstance(dn, str) or not device or not dn:
            raise TargetConfigError(f"{path}: lines[{i}] needs deviceName and directoryNumber strings")
        owner = None
        owner_key = entry.get("role", entry.get("user"))
        if owner_key is not None:
            if owner_key not in creds:
                raise TargetConfigError(f"{path}: lines[{i}] names {owner_key!r}, not in [credentials]")
            owner = creds[owner_key]
        lines.append(Line(device, dn, owner))
    keys = [(line.device_name.lower(), line.directory_number) for line in lines]
    if len(set(keys)) != len(keys):
        raise TargetConfigError(f"{path}: a line is listed twice")
    return TargetFile(admin=creds.get("l10", creds.get("admin")), lines=tuple(lines))


def resolve_admin(target_file: TargetFile | None, *, emulator: bool) -> Credentials:
    """Environment first, then the target file, then admin/admin but only on the emulator."""
    user, password = os.environ.get(ENV_USER), os.environ.get(ENV_PASSWORD)
    if user and password is not None:
        return Credentials(user, password)
    if user or password:
        raise TargetConfigError(f"set both {ENV_USER} and {ENV_PASSWORD}, or neither")
    if target_file is not None and target_file.admin is not None:
        return target_file.admin
    if emulator:
        return Credentials(*EMULATOR_DEFAULT)
    raise TargetConfigError(
        f"no credentials for a non-emulator target: set {ENV_USER}/{ENV_PASSWORD} "
        "or [credentials.l10] in --target-file"
    )


def partition(items: tuple[Line, ...] | list[Line], index: int, count: int) -> list[Line]:
    """Worker ``index`` of ``count`` owns every ``count``-th line: no two workers ever share a line."""
    if count < 1 or not 0 <= index < count:
        raise ValueError(f"bad partition {index}/{count}")
    return list(items[index::count])
