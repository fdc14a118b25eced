"""The run's event listeners, registered once per locust process on import (by ``load.locustlib.base``).

Lifecycle, in the order Locust fires the events:

1. (import) finer response-time buckets, chart points every second; ``init``: the distributed stop
   handshake's custom messages.
2. ``test_start`` (master or local first, then each worker): read the knobs; the master (or local runner)
   reads the preflight (``--recqual-preflight``/``RECQUAL_PREFLIGHT``: written by ``python -m load`` or
   ``recqual qualify``; a Locust process never runs one) and shares what it allows (control plane or
   not, the usable lines) with the workers, with the run id, the per-user rate and the worker count
   (the master forwards custom options in its spawn message); each process resolves the target with
   ``recqual.target_config.resolve`` (credentials from its own environment or the target file), and on a
   lab takes its worker's share of the usable standing-call lines. On the master or local runner only,
   and only with the control plane, set the emulator's channels; then let the scenario prepare its
   scene (``prepare_scene``, e.g. seeding recordings).
3. ``test_stopping`` (master): ask every worker to stop its users and sweep now, and wait (bounded) until
   each has flushed its final stats. Without this, ``quit`` gives workers 0.5 s to report, and a slow
   clean-up would lose the last stats and the clean-up counts.
4. ``test_stop`` (workers and local runner, after the users are gone): the clean-up sweep; open-model slot
   counts. (Master or local: restore the emulator's channel setting.)
5. ``report_to_master`` / ``worker_report``: workers ship counter deltas (clean-up, slots, setup errors)
   beside their stats; the master adds them up.
6. ``quitting`` (master or local only: only they hold the merged stats): build ``summary.json``, apply the
   SLO gates, write ``junit.xml``, log each breach, set ``environment.process_exit_code``.

What the listeners hand each other lives in the process's one ``RunState``, made by the ``init`` listener
and attached to Locust's ``Environment`` (``run_state(environment)``; ``lifecycle`` holds the master's own
bookkeeping): every listener and every user already gets the environment, so the run state travels with
it instead of sitting in a module global that a second environment in the same process would share.
"""

from __future__ import annotations

import functools
import json
import math
import os
import random
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

import gevent
import locust.log
import locust.runners
import locust.stats
from locust import events
from locust.runners import STATE_MISSING, STATE_RUNNING, STATE_SPAWNING, MasterRunner, WorkerRunner

from load import operations as ops
from load import plot, slo
from load import summary as summary_mod
from load.lines import lab_lines, partition
from load.locustlib.arrivals import SteppedSchedule
from load.locustlib.options import Knobs
from load.locustlib.state import OwnTarget, RunState, attach_run_state, log, run_state
from load.locustlib.trend_events import trend_section
from load.redaction import Redactor, install_log_redaction, run_secrets
from recqual.preflight import Preflight
from recqual.target_config import ConfigError, resolve

if TYPE_CHECKING:  # base imports this module (to register the listeners): no import cycle at run time
    from load.locustlib.base import RecqualUser

# -- response-time buckets ----------------------------------------------------------------------------
_coarse_bucket = locust.stats.bucket_response_time


def _bucket(response_time: float) -> float:
    """0.1 ms resolution below 10 ms (Locust's default keeps ~2 significant digits: 1.4 ms reads as 1 ms)."""
    if response_time < 10:
        return round(response_time, 1)
    return _coarse_bucket(response_time)


# Locust documents this hook for custom bucketing but types it int-valued; it only keys the histogram
locust.stats.bucket_response_time = _bucket  # type: ignore[assignment]
# Chart points every second instead of every 5 s: a short run still gets charts in its HTML report.
locust.stats.HISTORY_STATS_INTERVAL_SEC = 1

STOP_HANDSHAKE_TIMEOUT = 60.0

ENV_CONNECT_TIMEOUT = "RECQUAL_WORKER_CONNECT_TIMEOUT"
"""Set by ``python -m load worker``: how long its Locust worker may try to join the master. Locust tries
for 60 x 5 s; a master that gave up before the worker joined would leave it trying for five minutes."""
if os.environ.get(ENV_CONNECT_TIMEOUT):
    locust.runners.CONNECT_RETRY_COUNT = max(
        1, math.ceil(float(os.environ[ENV_CONNECT_TIMEOUT]) / locust.runners.CONNECT_TIMEOUT)
    )


def public_url(url: str) -> str:
    """The target without any user:password part (never written anywhere)."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc.rpartition("@")[2], parts.path, "", ""))


def read_preflight(path: str, host: str) -> Preflight:
    """The preflight ``python -m load`` (or ``recqual qualify``) wrote; a Locust process never runs one."""
    if not path:
        raise ValueError(
            "no preflight: run through python -m load (it runs one), or set RECQUAL_PREFLIGHT to a "
            "preflight.json of this target"
        )
    try:
        pre = Preflight.read(Path(path))
    except (OSError, ValueError, TypeError, KeyError) as exc:
        raise ValueError(f"preflight {path} is unusable: {type(exc).__name__}: {exc}") from None
    if pre.url.rstrip("/") != host.rstrip("/"):
        raise ValueError(f"preflight {path} is of {pre.url}, not of {public_url(host)}")
    return pre


def scenario_class(environment):
    from load.locustlib.base import RecqualUser

    for cls in environment.user_classes:
        if issubclass(cls, RecqualUser) and cls.scenario:
            return cls
    return None


def _fail_setup(environment, message: str) -> None:
    state = run_state(environment)
    message = state.redact(message)  # it may quote a server (a seeding upload's answer, an error text)
    log.error("recqual: %s", message)
    state.fatal = state.fatal or message
    state.counters["fatal"] += 1
    if not isinstance(environment.runner, WorkerRunner):
        gevent.spawn_later(0.1, environment.runner.quit)


# -- 1. init --------------------------------------------------------------------------------------------
@events.init.add_listener
def _on_init(environment, **_kwargs) -> None:
    # gevent's loop caches "now" and has not run since locust was imported; slow imports (a busy machine
    # takes seconds) would leave it stale, and the --run-time timer, scheduled from it, would fire at
    # once: a 2-s run ended before its first request. Refresh it before Locust schedules anything.
    gevent.get_hub().loop.update_now()
    state = attach_run_state(environment)
    install_log_redaction(lambda: state.redact)
    # these two events carry no environment: each listener is bound to this one
    environment.events.report_to_master.add_listener(functools.partial(_on_report_to_master, environment))
    environment.events.worker_report.add_listener(functools.partial(_on_worker_report, environment))
    runner = environment.runner
    if isinstance(runner, WorkerRunner):
        knobs = Knobs.from_options(environment.parsed_options)  # as started, before any spawn message
        state.own_target = OwnTarget(knobs.target_file, knobs.tls_verify)
        runner.register_message("recqual_stop", _worker_stop, concurrent=True)
        runner.register_message("recqual_rate", _worker_rate)
    elif isinstance(runner, MasterRunner):
        runner.register_message("recqual_stopped", _master_worker_stopped)


# -- 2. test_start --------------------------------------------------------------------------------------
class _SetupFailed(Exception):
    """A step of test_start found the run cannot go on; its message is the one line the operator reads."""


@events.test_start.add_listener
def _on_test_start(environment, **_kwargs) -> None:
    worker = isinstance(environment.runner, WorkerRunner)
    options = environment.parsed_options
    state = run_state(environment)
    state.begin()
    state.knobs = Knobs.from_options(options)
    cls = scenario_class(environment)
    state.scenario = cls.scenario if cls else "unknown"
    state.host = (environment.host or "").rstrip("/")
    try:
        if not worker:
            _choose_run_settings(environment, state.knobs)
        _adopt_run_settings(environment, state.knobs, cls)
        if not state.host:
            raise _SetupFailed("no target: pass -H/--host")
        if not worker:  # the master's (or local runner's) reading of the preflight goes to every worker
            _share_preflight(state, options, state.knobs)
        usable = _resolve_target(state, options, state.knobs)
        if not state.control:
            _take_lab_lines(state, usable, cls, worker)
        state.prepared = True
        _log_start(state, environment.runner)
        if not worker and cls is not None:
            _prepare_scene(state, cls, state.knobs)
    except _SetupFailed as exc:
        _fail_setup(environment, str(exc))


def _choose_run_settings(environment, knobs: Knobs) -> None:
    """Master or local runner: the run id, the per-user rate and the worker count, put in the options so
    that Locust forwards them to every worker in its spawn message."""
    runner, options, state = environment.runner, environment.parsed_options, run_state(environment)
    state.lifecycle.started_at = datetime.now(UTC).isoformat(timespec="seconds")
    state.lifecycle.started_mono = time.monotonic()
    users = int(getattr(options, "num_users", 0) or 1)
    options.recqual_run_id = knobs.run_id or f"{random.randrange(1, 0xFFFF):04x}"
    options.recqual_per_user_rate = knobs.rate / users if knobs.rate > 0 else 0.0
    options.recqual_worker_count = runner.worker_count if isinstance(runner, MasterRunner) else 1


def _adopt_run_settings(environment, knobs: Knobs, cls: type[RecqualUser] | None) -> None:
    """Every process: take the settings the master chose (a worker reads them from its spawn message)."""
    options, state = environment.parsed_options, run_state(environment)
    try:
        state.run_id = int(str(getattr(options, "recqual_run_id", "0") or "0"), 16)
    except ValueError:
        raise _SetupFailed("--recqual-run-id must be hexadecimal") from None
    state.per_user_rate = float(getattr(options, "recqual_per_user_rate", 0.0) or 0.0)
    state.worker_count = max(1, int(getattr(options, "recqual_worker_count", 1) or 1))
    state.worker_index = max(0, int(getattr(environment.runner, "worker_index", 0) or 0))
    if knobs.rate > 0 and cls is not None and not cls.supports_rate:
        log.warning("recqual: --recqual-rate is ignored by the %s scenario", state.scenario)
        state.per_user_rate = 0.0


def _share_preflight(state: RunState, options, knobs: Knobs) -> None:
    """Master or local runner: what the preflight allows (control plane, usable lines), for every worker."""
    try:
        pre = read_preflight(knobs.preflight, state.host)
    except ValueError as exc:
        raise _SetupFailed(str(exc)) from None
    options.recqual_control_allowed = pre.control_allowed
    options.recqual_usable_lines = list(pre.usable_lines)


def _resolve_target(state: RunState, options, knobs: Knobs) -> list[str]:
    """The target as this process sees it (its own credentials), proven reachable; returns the usable
    lines the preflight named."""
    control = getattr(options, "recqual_control_allowed", None)
    if control is None:
        raise _SetupFailed("no preflight from the master (RECQUAL_PREFLIGHT)")
    state.control = bool(control)
    usable = list(getattr(options, "recqual_usable_lines", None) or [])
    own = state.own_target or OwnTarget(knobs.target_file, knobs.tls_verify)  # a worker's: never the master's
    try:
        state.config = resolve(
            target=state.host, target_file=own.target_file or None, tls_verify=own.tls_verify or None
        )
    except ConfigError as exc:
        raise _SetupFailed(str(exc)) from None
    state.redact = Redactor(run_secrets(state.config))
    state.admin = state.config.role("l10")
    if state.admin is None and state.control:
        state.admin = ops.EMULATOR_ADMIN
    if state.admin is None:
        raise _SetupFailed(
            "no credentials: set RECQUAL_USER/RECQUAL_PASSWORD or [credentials.l10] in the target file"
        )
    reply = state.client().request("GET", ops.recordings_root() + "?page=0&pageSize=1")
    if reply.status == 0:
        raise _SetupFailed(f"target {public_url(state.host)} unreachable: {reply.error}")
    return usable


def _take_lab_lines(state: RunState, usable: list[str], cls: type[RecqualUser] | None, worker: bool) -> None:
    """A lab: this worker's share of the usable standing-call lines, and the no-call lines."""
    if state.worker_index >= state.worker_count:
        raise _SetupFailed(f"worker index {state.worker_index} >= worker count {state.worker_count}")
    assert state.config is not None  # set by _resolve_target
    standing, state.idle_lines = lab_lines(state.config, usable)
    state.free_lines = partition(standing, state.worker_index, state.worker_count)
    if cls is not None and cls.needs_lines and not standing and not worker:
        raise _SetupFailed(
            f'the {state.scenario} scenario needs lines: no usable [[lines]] with call = "standing" '
            "in the target file (preflight.json says which are usable), and no emulator control plane "
            "this run may use (python -m load --allow-reset)"
        )


def _log_start(state: RunState, runner) -> None:
    if isinstance(runner, WorkerRunner):
        role = f"worker {state.worker_index} of {state.worker_count}"
    else:
        role = f"master of {state.worker_count} workers" if isinstance(runner, MasterRunner) else "local"
    if state.control:
        kind = "emulator control plane"
    else:
        kind = f"lab: {len(state.free_lines)} standing-call line(s), {len(state.idle_lines)} without a call"
    log.info("recqual: %s against %s (%s), %s", state.scenario, public_url(state.host), kind, role)


def _prepare_scene(state: RunState, cls: type[RecqualUser], knobs: Knobs) -> None:
    """Master or local runner, once: the emulator's channels (control plane only), then the scenario's
    own scene. The scene is a precondition: no scene, no run."""
    if state.control:
        channels = knobs.channels if knobs.channels >= 0 else cls.channels
        if channels >= 0:
            before = state.emulator().settings()
            state.lifecycle.saved_channels = before.get("channels") if isinstance(before, dict) else None
            if state.emulator().settings(channels=channels) is None:
                raise _SetupFailed("PUT /_emulator/settings refused the channel count")
    try:
        cls.prepare_scene(state)
    except Exception as exc:
        raise _SetupFailed(f"preparing the scene failed: {type(exc).__name__}: {exc}") from None


# -- 3. test_stopping: the distributed stop handshake -----------------------------------------------------
@events.test_stopping.add_listener
def _on_test_stopping(environment, **_kwargs) -> None:
    state = run_state(environment)
    state.stopping_at = state.stopping_at or time.monotonic()
    runner = environment.runner
    if not isinstance(runner, MasterRunner):
        return
    workers = [c.id for c in runner.clients.all if c.state != STATE_MISSING]
    state.lifecycle.pending_workers = pending = set(workers)  # emptied by _master_worker_stopped
    for client_id in workers:
        runner.send_message("recqual_stop", None, client_id=client_id)
    deadline = time.monotonic() + STOP_HANDSHAKE_TIMEOUT + (environment.stop_timeout or 0)
    while pending and time.monotonic() < deadline:
        gevent.sleep(0.1)
    if pending:
        log.error("recqual: %d worker(s) did not confirm their clean-up", len(pending))
        state.counters["workers_unconfirmed"] += len(pending)


def _worker_stop(environment, msg, **_kwargs) -> None:
    """Worker side: stop users now (fires test_stop: the sweep), flush stats, confirm to the master."""
    runner = environment.runner
    runner.stop()
    runner._send_stats()  # Locust's own final-report call, made now instead of after "quit"
    runner.send_message("recqual_stopped", None)
    state, sent = run_state(environment), run_state(environment).reported
    log.info(
        "recqual: worker %d of %d sent %d requests, %d failures; races %d rounds, %d violations",
        state.worker_index,
        state.worker_count,
        sent["requests"],
        sent["failures"],
        sent["race_rounds"],
        sent["race_violations"],
    )


def _master_worker_stopped(environment, msg, **_kwargs) -> None:
    state = run_state(environment)
    state.lifecycle.pending_workers.discard(msg.node_id)


# -- the capacity search's arrival rate -------------------------------------------------------------------
def offer_rate(environment, per_user: float) -> None:
    """The capacity shape's new step (master or local runner): every user of every process now gets
    ``per_user`` requests/s (``load.locustlib.arrivals``). The message carries the rate only."""
    runner = environment.runner
    if isinstance(runner, MasterRunner):
        for client_id in [c.id for c in runner.clients.all if c.state != STATE_MISSING]:
            runner.send_message("recqual_rate", {"per_user": per_user}, client_id=client_id)
    _retime(run_state(environment), per_user)


def _worker_rate(environment, msg, **_kwargs) -> None:
    _retime(run_state(environment), float((msg.data or {}).get("per_user", 0.0)))


def _retime(state: RunState, per_user: float) -> None:
    state.step_rate_per_user = per_user
    for schedule in state.schedules:
        if isinstance(schedule, SteppedSchedule):
            schedule.retime(per_user)


# -- 4. test_stop: clean-up -------------------------------------------------------------------------------
@events.test_stop.add_listener
def _on_test_stop(environment, **_kwargs) -> None:
    runner, state = environment.runner, run_state(environment)
    if not isinstance(runner, MasterRunner):
        state.sweep()
        due, issued = state.rate_counts()
        state.counters["rate_due"] += due
        state.counters["rate_issued"] += issued
        state.schedules.clear()
    saved = state.lifecycle.saved_channels
    if not isinstance(runner, WorkerRunner) and state.control and saved is not None:
        state.emulator().settings(channels=saved)
        state.lifecycle.saved_channels = None


# -- 5. counters across processes -------------------------------------------------------------------------
def _on_report_to_master(environment, client_id, data, **_kwargs) -> None:
    state = run_state(environment)
    _tally_report(state, data.get("stats") or [])
    if state.counters:
        data["recqual"] = dict(state.counters)
        if state.fatal:
            data["recqual_fatal"] = state.fatal
        state.counters.clear()


def _tally_report(state: RunState, rows: list[dict[str, Any]]) -> None:
    """A worker's running totals of what it reported (each report is a delta): the operation rows, as the
    master's Aggregated row counts them, and the race rows. Logged at the stop, so a person (or a test)
    can add up the workers' logs and find the master's summary."""
    for row in rows:
        kind = summary_mod.classify(str(row.get("name", "")))[0]
        count, failures = int(row.get("num_requests") or 0), int(row.get("num_failures") or 0)
        if kind == "operation":
            state.reported["requests"] += count
            state.reported["failures"] += failures
        elif kind == "race":
            state.reported["race_rounds"] += count
            state.reported["race_violations"] += failures


def _on_worker_report(environment, client_id, data, **_kwargs) -> None:
    state = run_state(environment)
    reports = state.worker_reports.setdefault(client_id, [])
    sent = sum(
        int(row.get("num_requests") or 0)
        for row in data.get("stats") or []
        if summary_mod.classify(str(row.get("name", "")))[0] == "operation"
    )
    reports.append((time.monotonic(), (reports[-1][1] if reports else 0) + sent))
    for key, value in (data.get("recqual") or {}).items():
        state.counters[key] += value
    if data.get("recqual_fatal") and not state.fatal:
        state.fatal = f"worker: {data['recqual_fatal']}"


# -- 6. quitting: summary, SLO gates, JUnit, exit code -------------------------------------------------
_NOTED_COUNTERS = (
    ("setup_errors", "users could not set up their lines"),
    ("users_without_lines", "users found no free line and stayed idle"),
    ("workers_unconfirmed", "workers did not confirm their clean-up"),
    ("cleanup_unverified", "lines could not be verified clean"),
    ("race_users_idle", "race users waited for an incomplete group (use -u = K x workers x n)"),
)
"""Counters that, when non-zero, become a note of summary.json: (counter, what it counts)."""


@events.quitting.add_listener
def _on_quitting(environment, **_kwargs) -> None:
    runner, state = environment.runner, run_state(environment)
    if isinstance(runner, WorkerRunner) or state.lifecycle.quitting:
        return  # a second SIGTERM (e.g. the parent-death signal) must not write a second summary
    state.lifecycle.quitting = True
    interrupted = runner.state in (STATE_SPAWNING, STATE_RUNNING)
    if interrupted:
        # SIGTERM (the runner's Ctrl-C, a timeout, a parent going away): Locust fires "quitting" before it
        # stops the users. Stop them now, so the sweep (test_stop; the workers' through the handshake)
        # runs before the summary is written and its counts are in it.
        log.warning("recqual: interrupted: stopping users and cleaning up before the summary")
        runner.stop()
    knobs = state.knobs or Knobs.from_options(environment.parsed_options)
    scenario = state.scenario or _scenario_name(environment)
    out_dir = Path(knobs.out_dir or f"reports/load/{scenario}-{datetime.now(UTC):%Y%m%dT%H%M%SZ}")
    out_dir.mkdir(parents=True, exist_ok=True)
    _redact_exceptions(runner, state.redact)
    notes = [state.redact(note) for note in _notes(state, interrupted)]
    result = state.redact.tree(_summary(environment, knobs, scenario, notes))
    result["trend"] = trend_section(environment)  # the trend gate's data (load/trend.py)
    checks = _judge(state, result, knobs, scenario, interrupted)
    if result.get("capacity"):
        result["capacity"]["plot"] = plot.write(out_dir / "capacity.svg", result["capacity"]).name
    slo.write_junit(out_dir / "junit.xml", result, checks)
    (out_dir / "summary.json").write_text(
        json.dumps(result, indent=2, sort_keys=False) + "\n", encoding="utf-8"
    )
    _log_verdict(result, checks, notes, out_dir)
    environment.process_exit_code = result["exit_code"]
    if getattr(environment.parsed_options, "csv_prefix", None):
        # Locust's CSV writer rewrites the stats files once a second and is not flushed at exit: give it one
        # more turn so the CSV holds the final numbers, like summary.json.
        gevent.sleep(locust.stats.CSV_STATS_INTERVAL_SEC + 0.2)


def _scenario_name(environment) -> str:
    """The scenario of a run that never started (no test_start read it)."""
    cls = scenario_class(environment)
    return cls.scenario if cls is not None else "unknown"


def _redact_exceptions(runner, redact: Redactor) -> None:
    """Unhandled exceptions (a user's bug, a library's error) reach Locust's exception table without
    passing ``send``: redact them before its reports are written from it."""
    for row in runner.exceptions.values():
        row["msg"], row["traceback"] = redact(str(row["msg"])), redact(str(row["traceback"]))


def _summary(environment, knobs: Knobs, scenario: str, notes: list[str]) -> dict[str, Any]:
    """summary.json without its verdict, from the merged stats and this run's counters."""
    runner, stats, state = environment.runner, environment.stats, run_state(environment)
    counters = state.counters
    end = state.stopping_at or time.monotonic()
    started_mono = state.lifecycle.started_mono
    duration = max(0.0, end - started_mono) if started_mono else 0.0
    cleanup = {
        "stopped": counters["cleanup_stopped"],
        "leftover_live": counters["cleanup_leftover"],
        "unverified": counters["cleanup_unverified"],
        "lines": counters["cleanup_lines"],
    }
    shape = environment.shape_class
    capacity = shape.report() if shape is not None and hasattr(shape, "report") else None
    users = sum((getattr(runner, "final_user_classes_count", None) or {}).values()) or int(
        getattr(environment.parsed_options, "num_users", 0) or 0
    )
    exceptions = sum(int(row.get("count", 0)) for row in runner.exceptions.values())
    return summary_mod.build(
        scenario=scenario,
        target=public_url(state.host or environment.host or ""),
        started=state.lifecycle.started_at,
        duration_s=duration,
        users=users,
        rows=[entry.serialize() for entry in stats.entries.values()],
        errors=[error.to_dict() for error in stats.errors.values()],
        rate=_rate_section(state, knobs) if state.per_user_rate > 0 else None,
        cleanup=cleanup if state.prepared else None,
        capacity=capacity,
        workers=state.worker_count if isinstance(runner, MasterRunner) else 0,
        exceptions=exceptions,
        notes=notes,
        spawn_rate=getattr(environment.parsed_options, "spawn_rate", None),
    )


def _rate_section(state: RunState, knobs: Knobs) -> dict[str, Any]:
    """Open model: target vs achieved rate (achieved = target x slots issued / slots due)."""
    due, issued = state.counters["rate_due"], state.counters["rate_issued"]
    return {
        "target": knobs.rate,
        "achieved": round(knobs.rate * issued / due, 3) if due else 0.0,
        "slots_due": due,
        "slots_issued": issued,
    }


def _notes(state: RunState, interrupted: bool) -> list[str]:
    """What the operator should know beside the gates: set-up failures, interruption, idle users..."""
    notes = []
    if state.fatal:
        notes.append(f"setup failed: {state.fatal}")
    if interrupted:
        notes.append("interrupted before the end of the run (no verdict); what it started was stopped")
    for key, text in _NOTED_COUNTERS:
        if state.counters[key]:
            notes.append(f"{state.counters[key]} {text}")
    return notes


def _judge(
    state: RunState, result: dict[str, Any], knobs: Knobs, scenario: str, interrupted: bool
) -> list[slo.Check]:
    """Apply the SLO gates (verdict and exit code into ``result``); a run that broke gets exit 3."""
    try:
        config = slo.load(knobs.slo_file or None, scenario)
    except slo.SloConfigError as exc:
        config, result["notes"] = {}, [*result["notes"], f"SLO file unusable: {exc}"]
        state.fatal = state.fatal or str(exc)
    checks = slo.apply(result, config)
    if locust.log.unhandled_greenlet_exception:
        result["notes"].append("an unhandled exception killed a greenlet: see the log")
    broke = state.fatal or state.counters["setup_errors"] or locust.log.unhandled_greenlet_exception
    if broke or interrupted:
        result["exit_code"] = slo.EXIT_RUN_ERROR
    return checks


def _log_verdict(result: dict[str, Any], checks: list[slo.Check], notes: list[str], out_dir: Path) -> None:
    """The master's log: the achieved rate, each breach, each note (those of the run), one verdict line."""
    rate = result["rate"]
    if rate is not None:
        short = 1.0 - rate["achieved"] / rate["target"] if rate["target"] else 0.0
        log.info(
            "recqual: open model: achieved %.2f req/s of %.2f target (%.1f%% short)",
            rate["achieved"],
            rate["target"],
            max(0.0, short) * 100,
        )
    for check in checks:
        if not check.passed:
            log.error("recqual SLO breach: %s", check.message)
    for note in notes:
        log.warning("recqual: %s", note)
    log.info(
        "recqual: %s %s (exit %d): %d requests, %d failures; races %d rounds, %d violations; summary %s",
        result["scenario"],
        "PASSED" if result["exit_code"] == 0 else "FAILED",
        result["exit_code"],
        result["totals"]["requests"],
        result["totals"]["failures"],
        result["races"]["rounds"],
        result["races"]["violations"],
        out_dir / "summary.json",
    )
