"""The emulator this suite may drive: the embedded one it starts, and the control plane it may use.

Design rule 1: the suite starts the emulator as a subprocess and never imports it. The control plane
(``/_emulator``, reference section 7) is used only when the preflight proved the server to be recqual's
emulator and the run may use it (``Preflight.control_allowed``); on any other server the scene comes
from the target file (``recqual.target_config``), never from here.
"""

from __future__ import annotations

import secrets
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from contract.client import ApiClient
from contract.failures import ConfigError

CONTROL_BASE = "/_emulator"


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
