"""A small blocking HTTP client for the scene around the load: control plane, seeding, clean-up.

Its requests are deliberately *not* Locust requests: setting up lines, seeding data and sweeping up live
recordings at the end are not the load being measured, so they must not enter the statistics or the SLO
gates. ``http.client`` is gevent-patched in a locust process, so this blocks only the calling greenlet.
Errors are returned as ``Reply(status=0, ...)``, never raised, so a clean-up sweep always finishes.
TLS is verified as the target says (``tls_verify``: see ``load.tls``); redirects are never followed.

The control plane (``Emulator``) is only ever used when the preflight proved it is recqual's emulator and
the run may use it (``Preflight.control_allowed``): the caller checks, this module does not probe.
"""

from __future__ import annotations

import http.client
import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from load import operations as ops
from load import tls


@dataclass(frozen=True)
class Reply:
    status: int  # 0: no HTTP answer (connection error, timeout); ``error`` says why
    body: bytes
    error: str = ""

    def json(self) -> Any:
        try:
            return json.loads(self.body or b"null")
        except ValueError:
            return None


class PlainClient:
    """One-request-per-connection client bound to a base URL (``scheme://host[:port]``)."""

    def __init__(self, base_url: str, *, tls_verify: bool | str = True, timeout: float = 10.0) -> None:
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"target must be http(s)://host[:port], got {base_url!r}")
        self.scheme, self.host, self.port = parts.scheme, parts.hostname, parts.port
        self.prefix = parts.path.rstrip("/")
        self.tls_verify = tls_verify
        self.timeout = timeout

    def _connection(self) -> http.client.HTTPConnection:
        if self.scheme == "https":
            context = tls.context(self.tls_verify)
            return http.client.HTTPSConnection(self.host, self.port, timeout=self.timeout, context=context)
        return http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)

    def request(
        self,
        method: str,
        path: str,
        *,
        json_body: Any = None,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> Reply:
        hdrs = dict(headers or {})
        if json_body is not None:
            body = json.dumps(json_body).encode()
            hdrs.setdefault("Content-Type", "application/json")
        conn = self._connection()
        try:
            conn.request(method, self.prefix + path, body=body, headers=hdrs)
            resp = conn.getresponse()
            return Reply(resp.status, resp.read())
        except (OSError, http.client.HTTPException) as exc:
            return Reply(0, b"", f"{type(exc).__name__}: {exc}")
        finally:
            conn.close()


class Emulator:
    """The control plane of reference section 7 (no authentication)."""

    def __init__(self, client: PlainClient) -> None:
        self.client = client

    def settings(self, **changes: Any) -> dict | None:
        reply = self.client.request("PUT", ops.EMULATOR + "/settings", json_body=changes)
        return reply.json() if reply.status == 200 else None

    def create_user(self, **fields: Any) -> Reply:
        return self.client.request("POST", ops.EMULATOR + "/users", json_body=fields)

    def place_call(self, **setup: Any) -> Reply:
        return self.client.request("POST", ops.EMULATOR + "/calls", json_body=setup)

    def hang_up(self, call_id: str) -> Reply:
        return self.client.request("DELETE", f"{ops.EMULATOR}/calls/{call_id}")
