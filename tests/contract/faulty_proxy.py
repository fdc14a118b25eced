"""A reverse proxy in front of the emulator that breaks exactly one behaviour (for suite self-tests).

``python tests/contract/faulty_proxy.py --upstream URL --fault NAME --port P``

Each fault is a small, realistic server bug; the self-tests prove ``pytest contract`` goes red on it
and names the right check. ``none`` forwards everything unchanged (a correct server behind a proxy);
``hide-control`` hides ``/_emulator`` so the emulator looks like a real server (no control plane).
Everything else, the control plane included, is forwarded as is.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode

import httpx
import uvicorn

Scope = dict[str, Any]
Message = dict[str, Any]
ADMIN = "Basic " + base64.b64encode(b"admin:admin").decode()  # the emulator's seeded level-10 user
TICK = 1e-7


def _shift_before(value: str) -> str:
    """``before:T`` -> ``before:T + 1 tick``: the upper limit becomes included (an off-by-one)."""
    if not value.startswith("before:"):
        return value
    from strategies.rhs_colon import Instant

    instant = Instant.parse(value[len("before:") :]) + 1
    return "before:" + instant.isoformat(digits=7)


def _between_inclusive(value: str) -> str:
    """``between:T1;T2`` -> ``between:T1;T2 + 1 tick``: the upper limit becomes included."""
    if not value.startswith("between:") or value.count(";") != 1:
        return value
    from strategies.rhs_colon import Instant

    lower, upper = value[len("between:") :].split(";")
    return f"between:{lower};" + (Instant.parse(upper) + 1).isoformat(digits=7)


def rewrite_query(fault: str, path: str, query: list[tuple[str, str]]) -> list[tuple[str, str]]:
    if not path.rstrip("/").endswith("/Recordings"):
        return query
    if fault == "filter-bound":
        return [(k, _shift_before(v) if k == "startTime" else v) for k, v in query]
    if fault == "between-inclusive":
        return [(k, _between_inclusive(v) if k == "startTime" else v) for k, v in query]
    if fault == "ignore-direction":
        return [(k, v) for k, v in query if k != "direction"]
    if fault == "paging-overlap":
        return [
            (k, str(max(0, int(v) - 1)) if k == "page" and v.isdigit() and int(v) > 1 else v)
            for k, v in query
        ]
    return query


def rewrite_response(fault: str, method: str, path: str, status: int, body: bytes) -> tuple[int, bytes]:
    if fault == "pause-409" and method == "PUT" and path.endswith("/Pause") and status == 429:
        return 409, body
    if (
        fault == "hash"
        and method == "GET"
        and "/Recordings/" in path
        and not path.endswith("/Media")
        and status == 200
    ):
        detail = json.loads(body)
        value = detail["hash"]["value"]
        detail["hash"]["value"] = ("0" if value[0] != "0" else "1") + value[1:]
        return status, json.dumps(detail).encode()
    return status, body


def wire_path(scope: Scope) -> str:
    """The path as received, with anything non-printable percent-encoded so it can be forwarded."""
    raw = (scope.get("raw_path") or scope["path"].encode()).decode("latin-1")
    return quote(raw, safe="/%:@!$&'()*+,;=-._~")


class FaultyProxy:
    def __init__(self, upstream: str, fault: str, stall_after: int) -> None:
        self.upstream = upstream.rstrip("/")
        self.fault = fault
        self.stall_after = stall_after
        self.count = 0
        self.client = httpx.AsyncClient(timeout=60)

    async def __call__(
        self,
        scope: Scope,
        receive: Callable[[], Awaitable[Message]],
        send: Callable[[Message], Awaitable[None]],
    ) -> None:
        if scope["type"] != "http":
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        path = scope["path"]
        method = scope["method"]
        if self.fault == "hide-control" and path.startswith("/_emulator"):
            await send({"type": "http.response.start", "status": 404, "headers": [(b"content-length", b"0")]})
            await send({"type": "http.response.body", "body": b""})
            return
        vendor = path.startswith("/fw/")
        if vendor:
            self.count += 1
            if self.fault == "stall-after" and self.count > self.stall_after:
                await asyncio.sleep(3600)
        raw_query = scope["query_string"].decode("latin-1")
        query = parse_qsl(raw_query, keep_blank_values=True)
        rewritten = rewrite_query(self.fault, path, query)
        if rewritten != query:
            raw_query = urlencode(rewritten)
        headers = [
            (k.decode(), v.decode())
            for k, v in scope["headers"]
            if k.lower() not in (b"host", b"content-length")
        ]
        url = self.upstream + wire_path(scope) + (f"?{raw_query}" if raw_query else "")
        response = await self.client.request(method, url, headers=headers, content=body)
        if (
            self.fault == "permission"
            and method == "GET"
            and "/Recordings/" in path
            and response.status_code == 403
        ):
            headers = [(k, v) for k, v in headers if k.lower() != "authorization"] + [
                ("Authorization", ADMIN)
            ]
            response = await self.client.request(method, url, headers=headers, content=body)
        status, content = rewrite_response(self.fault, method, path, response.status_code, response.content)
        out_headers = [
            (k.encode(), v.encode())
            for k, v in response.headers.items()
            if k.lower() not in ("content-length", "transfer-encoding", "content-encoding")
        ]
        out_headers.append((b"content-length", str(len(content)).encode()))
        await send({"type": "http.response.start", "status": status, "headers": out_headers})
        await send({"type": "http.response.body", "body": content})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--upstream", required=True)
    parser.add_argument("--fault", default="none")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--stall-after", type=int, default=50)
    args = parser.parse_args()
    app = FaultyProxy(args.upstream, args.fault, args.stall_after)
    uvicorn.run(app, host="127.0.0.1", port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
