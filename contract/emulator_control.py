"""The control plane of an emulator this suite may drive (the embedded one starts in recqual/embedded.py).

Design rule 1: the suite starts the emulator as a subprocess and never imports it. The control plane
(``/_emulator``, reference section 7) is used only when the preflight proved the server to be recqual's
emulator and the run may use it (``Preflight.control_allowed``); on any other server the scene comes
from the target file (``recqual.target_config``), never from here.
"""

from __future__ import annotations

import secrets
from typing import Any

from contract.client import ApiClient
from contract.failures import ConfigError

CONTROL_BASE = "/_emulator"


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
