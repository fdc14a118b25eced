"""Request-head limits and read deadlines for the emulator's HTTP/1.1 connections.

Customers run the emulator in CI, where a stuck or hostile client must not take it down. Stock uvicorn
(httptools) would read a 16 MiB header and answer it, count no headers, and hold a connection that
trickles its head one byte at a time forever. What uvicorn can be configured with was tried first:

* ``h11_max_incomplete_event_size`` bounds the head for the h11 parser only, which serves about a
  quarter of httptools' requests per second on this project's machine; it counts no headers either.
* ``timeout_keep_alive`` is armed only *after* a response, so it never fires during a slow head.
* ``limit_concurrency`` answers 503 to everyone once N connections are open: exactly what a
  slow-loris attack wants. Each slow connection is dropped by its own deadline instead.

So this module, and only this one, subclasses uvicorn's httptools protocol (passed to uvicorn as
``http=GuardedHttpToolsProtocol``). The limits mirror the server the emulator stands in for, an IIS
host (http.sys), where it has one, and well-known server defaults where it has none:

* ``MAX_HEAD_BYTES`` 16 KiB: http.sys's ``MaxRequestBytes`` default (request line plus headers);
  above it http.sys answers 400 "Request Too Long", and so does the emulator.
* ``MAX_HEADERS`` 100: Kestrel's ``MaxRequestHeaderCount`` default. http.sys has no count limit,
  but 16 KiB holds some 3,000 tiny headers, each parsed by the app; answered 400 as well, so a client
  sees one status for "head too big" as it would from IIS.
* ``HEAD_TIMEOUT_S`` 20 s for the whole head, counted from the connection (or from the first byte of
  a kept-alive connection's next request): Apache mod_reqtimeout's ``header=20``. http.sys waits
  120 s (``HeaderWait``), too long for a CI job and above this project's 30 s bound.
* ``BODY_TIMEOUT_S`` 20 s plus 1 s per ``BODY_MIN_RATE`` (500) bytes received: mod_reqtimeout's
  ``body=20,MinRate=500``, so a 256 MB upload at any sane rate never trips it, but a client sending
  one byte every few seconds does. Time in which the server itself stopped reading does not count.
* ``LINGER_S`` 2 s: after a refusal the rest of the request is read and dropped before closing (as
  Apache and http.sys do): closing a socket with unread input sends a reset, which can destroy the
  400 on its way to a client still sending its 16 MiB header.
"""

from __future__ import annotations

import asyncio
from typing import Any, cast

from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol

from emulator.coalescing_transport import CoalescingTransport

MAX_HEAD_BYTES = 16 * 1024
MAX_HEADERS = 100
HEAD_TIMEOUT_S = 20.0
BODY_TIMEOUT_S = 20.0
BODY_MIN_RATE = 500  # bytes per second
LINGER_S = 2.0

TOO_LONG = "The size of the request headers is too long."
TOO_MANY = f"The request has more than {MAX_HEADERS} headers."


class _Refused(Exception):
    """Raised from a parser callback so httptools stops before the request reaches the app."""


class GuardedHttpToolsProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with the limits above; everything else is uvicorn's own."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._messages = 0  # requests begun on this connection
        self._head_open = False
        self._head_started = 0.0  # when the current head's deadline started counting
        self._head_bytes = 0  # request target + header names and values, as parsed
        self._head_seen = 0  # raw bytes of chunks that ended inside an unfinished head
        self._header_count = 0
        self._body_open = False
        self._body_started = 0.0
        self._body_bytes = 0
        self._refusal: str | None = None
        self._head_timer: asyncio.TimerHandle | None = None
        self._body_timer: asyncio.TimerHandle | None = None
        self._linger_timer: asyncio.TimerHandle | None = None

    # connection events

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        # uvicorn writes an answer's head and body separately: gathered, they leave in one system call
        super().connection_made(cast(asyncio.Transport, CoalescingTransport(transport, self.loop)))
        self._head_started = self.loop.time()
        self._head_timer = self.loop.call_later(HEAD_TIMEOUT_S, self._head_deadline_passed)

    def connection_lost(self, exc: Exception | None) -> None:
        for timer in (self._head_timer, self._body_timer, self._linger_timer):
            if timer is not None:
                timer.cancel()
        self._head_timer = self._body_timer = self._linger_timer = None
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self._refusal is not None:
            return  # lingering: the rest of a refused request is dropped unread
        begun = self._messages
        super().data_received(data)
        if self._refusal is not None or self.transport.is_closing():
            return
        if self._head_open:
            # A huge header value reaches on_header only once complete: count the raw bytes too. The
            # chunk a request began in is left out (it may end the previous request's body).
            if self._messages == begun:
                self._head_seen += len(data)
            if self._head_seen > MAX_HEAD_BYTES:
                self._refuse(TOO_LONG)
        elif self._body_open and self._body_timer is None:
            self._body_timer = self.loop.call_later(BODY_TIMEOUT_S, self._body_deadline_passed)

    # parser callbacks

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._messages += 1
        self._head_open = True
        self._head_bytes = self._head_seen = self._header_count = 0
        if self._messages > 1:  # the first request's deadline runs from the connection
            self._head_started = self.loop.time()
        # One timer per connection, not one per request: a timer that fires early re-arms itself for
        # the rest of the current head's time (see _head_deadline_passed).
        if self._head_timer is None:
            self._head_timer = self.loop.call_later(HEAD_TIMEOUT_S, self._head_deadline_passed)

    def on_url(self, url: bytes) -> None:
        super().on_url(url)
        self._head_bytes += len(url)
        if self._head_bytes > MAX_HEAD_BYTES:
            self._refusal = TOO_LONG
            raise _Refused(TOO_LONG)

    def on_header(self, name: bytes, value: bytes) -> None:
        self._header_count += 1
        self._head_bytes += len(name) + len(value) + 4  # ": " and CRLF
        if self._head_bytes > MAX_HEAD_BYTES or self._header_count > MAX_HEADERS:
            self._refusal = TOO_LONG if self._head_bytes > MAX_HEAD_BYTES else TOO_MANY
            raise _Refused(self._refusal)
        super().on_header(name, value)

    def on_headers_complete(self) -> None:
        self._head_open = False  # the head timer, if armed, lets itself lapse
        self._body_open = True
        self._body_started = self.loop.time()
        self._body_bytes = 0
        super().on_headers_complete()

    def on_body(self, body: bytes) -> None:
        self._body_bytes += len(body)
        super().on_body(body)

    def on_message_complete(self) -> None:
        self._body_open = False
        if self._body_timer is not None:
            self._body_timer.cancel()
            self._body_timer = None
        super().on_message_complete()

    # refusals and deadlines

    def send_400_response(self, msg: str) -> None:
        """uvicorn's answer to a parser error; a refusal raised by a callback above is one too."""
        if self._refusal is None:
            super().send_400_response(msg)
        else:
            self._refuse(self._refusal)

    def _refuse(self, reason: str) -> None:
        """Answer 400 as http.sys does, then linger (see the module docstring) and close."""
        self._refusal = reason
        self.logger.warning("Refused a request from %s: %s", _peer(self.client), reason)
        if self.cycle is not None and not self.cycle.response_complete:
            self.transport.close()  # a pipelined answer is still being written: no room for a 400
            return
        body = f"Bad Request - Request Too Long\r\nHTTP Error 400. {reason}\r\n".encode("ascii")
        head = [STATUS_LINE[400]]
        for name, value in self.server_state.default_headers:
            head += [name, b": ", value, b"\r\n"]
        head.append(b"content-type: text/plain; charset=us-ascii\r\n")
        head.append(b"content-length: %d\r\nconnection: close\r\n\r\n" % len(body))
        self.transport.write(b"".join(head) + body)
        for timer in (self._head_timer, self._body_timer):
            if timer is not None:
                timer.cancel()
        self._head_timer = self._body_timer = None
        if self.transport.can_write_eof():
            self.transport.write_eof()
        self._linger_timer = self.loop.call_later(LINGER_S, self.transport.close)

    def _head_deadline_passed(self) -> None:
        self._head_timer = None
        if self.transport.is_closing() or not (self._head_open or self._messages == 0):
            return  # no head is being waited for: the next request arms the timer again
        remaining = self._head_started + HEAD_TIMEOUT_S - self.loop.time()
        if remaining > 0:  # armed for an earlier head; this one began later
            self._head_timer = self.loop.call_later(remaining, self._head_deadline_passed)
            return
        self.logger.info(
            "Closed %s: no complete request head within %g s", _peer(self.client), HEAD_TIMEOUT_S
        )
        self.transport.close()

    def _body_deadline_passed(self) -> None:
        self._body_timer = None
        if not self._body_open or self.transport.is_closing():
            return
        now = self.loop.time()
        if self.flow.read_paused:  # the server stopped reading, not the client: start afresh
            self._body_started, self._body_bytes = now, 0
        remaining = self._body_started + BODY_TIMEOUT_S + self._body_bytes / BODY_MIN_RATE - now
        if remaining > 0:
            self._body_timer = self.loop.call_later(remaining, self._body_deadline_passed)
            return
        self.logger.info("Closed %s: request body slower than %d bytes/s", _peer(self.client), BODY_MIN_RATE)
        self.transport.close()


def _peer(client: tuple[str, int] | None) -> str:
    return f"{client[0]}:{client[1]}" if client else "a client"
