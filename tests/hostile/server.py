"""A hostile HTTP server: one misbehaviour, on every path (or on one path, in front of an emulator).

``python tests/hostile/server.py --mode MODE --port P [--other-port Q --hits-file F]``
``python tests/hostile/server.py --mode proxy --misbehave MODE --only REGEX --upstream URL --port P``

Raw asyncio on purpose (no HTTP framework): a framework would refuse to send what a broken or hostile
server sends (10,000 headers, a 2 GiB Content-Length it never fills, a chunked body that never ends).
The ``proxy`` mode forwards everything to a real emulator except requests whose ``METHOD path`` matches
``--only``: those get the misbehaviour, which proves the conformance suite's own reads are bounded, not
just the preflight's. ``tests/contract/bad_servers.py`` has stall/reset/trickle for the suite alone;
this one serves the whole ``recqual qualify`` catalogue of issue #14.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import re
import socket
import struct
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

MODES = (
    "always-401",
    "invalid-json",
    "deep-json",
    "endless-chunked",
    "huge-length",
    "stall-30s",
    "reset",
    "redirect-loop",
    "redirect-other-host",
    "many-headers",
    "html-everywhere",
    "echo-credentials-500",
)
HEAD_LIMIT = 64 * 1024
DEEP = 200_000


@dataclass
class Request:
    method: str
    target: str
    headers: dict[str, str]
    body: bytes

    @property
    def path(self) -> str:
        return self.target.split("?", 1)[0]


Writer = asyncio.StreamWriter
Handler = Callable[[Request, Writer], Awaitable[bool]]
"""Answers one request; returns whether the connection may serve another one."""


async def read_request(reader: asyncio.StreamReader) -> Request | None:
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
        return None
    lines = head.decode("latin-1").split("\r\n")
    method, target, _version = [*lines[0].split(" ", 2), "", ""][:3]
    headers = {}
    for line in lines[1:]:
        if ":" in line:
            name, value = line.split(":", 1)
            headers[name.strip().lower()] = value.strip()
    length = int(headers.get("content-length", "0") or 0)
    body = await reader.readexactly(length) if length else b""
    return Request(method, target, headers, body)


def response_head(status: str, headers: list[tuple[str, str]]) -> bytes:
    lines = [f"HTTP/1.1 {status}", *(f"{k}: {v}" for k, v in headers)]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


async def answer(
    writer: Writer, status: str, ctype: str | None, body: bytes, extra: list[tuple[str, str]] | None = None
) -> bool:
    headers = [("Content-Type", ctype)] if ctype else []
    headers += [("Content-Length", str(len(body))), *(extra or [])]
    writer.write(response_head(status, headers) + body)
    await writer.drain()
    return True


# ------------------------------------------------------------------------------------ misbehaviours


async def always_401(req: Request, writer: Writer) -> bool:
    extra = [("WWW-Authenticate", 'Basic realm="ucx"')]
    return await answer(writer, "401 Unauthorized", "application/json", b'{"message":"Unauthorized"}', extra)


async def invalid_json(req: Request, writer: Writer) -> bool:
    body = b'{"totalCount": 3, "recordings": [{"id": "0f3c\', "startTime": 2024-13-45T'
    return await answer(writer, "200 OK", "application/json", body)


async def deep_json(req: Request, writer: Writer) -> bool:
    return await answer(writer, "200 OK", "application/json", b"[" * DEEP + b"]" * DEEP)


async def endless_chunked(req: Request, writer: Writer) -> bool:
    ctype = "audio/mpeg" if req.path.endswith("/Media") else "application/json"
    writer.write(response_head("200 OK", [("Content-Type", ctype), ("Transfer-Encoding", "chunked")]))
    chunk = b"\xff" * 65536 if ctype == "audio/mpeg" else b'{"id": "x"}, ' * 5000
    framed = f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n"
    while True:  # as fast as the client reads, forever
        writer.write(framed)
        await writer.drain()


async def huge_length(req: Request, writer: Writer) -> bool:
    headers = [("Content-Type", "application/json"), ("Content-Length", str(2 * 1024**3))]
    writer.write(response_head("200 OK", headers) + b'{"totalCount": 1, "recordings": [' + b" " * 65536)
    await writer.drain()
    while True:  # then a trickle: one byte every two seconds
        await asyncio.sleep(2)
        writer.write(b" ")
        await writer.drain()


async def stall_30s(req: Request, writer: Writer) -> bool:
    await asyncio.sleep(30)
    return False


async def reset(req: Request, writer: Writer) -> bool:
    sock = writer.get_extra_info("socket")
    with contextlib.suppress(OSError):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    return False


async def redirect_loop(req: Request, writer: Writer) -> bool:
    host = req.headers.get("host", "127.0.0.1")
    return await answer(
        writer, "302 Found", "text/plain", b"moved", [("Location", f"http://{host}{req.target}")]
    )


def redirect_to(other_port: int) -> Handler:
    async def redirect_other_host(req: Request, writer: Writer) -> bool:
        location = f"http://127.0.0.1:{other_port}{req.target}"
        return await answer(writer, "302 Found", "text/plain", b"moved", [("Location", location)])

    return redirect_other_host


async def many_headers(req: Request, writer: Writer) -> bool:
    extra = [(f"X-Junk-{i}", "v" * 16) for i in range(10_000)]
    return await answer(writer, "200 OK", "application/json", b'{"totalCount": 0, "recordings": []}', extra)


async def html_everywhere(req: Request, writer: Writer) -> bool:
    page = b"<!doctype html><html><head><title>Welcome</title></head><body><h1>It works</h1></body></html>"
    return await answer(writer, "200 OK", "text/html; charset=utf-8", page)


async def echo_credentials_500(req: Request, writer: Writer) -> bool:
    """The worst error page: it shows the request's Authorization header and the decoded password."""
    auth = req.headers.get("authorization", "")
    decoded = ""
    if auth.lower().startswith("basic "):
        with contextlib.suppress(ValueError):
            decoded = base64.b64decode(auth[6:]).decode("utf-8", "replace")
    password = decoded.split(":", 1)[1] if ":" in decoded else ""
    body = f"Internal Server Error\nAuthorization: {auth}\nuser:password = {decoded}\npassword = {password}\n"
    return await answer(writer, "500 Internal Server Error", "text/plain", body.encode())


HANDLERS: dict[str, Handler] = {
    "always-401": always_401,
    "invalid-json": invalid_json,
    "deep-json": deep_json,
    "endless-chunked": endless_chunked,
    "huge-length": huge_length,
    "stall-30s": stall_30s,
    "reset": reset,
    "redirect-loop": redirect_loop,
    "many-headers": many_headers,
    "html-everywhere": html_everywhere,
    "echo-credentials-500": echo_credentials_500,
}


# ------------------------------------------------------------------------------------------ serving


def forwarder(upstream: str) -> Handler:
    """Everything the misbehaviour does not cover goes to the real server, answered with its bytes."""
    import httpx

    client = httpx.AsyncClient(base_url=upstream.rstrip("/"), timeout=60)
    hop = {"host", "content-length", "transfer-encoding", "connection", "content-encoding"}

    async def forward(req: Request, writer: Writer) -> bool:
        headers = [(k, v) for k, v in req.headers.items() if k not in hop]
        reply = await client.request(req.method, req.target, headers=headers, content=req.body)
        kept = [(k, v) for k, v in reply.headers.items() if k.lower() not in hop]
        return await answer(writer, f"{reply.status_code} {reply.reason_phrase}", None, reply.content, kept)

    return forward


def connection_handler(choose: Callable[[Request], Handler]) -> Callable[..., Awaitable[None]]:
    async def handle(reader: asyncio.StreamReader, writer: Writer) -> None:
        try:
            while True:
                req = await read_request(reader)
                if req is None or not await choose(req)(req, writer):
                    break
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            with contextlib.suppress(Exception):
                writer.close()

    return handle


def hit_counter(hits_file: Path) -> Callable[..., Awaitable[None]]:
    """The other host of ``redirect-other-host``: it looks like the API and counts every request
    (a client that followed the redirect would have sent it the credentials)."""
    count = 0
    hits_file.write_text("0")

    async def counted(req: Request, writer: Writer) -> bool:
        nonlocal count
        count += 1
        hits_file.write_text(str(count))
        return await answer(writer, "200 OK", "application/json", b'{"totalCount": 0, "recordings": []}')

    return connection_handler(lambda _req: counted)


async def serve(args: argparse.Namespace) -> None:
    servers = []
    if args.mode == "proxy":
        only = re.compile(args.only)
        bad, good = HANDLERS[args.misbehave], forwarder(args.upstream)
        choose: Callable[[Request], Handler] = lambda req: (  # noqa: E731
            bad if only.search(f"{req.method} {req.path}") else good
        )
    elif args.mode == "redirect-other-host":
        handler = redirect_to(args.other_port)
        choose = lambda _req: handler  # noqa: E731
        servers.append(
            await asyncio.start_server(hit_counter(Path(args.hits_file)), "127.0.0.1", args.other_port)
        )
    else:
        choose = lambda _req: HANDLERS[args.mode]  # noqa: E731
    servers.append(
        await asyncio.start_server(connection_handler(choose), "127.0.0.1", args.port, limit=HEAD_LIMIT)
    )
    await asyncio.gather(*(s.serve_forever() for s in servers))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mode", choices=(*MODES, "proxy"), required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--other-port", type=int, help="redirect-other-host: the second listener")
    parser.add_argument("--hits-file", help="redirect-other-host: where the second listener counts hits")
    parser.add_argument("--misbehave", choices=MODES, help="proxy: what to do on the matching path")
    parser.add_argument("--only", help="proxy: regex over 'METHOD /path' that gets the misbehaviour")
    parser.add_argument("--upstream", help="proxy: the real server everything else goes to")
    args = parser.parse_args()
    asyncio.run(serve(args))


if __name__ == "__main__":
    main()
