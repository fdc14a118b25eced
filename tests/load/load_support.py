"""Helpers for the load tests: an emulator subprocess and a small rewriting proxy.

Nothing here imports locust (pytest must never be gevent-patched); the load itself always runs as a
``locust`` subprocess through ``load.runner.run``.
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
LIVE = "/fw/Apps/Recorder/WebAPI/LiveRecordings"


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


class EmulatorProcess:
    """``python -m emulator`` on a free loopback port; killed by its PID."""

    def __init__(self, log_path: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._log = open(log_path, "wb")  # noqa: SIM115  (closed in kill)
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "emulator",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--log-level",
                "warning",
            ],
            cwd=REPO,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"emulator exited with {self.proc.returncode}; see {log_path}")
            try:
                status, body = get_json(self.url, "/_emulator/health", auth=None)
                if status == 200 and body == {"status": "ok"}:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        self.kill()
        raise RuntimeError("emulator did not answer /_emulator/health within 30 s")

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

    def live_recordings(self) -> list:
        status, body = get_json(self.url, LIVE + "/")
        assert status == 200, body
        return body

    def kill(self) -> None:
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.kill(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)
        self._log.close()


class Proxy:
    """A loopback reverse proxy in front of ``upstream`` that can lie in two deterministic ways.

    - ``rewrite_first_429``: the first 429 answer to a startRecording (``POST .../LiveRecordings[/]``)
      becomes ``201 {"id": <fresh GUID>}``: a server that lets two racing starts win, exactly once.
    - ``hide_control_plane``: ``/_emulator/...`` answers 404, so the target looks like a real server.
    """

    def __init__(
        self, upstream: str, *, rewrite_first_429: bool = False, hide_control_plane: bool = False
    ) -> None:
        self.upstream_host, port = upstream.removeprefix("http://").split(":")
        self.upstream_port = int(port)
        self.rewritten = 0
        self._lock = threading.Lock()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args) -> None:  # quiet
                pass

            def _forward(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                if hide_control_plane and self.path.startswith("/_emulator"):
                    self.send_response(404)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                headers = {
                    k: v
                    for k, v in self.headers.items()
                    if k.lower() not in ("host", "connection", "content-length", "accept-encoding")
                }
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
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
