"""Users, permission levels and HTTP Basic authentication.

Passwords are kept only as salted scrypt hashes. Verifying scrypt on every request would cost
milliseconds, so a verified ``Authorization`` header value is cached in memory (keyed by its SHA-256,
so the secret itself is not kept) until the user set changes; failures are cached too (bounded), so a
client repeating wrong credentials cannot make the server burn CPU.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
import hmac
import os
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

LEVEL_NONE = 0
LEVEL_RECORD_ONLY = 1
LEVEL_BASE_ACCESS = 2
LEVEL_COMPLETE = 10
LEVELS = frozenset({LEVEL_NONE, LEVEL_RECORD_ONLY, LEVEL_BASE_ACCESS, LEVEL_COMPLETE})

# scrypt cost: memory-hard and salted, yet cheap enough (~8 ms) that a test creating users per case stays
# fast. This is a loopback emulator's credential store, not a production one.
_SCRYPT = {"n": 2**11, "r": 8, "p": 1, "dklen": 32}
_NEGATIVE_CACHE_SIZE = 1024

ADMIN_SETUP: dict[str, Any] = {
    "username": "admin",
    "password": "admin",
    "level": LEVEL_COMPLETE,
    "extension": "100",
    "deviceName": "SEP000000000100",
}

_OPTIONAL_TEXT = ("extension", "deviceName", "numericUserId", "firstName", "lastName", "group", "department")


class UserSetupError(ValueError):
    """A user body (control plane or users file) is invalid."""


class UserExistsError(ValueError):
    """A user with that username exists already (usernames compare case-insensitively)."""


def _hash_password(password: str, salt: bytes) -> bytes:
    return hashlib.scrypt(password.encode("utf-8"), salt=salt, **_SCRYPT)


@dataclass(slots=True)
class User:
    username: str
    level: int
    salt: bytes
    key: bytes
    extension: str = ""
    device_name: str = ""
    numeric_user_id: str = ""
    first_name: str = ""
    last_name: str = ""
    group: str = ""
    department: str = ""
    seeded: bool = False
    lower: str = field(init=False)

    def __post_init__(self) -> None:
        self.lower = self.username.lower()

    def as_json(self) -> dict[str, str]:
        """The vendor's User object (reference section 3): phoneNumber is the extension."""
        return {
            "username": self.username,
            "firstName": self.first_name,
            "lastName": self.last_name,
            "phoneNumber": self.extension,
            "group": self.group,
            "department": self.department,
        }

    def owns_line(self, device: str | None, dn: str | None) -> bool:
        """A user's own line is their extension (DN) or their device; one matching name is enough."""
        return bool(
            (dn is not None and self.extension and dn == self.extension)
            or (device is not None and self.device_name and device == self.device_name)
        )


def unknown_user_json(username: str) -> dict[str, str]:
    """A User object for a name the server has no record of: the name, every other field empty."""
    return {
        "username": username,
        "firstName": "",
        "lastName": "",
        "phoneNumber": "",
        "group": "",
        "department": "",
    }


def validate_setup(body: Any) -> dict[str, Any]:
    """Check a user body (section 7) and return it normalised; raise :class:`UserSetupError`."""
    if not isinstance(body, dict):
        raise UserSetupError("the body must be a JSON object")
    username = body.get("username")
    if not isinstance(username, str) or not username or ":" in username:
        raise UserSetupError("username must be a non-empty string without ':'")
    password = body.get("password")
    if not isinstance(password, str):
        raise UserSetupError("password must be a string")
    level = body.get("level")
    if isinstance(level, bool) or not isinstance(level, int) or level not in LEVELS:
        raise UserSetupError("level must be one of 0, 1, 2, 10")
    out: dict[str, Any] = {"username": username, "password": password, "level": level}
    for name in _OPTIONAL_TEXT:
        value = body.get(name)
        if value is None:
            out[name] = ""
        elif isinstance(value, str):
            out[name] = value
        else:
            raise UserSetupError(f"{name} must be a string")
    return out


class Users:
    """The user directory. Seeded users (admin, the users file) survive a reset; others do not."""

    def __init__(self, seeds: list[dict[str, Any]]) -> None:
        self._by_lower: dict[str, User] = {}
        self._cache: dict[bytes, User] = {}
        self._failures: OrderedDict[bytes, None] = OrderedDict()
        self._generation = 0  # bumped on every directory change
        self._by_extension: dict[str, User] = {}
        self._by_device: dict[str, User] = {}
        self._pairs: set[tuple[str, str]] = set()
        for body in [ADMIN_SETUP, *seeds]:
            self.add(body, seeded=True)

    # --- directory -------------------------------------------------------------------------------

    def add(self, body: Any, *, seeded: bool = False) -> User:
        setup = validate_setup(body)
        if setup["username"].lower() in self._by_lower:
            raise UserExistsError(f"user {setup['username']!r} exists")
        salt = os.urandom(16)
        user = User(
            username=setup["username"],
            level=setup["level"],
            salt=salt,
            key=_hash_password(setup["password"], salt),
            extension=setup["extension"],
            device_name=setup["deviceName"],
            numeric_user_id=setup["numericUserId"],
            first_name=setup["firstName"],
            last_name=setup["lastName"],
            group=setup["group"],
            department=setup["department"],
            seeded=seeded,
        )
        self._by_lower[user.lower] = user
        self._directory_changed()
        return user

    def reset(self) -> None:
        self._by_lower = {k: u for k, u in self._by_lower.items() if u.seeded}
        self._directory_changed()

    def get(self, username: str) -> User | None:
        return self._by_lower.get(username.lower())

    def __iter__(self) -> Iterator[User]:
        return iter(list(self._by_lower.values()))

    def _reindex(self) -> None:
        """Lines to users; when two users share a line, the first registered one owns it."""
        self._by_extension = {}
        self._by_device = {}
        self._pairs = set()
        for u in self._by_lower.values():
            if u.extension:
                self._by_extension.setdefault(u.extension, u)
            if u.device_name:
                self._by_device.setdefault(u.device_name, u)
            if u.extension and u.device_name:
                self._pairs.add((u.device_name, u.extension))

    def by_extension(self, dn: str) -> User | None:
        return self._by_extension.get(dn)

    def by_device(self, device: str) -> User | None:
        return self._by_device.get(device)

    def knows_device(self, device: str) -> bool:
        return device in self._by_device

    def knows_extension(self, dn: str) -> bool:
        return dn in self._by_extension

    def knows_pair(self, device: str, dn: str) -> bool:
        return (device, dn) in self._pairs

    # --- authentication --------------------------------------------------------------------------

    def _directory_changed(self) -> None:
        self._reindex()
        self._generation += 1
        self._cache.clear()
        self._failures.clear()

    def cached(self, header: str | None) -> User | None:
        """The user of an already verified header value: the fast path, no hashing."""
        if header is None:
            return None
        return self._cache.get(hashlib.sha256(header.encode("utf-8", "surrogateescape")).digest())

    async def authenticate(self, header: str | None) -> User | None:
        """Resolve ``Authorization: Basic ...`` to a user, or ``None`` for anything that is not valid."""
        if header is None:
            return None
        digest = hashlib.sha256(header.encode("utf-8", "surrogateescape")).digest()
        user = self._cache.get(digest)
        if user is not None:
            return user
        if digest in self._failures:
            return None
        credentials = _decode_basic(header)
        candidate = self.get(credentials[0]) if credentials else None
        ok = False
        if candidate is not None and credentials is not None:
            generation = self._generation
            # Hash off the event loop. The directory may change meanwhile (a reset, a new user): then
            # the verdict may be stale, so decide again against the directory as it is now.
            key = await asyncio.to_thread(_hash_password, credentials[1], candidate.salt)
            if generation != self._generation:
                return await self.authenticate(header)
            ok = hmac.compare_digest(key, candidate.key)
        if ok and candidate is not None:
            self._cache[digest] = candidate
            return candidate
        self._failures[digest] = None
        if len(self._failures) > _NEGATIVE_CACHE_SIZE:
            self._failures.popitem(last=False)
        return None


def _decode_basic(header: str) -> tuple[str, str] | None:
    scheme, _, token = header.strip().partition(" ")
    if scheme.lower() != "basic":
        return None
    token = token.strip()
    if not token:
        return None
    try:
        raw = base64.b64decode(token, validate=True)
        text = raw.decode("utf-8")
    except (binascii.Error, ValueError):
        return None
    username, sep, password = text.partition(":")
    if not sep or not username:
        return None
    return username, password
