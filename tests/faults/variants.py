"""Benign variants: the mirror image of the fault catalogue.

The suite promises "no false alarms: a correct server must pass every time", and it will be run
against correct servers that are not our emulator. Each variant here is the correct emulator behind
the proxy with its answers changed in a way the reference (``shared/api/recording-api-reference.md``,
documented items AND the A-n assumptions) still allows: a different-but-correct server. The suite in
its default strict mode must stay green against every one of them; a red run is a false alarm in the
suite, never a problem of the variant.

Select one with ``python -m tests.faults.proxy --variant NAME`` (or ``--fault variant:NAME``), run the
suite against it with ``python -m tests.faults.runner --variant NAME``. ``all`` stacks every variant at
once (with lighter latency, so it fits a CI run).

A variant is a list of ``Step`` functions applied in order to every answer of the vendor host (the
control plane ``/_emulator`` is ours, not the vendor's, and is never touched). ``fired`` counts the
answers that went out different on the wire (status, headers or bytes) or late: a variant that never
fired proves nothing.

Candidates considered and left out, and why (each breaks the reference or an assumption):

- ties of listRecordings in another order: A-3 fixes them (``referenceNumber`` descending);
- uppercase ids: A-1 (lowercase in answers);
- fewer than 7 significant fractional digits (milliseconds): A-11 (exact to the 100-ns tick);
- lowercase ``t``/``z`` in date-times: the LiveRecording.startedAt pattern (A-11) has ``Z`` only;
- parameters on ``audio/mpeg``: its registration (RFC 3003) defines none;
- gzip on ``/Media``: A-6 says ``size``/``hash`` describe "the bytes /Media returns"; with a content
  coding those would be the compressed bytes (RFC 9110 8.4), so only JSON and HTML answers are coded;
- 400 bodies without ``reason``/``message``, or without ``deviceName`` on start reason 1: documented;
- a day component in durations (``P1DT2H``): legal ISO-8601, but nominal days are not exactly 24 h,
  so ``endTime = startTime + duration`` (A-2) would become ambiguous; hours only;
- a UTF-8 byte order mark before JSON: RFC 8259 8.1 (senders MUST NOT add one).

Legal but left out because the suite never meets it (the variant would never fire, proving nothing):
another validation order for a request that breaks two rules at once (bad paging AND a bad filter:
reason 0 instead of 1; a start naming no line with an invalid mode: reason 2 instead of 0); the suite
sends no such request, so it cannot false-alarm on the order either.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import gzip
import hashlib
import json
import random
import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, NamedTuple

from .behaviours import Behaviour
from .ticks import TICKS_PER_SECOND, parse_duration, parse_instant
from .upstream import Px
from .wire import Req, Resp

VARIANT_PREFIX = "variant:"
ALL = "all"
"""Every variant stacked at once (the CI guard)."""

Step = Callable[[Req, Resp], Resp | None]
"""Change one answer (``None``: leave it as it is)."""

LIVE_LISTS = frozenset({"listActiveRecordings", "listMyActiveRecordings"})
RECORDING_BODIES = frozenset({"listRecordings", "getRecording"})
USER_FIELDS = ("firstName", "lastName", "phoneNumber", "group", "department")
"""User (section 3): only ``username`` is required; the others are nullable strings (specs)."""
REMOTE_FIELDS = ("firstName", "lastName", "phoneNumber")
"""LiveRecording.remoteParty (section 3): no required field, each a nullable string (specs)."""
DETAIL_OPTIONAL = ("pbxCallId", "pbxInfo", "preservingUser", "note")
"""RecordingDetail properties outside ``required`` whose null value means "none" (specs)."""
OPTIONAL_ERROR_BODY = frozenset({409, 429, 501, 503, 504})
"""A-9: these error bodies are optional JSON ``{reason?, message?}``."""


class Variant(Behaviour):
    """The correct server, its vendor answers passed through ``steps`` and optionally delayed.

    ``steps_fired`` says how often each step changed an answer, so a stacked variant can prove that
    every component actually acted.
    """

    def __init__(
        self,
        steps: Iterable[tuple[str, Step]],
        delay_s: tuple[float, float] | None = None,
        seed: int = 0,
    ) -> None:
        super().__init__()
        self.steps = tuple(steps)
        self.delay_s = delay_s
        self.rng = random.Random(seed)
        self.steps_fired: Counter[str] = Counter()

    async def handle(self, req: Req, px: Px) -> Resp:
        """Every answer of the vendor host, not only the 14 operations': a server's framing, headers
        and error pages apply to a request that routes nowhere too (the control plane never gets here)."""
        resp = await px.forward(req)
        out = self.apply(req, resp)
        changed = out != resp
        if self.delay_s is not None:
            await asyncio.sleep(self.rng.uniform(*self.delay_s))
            self.steps_fired["latency"] += 1
            changed = True
        if changed:
            self.fired += 1
        return out

    def apply(self, req: Req, resp: Resp) -> Resp:
        """Every step in order; each sees the previous one's answer."""
        for name, step in self.steps:
            new = step(req, resp)
            if new is not None and new != resp:
                self.steps_fired[name] += 1
                resp = new
        return resp

    def details(self) -> dict[str, Any]:
        return {"steps": dict(self.steps_fired)}


# ------------------------------------------------------------------------------------ JSON helpers


def _json_text(resp: Resp, obj: Any) -> Resp:
    """The answer with ``obj`` as its body, every header (Content-Type included) kept as it was."""
    return Resp(
        resp.status, resp.headers, json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode()
    )


def _is_json(resp: Resp) -> bool:
    return resp.content_type == "application/json" and bool(resp.body)


def _records(req: Req, body: Any) -> list[dict[str, Any]]:
    """The Recording / RecordingDetail / LiveRecording objects of a 200 answer of ``req``."""
    if req.op == "listRecordings" and isinstance(body, dict):
        items = body.get("recordings")
    elif req.op == "getRecording" and isinstance(body, dict):
        items = [body]
    elif req.op in LIVE_LISTS and isinstance(body, list):
        items = body
    else:
        return []
    return [i for i in items if isinstance(i, dict)] if isinstance(items, list) else []


def record_step(fn: Callable[[Req, dict[str, Any]], None], ops: frozenset[str]) -> Step:
    """A step that edits, in place, every record object of the 200 answers of ``ops``."""

    def step(req: Req, resp: Resp) -> Resp | None:
        if req.op not in ops or resp.status != 200 or not _is_json(resp):
            return None
        body = resp.json()
        before = json.dumps(body, sort_keys=True)
        for item in _records(req, body):
            fn(req, item)
        return _json_text(resp, body) if json.dumps(body, sort_keys=True) != before else None

    return step


def _users(item: dict[str, Any]) -> list[dict[str, Any]]:
    """The User objects of a RecordingDetail: owner, preservingUser, note.owner."""
    note = item.get("note")
    found = [
        item.get("owner"),
        item.get("preservingUser"),
        note.get("owner") if isinstance(note, dict) else None,
    ]
    return [u for u in found if isinstance(u, dict)]


def _pick(key: str, n: int) -> int:
    """A stable choice among ``n`` forms for one record (so list and detail agree on a recording)."""
    return int(hashlib.sha256(key.encode()).hexdigest()[:8], 16) % n


# -------------------------------------------------------------------------------- date-time forms


@dataclass(frozen=True)
class Stamp:
    """How a date-time is written: the zone (``Z``, a numeric offset, or none) and trimmed digits."""

    zone: str = "Z"
    """``Z``, ``+HH:MM``/``-HH:MM`` (the same instant in that offset) or ``none`` (UTC, no designator)."""
    trim: bool = False
    """Drop trailing zero fractional digits (and the dot when nothing is left)."""

    def render(self, ticks: int) -> str:
        offset = 0 if self.zone in ("Z", "none") else _offset_ticks(self.zone)
        local = ticks + offset
        seconds, frac = divmod(local, TICKS_PER_SECOND)
        days, rest = divmod(seconds, 86_400)
        moment = dt.datetime(1970, 1, 1) + dt.timedelta(days=days, seconds=rest)
        text = moment.strftime("%Y-%m-%dT%H:%M:%S")
        digits = f"{frac:07d}"
        if self.trim:
            digits = digits.rstrip("0")
        text += f".{digits}" if digits else ""
        return text + ("" if self.zone == "none" else self.zone)


def _offset_ticks(zone: str) -> int:
    m = re.fullmatch(r"([+-])(\d{2}):(\d{2})", zone)
    if m is None:
        raise ValueError(f"not an offset: {zone!r}")
    value = (int(m.group(2)) * 3600 + int(m.group(3)) * 60) * TICKS_PER_SECOND
    return value if m.group(1) == "+" else -value


def datetimes(start_time: list[Stamp], started_at: list[Stamp]) -> Step:
    """Rewrite Recording.startTime and LiveRecording.startedAt in one of the given forms (chosen per
    record by its id when there are several; an empty list leaves that field alone)."""

    def fn(req: Req, item: dict[str, Any]) -> None:
        for key, forms in (("startTime", start_time), ("startedAt", started_at)):
            value = item.get(key)
            ticks = parse_instant(value) if isinstance(value, str) else None
            if forms and ticks is not None:
                item[key] = forms[_pick(f"{key}:{item.get('id')}", len(forms))].render(ticks)

    return record_step(fn, RECORDING_BODIES | LIVE_LISTS)


# ------------------------------------------------------------------------------------ value steps


def _seconds_only(req: Req, item: dict[str, Any]) -> None:
    value = item.get("duration")
    ticks = parse_duration(value) if isinstance(value, str) else None
    if ticks is None:
        return
    seconds, frac = divmod(ticks, TICKS_PER_SECOND)
    item["duration"] = f"PT{seconds}" + (f".{frac:07d}".rstrip("0") if frac else "") + "S"


durations_in_seconds = record_step(_seconds_only, RECORDING_BODIES | LIVE_LISTS)


def _prefix_reference(req: Req, item: dict[str, Any]) -> None:
    value = item.get("referenceNumber")
    if isinstance(value, str):
        item["referenceNumber"] = "REC-" + value


reference_number_format = record_step(_prefix_reference, RECORDING_BODIES)


def _empty_to_null(req: Req, item: dict[str, Any]) -> None:
    if item.get("remotePartyNumber") == "":
        item["remotePartyNumber"] = None
    objects = [*_users(item)]
    remote = item.get("remoteParty")
    if isinstance(remote, dict):
        objects.append(remote)
    for obj in objects:
        for key in USER_FIELDS:
            if obj.get(key) == "":
                obj[key] = None


empty_strings_as_null = record_step(_empty_to_null, RECORDING_BODIES | LIVE_LISTS)


def _omit_optional(req: Req, item: dict[str, Any]) -> None:
    for key in DETAIL_OPTIONAL:
        if key in item and item[key] is None:
            del item[key]
    for user in _users(item):
        for key in USER_FIELDS:
            if user.get(key, 0) in ("", None):
                del user[key]
    remote = item.get("remoteParty")
    if isinstance(remote, dict):
        for key in REMOTE_FIELDS:
            if remote.get(key, 0) in ("", None):
                del remote[key]


optional_fields_omitted = record_step(_omit_optional, RECORDING_BODIES | LIVE_LISTS)


EXTRA = {"xVendorRevision": 7, "xVendorExtension": {"kind": "not in the reference", "tags": []}}


def _add_extra(obj: Any) -> None:
    if isinstance(obj, dict):
        for value in list(obj.values()):
            _add_extra(value)
        obj.update(json.loads(json.dumps(EXTRA)))
    elif isinstance(obj, list):
        for value in obj:
            _add_extra(value)


def extra_properties(req: Req, resp: Resp) -> Resp | None:
    """Unknown properties in every object of every JSON answer (no schema sets additionalProperties)."""
    if not _is_json(resp):
        return None
    body = resp.json()
    if not isinstance(body, (dict, list)):
        return None
    _add_extra(body)
    return _json_text(resp, body)


def live_lists_reversed(req: Req, resp: Resp) -> Resp | None:
    """The live lists in the other order: section 2.3 gives them no order."""
    if req.op not in LIVE_LISTS or resp.status != 200 or not _is_json(resp):
        return None
    body = resp.json()
    return _json_text(resp, body[::-1]) if isinstance(body, list) and len(body) > 1 else None


def messages_reworded(req: Req, resp: Resp) -> Resp | None:
    """Every error ``message`` in other words: the reference fixes no text."""
    if resp.status < 400 or not _is_json(resp):
        return None
    body = resp.json()
    if not isinstance(body, dict) or not isinstance(body.get("message"), str):
        return None
    return _json_text(resp, {**body, "message": f"Die Anfrage wurde abgelehnt ({resp.status})."})


def optional_error_bodies_omitted(req: Req, resp: Resp) -> Resp | None:
    """409/429/501/503/504 with no body at all (A-9: the body is optional)."""
    if resp.status not in OPTIONAL_ERROR_BODY or not resp.body:
        return None
    return Resp(resp.status, tuple((k, v) for k, v in resp.headers if k.lower() != "content-type"), b"")


IIS_PAGE = (
    "<!DOCTYPE html><html><head><title>{status} - {title}</title></head>"
    "<body><h1>Server Error</h1><h2>{status} - {title}.</h2></body></html>"
)
_TITLES = {
    401: "Unauthorized: Access is denied",
    403: "Forbidden: Access is denied",
    404: "File or directory not found",
}


def auth_errors_html(req: Req, resp: Resp) -> Resp | None:
    """401/403/404 with the web server's HTML page (the reference and specs give them no body), and a
    second challenge beside Basic on 401 (IIS offers Negotiate too)."""
    if resp.status not in _TITLES:
        return None
    page = IIS_PAGE.format(status=resp.status, title=_TITLES[resp.status]).encode()
    headers = [(k, v) for k, v in resp.headers if k.lower() != "content-type"]
    if resp.status == 401:
        headers.insert(0, ("WWW-Authenticate", "Negotiate"))
    return Resp(resp.status, (*headers, ("content-type", "text/html; charset=utf-8")), page)


def _whole_seconds(req: Req, item: dict[str, Any]) -> None:
    value = item.get("duration")
    ticks = parse_duration(value) if isinstance(value, str) else None
    if ticks is not None:
        seconds = ticks // TICKS_PER_SECOND
        h, rest = divmod(seconds, 3600)
        m, sec = divmod(rest, 60)
        item["duration"] = "PT" + (f"{h}H" if h else "") + (f"{m}M" if m else "") + f"{sec}S"


live_durations_whole_seconds = record_step(_whole_seconds, LIVE_LISTS)
"""A live duration truncated to whole seconds, like the vendor example ``PT1M13S``."""

# ---------------------------------------------------------------------------- serialisation steps


def _reverse_keys(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {k: _reverse_keys(obj[k]) for k in reversed(list(obj))}
    if isinstance(obj, list):
        return [_reverse_keys(v) for v in obj]
    return obj


def json_reserialised(req: Req, resp: Resp) -> Resp | None:
    """Same JSON value, other text: keys in reverse order, indented, non-ASCII as ``\\u`` escapes,
    ``/`` as ``\\/``."""
    if not _is_json(resp):
        return None
    body = resp.json()
    if body is None:
        return None
    text = json.dumps(_reverse_keys(body), ensure_ascii=True, indent=2, separators=(",", " : ")) + "\r\n"
    # "/" occurs only inside strings in JSON text; "\/" is its legal escape (ASP.NET writes it).
    return Resp(resp.status, resp.headers, text.replace("/", "\\/").encode("ascii"))


def _retype(resp: Resp, mapping: dict[str, str]) -> Resp | None:
    new = mapping.get(resp.content_type)
    return resp.with_header("content-type", new) if new and resp.header("content-type") != new else None


def json_charset(req: Req, resp: Resp) -> Resp | None:
    """``application/json; charset=utf-8`` (RFC 8259: a charset parameter has no effect)."""
    return _retype(resp, {"application/json": "application/json; charset=utf-8"})


def media_type_case(req: Req, resp: Resp) -> Resp | None:
    """Media types in other case, parameter quoted (RFC 9110 8.3.1: case-insensitive, quoting equal)."""
    return _retype(
        resp, {"application/json": 'Application/JSON; Charset="UTF-8"', "audio/mpeg": "Audio/MPEG"}
    )


def extra_headers(req: Req, resp: Resp) -> Resp | None:
    """What an IIS/ASP.NET host adds: X-Powered-By, cache headers, a session cookie, Location on 201."""
    out = (
        resp.with_header("X-Powered-By", "ASP.NET")
        .with_header("X-AspNet-Version", "4.0.30319")
        .with_header("Cache-Control", "no-cache")
        .with_header("Pragma", "no-cache")
        .with_header("Expires", "-1")
        .with_header("Set-Cookie", "ASP.NET_SessionId=variant0session; path=/; HttpOnly; SameSite=Lax")
    )
    body = resp.json() if resp.status == 201 else None
    if isinstance(body, dict) and isinstance(body.get("id"), str):
        out = out.with_header("Location", req.path.rstrip("/") + "/" + body["id"])
    return out


def _accepts_gzip(req: Req) -> bool:
    for token in (req.header("accept-encoding") or "").split(","):
        name, _, params = token.strip().partition(";")
        if name.strip().lower() in ("gzip", "*"):
            q = re.search(r"q\s*=\s*([0-9.]+)", params)
            return q is None or float(q.group(1)) > 0
    return False


def gzip_encoded(req: Req, resp: Resp) -> Resp | None:
    """``Content-Encoding: gzip`` on JSON and HTML answers when the client accepts it (RFC 9110 8.4)."""
    if not resp.body or resp.header("content-encoding") or not _accepts_gzip(req):
        return None
    if resp.content_type not in ("application/json", "text/html"):
        return None
    out = Resp(resp.status, resp.headers, gzip.compress(resp.body, mtime=0))
    return out.with_header("Content-Encoding", "gzip").with_header("Vary", "Accept-Encoding")


def chunked(req: Req, resp: Resp) -> Resp | None:
    """Chunked transfer coding instead of Content-Length (the proxy sends the body in pieces)."""
    if not resp.body or resp.status in (204, 304):
        return None
    return resp.with_header("transfer-encoding", "chunked")


def connection_close(req: Req, resp: Resp) -> Resp | None:
    """``Connection: close`` on every answer: no keep-alive, a new connection per request."""
    return resp.with_header("connection", "close")


# -------------------------------------------------------------------------------------- the table


class BenignVariant(NamedTuple):
    """One benign variant: what it changes, the reference rule that allows it, and its behaviour."""

    description: str
    reference: str
    make: Callable[[], Behaviour]


def _v(*steps: tuple[str, Step], delay_s: tuple[float, float] | None = None) -> Callable[[], Behaviour]:
    def make() -> Behaviour:
        return Variant(steps, delay_s)

    return make


SHORT = Stamp("Z", trim=True)
UTC_OFFSET = Stamp("+00:00")
LOCAL = Stamp("+02:00")
ZONELESS = Stamp("none")

# fmt: off
VARIANTS: dict[str, BenignVariant] = {
    "json-reserialised": BenignVariant(
        "JSON re-serialised: keys in reverse order, 2-space indentation, spaces around ':', non-ASCII as "
        "\\u escapes, a trailing CRLF.",
        "RFC 8259 (objects are unordered; insignificant whitespace; escapes are equivalent)",
        _v(("json-reserialised", json_reserialised))),
    "json-charset": BenignVariant(
        "Content-Type: application/json; charset=utf-8.",
        "§2 application/json; RFC 8259 §11 (a charset parameter has no effect), RFC 9110 8.3",
        _v(("json-charset", json_charset))),
    "media-type-case": BenignVariant(
        "Media types in mixed case with a quoted parameter: Application/JSON; Charset=\"UTF-8\", Audio/MPEG.",
        "RFC 9110 8.3.1 (type, subtype and parameter names are case-insensitive; quoted = token)",
        _v(("media-type-case", media_type_case))),
    "extra-properties": BenignVariant(
        "Every JSON object of every answer (records, users, hash, errors, {id}) carries two unknown "
        "properties.",
        "specs/*.yaml: no schema sets additionalProperties; §3 lists what a model has, not what it lacks",
        _v(("extra-properties", extra_properties))),
    "optional-fields-omitted": BenignVariant(
        "Null optional properties are left out (pbxCallId, pbxInfo, preservingUser, note) and empty "
        "optional User / remoteParty strings are omitted.",
        "specs: RecordingDetail.required = owner, size, hash (+ RecordingBase); User.required = username; "
        "LiveRecording.remoteParty has no required field",
        _v(("optional-fields-omitted", optional_fields_omitted))),
    "empty-strings-as-null": BenignVariant(
        "\"no value\" written as null instead of \"\": remotePartyNumber, User and remoteParty names and "
        "numbers.",
        "specs: remotePartyNumber, User.* and RemoteParty.* are nullable",
        _v(("empty-strings-as-null", empty_strings_as_null))),
    "datetime-short-fraction": BenignVariant(
        "Date-times without trailing zero fractional digits (2024-03-01T10:00:00Z, ...:00.5Z).",
        "A-11 (up to 7 fractional digits, explicit zone on startTime), RFC 3339",
        _v(("datetime-short-fraction", datetimes([SHORT], [SHORT])))),
    "datetime-utc-offset": BenignVariant(
        "Date-times with +00:00 instead of Z.",
        "A-11 (an explicit zone), RFC 3339 time-offset, A-14 (offsets are honoured)",
        _v(("datetime-utc-offset", datetimes([UTC_OFFSET], [UTC_OFFSET])))),
    "datetime-local-offset": BenignVariant(
        "Date-times as the same instant in the server's local offset, +02:00.",
        "A-11 (an explicit zone), RFC 3339 time-offset, A-14 (offsets are honoured)",
        _v(("datetime-local-offset", datetimes([LOCAL], [LOCAL])))),
    "startedat-zoneless": BenignVariant(
        "LiveRecording.startedAt without a zone (UTC), like the vendor example 2018-07-02T15:07:00.0000000.",
        "§3 LiveRecording (vendor example), A-11 (a client must accept a zone-less startedAt)",
        _v(("startedat-zoneless", datetimes([], [ZONELESS])))),
    "durations-in-seconds": BenignVariant(
        "Durations in seconds only: PT90S instead of PT1M30S.",
        "§3 duration is an ISO-8601 duration (PT90S is one); specs IsoDuration pattern",
        _v(("durations-in-seconds", durations_in_seconds))),
    "live-durations-whole-seconds": BenignVariant(
        "Live durations truncated to whole seconds (PT1M13S, like the vendor example).",
        "§3 LiveRecording (vendor example PT1M13S); no precision is documented for durations (A-11 is "
        "about date-times); A-8 still holds: not growing while paused",
        _v(("live-durations-whole-seconds", live_durations_whole_seconds))),
    "reference-number-format": BenignVariant(
        "referenceNumber in another friendly format, REC-0000000001 (string order unchanged, so A-3's "
        "ties stay the same).",
        "§3 referenceNumber: string, unique, friendly; A-3",
        _v(("reference-number-format", reference_number_format))),
    "live-lists-reversed": BenignVariant(
        "listActiveRecordings and listMyActiveRecordings in reverse order.",
        "§2.3 (no order is given for the live lists; A-3 orders listRecordings only)",
        _v(("live-lists-reversed", live_lists_reversed))),
    "error-messages-reworded": BenignVariant(
        "Every error message in other words (and another language).",
        "§2.1/§2.2 {reason, message}: message is free text; A-9",
        _v(("error-messages-reworded", messages_reworded))),
    "optional-error-bodies-omitted": BenignVariant(
        "409/429/501/503/504 with an empty body and no Content-Type.",
        "A-9 (those bodies are optional)",
        _v(("optional-error-bodies-omitted", optional_error_bodies_omitted))),
    "auth-errors-html": BenignVariant(
        "401/403/404 with an IIS HTML error page; 401 offers Negotiate beside Basic.",
        "§2 and specs: 401/403/404 have no documented body; §1 Basic is still offered (RFC 9110 11.6.1)",
        _v(("auth-errors-html", auth_errors_html))),
    "extra-headers": BenignVariant(
        "ASP.NET host headers: X-Powered-By, Cache-Control/Pragma/Expires, a session cookie, Location "
        "on 201.",
        "RFC 9110 (unknown headers are ignored; Location on 201), nothing in the reference forbids them",
        _v(("extra-headers", extra_headers))),
    "gzip": BenignVariant(
        "Content-Encoding: gzip on JSON and HTML answers when the request accepts gzip.",
        "RFC 9110 8.4 / 12.5.3 (content coding on request of Accept-Encoding)",
        _v(("gzip", gzip_encoded))),
    "chunked": BenignVariant(
        "Chunked transfer coding, the body in several pieces, no Content-Length.",
        "RFC 9112 7.1 (HTTP/1.1 framing)",
        _v(("chunked", chunked))),
    "connection-close": BenignVariant(
        "Connection: close on every answer (no keep-alive).",
        "RFC 9112 9.6",
        _v(("connection-close", connection_close))),
    "latency": BenignVariant(
        "Every answer 50-150 ms late (jitter).",
        "No documented latency; A-7's 2 s and the load SLO (p95 500 ms) still hold",
        _v(delay_s=(0.05, 0.15))),
}
# fmt: on

STACK_DELAY_S = (0.0, 0.003)
"""Latency in the stacked variant: a jitter, kept small so the CI run stays under a minute."""


def _stack() -> Behaviour:
    """Every variant at once. Values first, then serialisation, headers, coding, framing; date-times
    in every legal form, chosen per record, so one run meets all of them."""
    steps: list[tuple[str, Step]] = [
        ("reference-number-format", reference_number_format),
        ("live-durations-whole-seconds", live_durations_whole_seconds),
        ("durations-in-seconds", durations_in_seconds),
        (
            "datetimes",
            datetimes(
                [SHORT, UTC_OFFSET, Stamp("+02:00", trim=True), Stamp("-05:00")],
                [ZONELESS, Stamp("none", trim=True), LOCAL, SHORT],
            ),
        ),
        ("optional-fields-omitted", optional_fields_omitted),
        ("empty-strings-as-null", empty_strings_as_null),
        ("live-lists-reversed", live_lists_reversed),
        ("error-messages-reworded", messages_reworded),
        ("optional-error-bodies-omitted", optional_error_bodies_omitted),
        ("auth-errors-html", auth_errors_html),
        ("extra-properties", extra_properties),
        ("json-reserialised", json_reserialised),
        ("media-type-case", media_type_case),
        ("extra-headers", extra_headers),
        ("gzip", gzip_encoded),
        ("chunked", chunked),
        ("connection-close", connection_close),
    ]
    return Variant(steps, STACK_DELAY_S)


STACK = BenignVariant(
    "Every benign variant at once (date-times in all their forms, light latency).",
    "each variant's own",
    _stack,
)


def benign(name: str) -> BenignVariant:
    if name == ALL:
        return STACK
    try:
        return VARIANTS[name]
    except KeyError:
        raise KeyError(f"unknown variant {name!r}; known: {ALL}, {', '.join(sorted(VARIANTS))}") from None


def behaviour(name: str) -> Behaviour:
    return benign(name).make()


if __name__ == "__main__":
    for key, variant in {**VARIANTS, ALL: STACK}.items():
        print(f"{key:30} {variant.reference}\n    {variant.description}")
