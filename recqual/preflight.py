"""Preflight: before any check, find out what the server is and what this run can do there.

The first step of every ``recqual qualify`` and its own command, ``recqual check-target``. Within a
bounded time it answers: is the target reachable, is TLS fine, is it really the Recording API, does
each declared role authenticate with the level the file says, what state each declared line is in, how
far the server's clock is from ours, whether the emulator control plane is there (and whether this run
may use it), and, from all that, which check families will run and which are skipped, with why.

What is wrong with the *configuration* (unreachable, not the API, a wrong password, a standing-call line
without a call) is a ``PreflightError``: exit 2 with one line, before the suite starts. What is only a
difference from an assumption (a level-1 user who may list recordings: A-15) is a warning; the suite's
auth checks report it as a deviation.

Only GET requests are sent unless the profile allows writes; with writes allowed, each declared line is
probed with one start (and the stop of what that start created), which is exactly what the run would
do first on that line anyway.
"""

from __future__ import annotations

import email.utils
import json
import operator
import re
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from itertools import accumulate, count
from pathlib import Path
from typing import Any

import httpx

from recqual.errors import RecqualError
from recqual.target_config import LEVELS, ROLE_NAMES, LineSpec, TargetConfig, ssl_verify

RECORDINGS = "/fw/Apps/Recorder/WebAPI/Recordings"
LIVE = "/fw/Apps/Recorder/WebAPI/LiveRecordings"
HEALTH = "/_emulator/health"
EMULATOR_SERVICE = "recqual-emulator"
"""What our emulator's health answer names itself; any other ``{"status": "ok"}`` is not proof."""
BODY_LIMIT = 256 * 1024
"""Preflight answers are small JSON; a bigger body is read no further (a hostile server cannot stall us)."""
DEADLINE_S = 15.0
REQUEST_S = 5.0
"""One preflight request, answer and body included: a body trickling in cannot use up the deadline."""
MAX_JSON_DEPTH = 64
"""No answer of the Recording API nests deeper than a few levels; deeper JSON is refused unparsed, so
a hostile answer (``[[[[...`` 200,000 deep) ends as a message, never as a RecursionError."""
_JSON_STRING = re.compile(rb'"(?:[^"\\]|\\.)*+"')
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
_STEPS = bytes.maketrans(b"[{]}", b"\x02\x02\x00\x00")


TOO_DEEP = f"JSON nested deeper than {MAX_JSON_DEPTH} levels"


class JsonTooDeep(ValueError):
    """JSON nested deeper than ``MAX_JSON_DEPTH``: refused before the parser could recurse on it."""


def _bracket_depth(body: bytes) -> int:
    """The deepest nesting of ``[``/``{``, at C speed (``accumulate`` over +1/-1 steps)."""
    steps = body.translate(None, _NOT_BRACKETS).translate(_STEPS)  # 2 opens, 0 closes: depth = sum - n
    return max(map(operator.sub, accumulate(steps), count(1)), default=0)


def json_too_deep(body: bytes, limit: int = MAX_JSON_DEPTH) -> bool:
    """Whether ``body`` opens more than ``limit`` arrays or objects inside each other.

    Ordinary answers cost two ``count`` calls, or one pass at C speed (10 ms a MiB); only a body
    that looks too deep has its strings taken out (brackets inside strings do not nest) and is
    measured again. Brackets in strings that hide depth are caught by the parser's RecursionError.
    """
    if body.count(b"[") + body.count(b"{") <= limit or _bracket_depth(body) <= limit:
        return False
    return _bracket_depth(_JSON_STRING.sub(b"", body)) > limit


def loads_bounded(body: bytes | str) -> Any:
    """``json.loads`` that cannot end in a RecursionError: too deep is a ``JsonTooDeep`` (a ValueError)."""
    raw = body.encode("utf-8", "surrogatepass") if isinstance(body, str) else body
    too_deep = JsonTooDeep(f"the server sent {TOO_DEEP}")
    if json_too_deep(raw):
        raise too_deep
    try:
        return json.loads(body)
    except RecursionError:  # brackets inside strings can hide depth from the check: the parser says so
        raise too_deep from None


class PreflightError(RecqualError):
    """The target cannot be qualified as configured; one line saying what the server did (exit 2)."""


@dataclass(frozen=True)
class Answer:
    method: str
    path: str
    status: int
    content_type: str
    body: bytes
    date: str | None
    truncated: bool = False
    """The body was larger than ``BODY_LIMIT`` (or announced to be): the rest was never read."""
    location: str | None = None
    announced: str | None = None
    """The Content-Length the server announced."""

    def json(self) -> Any:
        try:
            return loads_bounded(self.body)
        except ValueError:
            return None

    def describe(self) -> str:
        """What the server did, in words: status, type, size, and what is wrong with the body."""
        kind = self.content_type.split(";")[0] or "no content type"
        size = f"{len(self.body)} bytes"
        if self.truncated:
            said = f" (Content-Length {self.announced})" if self.announced else ""
            size = f"body larger than {BODY_LIMIT // 1024} KiB{said}, read no further"
        text = f"{self.method} {self.path} answered {self.status} ({kind}, {size}"
        if "json" in kind.lower() and self.body:
            text += self._json_problem()
        text += ")"
        if 300 <= self.status < 400:
            where = (self.location or "nowhere")[:200]
            text += f", redirected to {where} (redirects are never followed)"
        return text

    def _json_problem(self) -> str:
        try:
            loads_bounded(self.body)
        except JsonTooDeep:
            return f": {TOO_DEEP}"
        except ValueError:
            return "" if self.truncated else ": invalid JSON"
        return ""


@dataclass(frozen=True)
class RoleCheck:
    role: str
    username: str
    state: str
    """``ok``, ``level-differs`` (a warning) or ``unverified`` (nothing could be asked)."""
    detail: str = ""


@dataclass(frozen=True)
class LineCheck:
    line: str
    declared: str
    state: str
    """``standing call``, ``no call``, ``declared (not probed: read-only)``, ``busy`` (someone records it)."""
    detail: str = ""


@dataclass(frozen=True)
class Capability:
    family: str
    runs: bool
    why: str


@dataclass
class Preflight:
    """What the run learnt about the target; ``preflight.json`` in the report folder holds the same."""

    url: str
    server: str
    """``recqual-emulator`` (proven by its health answer) or ``server``."""
    control_plane: str
    """``absent``, ``ours`` or ``unproven`` (answers, but is not proven to be recqual's emulator)."""
    control_allowed: bool
    reset_allowed: bool
    clock_offset_s: float | None
    retention_days: int | None
    roles: list[RoleCheck] = field(default_factory=list)
    lines: list[LineCheck] = field(default_factory=list)
    capabilities: list[Capability] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    usable_lines: list[str] = field(default_factory=list)
    """Labels of the declared lines the run may use (standing lines that proved to have a call, or all
    declared ones when nothing could be probed)."""
    elapsed_s: float = 0.0

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    def write(self, path: Path) -> None:
        path.write_text(json.dumps(self.to_json(), indent=2), encoding="utf-8")

    @classmethod
    def read(cls, path: Path) -> Preflight:
        data = json.loads(path.read_text(encoding="utf-8"))
        data["roles"] = [RoleCheck(**r) for r in data.get("roles", [])]
        data["lines"] = [LineCheck(**r) for r in data.get("lines", [])]
        data["capabilities"] = [Capability(**r) for r in data.get("capabilities", [])]
        return cls(**data)

    def table(self) -> str:
        """The capability table people read: one line per check family."""
        width = max((len(c.family) for c in self.capabilities), default=10)
        rows = [
            f"  {c.family:<{width}}  {'runs   ' if c.runs else 'skipped'}  {c.why}" for c in self.capabilities
        ]
        return "\n".join(rows)


class Probe:
    """A tiny bounded HTTP client for the preflight: time-limited, size-limited, no redirects."""

    def __init__(self, config: TargetConfig, deadline: float) -> None:
        assert config.url is not None
        self.url = config.url
        self.deadline = deadline
        timeout = httpx.Timeout(min(config.request_timeout_s, 5.0), connect=5.0)
        self.client = httpx.Client(
            verify=ssl_verify(config.tls_verify), timeout=timeout, follow_redirects=False
        )

    def close(self) -> None:
        self.client.close()

    def send(self, method: str, path: str, *, auth: str | None = None, **kwargs: Any) -> Answer:
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise PreflightError(f"preflight of {self.url} did not finish within {DEADLINE_S:g} s")
        limit = min(left, REQUEST_S)
        headers = {"Authorization": auth} if auth else {}
        try:
            with self.client.stream(
                method, self.url + path, headers=headers, timeout=limit, **kwargs
            ) as response:
                body, truncated = _read_bounded(response, time.monotonic() + limit)
                return Answer(
                    method,
                    path,
                    response.status_code,
                    response.headers.get("content-type", ""),
                    body,
                    response.headers.get("date"),
                    truncated,
                    response.headers.get("location"),
                    response.headers.get("content-length"),
                )
        except httpx.ConnectError as exc:
            reason = _transport_reason(exc)
            if "reset" in reason.lower():  # it accepted the connection, then dropped it: it did not answer
                raise PreflightError(
                    f"no answer from the target {self.url} to {method} {path} ({reason})"
                ) from None
            raise PreflightError(f"target unreachable: {self.url} ({reason})") from None
        except httpx.TimeoutException as exc:
            what = "its body was still arriving" if isinstance(exc, _BodyTooSlow) else "it did not answer"
            raise PreflightError(
                f"no answer from the target {self.url} to {method} {path}: {what} within {limit:g} s"
            ) from None
        except httpx.HTTPError as exc:
            raise PreflightError(
                f"no answer from the target {self.url} to {method} {path} ({_transport_reason(exc)})"
            ) from None


class _BodyTooSlow(httpx.ReadTimeout):
    """The answer started, but its body kept trickling in past the request's time limit."""


def _read_bounded(response: httpx.Response, deadline: float) -> tuple[bytes, bool]:
    """At most ``BODY_LIMIT`` bytes, before ``deadline``. A body announced bigger than that is read
    only for what arrives within a second (enough to say what it is: 200,000 ``[``), never waited for:
    ``Content-Length: 2 GiB`` and then a trickle costs one second, not the deadline."""
    announced = response.headers.get("content-length", "")
    oversized = announced.isdigit() and int(announced) > BODY_LIMIT
    if oversized:
        deadline = min(deadline, time.monotonic() + 1.0)
    body = bytearray()
    try:
        for chunk in response.iter_bytes():
            body += chunk
            if len(body) > BODY_LIMIT:
                return bytes(body[:BODY_LIMIT]), True
            if time.monotonic() > deadline:
                raise _BodyTooSlow("the body kept trickling in")
    except httpx.TimeoutException:
        if not oversized:
            raise
    return bytes(body), oversized


def _transport_reason(exc: Exception) -> str:
    text = str(exc) or type(exc).__name__
    lowered = text.lower()
    if "certificate" in lowered or "ssl" in lowered:
        return "TLS verification failed: " + text.splitlines()[0][:160]
    if "refused" in lowered:
        return "connection refused"
    return transport_reason(text)


def transport_reason(text: str) -> str:
    """An HTTP library's words for what the server did, in the server's terms (shared with the suite)."""
    if "receive buffer too long" in text.lower():  # h11: the status line and headers passed its limit
        return "its response headers were larger than any client reads (Receive buffer too long)"
    return text.splitlines()[0][:200] if text else "no detail"


def _is_recordings_page(answer: Answer) -> bool:
    body = answer.json()
    return (
        answer.status == 200
        and isinstance(body, dict)
        and isinstance(body.get("totalCount"), int)
        and isinstance(body.get("recordings"), list)
    )


def _clock_offset(answer: Answer, sent: float, received: float) -> float | None:
    if not answer.date:
        return None
    try:
        server = email.utils.parsedate_to_datetime(answer.date).timestamp()
    except (TypeError, ValueError):
        return None
    return round(
        server + 0.5 - (sent + received) / 2, 1
    )  # Date is truncated to the second: +0.5 s on average


def check_api(probe: Probe, config: TargetConfig, warnings: list[str]) -> float | None:
    """Is this the Recording API? Unauthenticated it refuses (401), as level 10 it lists recordings.

    A server that lists recordings without credentials is the Recording API with broken
    authentication: it is qualified (and its auth checks fail), not turned away as "not the API".
    """
    path = f"{RECORDINGS}?pageSize=1"
    anonymous = probe.send("GET", path)
    if anonymous.status != 401 and _is_recordings_page(anonymous):
        warnings.append(f"{anonymous.describe()} without credentials (401 expected): see the auth checks")
    elif anonymous.status != 401:
        raise PreflightError(
            f"not the Recording API at {config.url}: {anonymous.describe()} without credentials "
            "(the API answers 401)"
        )
    admin = config.role("l10")
    if admin is None:
        return _clock_offset(anonymous, time.time(), time.time())
    sent = time.time()
    answer = probe.send("GET", path, auth=admin.basic())
    received = time.time()
    if answer.status == 401:
        raise PreflightError(
            f"role l10 ({admin.username}, from {admin.source}) is refused: {answer.describe()}; "
            "check its password"
        )
    if not _is_recordings_page(answer):
        raise PreflightError(
            f"not the Recording API at {config.url}: {answer.describe()} as level 10 "
            "(expected 200 with totalCount and recordings)"
        )
    return _clock_offset(answer, sent, received)


_LEVEL_PROBES: dict[str, list[tuple[str, set[int], str]]] = {
    # role: [(path, statuses the level allows, provenance)]; only documented differences are errors.
    "l10": [(LIVE, {200}, "documented")],
    "l2": [(LIVE, {403}, "documented"), (f"{RECORDINGS}?pageSize=1", {200}, "documented")],
    "l1": [
        (LIVE, {403}, "documented"),
        (f"{RECORDINGS}?pageSize=1", {403}, "A-15"),
        (f"{LIVE}/Mine", {200}, "A-15"),
    ],
    "l0": [(LIVE, {403}, "documented"), (f"{LIVE}/Mine", {403}, "A-15")],
}


def check_roles(
    probe: Probe, config: TargetConfig, *, auth_enforced: bool = True
) -> tuple[list[RoleCheck], list[str]]:
    """Each role authenticates and acts at its declared level. Where the server does not enforce
    authentication at all, a level it does not enforce either is the server's fault, not the file's:
    then it is a warning, and the auth checks judge it.

    A role is refused (exit 2) only when every probe answers 401 and nothing shows the server sends
    401 where 403 is due: when another role's credentials got a 401 on one path and were accepted on
    another, an all-401 role (level 0 may make no request at all) is that same server bug as likely
    as a wrong password, so it is kept, said, and left to the auth checks."""
    probed = {
        role: [
            (probe.send("GET", path, auth=credentials.basic()), allowed, provenance)
            for path, allowed, provenance in _LEVEL_PROBES[role]
        ]
        for role, credentials in config.credentials.items()
    }
    refused = {role for role, answers in probed.items() if all(a.status == 401 for a, _, _ in answers)}
    confuses = any(
        any(a.status == 401 for a, _, _ in answers) for role, answers in probed.items() if role not in refused
    )
    checks: list[RoleCheck] = []
    warnings: list[str] = []
    for role, answers in probed.items():
        credentials = config.credentials[role]
        if role in refused and not confuses:
            raise PreflightError(_refused(role, credentials.username, credentials.source, answers[0][0]))
        if role in refused:
            note = (
                f"role {role} ({credentials.username}) got 401 on every request; this server answers 401 "
                "where 403 is due for other roles, so its password cannot be told apart: the auth checks "
                "judge it"
            )
            warnings.append(note)
            checks.append(RoleCheck(role, credentials.username, "unverified", note))
            continue
        states = [
            _level_state(role, credentials.username, answer, allowed, provenance, auth_enforced=auth_enforced)
            for answer, allowed, provenance in answers
            if answer.status not in allowed
        ]
        warnings.extend(states)
        checks.append(
            RoleCheck(role, credentials.username, "level-differs" if states else "ok", "; ".join(states))
        )
    return checks, warnings


def _refused(role: str, username: str, source: str, answer: Answer) -> str:
    text = f"role {role} ({username}, from {source}) is refused: {answer.describe()}; check its password"
    if not any(200 in allowed for _, allowed, _ in _LEVEL_PROBES[role]):
        # level 0 may make no request at all: a wrong password and a 401-for-403 server look alike
        text += (
            f" (if it is right, the server answers 401 where the reference says 403 (section 5): remove "
            f"[credentials.{role}] to qualify the rest, and report it)"
        )
    return text


def _level_state(
    role: str, username: str, answer: Answer, allowed: Iterable[int], provenance: str, *, auth_enforced: bool
) -> str:
    """A probe answered outside the role's level: the file's mistake (exit 2) when a documented level
    differs on a server that enforces authentication; otherwise the server's, for the auth checks to
    judge. A 401 to credentials another probe accepted is the server's too (forbidden sent as 401)."""
    said = f"level {LEVELS[role]} ({ROLE_NAMES[role]})"
    message = (
        f"role {role} ({username}) does not act as {said}: {answer.describe()}, "
        f"expected {'/'.join(map(str, sorted(allowed)))}"
    )
    if answer.status == 401:
        return (
            message + " (401 to credentials the server accepted on another request: the auth checks judge it)"
        )
    if provenance == "documented" and auth_enforced:
        raise PreflightError(message + "; fix the role in the target file")
    return f"{message} ({provenance}: reported as a deviation)"


def check_control_plane(probe: Probe) -> str:
    answer = probe.send("GET", HEALTH)
    body = answer.json()
    if answer.status != 200 or not isinstance(body, dict) or body.get("status") != "ok":
        return "absent"
    return "ours" if body.get("service") == EMULATOR_SERVICE else "unproven"


def check_lines(probe: Probe, config: TargetConfig, *, writes: bool) -> tuple[list[LineCheck], list[str]]:
    """Each declared line's state. With writes allowed a standing line is proven by one start (and its
    stop); a ``call = "none"`` line by a start that must be refused with 409 (no connected call)."""
    admin = config.role("l10")
    checks: list[LineCheck] = []
    usable: list[str] = []
    for line in config.lines:
        declared = f"call = {line.call!r}" + (f", role {line.role}" if line.role else "")
        if admin is None:
            checks.append(LineCheck(line.label, declared, "unverified", "no [credentials.l10] to look at it"))
            continue
        query = {"deviceName": line.device_name, "directoryNumber": line.directory_number}
        listed = probe.send("GET", LIVE, auth=admin.basic(), params=query)
        active = listed.json() if listed.status == 200 else None
        if isinstance(active, list) and active:
            checks.append(LineCheck(line.label, declared, "busy", "someone is recording it now: not used"))
            continue
        if not writes:
            checks.append(LineCheck(line.label, declared, "declared (not probed: read-only)"))
            usable.append(line.label)
            continue
        checks.append(_probe_line(probe, line, declared, admin.basic()))
        if checks[-1].state in ("standing call", "no call"):
            usable.append(line.label)
    return checks, usable


def _probe_line(probe: Probe, line: LineSpec, declared: str, auth: str) -> LineCheck:
    body = {"deviceName": line.device_name, "directoryNumber": line.directory_number}
    started = probe.send("POST", LIVE, auth=auth, json=body)
    if started.status == 201:
        rec_id = (started.json() or {}).get("id") if isinstance(started.json(), dict) else None
        if rec_id:
            probe.send("DELETE", f"{LIVE}/{rec_id}", auth=auth)
        else:
            probe.send("DELETE", LIVE, auth=auth, params=body)
        if line.call == "none":
            raise PreflightError(
                f'line {line.label} is declared call = "none" but has a connected call: a start '
                "answered 201 (stopped again); fix [[lines]] in the target file"
            )
        return LineCheck(line.label, declared, "standing call", "a start answered 201, stopped again")
    if started.status == 409 and line.call == "none":
        return LineCheck(line.label, declared, "no call", "a start answered 409 (no connected call)")
    if started.status == 409:
        raise PreflightError(
            f"line {line.label} is declared with a standing call, but a start answered 409 (no "
            'connected call or no associated user); connect a call on it, or declare call = "none"'
        )
    if started.status == 400:
        raise PreflightError(f"line {line.label} is not a line the server can record: {started.describe()}")
    return LineCheck(line.label, declared, "unknown", started.describe())


@dataclass(frozen=True)
class _Can:
    """What the run can do on this target: the facts every capability row is decided from."""

    control: bool
    writes: bool
    admin: bool
    standing: int
    idle: int
    roles: dict[str, str]

    @property
    def live(self) -> bool:
        return self.control or self.standing >= 1

    def lines(self) -> str:
        return (
            "the emulator places its own calls"
            if self.control
            else f"on {self.standing} standing-call line(s)"
        )

    def no_writes(self, otherwise: str) -> str:
        return "read-only profile: GET requests only" if not self.writes else otherwise


_NEEDS_STANDING = 'needs [[lines]] with call = "standing"'
_Row = tuple[str, Callable[[_Can], bool], Callable[[_Can], str], Callable[[_Can], str]]
_ROWS: tuple[_Row, ...] = (
    (
        "schema",
        lambda c: c.admin,
        lambda c: "all 14 operations from specs/",
        lambda c: "needs [credentials.l10]",
    ),
    (
        "filters, paging",
        lambda c: c.admin,
        lambda c: "relations on any data; own uploads when writes are allowed",
        lambda c: "needs [credentials.l10]",
    ),
    (
        "transfer (upload/download)",
        lambda c: c.writes and c.admin,
        lambda c: "uploads inside the retention window, downloads compared byte for byte",
        lambda c: c.no_writes("needs [credentials.l10]"),
    ),
    ("live-state", lambda c: c.writes and c.live, _Can.lines, lambda c: c.no_writes(_NEEDS_STANDING)),
    ("races", lambda c: c.writes and c.live, _Can.lines, lambda c: c.no_writes(_NEEDS_STANDING)),
    (
        "409 on a line with no call",
        lambda c: c.writes and (c.control or c.idle > 0),
        lambda c: "the emulator" if c.control else f'on {c.idle} declared call = "none" line(s)',
        lambda c: c.no_writes('needs [[lines]] with call = "none"'),
    ),
    *(
        (
            f"auth level {LEVELS[role]} ({ROLE_NAMES[role]})",
            lambda c, role=role: c.control or role in c.roles,
            lambda c, role=role: "the emulator creates the user" if c.control else f"as {c.roles[role]}",
            lambda c, role=role: f"needs [credentials.{role}]",
        )
        for role in ("l2", "l1", "l0")
    ),
    (
        "emulator-only",
        lambda c: c.writes and c.control,
        lambda c: "the control plane of an emulator this run may use",
        lambda c: (
            "licence, channels, retention change, hang-up on cue: need the emulator control plane "
            "(no lab can declare these)"
        ),
    ),
    (
        "load pass",
        lambda c: c.writes and c.live,
        lambda c: (
            "call-control and races on "
            + ("the emulator" if c.control else f"{c.standing} standing-call line(s)")
        ),
        lambda c: c.no_writes(_NEEDS_STANDING),
    ),
)


def capabilities(config: TargetConfig, pre: Preflight, *, read_only: bool) -> list[Capability]:
    """Which check families run, and why not when they do not (one row of ``_ROWS`` each)."""
    usable = set(pre.usable_lines)
    can = _Can(
        control=pre.control_allowed,
        writes=not read_only,
        admin=pre.control_allowed or "l10" in config.credentials,
        standing=sum(ln.label in usable for ln in config.standing_lines),
        idle=sum(ln.label in usable for ln in config.idle_lines),
        roles={role: c.username for role, c in config.credentials.items()},
    )
    rows = []
    for family, runs, why_yes, why_not in _ROWS:
        ok = runs(can)
        rows.append(Capability(family, ok, why_yes(can) if ok else why_not(can)))
    return rows


def run_preflight(
    config: TargetConfig,
    *,
    profile: str,
    started_emulator: bool = False,
    allow_reset: bool = False,
    note: Callable[[str], None] = lambda _text: None,
) -> Preflight:
    """Ask the target what it is and what the run can do there; ``PreflightError`` if it cannot run."""
    assert config.url is not None
    try:
        return _run_preflight(config, profile, started_emulator, allow_reset)
    except PreflightError as exc:  # a hostile answer quoted in a message must not carry a secret out
        text = str(exc)
        for secret in config.secrets():
            text = text.replace(secret, "[REDACTED]")
        raise PreflightError(text) from None


def _run_preflight(
    config: TargetConfig, profile: str, started_emulator: bool, allow_reset: bool
) -> Preflight:
    assert config.url is not None
    began = time.monotonic()
    read_only = profile == "read-only"
    probe = Probe(config, began + DEADLINE_S)
    try:
        api_warnings: list[str] = []
        offset = check_api(probe, config, api_warnings)
        control = check_control_plane(probe)
        control_allowed = control == "ours" and not read_only and (started_emulator or allow_reset)
        given_users = bool(config.credentials) and not started_emulator
        roles, warnings = check_roles(probe, config, auth_enforced=not api_warnings)
        warnings = api_warnings + warnings
        lines, usable = check_lines(probe, config, writes=not read_only)
    finally:
        probe.close()
    if not control_allowed and config.role("l10") is None:
        raise PreflightError(
            f"{config.url} needs credentials: set RECQUAL_USER and RECQUAL_PASSWORD, or add "
            "[credentials.l10] to the --target-file"
        )
    if control == "unproven":
        warnings.append(
            f"{HEALTH} answers like an emulator but does not name itself {EMULATOR_SERVICE!r}: "
            "its control plane is not used"
        )
    elif control == "ours" and not control_allowed:
        why = "the read-only profile" if read_only else "this run did not start it (pass --allow-reset)"
        warnings.append(f"the emulator control plane is present but not used: {why}")
    pre = Preflight(
        url=config.url,
        server=EMULATOR_SERVICE if control == "ours" else "server",
        control_plane=control,
        control_allowed=control_allowed,
        reset_allowed=control_allowed and not given_users,
        clock_offset_s=offset,
        retention_days=config.retention_days,
        roles=roles,
        lines=lines,
        warnings=warnings,
        usable_lines=usable,
    )
    if control_allowed and given_users:
        pre.warnings.append("no reset: it would remove the users this run was given")
    pre.capabilities = capabilities(config, pre, read_only=read_only)
    pre.elapsed_s = round(time.monotonic() - began, 2)
    return pre


def describe(pre: Preflight) -> str:
    """The preflight as people read it (``recqual check-target`` prints this)."""
    offset = (
        "unknown (no Date header)" if pre.clock_offset_s is None else f"{pre.clock_offset_s:+.0f} s (±1 s)"
    )
    lines = [
        f"target      {pre.url}",
        f"server      {pre.server}; control plane {pre.control_plane}"
        + (" (used by this run)" if pre.control_allowed else ""),
        f"clock       server minus local: {offset}",
        f"retention   {pre.retention_days} days"
        if pre.retention_days
        else "retention   not declared: uploads stay within the last day",
    ]
    lines += [
        f"role {r.role:<4}   {r.username}: {r.state}" + (f" ({r.detail})" if r.detail else "")
        for r in pre.roles
    ]
    lines += [
        f"line        {ln.line} ({ln.declared}): {ln.state}" + (f", {ln.detail}" if ln.detail else "")
        for ln in pre.lines
    ]
    lines += [f"warning     {w}" for w in pre.warnings]
    lines.append("check families:")
    lines.append(pre.table())
    lines.append(f"(preflight took {pre.elapsed_s:.1f} s)")
    return "\n".join(lines)
