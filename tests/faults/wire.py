"""What the proxy passes around: one buffered request, one buffered answer, and two ways not to answer.

Bodies are small (the largest is an upload of a few hundred KB), so everything is buffered: a fault can
then read and rewrite any part of an exchange with plain Python.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlencode

from .ops import operation

Headers = tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Req:
    """A request as the client sent it (``path`` decoded, ``raw_path``/``query`` exactly as sent)."""

    method: str
    path: str
    raw_path: str
    query: str
    headers: Headers
    body: bytes = b""

    @property
    def op(self) -> str | None:
        """The vendor operationId, or ``None`` for the control plane and unknown paths."""
        return operation(self.method, self.path)

    def header(self, name: str) -> str | None:
        lname = name.lower()
        return next((v for k, v in self.headers if k.lower() == lname), None)

    def with_header(self, name: str, value: str | None) -> Req:
        """Replace (or with ``None`` drop) one header."""
        lname = name.lower()
        kept = tuple((k, v) for k, v in self.headers if k.lower() != lname)
        return dataclasses.replace(self, headers=kept + (((name, value),) if value is not None else ()))

    def params(self) -> list[tuple[str, str]]:
        """Query parameters decoded the way Starlette (and most servers) decode them."""
        return parse_qsl(self.query, keep_blank_values=True)

    def param(self, name: str) -> str | None:
        return next((v for k, v in self.params() if k == name), None)

    def with_params(self, params: Iterable[tuple[str, str]]) -> Req:
        return dataclasses.replace(self, query=urlencode(list(params)))

    def without_params(self, *names: str) -> Req:
        return self.with_params((k, v) for k, v in self.params() if k not in names)

    def with_body(self, body: bytes) -> Req:
        return dataclasses.replace(self, body=body)

    def credentials(self) -> tuple[str, str] | None:
        """The Basic username and password, or ``None`` when absent or malformed."""
        header = self.header("authorization")
        if not header:
            return None
        scheme, _, token = header.strip().partition(" ")
        if scheme.lower() != "basic":
            return None
        try:
            text = base64.b64decode(token.strip(), validate=True).decode("utf-8")
        except (binascii.Error, ValueError):
            return None
        user, sep, password = text.partition(":")
        return (user, password) if sep and user else None

    def json(self) -> Any:
        """The body as JSON, or ``None`` when it is empty or not JSON."""
        try:
            return json.loads(self.body) if self.body.strip() else None
        except ValueError:
            return None


def basic(username: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()


@dataclass(frozen=True)
class Resp:
    """An answer: status, headers (without framing headers) and the whole body."""

    status: int
    headers: Headers = ()
    body: bytes = b""

    @classmethod
    def of_json(cls, status: int, obj: Any, headers: Headers = ()) -> Resp:
        kept = tuple((k, v) for k, v in headers if k.lower() != "content-type")
        body = json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode()
        return cls(status, (*kept, ("content-type", "application/json")), body)

    @classmethod
    def empty(cls, status: int = 204) -> Resp:
        return cls(status, (), b"")

    def header(self, name: str) -> str | None:
        lname = name.lower()
        return next((v for k, v in self.headers if k.lower() == lname), None)

    def with_header(self, name: str, value: str | None) -> Resp:
        lname = name.lower()
        kept = tuple((k, v) for k, v in self.headers if k.lower() != lname)
        return dataclasses.replace(self, headers=kept + (((name, value),) if value is not None else ()))

    @property
    def content_type(self) -> str:
        return (self.header("content-type") or "").split(";")[0].strip().lower()

    def json(self) -> Any:
        """The body as JSON, or ``None`` when the answer is not JSON."""
        if not self.body:
            return None
        try:
            return json.loads(self.body)
        except ValueError:
            return None

    def with_json(self, obj: Any, status: int | None = None) -> Resp:
        return Resp.of_json(self.status if status is None else status, obj, self.headers)

    def with_body(self, body: bytes, content_type: str | None = None) -> Resp:
        out = dataclasses.replace(self, body=body)
        return out.with_header("content-type", content_type) if content_type else out


class Stall(Exception):
    """Never answer: hold the connection open until the client gives up."""


class Reset(Exception):
    """Start the answer, send part of the body, then drop the connection."""

    def __init__(self, resp: Resp, fraction: float = 0.5) -> None:
        super().__init__("connection reset by the fault")
        self.resp = resp
        self.fraction = fraction
