"""Which server we qualify, as whom, and how the scene gets set up.

Sources, first found wins: ``--target`` / ``RECQUAL_TARGET``; the ``[target] url`` of the target file;
otherwise the embedded emulator, started as a subprocess on a free loopback port (design rule 1: we
start it, we never import it).

Credentials per role (levels 10/2/1/0 as ``l10``/``l2``/``l1``/``l0``) come from the environment
(``RECQUAL_USER``/``RECQUAL_PASSWORD`` for level 10, ``RECQUAL_L2_USER``/``RECQUAL_L2_PASSWORD`` …)
or the target file; on an emulator they are provisioned through the control plane. A target file::

    [target]
    url = "https://ucx.example.com"
    tls_verify = true            # false, or a CA bundle path
    max_rps = 5

    [credentials.l10]            # Complete Management
    username = "qual-admin"
    password_env = "UCX_QUAL_ADMIN_PASSWORD"   # or: password = "..." (keep the file private)
    [credentials.l2]             # Base Access
    username = "qual-base"
    password_env = "UCX_QUAL_BASE_PASSWORD"

    [[lines]]                    # lines with a connected call, for live-recording checks
    deviceName = "SEP0123456789AB"
    directoryNumber = "1001"
    role = "l1"                  # whose own line it is
"""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sys
import tempfile
import time
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from contract.client import ApiClient, Credentials
from contract.failures import ConfigError

ROLES = ("l10", "l2", "l1", "l0")
LEVELS = {"l10": 10, "l2": 2, "l1": 1, "l0": 0}
ROLE_NAMES = {"l10": "Complete Management", "l2": "Base Access", "l1": "Record Only", "l0": "no rights"}
ENV_TARGET = "RECQUAL_TARGET"
ENV_TARGET_FILE = "RECQUAL_TARGET_FILE"

RECORDINGS_BASE = "/fw/Apps/Recorder/WebAPI/Recordings"
LIVE_BASE = "/fw/Apps/Recorder/WebAPI/LiveRecordings"
CONTROL_BASE = "/_emulator"


@dataclass(frozen=True)
class Line:
    """A device + directory number; ``username`` is the user whose own line it is (if any)."""

    device_name: str
    directory_number: str
    username: str | None = None
    role: str | None = None


@dataclass
class TargetSettings:
    """The resolved target before anything is started or contacted."""

    url: str | None
    tls_verify: bool | str = True
    max_rps: float | None = None
    credentials: dict[str, Credentials] = field(default_factory=dict)
    lines: list[Line] = field(default_factory=list)
    source: str = "embedded emulator"


def parse_tls_verify(value: str | bool | None) -> bool | str:
    """``true``/``false`` or a CA bundle path (which must exist)."""
    if value is None or value is True:
        return True
    if value is False:
        return False
    text = str(value).strip()
    if text.lower() in ("true", "1", "yes", "on"):
        return True
    if text.lower() in ("false", "0", "no", "off"):
        return False
    if not Path(text).is_file():
        raise ConfigError(f"--tls-verify: {text!r} is neither true/false nor an existing CA bundle file")
    return text


def _credentials_from_env(env: dict[str, str]) -> dict[str, Credentials]:
    found: dict[str, Credentials] = {}
    for role in ROLES:
        prefix = "RECQUAL_" if role == "l10" else f"RECQUAL_{role.upper()}_"
        user, password = env.get(f"{prefix}USER"), env.get(f"{prefix}PASSWORD")
        if user and password is not None:
            found[role] = Credentials(user, password, role)
    return found


def _credentials_from_file(data: dict[str, Any], env: dict[str, str], path: Path) -> dict[str, Credentials]:
    found: dict[str, Credentials] = {}
    for role, entry in (data.get("credentials") or {}).items():
        if role not in ROLES:
            raise ConfigError(f"{path}: [credentials.{role}] is not a role; use one of {', '.join(ROLES)}")
        username = entry.get("username")
        if "password_env" in entry:
            password = env.get(entry["password_env"])
            if password is None:
                raise ConfigError(
                    f"{path}: [credentials.{role}] password_env names {entry['password_env']}, "
                    "which is not set in the environment"
                )
        else:
            password = entry.get("password")
        if not username or password is None:
            raise ConfigError(f"{path}: [credentials.{role}] needs username and password or password_env")
        found[role] = Credentials(username, password, role)
    return found


def _lines_from_file(data: dict[str, Any], path: Path) -> list[Line]:
    lines = []
    for i, entry in enumerate(data.get("lines") or []):
        device, dn = entry.get("deviceName"), entry.get("directoryNumber")
        if not device or not dn:
            raise ConfigError(f"{path}: lines[{i}] needs deviceName and directoryNumber")
        role = entry.get("role")
        if role is not None and role not in ROLES:
            raise ConfigError(f"{path}: lines[{i}].role must be one of {', '.join(ROLES)}")
        lines.append(Line(device, dn, entry.get("username"), role))
    return lines


def resolve_settings(
    *,
    target: str | None,
    target_file: str | None,
    tls_verify: str | None,
    max_rps: float | None,
    env: dict[str, str] | None = None,
) -> TargetSettings:
    """Merge options, environment and target file; options win, then environment, then file."""
    env = dict(os.environ if env is None else env)
    data: dict[str, Any] = {}
    path: Path | None = None
    target_file = target_file or env.get(ENV_TARGET_FILE)
    if target_file:
        path = Path(target_file)
        try:
            data = tomllib.loads(path.read_text())
        except FileNotFoundError:
            raise ConfigError(f"--target-file {path}: no such file") from None
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"--target-file {path}: not valid TOML ({exc})") from None
    section = data.get("target") or {}
    url = target or env.get(ENV_TARGET) or section.get("url")
    source = (
        "--target"
        if target
        else "RECQUAL_TARGET"
        if env.get(ENV_TARGET)
        else f"target file {path}"
        if section.get("url")
        else "embedded emulator"
    )
    credentials = _credentials_from_file(data, env, path) if path else {}
    credentials.update(_credentials_from_env(env))
    verify = parse_tls_verify(tls_verify if tls_verify is not None else section.get("tls_verify", True))
    rps = max_rps if max_rps is not None else section.get("max_rps")
    return TargetSettings(
        url=url.rstrip("/") if url else None,
        tls_verify=verify,
        max_rps=float(rps) if rps is not None else None,
        credentials=credentials,
        lines=_lines_from_file(data, path) if path else [],
        source=source,
    )


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class EmulatorProcess:
    """The embedded emulator: a subprocess on a free loopback port with a throw-away database."""

    def __init__(self, *, python: str = sys.executable, startup_timeout: float = 30.0) -> None:
        self.python = python
        self.startup_timeout = startup_timeout
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._dir = tempfile.TemporaryDirectory(prefix="recqual-emulator-")
        self._log = Path(self._dir.name) / "emulator.log"
        self._proc: subprocess.Popen[bytes] | None = None

    def start(self) -> str:
        db = Path(self._dir.name) / "emulator.db"
        cmd = [
            self.python,
            "-m",
            "emulator",
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--db",
            str(db),
        ]
        with self._log.open("wb") as log:
            self._proc = subprocess.Popen(
                cmd, stdout=log, stderr=subprocess.STDOUT, cwd=_project_root(), start_new_session=True
            )
        deadline = time.monotonic() + self.startup_timeout
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                raise ConfigError(f"the embedded emulator exited at start-up:\n{self.log_tail()}")
            try:
                if httpx.get(f"{self.url}{CONTROL_BASE}/health", timeout=1.0).status_code == 200:
                    return self.url
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        self.stop()
        raise ConfigError(f"the embedded emulator did not become healthy in {self.startup_timeout:g}s")

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self._log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "<no log>"

    def stop(self) -> None:
        proc, self._proc = self._proc, None
        if proc is not None and proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=5)
        self._dir.cleanup()


def _project_root() -> str:
    """The directory holding ``emulator/`` (so ``python -m emulator`` resolves without installing)."""
    return str(Path(__file__).resolve().parent.parent)


class ControlPlane:
    """The emulator's ``/_emulator`` API (reference section 7). Only ever used on an emulator."""

    def __init__(self, client: ApiClient) -> None:
        self.client = client

    def _call(self, method: str, path: str, operation: str, **kwargs: Any) -> Any:
        reply = self.client.request(
            method, CONTROL_BASE + path, operation=operation, control_plane=True, **kwargs
        )
        return reply

    def is_emulator(self) -> bool:
        """True when the target answers ``GET /_emulator/health`` with ``{"status": "ok"}``."""
        reply = self._call("GET", "/health", "emulator.health")
        body = reply.json_or_none()
        return reply.status == 200 and isinstance(body, dict) and body.get("status") == "ok"

    def reset(self) -> None:
        self._expect(self._call("POST", "/reset", "emulator.reset"), 204)

    def create_user(self, **user: Any) -> None:
        self._expect(self._call("POST", "/users", "emulator.createUser", json=user), 201)

    def place_call(self, **call: Any) -> str:
        reply = self._expect(self._call("POST", "/calls", "emulator.placeCall", json=call), 201)
        return str(reply.json()["callId"])

    def hang_up(self, call_id: str) -> int:
        return self._call("DELETE", f"/calls/{call_id}", "emulator.hangUpCall").status

    def settings(self, **changes: Any) -> dict[str, Any]:
        return dict(
            self._expect(self._call("PUT", "/settings", "emulator.updateSettings", json=changes), 200).json()
        )

    @staticmethod
    def _expect(reply: Any, status: int) -> Any:
        if reply.status != status:
            raise ConfigError(
                f"emulator control plane: {reply.operation} answered {reply.describe()}, expected {status}"
            )
        return reply


def new_password() -> str:
    return "rq-" + secrets.token_urlsafe(12)
