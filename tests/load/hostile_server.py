"""A hostile HTTP server for the load tests, run as its own process: ``python hostile_server.py MODE ...``.

Modes (``--port`` on 127.0.0.1; every GET is passed to ``--upstream``, the emulator, so the preflight and
the load's own set-up see a Recording API, and only the load's writes meet the hostility):

- ``echo``: every POST/PUT/DELETE answers 500 with a body that quotes the request's ``Authorization``
  header and the password decoded from it, then a ``Cookie`` header: a server that leaks what it was sent.
- ``redirect``: every POST/PUT/DELETE answers 307 to the same path on ``--redirect-to`` (another port).
- ``count``: the "other host": answers every request 201 with a fresh id, as a real upload would, and
  appends one line per request to ``--hits``; a load that followed the redirect would count its answers.

A separate process (not a thread of pytest) so it is a real peer on a real socket, stopped by its PID.
"""

from __future__ import annotations

import argparse
import base64
import http.client
import json
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

COOKIE = "s3cr3t-cookie"
"""The session cookie the echo server sets: a client that sends it back gets it quoted too."""


def _echo_body(authorization: str, cookie: str) -> bytes:
    token = authorization.removeprefix("Basic ").strip()
    try:
        decoded = base64.b64decode(token).decode()
    except ValueError:
        decoded = ""
    password = decoded.partition(":")[2]
    # the leak first, so it falls inside any excerpt the client quotes
    text = f"password={password} Authorization: {authorization} user:pass={decoded} Cookie: {cookie} "
    return (text + json.dumps({"authorization": authorization, "password": password}) + " " * 50).encode()


def handler(mode: str, upstream: str, redirect_to: str, hits: Path | None) -> type[BaseHTTPRequestHandler]:
    host, _, port = upstream.removeprefix("http://").partition(":")
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args) -> None:  # quiet
            pass

        def _answer(self, status: int, body: bytes = b"", headers: tuple[tuple[str, str], ...] = ()) -> None:
            self.send_response(status)
            for key, value in headers:
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def _forward(self, body: bytes | None) -> None:
            skip = ("host", "connection", "content-length", "accept-encoding")
            headers = {k: v for k, v in self.headers.items() if k.lower() not in skip}
            conn = http.client.HTTPConnection(host, int(port), timeout=30)
            try:
                conn.request(self.command, self.path, body=body, headers=headers)
                resp = conn.getresponse()
                payload = resp.read()
                kept = tuple((k, v) for k, v in resp.getheaders() if k.lower() == "content-type")
            finally:
                conn.close()
            self._answer(resp.status, payload, kept)

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else None
            if mode == "count":
                with lock, hits.open("a") as out:  # type: ignore[union-attr]
                    out.write(f"{self.command} {self.path}\n")
                created = json.dumps({"id": str(uuid.uuid4())}).encode()
                self._answer(201, created, (("Content-Type", "application/json"),))
            elif self.command == "GET":
                self._forward(body)
            elif mode == "echo":
                leak = _echo_body(self.headers.get("Authorization") or "", self.headers.get("Cookie") or "")
                self._answer(500, leak, (("Content-Type", "text/plain"), ("Set-Cookie", f"session={COOKIE}")))
            else:
                self._answer(307, b"", (("Location", redirect_to + self.path),))

        do_GET = do_POST = do_PUT = do_DELETE = _serve

    return Handler


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("mode", choices=("echo", "redirect", "count"))
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--upstream", default="")
    p.add_argument("--redirect-to", default="")
    p.add_argument("--hits", type=Path, default=None)
    args = p.parse_args()
    server = ThreadingHTTPServer(
        ("127.0.0.1", args.port), handler(args.mode, args.upstream, args.redirect_to, args.hits)
    )
    server.daemon_threads = True
    server.serve_forever()


if __name__ == "__main__":
    main()
