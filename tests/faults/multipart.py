"""Just enough multipart/form-data to read and rewrite an upload (reference 2.2).

Bodies come from well-behaved clients (httpx, requests, Locust), so a split on the boundary is
enough; anything this cannot parse is forwarded untouched, which only makes a fault not fire.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

_BOUNDARY = re.compile(r'boundary="?([^";]+)"?', re.IGNORECASE)
_NAME = re.compile(r'\bname="([^"]*)"', re.IGNORECASE)


@dataclass
class Part:
    head: bytes
    data: bytes

    @property
    def name(self) -> str:
        m = _NAME.search(self.head.decode("latin-1"))
        return m.group(1) if m else ""

    @property
    def content_type(self) -> str:
        for line in self.head.decode("latin-1").split("\r\n"):
            key, _, value = line.partition(":")
            if key.strip().lower() == "content-type":
                return value.strip().split(";")[0].lower()
        return ""


def parse(content_type: str | None, body: bytes) -> tuple[bytes, list[Part]] | None:
    m = _BOUNDARY.search(content_type or "")
    if not m or not (content_type or "").lower().startswith("multipart/form-data"):
        return None
    boundary = m.group(1).encode()
    chunks = body.split(b"--" + boundary)
    parts = []
    for chunk in chunks[1:]:
        if chunk.startswith(b"--"):
            break
        head, sep, data = chunk.removeprefix(b"\r\n").partition(b"\r\n\r\n")
        if not sep:
            return None
        parts.append(Part(head, data.removesuffix(b"\r\n")))
    return boundary, parts


def build(boundary: bytes, parts: list[Part]) -> bytes:
    out = b"".join(b"--" + boundary + b"\r\n" + p.head + b"\r\n\r\n" + p.data + b"\r\n" for p in parts)
    return out + b"--" + boundary + b"--\r\n"


def metadata(parts: list[Part]) -> dict[str, Any] | None:
    part = next((p for p in parts if p.name == "jsondata"), None)
    if part is None:
        return None
    try:
        value = json.loads(part.data)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def audio(parts: list[Part]) -> Part | None:
    return next((p for p in parts if p.name == "attachment"), None)
