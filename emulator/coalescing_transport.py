"""One socket write per response instead of two: a transport that gathers the writes of a loop turn.

uvicorn's httptools protocol writes a response's head and its body with two ``transport.write`` calls,
and uvloop sends each at once: two ``send`` system calls for every answer with a body. On this
project's machine a system call costs as much as a good part of an emulator operation, and the
profile of ``GET LiveRecordings`` under load had a quarter of the server's CPU in those two writes.

:class:`CoalescingTransport` wraps the connection's transport for the protocol: writes are gathered
and handed to the real transport once, by a callback scheduled on the loop for the end of the current
turn (``call_soon``), so the head and body of one answer leave in one call. What the client sees does
not change: the bytes and their order are the same, and they leave before the loop waits for more
input. Three cases bypass the gathering so that nothing is held back or grows without bound: a
gathered size over ``FLUSH_BYTES`` (a large download then meets the real transport's flow control at
once), ``close``/``write_eof`` (what was gathered goes first), and ``abort`` (nothing goes).
Everything else is the real transport's, attribute for attribute.
"""

from __future__ import annotations

import asyncio
from typing import Any

FLUSH_BYTES = 64 * 1024


class CoalescingTransport:
    """A write-gathering proxy for an ``asyncio.Transport`` (see the module docstring)."""

    __slots__ = ("_chunks", "_loop", "_size", "_transport")

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop) -> None:
        self._transport = transport
        self._loop = loop
        self._chunks: list[bytes] = []
        self._size = 0

    def write(self, data: bytes) -> None:
        if not data:
            return
        if not self._chunks:
            self._loop.call_soon(self.flush)
        self._chunks.append(data)
        self._size += len(data)
        if self._size > FLUSH_BYTES:
            self.flush()

    def flush(self) -> None:
        """Hand what was gathered to the real transport (a no-op when nothing is waiting)."""
        chunks = self._chunks
        if not chunks:
            return
        self._chunks, self._size = [], 0
        if self._transport.is_closing():
            return  # the real transport would drop it (and warn): the peer is gone
        self._transport.write(chunks[0] if len(chunks) == 1 else b"".join(chunks))

    def writelines(self, data: Any) -> None:
        for chunk in data:
            self.write(chunk)

    def write_eof(self) -> None:
        self.flush()
        self._transport.write_eof()

    def close(self) -> None:
        self.flush()
        self._transport.close()

    def abort(self) -> None:
        self._chunks, self._size = [], 0
        self._transport.abort()

    def get_write_buffer_size(self) -> int:
        return self._size + self._transport.get_write_buffer_size()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)
