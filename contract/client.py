"""The one HTTP client every recqual check sends through.

Why one client: the safety rules of a qualification run (design rule 4) hold only if nothing can go
around them. Here, and only here:

- every request has a timeout (connect/read/write/pool) and an overall deadline, so a stalling or
  trickling server becomes a ``TargetError``, never a hang; the running check has a time limit too
  (``contract/check_deadline.py``), and redirects are never followed;
- every body is read up to a cap (``json_limit``, ``media_limit`` for downloads) and JSON deeper than
  ``MAX_JSON_DEPTH`` is refused before parsing: an endless, huge or deeply nested answer becomes an
  ``UnusableAnswer`` naming the operation and what the server sent, never a memory blow-up or a
  ``RecursionError`` (in the suite's own checks and in Schemathesis' alike);
- a circuit breaker: after the first transport failure the target is considered down for the rest of
  the session, and further requests fail at once with a message naming the first failure (so
  Hypothesis shrinking and hundreds of queued checks do not each wait for a timeout);
- the read-only profile refuses any method but GET before a byte leaves (``ReadOnlyViolation``);
- a bounded request rate (``--max-rps``) shared by every client of the session;
- credentials are never rendered: ``Authorization`` is redacted in curl lines, attachments and
  results, and known secrets are scrubbed from any text we emit;
- every exchange is captured (redacted) so the plugin can attach it to the allure report.

The transport is a parameter: unit tests plug ``httpx.MockTransport`` in; behaviour tests use sockets.
"""

from __future__ import annotations

import base64
import datetime
import functools
import json as jsonlib
import shlex
import ssl
import threading
import time
from collections import Counter, deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx

from contract import check_deadline
from contract.failures import ReadOnlyViolation, TargetError, truncate
from recqual.preflight import TOO_DEEP, json_too_deep, loads_bounded, transport_reason
from recqual.target_config import ssl_verify

SENSITIVE_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie", "set-cookie"})
REDACTED = "[REDACTED]"
READ_ONLY_METHODS = frozenset({"GET"})
JSON_LIMIT = 16 * 1024 * 1024
"""Largest non-media body read: a 16 MiB listing holds ~30,000 recordings (a page is far less)."""
MEDIA_LIMIT = 64 * 1024 * 1024
"""Largest download read: the suite's own uploads are a few hundred KiB."""
MEDIA_TYPES = ("audio/", "application/octet-stream")


class UnusableAnswer(TargetError):
    """The server answered, but with a body no client should read: larger than the cap, or JSON
    nested too deep. It names the operation and what the server sent; the breaker stays closed
    (other operations may be fine)."""


@dataclass(frozen=True)
class Credentials:
    """A user of the target. ``repr`` never shows the password (pytest ``-l`` prints locals)."""

    username: str
    password: str = field(repr=False)
    role: str = "l10"

    def basic(self) -> str:
        token = base64.b64encode(f"{self.username}:{self.password}".encode()).decode()
        return f"Basic {token}"


class Redactor:
    """Knows every secret of the session and scrubs it from text we are about to emit."""

    def __init__(self) -> None:
        self._secrets: set[str] = set()
        self._lock = threading.Lock()

    def add(self, credentials: Credentials) -> None:
        with self._lock:
            if credentials.password:
                self._secrets.add(credentials.password)
                self._secrets.add(credentials.basic().split(" ", 1)[1])

    def scrub(self, text: str) -> str:
        with self._lock:
            secrets = sorted(self._secrets, key=len, reverse=True)
        for secret in secrets:
            if len(secret) >= 3:
                text = text.replace(secret, REDACTED)
        return text


def redact_headers(headers: Mapping[str, str]) -> dict[str, str]:
    return {k: (REDACTED if k.lower() in SENSITIVE_HEADERS else v) for k, v in headers.items()}


class RateLimiter:
    """Spaces request starts at least ``1/max_rps`` apart across all threads; 0 means unbounded."""

    def __init__(self, max_rps: float) -> None:
        self.interval = 1.0 / max_rps if max_rps > 0 else 0.0
        self._next = 0.0
        self._lock = threading.Lock()

    def wait(self) -> None:
        if not self.interval:
            return
        with self._lock:
            now = time.monotonic()
            start = max(now, self._next)
            self._next = start + self.interval
        delay = start - time.monotonic()
        if delay > 0:
            time.sleep(delay)


class Breaker:
    """Remembers the first transport failure; once tripped, nothing more is sent this session."""

    def __init__(self) -> None:
        self.reason: str | None = None
        self._lock = threading.Lock()

    def trip(self, reason: str) -> None:
        with self._lock:
            if self.reason is None:
                self.reason = reason

    def guard(self, operation: str, curl: str) -> None:
        if self.reason is not None:
            raise TargetError(
                f"{operation}: not sent, the target stopped answering earlier in this run ({self.reason})",
                operation=operation,
                curl=curl,
            )


@dataclass
class Exchange:
    """One request and its answer, already redacted; what the allure attachment shows."""

    operation: str
    role: str
    method: str
    url: str
    request_headers: dict[str, str]
    request_body: str
    status: int | None
    response_headers: dict[str, str]
    response_body: str
    elapsed_s: float
    curl: str

    def as_text(self) -> str:
        head = f"{self.operation} as {self.role}\n{self.method} {self.url}\n"
        req = "".join(f"{k}: {v}\n" for k, v in self.request_headers.items())
        resp_head = "".join(f"{k}: {v}\n" for k, v in self.response_headers.items())
        status = self.status if self.status is not None else "<NO RESPONSE>"
        return (
            f"{head}{req}\n{self.request_body}\n\n--> {status} ({self.elapsed_s:.3f}s)\n{resp_head}\n"
            f"{self.response_body}\n\nReproduce with:\n{self.curl}\n"
        )


class ExchangeLog:
    """The last exchanges of the running test (bounded), for attachments; thread-safe for races."""

    def __init__(self, maxlen: int = 50) -> None:
        self._items: deque[Exchange] = deque(maxlen=maxlen)
        self._lock = threading.Lock()
        self.statuses: Counter[str] = Counter()
        # Never drained: every answer of the session per operation, so that `recqual diff` can tell
        # which status codes an operation newly returns after an upgrade.
        self.by_operation: Counter[tuple[str, str]] = Counter()

    def add(self, exchange: Exchange) -> None:
        status = str(exchange.status) if exchange.status is not None else "no-answer"
        with self._lock:
            self._items.append(exchange)
            self.statuses[status] += 1
            self.by_operation[(exchange.operation, status)] += 1

    def status_codes(self) -> dict[str, dict[str, int]]:
        """{operation: {status: count}} over the whole session (control-plane calls included)."""
        table: dict[str, dict[str, int]] = {}
        with self._lock:
            for (operation, status), count in sorted(self.by_operation.items()):
                table.setdefault(operation, {})[status] = count
        return table

    def drain(self) -> tuple[list[Exchange], dict[str, int]]:
        """The kept exchanges and the status histogram of *all* exchanges since the last drain."""
        with self._lock:
            items = list(self._items)
            statuses = dict(self.statuses)
            self._items.clear()
            self.statuses.clear()
        return items, statuses


@dataclass
class Reply:
    """An answer plus what is needed to report on it."""

    operation: str
    role: str
    response: httpx.Response
    curl: str
    redactor: Redactor

    @property
    def status(self) -> int:
        return self.response.status_code

    @property
    def content(self) -> bytes:
        return self.response.content

    @property
    def headers(self) -> httpx.Headers:
        return self.response.headers

    def json(self) -> Any:
        """The body as JSON; a ``ValueError`` (``JsonTooDeep`` included) when it is not usable JSON."""
        return loads_bounded(self.response.content)

    def json_or_none(self) -> Any:
        try:
            return self.json()
        except ValueError:
            return None

    def describe(self) -> str:
        """``[409] {"reason": 1, ...}`` with the body redacted and truncated."""
        return f"[{self.status}] {self.redactor.scrub(body_text(self.response))}"


def body_text(response: httpx.Response) -> str:
    """The body for a message or an attachment; binary media is named, not dumped (media types are
    case-insensitive, RFC 9110 8.3.1: ``Audio/MPEG`` is audio too)."""
    ctype = response.headers.get("content-type", "").lower()
    if not response.content:
        return "<EMPTY>"
    if ctype.startswith(MEDIA_TYPES):
        return f"<{len(response.content)} bytes of {ctype}>"
    return truncate(response.text, 2000)


def render_curl(
    method: str,
    url: str,
    headers: Mapping[str, str],
    *,
    json_body: Any = None,
    content: bytes | str | None = None,
    files: Mapping[str, Any] | None = None,
    verify: bool | str = True,
) -> str:
    """A curl line that reproduces the request, with every sensitive header redacted.

    Multipart uploads are rendered as ``-F`` parts; binary audio is named, not inlined.
    """
    parts = ["curl", "-X", method]
    if verify is False:
        parts.append("--insecure")
    elif isinstance(verify, str):
        parts += ["--cacert", verify]
    skip = {"content-length", "host", "accept-encoding", "connection", "user-agent", "accept"}
    if files:
        skip.add("content-type")
    for name, value in headers.items():
        if name.lower() in skip:
            continue
        shown = REDACTED if name.lower() in SENSITIVE_HEADERS else value
        parts += ["-H", f"{name}: {shown}"]
    if json_body is not None:
        parts += ["--data-binary", jsonlib.dumps(json_body)]
    elif files:
        for name, spec in files.items():
            filename, payload, ctype = (*spec, None)[:3] if isinstance(spec, tuple) else (None, spec, None)
            if filename is None and isinstance(payload, (str, bytes)):
                text = payload.decode("utf-8", "replace") if isinstance(payload, bytes) else payload
                value = f"{name}={text}"
            else:
                value = f"{name}=@{filename or name}"
            if ctype:
                value += f";type={ctype}"
            parts += ["-F", value]
    elif content:
        text = content.decode("utf-8", "replace") if isinstance(content, bytes) else content
        parts += ["--data-binary", text if len(text) < 2000 else f"<{len(text)} bytes>"]
    parts.append(url)
    return " ".join(shlex.quote(p) for p in parts)


@dataclass
class ClientConfig:
    """Settings shared by every client of a session (one limiter, one breaker, one log)."""

    base_url: str
    timeout: float = 10.0
    verify: bool | str = True
    read_only: bool = False
    limiter: RateLimiter = field(default_factory=lambda: RateLimiter(0))
    breaker: Breaker = field(default_factory=Breaker)
    log: ExchangeLog = field(default_factory=ExchangeLog)
    redactor: Redactor = field(default_factory=Redactor)
    transport: httpx.BaseTransport | None = None
    json_limit: int = JSON_LIMIT
    media_limit: int = MEDIA_LIMIT
    unusable: dict[int, str] = field(default_factory=dict)
    """check -> why: a check that got an unusable answer sends nothing more (a breaker for the check).
    It has failed; what it would still send only feeds Hypothesis' shrinking, which re-ran a
    state machine 600 times, re-reading the endless body each time (85 s and 800 MB for one check)."""
    _http: httpx.Client | None = field(default=None, init=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    def http(self) -> httpx.Client:
        """One connection pool per session, shared by all identities (auth is per request)."""
        with self._lock:
            if self._http is None:
                transport = self.transport or httpx.HTTPTransport(verify=tls_context(self.verify), retries=1)
                self._http = httpx.Client(
                    base_url=self.base_url,
                    timeout=httpx.Timeout(self.timeout),
                    transport=transport,
                    follow_redirects=False,
                    limits=httpx.Limits(max_connections=64, max_keepalive_connections=16),
                )
            return self._http

    def close(self) -> None:
        with self._lock:
            if self._http is not None:
                self._http.close()
                self._http = None


@functools.cache
def tls_context(verify: bool | str) -> bool | ssl.SSLContext:
    """One TLS context per setting for the whole session. httpx builds a new one for each transport,
    loading the CA bundle (~20 ms of CPU), and every race burst opens a transport of its own: about
    2 s of a quick run went there. An ``SSLContext`` may be shared by connections and threads."""
    setting = ssl_verify(verify)
    return httpx.create_ssl_context() if setting is True else setting


class ApiClient:
    """Sends requests as one user (or anonymously) under the session's safety rules."""

    def __init__(self, config: ClientConfig, credentials: Credentials | None = None) -> None:
        self.config = config
        self.credentials = credentials
        if credentials is not None:
            config.redactor.add(credentials)
        self._http = config.http()

    @property
    def role(self) -> str:
        return self.credentials.role if self.credentials else "anonymous"

    def as_user(self, credentials: Credentials | None) -> ApiClient:
        """The same session (limits, breaker, log), another identity."""
        return ApiClient(self.config, credentials)

    def request(
        self,
        method: str,
        path: str,
        *,
        operation: str,
        params: Mapping[str, Any] | list[tuple[str, Any]] | None = None,
        json: Any = None,
        content: bytes | str | None = None,
        files: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        authorization: str | None = None,
        control_plane: bool = False,
    ) -> Reply:
        """Send one request. ``authorization`` overrides the user's header (for 401 checks).

        ``control_plane`` marks emulator set-up calls, which the read-only profile allows because
        they never reach a vendor API.
        """
        method = method.upper()
        request = self._http.build_request(
            method,
            path,
            params=params,
            json=json,
            content=content,
            files=files,
            headers=self._with_authorization(headers, authorization),
        )
        curl = self.config.redactor.scrub(
            render_curl(
                method,
                str(request.url),
                request.headers,
                json_body=json,
                content=content,
                files=files,
                verify=self.config.verify,
            )
        )
        self._refuse_writes_when_read_only(operation, request, control_plane)
        self.config.breaker.guard(operation, curl)
        check_deadline.guard(operation, curl)
        self.config.limiter.wait()
        return self._exchange(operation, request, curl, files, json, content)

    def _with_authorization(
        self, headers: Mapping[str, str] | None, authorization: str | None
    ) -> dict[str, str]:
        """``headers`` plus the user's Authorization; an explicit ``authorization`` replaces it, and
        an empty one sends none (the 401 checks)."""
        all_headers: dict[str, str] = dict(headers or {})
        if authorization is not None:
            if authorization:
                all_headers["Authorization"] = authorization
        elif self.credentials is not None:
            all_headers["Authorization"] = self.credentials.basic()
        return all_headers

    def _refuse_writes_when_read_only(
        self, operation: str, request: httpx.Request, control_plane: bool
    ) -> None:
        """The read-only profile sends nothing but reads (and emulator control-plane calls): a write
        is refused before it leaves, so a production server is never changed."""
        if self.config.read_only and request.method not in READ_ONLY_METHODS and not control_plane:
            raise ReadOnlyViolation(
                f"{operation}: read-only profile refused to send {request.method} {request.url.path} "
                "(nothing was sent; run with --profile strict or documented to allow writes)"
            )

    def _exchange(
        self,
        operation: str,
        request: httpx.Request,
        curl: str,
        files: Mapping[str, Any] | None,
        json: Any,
        content: bytes | str | None,
    ) -> Reply:
        """Send and log the exchange; no answer (a transport error or a stalled body) trips the
        breaker and is a :class:`TargetError`, an unusable body an :class:`UnusableAnswer`: never a
        traceback, never an unbounded read."""
        started = time.monotonic()
        check = check_deadline.serial()
        unusable = self.config.unusable.get(check, "")
        try:
            if not unusable:
                response = self._send(request, operation)
        except _Unusable as exc:
            unusable = str(exc)
            if check:  # the check failed on it: its further requests would only feed Hypothesis' shrinking
                self.config.unusable[check] = f"not sent: earlier in this check {operation} {unusable}"
        except (httpx.TransportError, _DeadlineExceeded) as exc:
            self._record(operation, request, None, time.monotonic() - started, curl, files, json, content)
            check_deadline.guard(operation, curl)  # cut short by the check's limit: not the server's fault
            reason = f"{type(exc).__name__}: {transport_reason(str(exc))}"
            self.config.breaker.trip(f"{operation}: {reason}")
            raise TargetError(
                f"{operation}: no answer from the target within {self.config.timeout:g}s "
                f"({reason}). Check the target is up; if it is slow, raise --request-timeout.",
                operation=operation,
                curl=curl,
            ) from None
        if unusable:  # raised out here: no exception context keeps the frames (and the body) alive
            self._record(operation, request, None, time.monotonic() - started, curl, files, json, content)
            raise UnusableAnswer(f"{operation}: {unusable}", operation=operation, curl=curl)
        self._record(operation, request, response, time.monotonic() - started, curl, files, json, content)
        return Reply(operation, self.role, response, curl, self.config.redactor)

    def _send(self, request: httpx.Request, operation: str) -> httpx.Response:
        """Send with an overall deadline; retry once a GET that died on a stale keep-alive socket."""
        attempts = 2 if request.method == "GET" else 1
        for attempt in range(attempts):
            try:
                return self._send_once(request, operation)
            except httpx.RemoteProtocolError:
                if attempt + 1 == attempts:
                    raise
        raise AssertionError("unreachable")  # pragma: no cover

    def _send_once(self, request: httpx.Request, operation: str) -> httpx.Response:
        """One attempt: timeouts cut to what the check has left, the body read up to its cap."""
        started = time.monotonic()
        check_deadline.guard(operation)
        budget = min(2 * self.config.timeout, check_deadline.remaining())
        request.extensions["timeout"] = httpx.Timeout(min(self.config.timeout, budget)).as_dict()
        response = self._http.send(request, stream=True)
        if response.is_stream_consumed:  # an in-memory transport (unit tests) already read the body
            response.elapsed = datetime.timedelta(seconds=time.monotonic() - started)
            _refuse_deep_json(response)
            return response
        try:
            limit = self._limit_for(operation, response)
            body = _read_capped(response, limit, started + budget, budget)
        finally:
            response.close()
        # Re-wrap so .content works as usual; the body is already decoded (gzip etc.), within the cap.
        decoded = httpx.Response(
            response.status_code,
            headers=[(k, v) for k, v in response.headers.multi_items() if k.lower() != "content-encoding"],
            content=body,
            request=request,
            extensions=response.extensions,
        )
        decoded.read()
        decoded.headers = response.headers  # what the server sent, Content-Encoding included
        decoded.elapsed = datetime.timedelta(seconds=time.monotonic() - started)
        _refuse_deep_json(decoded)
        return decoded

    def _limit_for(self, operation: str, response: httpx.Response) -> int:
        media = operation == "downloadRecording" or response.headers.get(
            "content-type", ""
        ).lower().startswith(MEDIA_TYPES)
        return self.config.media_limit if media else self.config.json_limit

    def _record(
        self,
        operation: str,
        request: httpx.Request,
        response: httpx.Response | None,
        elapsed: float,
        curl: str,
        files: Mapping[str, Any] | None,
        json_body: Any,
        content: bytes | str | None,
    ) -> None:
        scrub = self.config.redactor.scrub
        if files:
            body = "<multipart: " + ", ".join(files) + ">"
        elif json_body is not None:
            body = jsonlib.dumps(json_body)
        elif content:
            body = content if isinstance(content, str) else content.decode("utf-8", "replace")
        else:
            body = ""
        self.config.log.add(
            Exchange(
                operation=operation,
                role=self.role,
                method=request.method,
                url=str(request.url),
                request_headers=redact_headers(dict(request.headers)),
                request_body=scrub(truncate(body, 4000)),
                status=response.status_code if response is not None else None,
                response_headers=redact_headers(dict(response.headers)) if response is not None else {},
                response_body=scrub(body_text(response)) if response is not None else "<NO RESPONSE>",
                elapsed_s=elapsed,
                curl=curl,
            )
        )


class _DeadlineExceeded(Exception):
    """The answer started but did not finish in time (a trickling server)."""


class _Unusable(Exception):
    """The answer came, but its body must not be used (too large, too deep): the message says why."""


def _size(limit: int) -> str:
    return f"{limit // (1024 * 1024)} MiB" if limit >= 1024 * 1024 else f"{limit // 1024} KiB"


def _read_capped(response: httpx.Response, limit: int, deadline: float, budget: float) -> bytes:
    """The decoded body, at most ``limit`` bytes and before ``deadline``; a body announced bigger than
    the cap is not read at all (``Content-Length: 2 GiB`` then a trickle costs nothing)."""
    status = f"answered {response.status_code} with a body larger than {_size(limit)}"
    announced = response.headers.get("content-length", "")
    if announced.isdigit() and int(announced) > limit:
        raise _Unusable(f"{status} (Content-Length {announced}); read no further")
    chunks: list[bytes] = []  # not a growing bytearray: its re-allocations briefly hold twice the cap
    size = 0
    for chunk in response.iter_bytes():
        chunks.append(chunk)
        size += len(chunk)
        if size > limit:
            chunks.clear()  # Hypothesis keeps failing examples' tracebacks: they must not hold 64 MiB each
            how = (
                "an endless chunked body?"
                if "chunked" in response.headers.get("transfer-encoding", "")
                else ""
            )
            raise _Unusable(f"{status}; read no further" + (f" ({how})" if how else ""))
        if time.monotonic() > deadline:
            raise _DeadlineExceeded(f"body still arriving after {budget:g}s")
    return b"".join(chunks)


def _refuse_deep_json(response: httpx.Response) -> None:
    """JSON nested deeper than any API answer is refused here, once, before anyone parses it: the
    suite's checks and Schemathesis' (which parses on its own) alike."""
    ctype = response.headers.get("content-type", "")
    if not ctype.lower().startswith(MEDIA_TYPES) and json_too_deep(response.content):
        raise _Unusable(
            f"answered {response.status_code} ({ctype or 'no content type'}, {len(response.content)} "
            f"bytes): the server sent {TOO_DEEP}"
        )
