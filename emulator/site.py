"""Deployed mode: a site file describing a customer's UCX as the suite would meet it.

``python -m emulator --site FILE`` reads TOML::

    control_plane = false        # default true; false: every /_emulator path is 404, as on a real server
    retention_days = 90          # the server's retention (default: the Settings default)
    [preload]
    recordings = 2000            # completed recordings already on the server at start
    seed = 7                     # deterministic content
    [[users]]                    # the body of POST /_emulator/users
    username = "qual-admin"
    password = "..."
    level = 10
    [[calls]]                    # a standing call: connected at start, never hung up
    deviceName = "SEP000000000301"
    directoryNumber = "301"

Everything is checked before the server starts: an unknown key or a value of the wrong type is a
:class:`SiteError` whose one-line message names the key (``preload.recordings``, ``users[1].level``;
array entries are numbered from 0).
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from emulator.auth import UserSetupError, validate_setup

_TOP = ("control_plane", "retention_days", "preload", "users", "calls")
_PRELOAD = ("recordings", "seed")
_USER_TEXT: tuple[str, ...] = ("username", "password", "extension", "deviceName", "numericUserId")
_USER_TEXT += ("firstName", "lastName", "group", "department")
_USER = (*_USER_TEXT, "level")
_CALL_TEXT = ("deviceName", "directoryNumber", "username")
_CALL_BOOL = ("monitorable", "autoRecord")
_CALL = (*_CALL_TEXT, "direction", "remoteParty", *_CALL_BOOL)
_REMOTE = ("phoneNumber", "firstName", "lastName")


class SiteError(ValueError):
    """The site file (or a deployed-mode flag) is invalid; the message is one line and names the key."""


@dataclass(slots=True)
class Site:
    control_plane: bool = True
    retention_days: int | None = None  # None: the Settings default
    preload_recordings: int = 0
    preload_seed: int = 0
    users: list[dict[str, Any]] = field(default_factory=list)
    calls: list[dict[str, Any]] = field(default_factory=list)


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def _check_keys(table: dict[str, Any], allowed: tuple[str, ...], where: str) -> None:
    for key in table:
        if key not in allowed:
            raise SiteError(f"unknown key '{where}{key}'")


def _int(value: Any, name: str, *, minimum: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise SiteError(f"{name} must be an integer")
    if minimum is not None and value < minimum:
        raise SiteError(f"{name} must be an integer >= {minimum}")
    return value


def _bool(value: Any, name: str) -> bool:
    if not isinstance(value, bool):
        raise SiteError(f"{name} must be a boolean (true or false)")
    return value


def _text(value: Any, name: str) -> str:
    if not isinstance(value, str):
        raise SiteError(f"{name} must be a string")
    return value


def _table(value: Any, name: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise SiteError(f"{name} must be a table")
    return value


def _array_of_tables(value: Any, name: str) -> list[dict[str, Any]]:
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise SiteError(f"{name} must be an array of tables ([[{name}]])")
    return value


def _user(entry: dict[str, Any], where: str) -> dict[str, Any]:
    _check_keys(entry, _USER, where + ".")
    for name in ("username", "password", "level"):
        if name not in entry:
            raise SiteError(f"{where}.{name} is required")
    for name in _USER_TEXT:
        if name in entry:
            _text(entry[name], f"{where}.{name}")
    _int(entry["level"], f"{where}.level")
    try:
        validate_setup(entry)
    except UserSetupError as exc:
        raise SiteError(f"{where}.{exc}") from None
    return dict(entry)


def _call(entry: dict[str, Any], where: str) -> dict[str, Any]:
    _check_keys(entry, _CALL, where + ".")
    for name in ("deviceName", "directoryNumber"):
        if name not in entry:
            raise SiteError(f"{where}.{name} is required")
    for name in _CALL_TEXT:
        if name in entry and not _text(entry[name], f"{where}.{name}") and name != "username":
            raise SiteError(f"{where}.{name} must not be empty")
    if "direction" in entry and _int(entry["direction"], f"{where}.direction") not in (0, 1, 2):
        raise SiteError(f"{where}.direction must be 0, 1 or 2")
    for name in _CALL_BOOL:
        if name in entry:
            _bool(entry[name], f"{where}.{name}")
    if "remoteParty" in entry:
        remote = _table(entry["remoteParty"], f"{where}.remoteParty")
        _check_keys(remote, _REMOTE, f"{where}.remoteParty.")
        if "phoneNumber" not in remote:
            raise SiteError(f"{where}.remoteParty.phoneNumber is required")
        for name in _REMOTE:
            if name in remote:
                _text(remote[name], f"{where}.remoteParty.{name}")
    return dict(entry)


def parse_site(doc: dict[str, Any]) -> Site:
    """Check a parsed site document and build the :class:`Site`; raise :class:`SiteError`."""
    _check_keys(doc, _TOP, "")
    site = Site()
    if "control_plane" in doc:
        site.control_plane = _bool(doc["control_plane"], "control_plane")
    if "retention_days" in doc:
        site.retention_days = _int(doc["retention_days"], "retention_days", minimum=0)
    if "preload" in doc:
        preload = _table(doc["preload"], "preload")
        _check_keys(preload, _PRELOAD, "preload.")
        if "recordings" in preload:
            site.preload_recordings = _int(preload["recordings"], "preload.recordings", minimum=0)
        if "seed" in preload:
            site.preload_seed = _int(preload["seed"], "preload.seed")
    seen: dict[str, str] = {}
    for i, entry in enumerate(_array_of_tables(doc.get("users", []), "users")):
        user = _user(entry, f"users[{i}]")
        lower = user["username"].lower()
        if lower in seen:
            raise SiteError(f"users[{i}].username {user['username']!r} repeats {seen[lower]}")
        seen[lower] = f"users[{i}]"
        site.users.append(user)
    for i, entry in enumerate(_array_of_tables(doc.get("calls", []), "calls")):
        site.calls.append(_call(entry, f"calls[{i}]"))
    return site


def load_site(path: str | Path) -> Site:
    """Read and check a site file; every failure is a one-line :class:`SiteError`."""
    try:
        with open(path, "rb") as f:
            doc = tomllib.load(f)
    except OSError as exc:
        raise SiteError(f"cannot read it: {_one_line(exc.strerror or str(exc))}") from None
    except tomllib.TOMLDecodeError as exc:
        raise SiteError(f"not valid TOML: {_one_line(str(exc))}") from None
    return parse_site(doc)
