"""``RecqualUser``: the abstract base of every scenario's user, and the one place requests are judged.

Every request goes through ``send(operation, method, path, expect)``:

- ``expect`` maps each status the scenario's model predicts to a cheap body check (or ``None``). A status
  outside it, a failed check or no answer at all is a Locust failure whose message names the operation and
  the reason (``startRecording: got 409, model expects 201: {"reason":...}``). So 409/429/503 are
  successes exactly where a scenario predicts them (the races, the capacity channel limit) and failures
  everywhere else.
- The request is Locust's row ``<operationId>``; its status also lands in ``<operationId> [<status>]``
  and, in an open-model run, its latency from the intended start in ``<operationId> (intended start)``.
  Those extra rows are written straight into their stats entries (``log_side``), not through
  ``events.request``, so Locust's Aggregated row still counts each request once.
- A failure message is redacted (``load.redaction``: the run's credentials in any form, credential-bearing
  header values) and bounded before Locust sees it, so a server that quotes the request's credentials in
  its error body cannot put them into Locust's reports, summary.json or the log.
- Pacing: in a closed-model run ``think()`` sleeps a random think time and a per-user rate cap applies;
  with ``--recqual-rate`` each request waits for its slot instead (``load.locustlib.pacing``).

TLS is verified as the target says (``tls_verify``: true, false or a CA bundle; ``load.tls``), and
redirects are never followed (a vendor API answers directly; following one would send the credentials
to, and count the answers of, whatever host the server names): a 3xx is a failure that says where it
pointed.

Checks are deliberately minimal (status, then a substring or a small JSON parse) so the generator keeps
its capacity; conformance is the contract suite's job.
"""

from __future__ import annotations

import functools
import json as jsonlib
import random
import re
import time
from collections.abc import Callable, Mapping
from typing import Any, ClassVar, NamedTuple
from urllib.parse import urlsplit, urlunsplit

import gevent
from locust import FastHttpUser
from locust.exception import StopUser
from locust.stats import RequestStats, StatsError

from load import tls
from load.answer_json import is_page, quick_page_length
from load.locustlib import hooks  # noqa: F401  (registers the run's event listeners)
from load.locustlib.options import Knobs
from load.locustlib.pacing import Schedule
from load.locustlib.state import Lease, RunState, SetupError, log, run_state
from load.redaction import BODY_LIMIT, MESSAGE_LIMIT, Redactor, bounded
from load.summary import intended_row, outcome_row
from recqual.target_config import RoleCredentials

_GUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


class Invalid(Exception):
    """A predicted status with a body that does not hold what the scenario needs."""


Check = Callable[[Any], Any] | None


# -- body checks (each returns what the flow needs next, or raises Invalid) -------------------------
def created_id(resp) -> str:
    """201 ``{"id": "<guid>"}``."""
    try:
        rec_id = jsonlib.loads(resp.content)["id"]
    except (ValueError, KeyError, TypeError):
        raise Invalid("body has no id") from None
    if not isinstance(rec_id, str) or not _GUID.fullmatch(rec_id):
        raise Invalid("id is not a GUID")
    return rec_id


def json_body(resp) -> Any:
    try:
        return jsonlib.loads(resp.content)
    except ValueError:
        raise Invalid("body is not JSON") from None


def json_array(resp) -> list:
    body = json_body(resp)
    if not isinstance(body, list):
        raise Invalid("body is not an array")
    return body


def recording_page(resp) -> dict:
    """200 of listRecordings: ``{"totalCount": int, "recordings": [...]}``."""
    body = json_body(resp)
    if not is_page(body):
        raise Invalid("body lacks totalCount/recordings")
    return body


def page_length(resp) -> int:
    """Items on a listRecordings 200 page, checked as :func:`recording_page` checks it (quickly)."""
    length = quick_page_length(resp.content)
    return len(recording_page(resp)["recordings"]) if length is None else length


def has_id(resp) -> None:
    if b'"id"' not in (resp.content or b""):
        raise Invalid("body has no id")


def audio_mpeg(resp) -> None:
    ctype = (resp.headers.get("content-type") or "") if resp.headers else ""
    if not ctype.lower().startswith("audio/mpeg"):
        raise Invalid(f"Content-Type {ctype!r}, expected audio/mpeg")
    if not resp.content:
        raise Invalid("empty audio")


# -- side rows (never added to Aggregated) ------------------------------------------------------------
def log_side(
    stats: RequestStats,
    method: str,
    name: str,
    response_time: float,
    length: int = 0,
    error: str | None = None,
) -> None:
    """Record a sample in row ``name`` only: for rows describing requests already counted elsewhere."""
    entry = stats.entries[(name, method)]
    # Locust annotates response_time as int, yet logs its own float timings through this same call
    entry.log(response_time, length)  # type: ignore[arg-type]
    if error is not None:
        entry.log_error(error)
        key = StatsError.create_key(method, name, error)
        if key not in stats.errors:
            stats.errors[key] = StatsError(method, name, error)
        stats.errors[key].occurred()


def excerpt(content: bytes | None, redact: Redactor, limit: int = BODY_LIMIT) -> str:
    """A short, single-line, id-free, redacted piece of a body: failure messages group by text, so ids go."""
    return _GUID.sub("<id>", redact.quote(content, limit))


REDIRECTS = frozenset({301, 302, 303, 307, 308})


def redirected(resp) -> str | None:
    """Where a redirect pointed (no user:password part, no ids), or ``None`` when ``resp`` is none."""
    location = resp.headers.get("location") if resp.status_code in REDIRECTS and resp.headers else None
    if not location:
        return None
    parts = urlsplit(str(location))
    shown = urlunsplit(parts._replace(netloc=parts.netloc.rpartition("@")[2])) if parts.netloc else location
    return _GUID.sub("<id>", bounded(str(shown), 200))


class Result(NamedTuple):
    status: int
    value: Any  # what the body check returned (an id, a parsed list, ...)
    ok: bool


class RecqualUser(FastHttpUser):
    """Shared behaviour of the scenario users; a concrete scenario sets the class variables below."""

    abstract = True

    scenario: ClassVar[str] = ""
    """Scenario name (``call-control``, ``races``, ...): names the run in summary.json and the SLO section."""
    channels: ClassVar[int] = 100_000
    """Recording channels the emulator should offer; ``--recqual-channels`` overrides, -1 leaves as is."""
    supports_rate: ClassVar[bool] = True
    """Whether ``--recqual-rate`` (open model) makes sense for this scenario."""
    needs_lines: ClassVar[bool] = True
    """Whether users own lines (a real target must then list lines in its target file)."""

    @classmethod
    def prepare_scene(cls, state: RunState) -> None:
        """Run once on the master (or local runner) before any user starts, e.g. to seed data."""

    network_timeout = 30.0
    connection_timeout = 10.0
    max_redirects = 0  # a redirect is an answer to judge, never followed

    knobs: Knobs
    """The run's knobs; set by ``on_start`` (a user of a run without them stops there)."""
    creds: RoleCredentials
    """Whom this user acts as: admin until ``take_lines`` gives it its lease's user."""

    state: RunState
    """The process's run state (``state.run_state``): the one thing all users and listeners share."""

    def __init__(self, environment) -> None:
        self.state = run_state(environment)
        verify = self.state.config.tls_verify if self.state.config is not None else True
        self.insecure = verify is False  # read by FastHttpUser.__init__: host name checked unless False
        self.ssl_context_factory = functools.partial(tls.context, verify)
        super().__init__(environment)
        self.rng = random.Random()
        self.schedule: Schedule | None = None
        self.min_interval = 0.0
        self._last_send = 0.0
        self.lease: Lease | None = None
        self._auth_cache: dict[RoleCredentials, str] = {}

    # -- lifecycle -------------------------------------------------------------------------------
    def on_start(self) -> None:
        # test_start sets knobs and admin before any user exists, or fails the set-up (state.fatal)
        if self.state.fatal or self.state.knobs is None or self.state.admin is None:
            raise StopUser()
        self.knobs, self.creds = self.state.knobs, self.state.admin
        if self.state.per_user_rate > 0 and self.supports_rate:
            self.schedule = Schedule(self.state.per_user_rate, self.rng)
            self.state.schedules.append(self.schedule)
        elif self.knobs.max_user_rps > 0:
            self.min_interval = 1.0 / self.knobs.max_user_rps

    def take_lines(self, count: int, *, own_user: bool) -> Lease | None:
        """Lease ``count`` lines for this user (see ``state``); ``None`` when the target has none left."""
        try:
            lease = self.state.lease(count, own_user=own_user, rng=self.rng)
        except SetupError as exc:
            log.error("%s: cannot set up lines: %s", self.scenario, exc)
            self.state.counters["setup_errors"] += 1
            raise StopUser() from None
        if lease is None:
            log.warning("%s: no free line for a user; it stays idle (add lines or lower -u)", self.scenario)
            return None
        self.creds = lease.creds
        return lease

    def wait_time(self) -> float:
        """Between tasks: the think time in a closed-model run; nothing when the schedule paces."""
        if self.schedule is not None:
            return 0.0
        return self.rng.uniform(*self.knobs.think_range(lab=not self.state.control))

    def think(self) -> None:
        """Between steps of a flow (closed model only)."""
        if self.schedule is None:
            low, high = self.knobs.think_range(lab=not self.state.control)
            if high > 0:
                gevent.sleep(self.rng.uniform(low, high))

    def auth(self, creds: RoleCredentials | None = None) -> str:
        creds = creds or self.creds
        header = self._auth_cache.get(creds)
        if header is None:
            header = self._auth_cache[creds] = creds.basic()
        return header

    # -- the one request wrapper -------------------------------------------------------------------
    def send(
        self,
        operation: str,
        method: str,
        path: str,
        expect: Mapping[int, Check],
        *,
        creds: RoleCredentials | None = None,
        json: Any = None,
        data: bytes | None = None,
        content_type: str | None = None,
        paced: bool = True,
        note: str = "",
    ) -> Result:
        """Send one request as ``operation`` and judge it against ``expect`` (see the module docstring).

        ``note`` is appended to a failure message (e.g. which audio kind an upload carried). (Not named
        ``rest``: Locust's users already have a ``rest()``, a context manager with another contract.)"""
        headers = {"Authorization": self.auth(creds)}
        if json is not None:
            data = jsonlib.dumps(json).encode()
            content_type = "application/json"
        if content_type:
            headers["Content-Type"] = content_type
        intended = self._wait_for_turn() if paced else None
        self._last_send = time.monotonic()
        with self.client.request(
            method,
            path,
            name=operation,
            # Locust annotates data as str | dict, yet documents bytes and sends them as they are
            data=data,  # type: ignore[arg-type]
            headers=headers,
            catch_response=True,
            allow_redirects=False,
        ) as resp:
            status = resp.status_code
            value, problem = judge(resp, expect, self.state.redact)
            if problem is None:
                resp.success()
            else:
                message = f"{operation}: {problem}" + (f" ({note})" if note else "")
                resp.failure(bounded(self.state.redact(message), MESSAGE_LIMIT))
            response_time = resp.request_meta.get("response_time") or 0.0
            length = resp.request_meta.get("response_length") or 0
        stats = self.environment.stats
        log_side(stats, method, outcome_row(operation, status), response_time, length)
        if intended is not None:
            log_side(stats, method, intended_row(operation), (time.monotonic() - intended) * 1000.0)
        return Result(status, value, problem is None)

    def _wait_for_turn(self) -> float | None:
        """Pacing: wait for the next slot (open model: returns its intended start) or for the rate cap."""
        if self.schedule is not None:
            return self.schedule.wait_for_slot()
        if self.min_interval:
            delay = self._last_send + self.min_interval - time.monotonic()
            if delay > 0:
                gevent.sleep(delay)
        return None


def judge(resp, expect: Mapping[int, Check], redact: Redactor) -> tuple[Any, str | None]:
    """(what the body check returned, the problem or ``None``): the model's verdict on one answer."""
    status = resp.status_code
    if status not in expect:
        if status == 0:
            return None, f"no response: {getattr(resp, 'error', None)!r}"
        predicted = "/".join(str(s) for s in expect)
        where = redirected(resp)
        if where is not None:
            said = f"the server redirected to {where} (recqual follows no redirects)"
        else:
            said = excerpt(resp.content, redact)
        return None, f"got {status}, model expects {predicted}: {said}"
    check = expect[status]
    if check is None:
        return None, None
    try:
        return check(resp), None
    except Invalid as exc:
        return None, f"{status} {exc}"
    except Exception as exc:  # a check must never kill the user
        return None, f"{status} body check crashed: {type(exc).__name__}: {exc}"
