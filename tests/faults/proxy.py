"""The fault proxy: a reverse proxy in front of the correct emulator that applies ONE named fault.

``python -m tests.faults.proxy --fault NAME --upstream http://127.0.0.1:P --port Q`` (from the project
root; ``--fault none`` is the transparent proxy; ``--variant NAME``, the same as ``--fault variant:NAME``,
puts a benign variant from ``variants.py`` in front instead of a fault). Control-plane requests
(``/_emulator/*``) are forwarded untouched so a suite can still set its scene; the fault sees them only
to learn users and hang-ups. In front of a lab (the emulator started with ``--site FILE``, no control
plane), pass the same ``--site FILE``: the proxy then knows the lab's users, levels, lines and standing
calls from it, as it would otherwise learn them from the control plane. ``GET /_faults/status``
answers the fault's name and how often it fired.

Raw ASGI rather than a framework: the proxy must be able to hold a connection without answering
(``Stall``) and to drop one mid-body (``Reset``), which a framework's response objects hide.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import sys
from typing import Any

import httpx
import uvicorn

from .behaviours import Behaviour
from .catalogue import NONE, behaviour
from .directory import Directory
from .ops import is_control
from .upstream import Px
from .variants import VARIANT_PREFIX
from .wire import Req, Reset, Resp, Stall

Scope = dict[str, Any]
STATUS_PATH = "/_faults/status"
log = logging.getLogger("faults.proxy")
TRACE = os.environ.get("RECQUAL_FAULT_TRACE", "") == "1"
"""Log every vendor exchange (and whether the fault changed it) to the proxy's log, for diagnosis."""


class AbortConnection(Exception):
    """Raised after a partial body: uvicorn closes the transport of a response already started."""


class FaultProxy:
    def __init__(
        self,
        fault: str,
        upstream: str,
        transport: httpx.AsyncBaseTransport | None = None,
        directory: Directory | None = None,
    ) -> None:
        self.fault = fault
        self.behaviour: Behaviour = behaviour(fault)
        self.directory = directory or Directory()
        self.upstream = upstream
        self.transport = transport  # tests plug a fake emulator in here
        self.px: Px | None = None
        self.requests = 0

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        req = await _read_request(scope, receive)
        if self.px is None:  # no lifespan (in-process test transports)
            self.px = Px(self.upstream, self.directory, self.transport)
        if req.path == STATUS_PATH:
            await _send(send, Resp.of_json(200, self.status()))
            return
        try:
            resp = await self._answer(req)
        except Stall:
            await _wait_for_disconnect(receive)
            return
        except Reset as reset:
            await _send_partial(send, reset.resp, reset.fraction)
            raise AbortConnection(f"{req.method} {req.path}: connection dropped by the fault") from None
        except httpx.HTTPError as exc:
            resp = Resp.of_json(
                502, {"message": f"fault proxy: upstream failed: {type(exc).__name__}: {exc}"}
            )
        await _send(send, resp)

    async def _answer(self, req: Req) -> Resp:
        assert self.px is not None
        if is_control(req.path):
            resp = await self.behaviour.control(req, self.px)
            self.directory.observe(req, resp)
            return resp
        self.requests += 1
        before = self.behaviour.fired
        resp = await self.behaviour.handle(req, self.px)
        if TRACE:
            mark = "FIRED" if self.behaviour.fired > before else "     "
            log.warning("%s %s %s?%s -> %s", mark, req.method, req.path, req.query, resp.status)
        return resp

    def status(self) -> dict[str, Any]:
        return {
            "fault": self.fault,
            "fired": self.behaviour.fired,
            "requests": self.requests,
            **self.behaviour.details(),
        }

    async def _lifespan(self, receive: Any, send: Any) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                self.px = Px(self.upstream, self.directory, self.transport)
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                if self.px is not None:
                    await self.px.aclose()
                await send({"type": "lifespan.shutdown.complete"})
                return


async def _read_request(scope: Scope, receive: Any) -> Req:
    body = bytearray()
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        body += message.get("body", b"")
        if not message.get("more_body"):
            break
    raw_path = scope.get("raw_path") or scope["path"].encode()
    return Req(
        method=scope["method"],
        path=scope["path"],
        raw_path=raw_path.decode("latin-1"),
        query=scope.get("query_string", b"").decode("latin-1"),
        headers=tuple((k.decode("latin-1"), v.decode("latin-1")) for k, v in scope["headers"]),
        body=bytes(body),
    )


def _raw_headers(resp: Resp, length: int) -> list[tuple[bytes, bytes]]:
    headers = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in resp.headers]
    return [*headers, (b"content-length", str(length).encode())]


CHUNKS = 3
"""A chunked answer (``transfer-encoding: chunked`` set by a benign variant) goes out in this many pieces."""


async def _send(send: Any, resp: Resp) -> None:
    if (resp.header("transfer-encoding") or "").lower() == "chunked" and resp.body:
        await _send_chunked(send, resp)
        return
    await send(
        {"type": "http.response.start", "status": resp.status, "headers": _raw_headers(resp, len(resp.body))}
    )
    await send({"type": "http.response.body", "body": resp.body})


async def _send_chunked(send: Any, resp: Resp) -> None:
    """No Content-Length, the body in several ``more_body`` messages: uvicorn then frames it with the
    chunked transfer coding (it adds the header itself)."""
    headers = [
        (k.lower().encode("latin-1"), v.encode("latin-1"))
        for k, v in resp.headers
        if k.lower() != "transfer-encoding"
    ]
    await send({"type": "http.response.start", "status": resp.status, "headers": headers})
    size = max(1, -(-len(resp.body) // CHUNKS))
    pieces = [resp.body[i : i + size] for i in range(0, len(resp.body), size)]
    for i, piece in enumerate(pieces):
        await send({"type": "http.response.body", "body": piece, "more_body": i + 1 < len(pieces)})


async def _send_partial(send: Any, resp: Resp, fraction: float) -> None:
    """Promise the whole body, deliver part of it (the connection is then dropped)."""
    cut = max(1, int(len(resp.body) * fraction))
    await send(
        {"type": "http.response.start", "status": resp.status, "headers": _raw_headers(resp, len(resp.body))}
    )
    await send({"type": "http.response.body", "body": resp.body[:cut], "more_body": True})
    await asyncio.sleep(0.05)  # let the partial body reach the socket before it closes


async def _wait_for_disconnect(receive: Any) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.faults.proxy", description=__doc__.splitlines()[0])
    which = parser.add_mutually_exclusive_group(required=True)
    which.add_argument(
        "--fault", help=f"a fault name from tests/faults/catalogue.py, {NONE}, or {VARIANT_PREFIX}NAME"
    )
    which.add_argument("--variant", help="a benign variant from tests/faults/variants.py (or all)")
    parser.add_argument("--upstream", required=True, help="base URL of the correct emulator")
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default: loopback only)")
    parser.add_argument("--port", type=int, required=True, help="TCP port to listen on")
    parser.add_argument("--log-level", default="warning", help="uvicorn log level (default warning)")
    parser.add_argument(
        "--site",
        metavar="FILE",
        help="the upstream's site file (a lab, python -m emulator --site FILE): its users and standing calls",
    )
    args = parser.parse_args(argv)
    try:
        directory = Directory.from_site(args.site) if args.site else None
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise SystemExit(f"fault proxy: cannot read the site file {args.site}: {exc}") from None
    try:
        app = FaultProxy(args.fault or VARIANT_PREFIX + args.variant, args.upstream, directory=directory)
    except KeyError as exc:
        raise SystemExit(f"fault proxy: {exc.args[0]}") from None
    with contextlib.suppress(KeyboardInterrupt):
        uvicorn.run(
            app,
            host=args.host,
            port=args.port,
            loop="uvloop",
            http="httptools",
            lifespan="on",
            log_level=args.log_level,
            access_log=False,
        )


if __name__ == "__main__":
    main(sys.argv[1:])
