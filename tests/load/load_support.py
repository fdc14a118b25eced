"""Helpers for the load tests: an emulator subprocess and a small rewriting proxy.

Nothing here imports locust (pytest must never be gevent-patched); the load itself always runs as a
``locust`` subprocess through ``load.runner.run``.
"""

from __future__ import annotations

import http.client
import json
import os
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
LIVE = "/fw/Apps/Recorder/WebAPI/LiveRecordings"
RECORDINGS_PATH = "/fw/Apps/Recorder/WebAPI/Recordings"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def get_json(base_url: str, path: str, auth: tuple[str, str] | None = ("admin", "admin")):
    import base64

    host, port = base_url.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=10)
    headers = {}
    if auth:
        headers["Authorization"] = "Basic " + base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode()
    try:
        conn.request("GET", path, headers=headers)
        resp = conn.getresponse()
        return resp.status, json.loads(resp.read() or b"null")
    finally:
        conn.close()


class _ServerChild:
    """A server of the tests' own on a free loopback port, in its own process; killed by its PID."""

    def _start(self, command: list[str], log_path: Path, ready: Callable[[], bool], what: str) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._log = open(log_path, "wb")  # noqa: SIM115  (closed in kill)
        self.proc = subprocess.Popen(
            [part.replace("{port}", str(self.port)) for part in command],
            cwd=REPO,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{what} exited with {self.proc.returncode}; see {log_path}")
            try:
                if ready():
                    return
            except OSError:
                pass
            time.sleep(0.1)
        self.kill()
        raise RuntimeError(f"{what} did not come up within 30 s")

    def kill(self) -> None:
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.kill(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)
        self._log.close()


class EmulatorProcess(_ServerChild):
    """``python -m emulator`` on a free loopback port; up when /_emulator/health says ok."""

    def __init__(self, log_path: Path) -> None:
        command = [sys.executable, "-m", "emulator", "--host", "127.0.0.1", "--port", "{port}"]
        self._start([*command, "--log-level", "warning"], log_path, self._healthy, "emulator")

    def _healthy(self) -> bool:
        status, body = get_json(self.url, "/_emulator/health", auth=None)
        return status == 200 and isinstance(body, dict) and body.get("status") == "ok"

    def control(self, method: str, path: str, body: dict) -> tuple[int, object]:
        """Call the control plane (``/_emulator`` + path) with a JSON body."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            conn.request(
                method,
                "/_emulator" + path,
                body=json.dumps(body),
                headers={"Content-Type": "application/json"},
            )
            resp = conn.getresponse()
            return resp.status, json.loads(resp.read() or b"null")
        finally:
            conn.close()

    def calls(self) -> list:
        status, body = get_json(self.url, "/_emulator/calls", auth=None)
        assert status == 200, body
        return body

    def live_recordings(self) -> list:
        status, body = get_json(self.url, LIVE + "/")
        assert status == 200, body
        return body


def _is_get_recording(path: str) -> bool:
    rest = path.split("?", 1)[0].removeprefix(RECORDINGS_PATH + "/")
    return rest != path.split("?", 1)[0] and rest != "" and "/" not in rest


class Proxy:
    """A loopback reverse proxy in front of ``upstream`` that can lie, or guard, deterministically.

    - ``rewrite_first_429``: the first 429 answer to a startRecording (``POST .../LiveRecordings[/]``)
      becomes ``201 {"id": <fresh GUID>}``: a server that lets two racing starts win, exactly once.
    - ``tls``: (certificate, key) files: the proxy speaks HTTPS.
    - ``get_recording_delay_s`` (settable while it runs): getRecording (``GET .../Recordings/{id}``, not
      its ``/Media``) answers this much later: a server that got slower at one operation.
    - ``guard_control_plane``: ``GET /_emulator/health`` passes (the emulator stays provable), every other
      ``/_emulator`` request answers 403 and is recorded in ``control_attempts``: a run that may not use
      the control plane must leave that list empty.
    """

    def __init__(
        self,
        upstream: str,
        *,
        rewrite_first_429: bool = False,
        guard_control_plane: bool = False,
        tls: tuple[Path, Path] | None = None,
    ) -> None:
        self.upstream_host, port = upstream.removeprefix("http://").split(":")
        self.upstream_port = int(port)
        self.rewritten = 0
        self.get_recording_delay_s = 0.0
        self.control_attempts: list[str] = []
        self._lock = threading.Lock()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args) -> None:  # quiet
                pass

            def _forward(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                if (
                    guard_control_plane
                    and self.path.startswith("/_emulator")
                    and (self.command, self.path) != ("GET", "/_emulator/health")
                ):
                    with proxy._lock:
                        proxy.control_attempts.append(f"{self.command} {self.path}")
                    self.send_response(403)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                headers = {
                    k: v
                    for k, v in self.headers.items()
                    if k.lower() not in ("host", "connection", "content-length", "accept-encoding")
                }
                if proxy.get_recording_delay_s and self.command == "GET" and _is_get_recording(self.path):
                    time.sleep(proxy.get_recording_delay_s)
                upstream = http.client.HTTPConnection(proxy.upstream_host, proxy.upstream_port, timeout=30)
                try:
                    upstream.request(self.command, self.path, body=body, headers=headers)
                    resp = upstream.getresponse()
                    status, payload = resp.status, resp.read()
                    out_headers = [
                        (k, v)
                        for k, v in resp.getheaders()
                        if k.lower() not in ("content-length", "transfer-encoding", "connection")
                    ]
                finally:
                    upstream.close()
                if (
                    rewrite_first_429
                    and status == 429
                    and self.command == "POST"
                    and self.path.rstrip("/") == LIVE
                ):
                    with proxy._lock:
                        if proxy.rewritten == 0:
                            proxy.rewritten += 1
                            status = 201
                            payload = json.dumps({"id": str(uuid.uuid4())}).encode()
                            out_headers = [("Content-Type", "application/json")]
                self.send_response(status)
                for key, value in out_headers:
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = do_PUT = do_DELETE = _forward

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        if tls is not None:  # (certificate, key): HTTPS in front of the plain emulator
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(*tls)
            self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
            self.url = self.url.replace("http://", "https://")
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def self_signed_certificate(folder: Path) -> tuple[Path, Path] | None:
    """(certificate, key) for 127.0.0.1, made with the ``openssl`` command; ``None`` without it."""
    if shutil.which("openssl") is None:
        return None
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(cert),
         "-days", "2", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
        check=True,
        capture_output=True,
        timeout=60,
    )  # fmt: skip
    return cert, key


class HostileServer(_ServerChild):
    """``hostile_server.py MODE`` (see there) on a free loopback port; up when it accepts a connection."""

    def __init__(self, mode: str, log_path: Path, *args: str) -> None:
        script = Path(__file__).with_name("hostile_server.py")
        command = [sys.executable, str(script), mode, "--port", "{port}", *args]
        self._start(command, log_path, self._listening, f"hostile server ({mode})")

    def _listening(self) -> bool:
        socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
        return True
