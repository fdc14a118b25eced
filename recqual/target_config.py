"""The one reading of a target: command-line flags, environment and target file -> ``TargetConfig``.

Every part of recqual that needs to know where to send traffic and as whom (the CLI, the preflight,
the conformance suite, the load pass) calls ``resolve`` with the same inputs and gets the same frozen,
validated object. Nothing else reads the target file format. The module is pure: it reads the file and
the environment it is given, and never opens a connection, so a configuration error costs one line and
exit code 2 before any request.

The target file (TOML; every key optional except ``[target] url``)::

    [target]
    url = "https://ucx.example.com"      # base URL, no API path
    tls_verify = true                    # false, or a CA bundle path (relative to this file)
    max_rps = 5                          # the conformance suite's request-rate cap
    retention_days = 90                  # the server's retention; otherwise a safe window
    request_timeout_s = 10
    max_json_bytes = 16777216            # the largest JSON answer read (default 16 MiB); bigger is a failure
    max_media_bytes = 67108864           # the largest MP3 download read (default 64 MiB)

    [credentials.l10]                    # Complete Management; also l2, l1 and l0 (no rights)
    username = "qual-admin"
    password_env = "UCX_QUAL_ADMIN_PASSWORD"   # or: password = "..." (keep the file private)

    [[lines]]
    deviceName = "SEP000000000301"
    directoryNumber = "301"
    role = "l1"                          # whose own line it is (a [credentials.*] role)
    call = "standing"                    # a connected call stays up during the run (default)
    remoteParty = "+390212345"           # optional: the standing call's far end, then checked; or a
                                         # table {phoneNumber, firstName, lastName} to check the names too
    direction = 1                        # optional: the standing call's direction, then checked

Precedence: flags, then environment (``RECQUAL_TARGET``, ``RECQUAL_USER``/``RECQUAL_PASSWORD`` for l10,
``RECQUAL_L2_USER``/``RECQUAL_L2_PASSWORD`` ...), then the file. Passwords never come from flags.
"""

from __future__ import annotations

import base64
import math
import os
import ssl
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from recqual.errors import UsageError

ROLES = ("l10", "l2", "l1", "l0")
LEVELS = {"l10": 10, "l2": 2, "l1": 1, "l0": 0}
ROLE_NAMES = {"l10": "Complete Management", "l2": "Base Access", "l1": "Record Only", "l0": "no rights"}
CALL_KINDS = ("standing", "none")
ENV_TARGET = "RECQUAL_TARGET"
ENV_TARGET_FILE = "RECQUAL_TARGET_FILE"
DEFAULT_REQUEST_TIMEOUT_S = 10.0

_TOP_KEYS = {"target", "credentials", "lines"}
_TARGET_KEYS = {
    "url",
    "tls_verify",
    "max_rps",
    "retention_days",
    "request_timeout_s",
    "max_json_bytes",
    "max_media_bytes",
}
DEFAULT_MAX_JSON_BYTES = 16 * 2**20
DEFAULT_MAX_MEDIA_BYTES = 64 * 2**20
"""Response size caps: a listing of 10,000 recordings is ~5 MiB of JSON, an hour of 64 kbit/s MP3 ~28 MiB;
anything larger from a test target is more likely a broken server than a real answer."""
_CREDENTIAL_KEYS = {"username", "password", "password_env"}
_LINE_KEYS = {"deviceName", "directoryNumber", "role", "call", "remoteParty", "direction"}
_ROLE_ALIASES = {"admin": "l10"}
"""``[credentials.admin]`` was the load pass's old spelling of ``l10``; old files keep working."""


class ConfigError(UsageError):
    """The target configuration is unusable; the message names the key and the fix (exit 2)."""


CallKind = Literal["standing", "none"]


@dataclass(frozen=True)
class RoleCredentials:
    """One role's user. ``repr`` never shows the password (pytest ``-l`` and tracebacks print locals)."""

    role: str
    username: str
    password: str = field(repr=False)
    source: str = ""

    @property
    def level(self) -> int:
        return LEVELS[self.role]

    def basic(self) -> str:
        """The ``Authorization`` header value (HTTP Basic)."""
        token = base64.b64encode(f"{self.username}:{self.password}".encode()).decode("ascii")
        return f"Basic {token}"

    def secrets(self) -> tuple[str, ...]:
        """Every form in which this credential could leak into a file: to redact them all."""
        token = self.basic().removeprefix("Basic ")
        return tuple(s for s in (self.password, token, f"{self.username}:{self.password}") if len(s) >= 3)


@dataclass(frozen=True)
class LineSpec:
    """A line declared in the target file: a device and directory number of the lab."""

    device_name: str
    directory_number: str
    role: str | None = None
    call: CallKind = "standing"
    remote_party: str | None = None
    remote_first: str | None = None
    remote_last: str | None = None
    direction: int | None = None

    @property
    def label(self) -> str:
        return f"{self.device_name}/{self.directory_number}"


EMULATOR_SEEDED_ADMIN = ("admin", "admin")
"""The emulator's seeded level-10 user (reference section 7); used only on an emulator this run started."""
EMBEDDED_ADMIN_SOURCE = "the embedded emulator's seeded admin"


@dataclass(frozen=True)
class TargetConfig:
    """Where the run sends traffic, as whom, on which lines, within which limits."""

    url: str | None
    """Base URL (``scheme://host[:port]``); ``None`` means: start the embedded emulator."""
    tls_verify: bool | str = True
    credentials: Mapping[str, RoleCredentials] = field(default_factory=dict)
    lines: tuple[LineSpec, ...] = ()
    retention_days: int | None = None
    max_rps: float | None = None
    request_timeout_s: float = DEFAULT_REQUEST_TIMEOUT_S
    max_json_bytes: int = DEFAULT_MAX_JSON_BYTES
    max_media_bytes: int = DEFAULT_MAX_MEDIA_BYTES
    source: str = "embedded emulator"
    target_file: Path | None = None

    @property
    def embedded(self) -> bool:
        return self.url is None

    def role(self, role: str) -> RoleCredentials | None:
        return self.credentials.get(role)

    @property
    def standing_lines(self) -> tuple[LineSpec, ...]:
        return tuple(line for line in self.lines if line.call == "standing")

    @property
    def idle_lines(self) -> tuple[LineSpec, ...]:
        return tuple(line for line in self.lines if line.call == "none")

    def secrets(self) -> tuple[str, ...]:
        return tuple(s for c in self.credentials.values() for s in c.secrets())

    def with_url(self, url: str) -> TargetConfig:
        """The same configuration pointed at ``url`` (the embedded emulator, once it is started)."""
        return replace(self, url=url)

    def for_embedded_emulator(self, url: str) -> TargetConfig:
        """Pointed at the emulator this run started; without a level-10 user, its seeded ``admin``
        (reference section 7), so a read-only run, which may not create users, still has one."""
        if "l10" in self.credentials:
            return self.with_url(url)
        admin = RoleCredentials("l10", *EMULATOR_SEEDED_ADMIN, source=EMBEDDED_ADMIN_SOURCE)
        return replace(self, url=url, credentials={**self.credentials, "l10": admin})


def ssl_verify(verify: bool | str) -> bool | ssl.SSLContext:
    """What an HTTP client takes for ``tls_verify``: a CA bundle path becomes a context that trusts
    that bundle only (httpx deprecated plain paths); ``True``/``False`` pass through."""
    return ssl.create_default_context(cafile=verify) if isinstance(verify, str) else verify


def normalise_url(url: str, *, key: str = "--target") -> str:
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"{key} must be an http(s) URL such as https://ucx.example.com, got {url!r}")
    if parts.username or parts.password:
        raise ConfigError(f"{key}: put credentials in the environment or a target file, not in the URL")
    if parts.path.strip("/"):
        raise ConfigError(f"{key} is the server's base URL without an API path, got {url!r}")
    return f"{parts.scheme}://{parts.netloc}"


def parse_tls_verify(value: object, *, key: str, base: Path) -> bool | str:
    """``true``/``false`` or a CA bundle path; a relative path is taken from ``base``; case is kept."""
    if isinstance(value, bool):
        return value
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"{key} must be true, false or the path of a CA bundle, got {value!r}")
    text = value.strip()
    if text.lower() in ("true", "yes", "1", "on"):
        return True
    if text.lower() in ("false", "no", "0", "off"):
        return False
    path = Path(text).expanduser()
    path = path if path.is_absolute() else base / path
    if not path.is_file():
        raise ConfigError(f"{key}: no CA bundle file at {path}")
    return str(path)


def read_file(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError:
        raise ConfigError(f"target file not found: {path}") from None
    except IsADirectoryError:
        raise ConfigError(f"target file {path} is a folder, not a file") from None
    except PermissionError:
        raise ConfigError(f"target file {path} cannot be read (permission denied)") from None
    except OSError as exc:
        raise ConfigError(f"target file {path} cannot be read ({exc.strerror or exc})") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"target file {path} is not valid TOML: {exc}") from None


def _unknown(table: Mapping[str, Any], allowed: set[str], where: str) -> None:
    for key in table:
        if key not in allowed:
            raise ConfigError(f"{where}: unknown key {key!r} (known: {', '.join(sorted(allowed))})")


def _typed(table: Mapping[str, Any], key: str, kinds: tuple[type, ...], where: str) -> Any:
    value = table.get(key)
    if value is None:
        return None
    if isinstance(value, bool) and bool not in kinds:
        raise ConfigError(f"{where}.{key} must be {_kind_names(kinds)}, got {value!r}")
    if not isinstance(value, kinds):
        raise ConfigError(f"{where}.{key} must be {_kind_names(kinds)}, got {type(value).__name__}")
    return value


def _kind_names(kinds: tuple[type, ...]) -> str:
    names = {str: "a string", int: "an integer", float: "a number", bool: "true or false"}
    return " or ".join(dict.fromkeys(names.get(k, k.__name__) for k in kinds))


def _table(data: Mapping[str, Any], key: str, where: str) -> dict[str, Any]:
    value = data.get(key, {})
    if not isinstance(value, dict):
        raise ConfigError(f"{where}: [{key}] must be a table")
    return value


@dataclass(frozen=True)
class _FileTarget:
    url: str | None = None
    tls_verify: bool | str | None = None
    max_rps: float | None = None
    retention_days: int | None = None
    request_timeout_s: float | None = None
    max_json_bytes: int | None = None
    max_media_bytes: int | None = None


def _target_section(data: Mapping[str, Any], path: Path) -> _FileTarget:
    where = f"{path}: [target]"
    section = _table(data, "target", str(path))
    _unknown(section, _TARGET_KEYS, where)
    url = _typed(section, "url", (str,), where)
    rps = _typed(section, "max_rps", (int, float), where)
    retention = _typed(section, "retention_days", (int,), where)
    timeout = _typed(section, "request_timeout_s", (int, float), where)
    if rps is not None and (rps < 0 or not math.isfinite(rps)):
        raise ConfigError(f"{where}.max_rps must be >= 0 (0 = no cap), got {rps}")
    if retention is not None and retention < 1:
        raise ConfigError(f"{where}.retention_days must be >= 1, got {retention}")
    if timeout is not None and not 0 < timeout <= 600:
        raise ConfigError(f"{where}.request_timeout_s must be in (0, 600], got {timeout}")
    caps = {key: _typed(section, key, (int,), where) for key in ("max_json_bytes", "max_media_bytes")}
    for key, value in caps.items():
        if value is not None and not 65536 <= value <= 2**31:
            raise ConfigError(f"{where}.{key} must be between 65536 and 2147483648 bytes, got {value}")
    tls = section.get("tls_verify")
    return _FileTarget(
        url=normalise_url(url, key=f"{where}.url") if url is not None else None,
        tls_verify=parse_tls_verify(tls, key=f"{where}.tls_verify", base=path.parent)
        if tls is not None
        else None,
        max_rps=float(rps) if rps is not None else None,
        retention_days=retention,
        request_timeout_s=float(timeout) if timeout is not None else None,
        **caps,
    )


def _file_credentials(
    data: Mapping[str, Any], path: Path, env: Mapping[str, str]
) -> dict[str, RoleCredentials]:
    found: dict[str, RoleCredentials] = {}
    for name, entry in _table(data, "credentials", str(path)).items():
        role = _ROLE_ALIASES.get(name, name)
        where = f"{path}: [credentials.{name}]"
        if role not in ROLES:
            raise ConfigError(f"{where} is not a role; use one of {', '.join(ROLES)}")
        if role in found:
            raise ConfigError(f"{where}: role {role} is given twice")
        if not isinstance(entry, dict):
            raise ConfigError(f"{where} must be a table with username and password or password_env")
        _unknown(entry, _CREDENTIAL_KEYS, where)
        username = _typed(entry, "username", (str,), where)
        password = _typed(entry, "password", (str,), where)
        password_env = _typed(entry, "password_env", (str,), where)
        if password is not None and password_env is not None:
            raise ConfigError(f"{where}: give password or password_env, not both")
        if password_env is not None:
            password = env.get(password_env)
            if password is None:
                raise ConfigError(f"{where}: password_env names {password_env}, which is not set")
        if not username:
            raise ConfigError(f"{where}: username is missing")
        if password is None:
            raise ConfigError(f"{where}: password or password_env is missing")
        found[role] = RoleCredentials(role, username, password, f"{path.name} [credentials.{name}]")
    return found


def _env_credentials(env: Mapping[str, str], user_flag: str | None) -> dict[str, RoleCredentials]:
    found: dict[str, RoleCredentials] = {}
    for role in ROLES:
        prefix = "RECQUAL_" if role == "l10" else f"RECQUAL_{role.upper()}_"
        user = (user_flag if role == "l10" and user_flag else None) or env.get(f"{prefix}USER")
        password = env.get(f"{prefix}PASSWORD")
        if password is not None and not user:
            raise ConfigError(f"{prefix}PASSWORD is set but {prefix}USER is not (or pass --user)")
        if user and password is not None:
            found[role] = RoleCredentials(role, user, password, f"environment {prefix}USER/{prefix}PASSWORD")
    return found


def _file_lines(data: Mapping[str, Any], path: Path, roles: set[str]) -> tuple[LineSpec, ...]:
    entries = data.get("lines", [])
    if not isinstance(entries, list):
        raise ConfigError(f"{path}: lines must be an array of tables ([[lines]])")
    lines: list[LineSpec] = []
    for i, entry in enumerate(entries):
        where = f"{path}: lines[{i}]"
        if not isinstance(entry, dict):
            raise ConfigError(f"{where} must be a table")
        _unknown(entry, _LINE_KEYS, where)
        device = _typed(entry, "deviceName", (str,), where)
        dn = _typed(entry, "directoryNumber", (str, int), where)
        if not device or dn is None or str(dn) == "":
            raise ConfigError(f"{where} needs deviceName and directoryNumber")
        role = _typed(entry, "role", (str,), where)
        if role is not None and role not in ROLES:
            raise ConfigError(f"{where}.role must be one of {', '.join(ROLES)}, got {role!r}")
        if role is not None and role not in roles:
            raise ConfigError(f"{where}.role is {role!r}, but there is no [credentials.{role}]")
        call = _typed(entry, "call", (str,), where) or "standing"
        if call not in CALL_KINDS:
            raise ConfigError(f"{where}.call must be one of {', '.join(CALL_KINDS)}, got {call!r}")
        direction = _typed(entry, "direction", (int,), where)
        if direction is not None and direction not in (0, 1, 2):
            raise ConfigError(f"{where}.direction must be 0, 1 or 2, got {direction}")
        remote, first, last = _remote_party(entry, where)
        lines.append(
            LineSpec(
                device,
                str(dn),
                role,
                call,  # type: ignore[arg-type]  # checked against CALL_KINDS above
                remote_party=remote,
                remote_first=first,
                remote_last=last,
                direction=direction,
            )
        )
    keys = [(line.device_name.lower(), line.directory_number) for line in lines]
    if len(set(keys)) != len(keys):
        raise ConfigError(f"{path}: a line is listed twice in [[lines]]")
    return tuple(lines)


_REMOTE_KEYS = {"phoneNumber", "firstName", "lastName"}


def _remote_party(entry: Mapping[str, Any], where: str) -> tuple[str | None, str | None, str | None]:
    """``remoteParty``: the far end's number, or a table with its number and names."""
    value = entry.get("remoteParty")
    if value is None or isinstance(value, str):
        return value, None, None
    if not isinstance(value, dict):
        raise ConfigError(
            f"{where}.remoteParty must be a phone number or a table, got {type(value).__name__}"
        )
    _unknown(value, _REMOTE_KEYS, f"{where}.remoteParty")
    inner = f"{where}.remoteParty"
    texts = [_typed(value, key, (str,), inner) for key in ("phoneNumber", "firstName", "lastName")]
    return texts[0], texts[1], texts[2]


def resolve(
    *,
    target: str | None = None,
    target_file: str | Path | None = None,
    user: str | None = None,
    tls_verify: str | None = None,
    max_rps: float | None = None,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
) -> TargetConfig:
    """Merge flags, environment and target file into one ``TargetConfig``; ``ConfigError`` if unusable.

    Relative paths resolve once: the target file from ``cwd``, a CA bundle in the file from the file's
    folder, a ``--tls-verify`` path from ``cwd``. The result holds absolute paths only.
    """
    env = dict(os.environ if env is None else env)
    cwd = (cwd or Path.cwd()).absolute()
    file_path = target_file if target_file is not None else env.get(ENV_TARGET_FILE) or None
    data: dict[str, Any] = {}
    path: Path | None = None
    if file_path is not None:
        path = Path(file_path).expanduser()
        path = path if path.is_absolute() else cwd / path
        data = read_file(path)
        _unknown(data, _TOP_KEYS, str(path))
    section = _target_section(data, path) if path else _FileTarget()

    credentials = _file_credentials(data, path, env) if path else {}
    credentials.update(_env_credentials(env, user))
    url: str | None
    if target:
        url, source = normalise_url(target), "--target"
    elif env.get(ENV_TARGET):
        url, source = normalise_url(env[ENV_TARGET], key=ENV_TARGET), ENV_TARGET
    elif path is not None:
        if section.url is None:
            raise ConfigError(f"{path}: [target] url is missing (or pass --target URL)")
        url, source = section.url, f"target file {path}"
    else:
        url, source = None, "embedded emulator"
    if user and (credentials.get("l10") is None or credentials["l10"].username != user):
        raise ConfigError(f"--user {user}: its password comes from RECQUAL_PASSWORD, which is not set")

    if tls_verify is not None:
        verify: bool | str = parse_tls_verify(tls_verify, key="--tls-verify", base=cwd)
    else:
        verify = section.tls_verify if section.tls_verify is not None else True
    if max_rps is not None and (max_rps < 0 or not math.isfinite(max_rps)):
        raise ConfigError(f"--max-rps must be >= 0 (0 = no cap), got {max_rps}")
    return TargetConfig(
        url=url,
        tls_verify=verify,
        credentials=credentials,
        lines=_file_lines(data, path, set(credentials)) if path else (),
        retention_days=section.retention_days,
        max_rps=max_rps if max_rps is not None else section.max_rps,
        request_timeout_s=section.request_timeout_s or DEFAULT_REQUEST_TIMEOUT_S,
        max_json_bytes=section.max_json_bytes or DEFAULT_MAX_JSON_BYTES,
        max_media_bytes=section.max_media_bytes or DEFAULT_MAX_MEDIA_BYTES,
        source=source,
        target_file=path,
    )


def child_arguments(config: TargetConfig) -> list[str]:
    """Flags that make a child process (the suite, Locust) resolve exactly this configuration.

    Credentials are not among them: they travel in the environment the child inherits.
    """
    args: list[str] = []
    if config.url is not None:
        args += ["--target", config.url]
    if config.target_file is not None:
        args += ["--target-file", str(config.target_file)]
    if config.tls_verify is not True:
        args += ["--tls-verify", str(config.tls_verify) if isinstance(config.tls_verify, str) else "false"]
    return args
