"""Per-process run state: the target, credentials, line ownership, the live-recording registry, counters.

One ``RunState`` per locust process, made by the ``init`` listener in ``hooks`` and attached to Locust's
``Environment`` (``attach_run_state``), prepared by the ``test_start`` listener. Locust calls the event
listeners and builds the users itself, with arguments of its own choosing, but every one of them gets the
environment: ``run_state(environment)`` is where they meet, typed, and nothing of a run lives in a module
global (two environments in one process, as in Locust's own tests, keep two run states).

Line ownership is the rule that keeps the load honest: outside the ``races`` scenario no two users ever
touch the same line, so every 409/429 outside a race (and outside the call-control scenario's own
409/429 checks on a lab) is a real failure, never a collision of our own.

- Control plane (the preflight proved recqual's emulator and the run may use it: ``control``): each lease
  is a fresh set of lines named from (run id, worker index, lease number), so lines are unique across
  workers and across concurrent runs; the calls are placed through the control plane, and (for
  ``/Mine``) the lease creates its own IAS user whose extension and device are the first line.
- Lab (anything else, the emulator included when the run may not use its control plane): the target
  file's standing-call lines that the preflight found usable are partitioned by worker index
  (``lines[w::W]``) and each user takes its lines from its worker's share; a user left without a line
  sits idle and is counted. Nothing is created: no users, no calls, no settings.

Every id a user starts is registered until it is seen stopped; at the end ``sweep()`` stops anything still
registered, then stops by line every line that may hold a recording nobody saw start (every leased line
with the control plane; on a lab only lines of ours whose start was in flight when its user was killed),
checks that no recording of ours is left live on any line it used, and hangs up the calls it placed.
"""

from __future__ import annotations

import logging
import random
import secrets
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import gevent
import gevent.lock
import gevent.pool

from load import operations as ops
from load.lines import Line
from load.locustlib.control import Emulator, PlainClient
from load.locustlib.options import Knobs
from load.locustlib.pacing import Schedule
from load.locustlib.races import Arena
from load.redaction import Redactor
from recqual.target_config import RoleCredentials, TargetConfig

log = logging.getLogger("recqual.load")


@dataclass
class Lease:
    """Lines owned by one user (or one race group) for the whole run."""

    lines: list[Line]
    creds: RoleCredentials  # whom the owner acts as (its own IAS user on the emulator, admin on a lab)
    call_ids: list[str] = field(default_factory=list)

    @property
    def own_line(self) -> Line | None:
        """The line usable with ``/Mine`` and bodiless start: the first line, if it has an owner."""
        return self.lines[0] if self.lines and self.lines[0].owner is not None else None


class SetupError(RuntimeError):
    """The scene could not be set (line, user or call refused): the user cannot run its scenario."""


@dataclass
class Lifecycle:
    """What the master's (or local runner's) event listeners hand each other from start to quit.

    ``RunState.begin()`` leaves it alone: each field is set by the listener that owns it (test_start,
    test_stopping, test_stop), and ``quitting`` holds once per process."""

    started_at: str = ""  # ISO time of test_start, for summary.json
    started_mono: float = 0.0  # monotonic time of test_start (0: never started), for the duration
    saved_channels: int | None = None  # the emulator's channel count before this run changed it
    pending_workers: set[str] = field(default_factory=set)  # workers yet to confirm their clean-up
    quitting: bool = False  # the summary is being (or was) written: a second "quitting" writes none


@dataclass(frozen=True)
class OwnTarget:
    """A worker's own target options, as it was started (``--recqual-target-file``, ``--recqual-tls-verify``
    or their variables). Locust's spawn message overwrites every custom option with the master's, and the
    master's file (its path, its ``password_env`` names) means nothing on another machine: a worker reads
    its credentials from these."""

    target_file: str
    tls_verify: str


@dataclass
class RunState:
    knobs: Knobs | None = None
    scenario: str = ""
    host: str = ""
    config: TargetConfig | None = None
    control: bool = False  # the preflight allows this run to use the emulator control plane
    admin: RoleCredentials | None = None
    worker_index: int = 0
    worker_count: int = 1
    run_id: int = 0
    per_user_rate: float = 0.0  # open model: requests/s per user (0 = closed model)
    step_rate_per_user: float = 0.0  # capacity: the current step's requests/s per user (0: not begun)
    fatal: str = ""
    prepared: bool = False
    free_lines: list[Line] = field(default_factory=list)
    idle_lines: list[Line] = field(default_factory=list)  # lab: declared call = "none" (a start is a 409)
    touched_idle: set[Line] = field(default_factory=set)  # idle lines a start of ours was sent to
    leases: list[Lease] = field(default_factory=list)
    live: dict[str, tuple[Line, RoleCredentials]] = field(default_factory=dict)
    started: set[str] = field(default_factory=set)  # every id this process ever started (lowercase)
    in_flight: set[Line] = field(default_factory=set)  # lines whose start has no known outcome yet
    schedules: list[Schedule] = field(default_factory=list)
    counters: Counter[str] = field(default_factory=Counter)
    stopping_at: float | None = None  # monotonic, when the stop began (open-model bookkeeping)
    lifecycle: Lifecycle = field(default_factory=Lifecycle)  # kept across begin(): see Lifecycle
    arena: Arena = field(default_factory=Arena)  # races: this process's race groups (kept across begin())
    redact: Redactor = field(default_factory=Redactor)  # set with the config: see load.redaction
    own_target: OwnTarget | None = None  # a worker's own target options (set at init, kept across begin())
    reported: Counter[str] = field(default_factory=Counter)  # a worker's totals, as sent to the master
    worker_reports: dict[str, list[tuple[float, int]]] = field(default_factory=dict)
    """Master: per worker, each report's (arrival, monotonic; the worker's requests so far): a worker
    reports every 3 s on its own clock, so the rate between two of its reports is exact where a diff of
    the merged stats is off by up to a report interval."""
    _lease_seq: int = 0
    _lock: gevent.lock.Semaphore = field(default_factory=gevent.lock.Semaphore)

    def begin(self) -> None:
        """Forget a previous run's bookkeeping (a process can run several tests from the web UI)."""
        self.fatal, self.prepared, self.stopping_at = "", False, None
        self.step_rate_per_user = 0.0
        self.worker_reports.clear()
        self.free_lines, self.idle_lines, self.leases, self.schedules = [], [], [], []
        self.touched_idle.clear()
        self.live.clear()
        self.in_flight.clear()
        self.counters.clear()

    # -- clients -----------------------------------------------------------------------------------
    def client(self) -> PlainClient:
        if self.config is None:
            return PlainClient(self.host)
        return PlainClient(
            self.host, tls_verify=self.config.tls_verify, timeout=self.config.request_timeout_s
        )

    def emulator(self) -> Emulator:
        """The control plane; only ever called when ``control`` is true."""
        if not self.control:
            raise SetupError("the emulator control plane is not to be used by this run")
        return Emulator(self.client())

    # -- naming ------------------------------------------------------------------------------------
    def _line_name(self, seq: int, k: int) -> Line:
        """Emulator line k of lease seq: unique per (run, worker, lease, k)."""
        n = seq * 8 + k
        device = f"SEP{self.run_id & 0xFFFF:04X}{self.worker_index & 0xFF:02X}{n & 0xFFFFFF:06X}"
        dn = f"7{self.run_id % 100000:05d}{self.worker_index % 100:02d}{n % 100000:05d}"
        return Line(device, dn)

    # -- leases ------------------------------------------------------------------------------------
    def lease(self, count: int, *, own_user: bool, rng: random.Random) -> Lease | None:
        """Lines for one user: ``count`` of them, the first one its own line when ``own_user``."""
        if not self.control:
            with self._lock:
                if not self.free_lines:
                    self.counters["users_without_lines"] += 1
                    return None
                taken, self.free_lines = self.free_lines[:count], self.free_lines[count:]
            assert self.admin is not None
            lease = Lease(taken, self.admin)
            self.leases.append(lease)
            return lease
        with self._lock:
            seq = self._lease_seq
            self._lease_seq += 1
        lines = [self._line_name(seq, k) for k in range(count)]
        control = self.emulator()
        assert self.admin is not None
        creds = self.admin
        if own_user:
            username = f"rq{self.run_id & 0xFFFF:04x}w{self.worker_index}u{seq}"
            creds = RoleCredentials("l10", username, secrets.token_hex(12), "created on the emulator")
            self.redact = self.redact.adding(creds.secrets())
            reply = control.create_user(
                username=creds.username,
                password=creds.password,
                level=10,
                extension=lines[0].directory_number,
                deviceName=lines[0].device_name,
                firstName="Load",
                lastName=f"w{self.worker_index}u{seq}",
            )
            if reply.status != 201:
                raise SetupError(f"POST /_emulator/users answered {reply.status or reply.error}")
            lines[0] = Line(lines[0].device_name, lines[0].directory_number, owner=creds)
        lease = Lease(lines, creds)
        self.leases.append(lease)  # before placing calls: the sweep hangs up whatever got placed
        for line in lines:
            lease.call_ids.append(self.place_call(line, creds.username, rng))
        return lease

    def place_call(self, line: Line, username: str, rng: random.Random) -> str:
        reply = self.emulator().place_call(
            deviceName=line.device_name,
            directoryNumber=line.directory_number,
            username=username,
            direction=rng.choice((1, 2)),
            remoteParty={"phoneNumber": f"+3905710{rng.randrange(100000):05d}"},
        )
        body = reply.json()
        if reply.status != 201 or not isinstance(body, dict) or not body.get("callId"):
            raise SetupError(f"POST /_emulator/calls answered {reply.status or reply.error}")
        return str(body["callId"])

    # -- live-recording registry --------------------------------------------------------------------
    def track(self, rec_id: str, line: Line, creds: RoleCredentials) -> None:
        self.live[rec_id.lower()] = (line, creds)
        self.started.add(rec_id.lower())

    def untrack(self, rec_id: str | None) -> None:
        if rec_id:
            self.live.pop(rec_id.lower(), None)

    # -- the end ------------------------------------------------------------------------------------
    def rate_counts(self) -> tuple[int, int]:
        """(slots due, slots issued) over this process's users, up to the moment the stop began."""
        until = self.stopping_at or time.monotonic()
        due = sum(s.due_until(until) for s in self.schedules)
        issued = sum(min(s.issued, s.due_until(until)) for s in self.schedules)
        return due, issued

    def sweep(self) -> None:
        """Stop every recording this process may have left live, verify, hang up (see module docstring)."""
        if not self.prepared or not self.host:
            return
        sweep = _Sweep(self.client())
        for rec_id, (_, creds) in list(self.live.items()):
            sweep.pool.spawn(sweep.stop_id, rec_id, creds)
        sweep.pool.join()
        lines = self._swept_lines()
        for line, creds in lines:
            # a lab's lines are shared with real people: stop by line only where a start of ours was in
            # flight when its user was killed; the lines the control plane made are all ours
            if self.control or line in self.in_flight:
                sweep.pool.spawn(sweep.stop_line, line, creds)
        sweep.pool.join()
        for line, creds in lines:
            sweep.pool.spawn(sweep.verify, line, creds, self._ours)
        sweep.pool.join()
        self.live.clear()
        if self.control:
            control = self.emulator()
            for lease in self.leases:
                for call_id in lease.call_ids:
                    sweep.pool.spawn(control.hang_up, call_id)
            sweep.pool.join()
        tally = sweep.tally
        self.counters["cleanup_stopped"] += tally["by_id"] + tally["by_line"]
        self.counters["cleanup_leftover"] += tally["leftover"]
        self.counters["cleanup_unverified"] += tally["unverified"]
        self.counters["cleanup_lines"] += len(lines)
        self.leases.clear()
        self.touched_idle.clear()

    def _swept_lines(self) -> list[tuple[Line, RoleCredentials]]:
        """Every line this process may have left a recording on, with whom to act as there."""
        lines = [(line, lease.creds) for lease in self.leases for line in lease.lines]
        if self.admin is not None:  # a lab's no-call lines our starts were sent to (each one a 409, we hope)
            lines += [(line, self.admin) for line in self.touched_idle]
        return lines

    def _ours(self, recording: dict[str, Any]) -> bool:
        """Whether a live recording is this run's: every one on a control-plane line, else a started id."""
        return self.control or str(recording.get("id", "")).lower() in self.started


class _Sweep:
    """One clean-up pass: its client, a small pool of greenlets, and the tally of what it found."""

    def __init__(self, client: PlainClient) -> None:
        self.client = client
        self.pool = gevent.pool.Pool(8)
        self.tally: Counter[str] = Counter()

    def stop_id(self, rec_id: str, creds: RoleCredentials) -> None:
        reply = self.client.request("DELETE", ops.live_item(rec_id), headers={"Authorization": creds.basic()})
        self.tally["by_id" if reply.status == 204 else f"id_{reply.status}"] += 1

    def stop_line(self, line: Line, creds: RoleCredentials) -> None:
        query = ops.line_query(line.device_name, line.directory_number)
        for _ in range(3):  # a line may hold more than one recording after a race violation
            reply = self.client.request(
                "DELETE", ops.live_root() + query, headers={"Authorization": creds.basic()}
            )
            if reply.status != 204:
                break
            self.tally["by_line"] += 1

    def verify(self, line: Line, creds: RoleCredentials, ours: Callable[[dict[str, Any]], bool]) -> None:
        query = ops.line_query(line.device_name, line.directory_number)
        reply = self.client.request("GET", ops.live_root() + query, headers={"Authorization": creds.basic()})
        body = reply.json()
        if reply.status != 200 or not isinstance(body, list):
            self.tally["unverified"] += 1
            return
        left = [r for r in body if ours(r)]
        if left:
            self.tally["leftover"] += len(left)
            log.error(
                "clean-up: %d live recording(s) left on line %s/%s",
                len(left),
                line.device_name,
                line.directory_number,
            )


_ATTRIBUTE = "recqual"
"""The ``Environment`` attribute that holds the run state (Locust's idiom for per-run data of a plugin)."""


def attach_run_state(environment) -> RunState:
    """Give ``environment`` its run state, once (the ``init`` listener: before any user or test exists)."""
    state = RunState()
    setattr(environment, _ATTRIBUTE, state)
    return state


def run_state(environment) -> RunState:
    """The run state of ``environment``; an error when ``init`` attached none (``hooks`` never imported)."""
    state = getattr(environment, _ATTRIBUTE, None)
    if not isinstance(state, RunState):
        raise RuntimeError("recqual: no run state on this environment (load.locustlib.hooks not loaded)")
    return state
