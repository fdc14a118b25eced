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

What the listeners hand each other lives in ``STATE`` (``STATE.lifecycle`` for the master's own
bookkeeping), the process's one ``RunState``: Locust calls the listeners with arguments of its own, so
nothing of ours can be passed to them.
"""

from __future__ import annotations

import json
import random
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

import gevent
import locust.log
import locust.stats
from locust import events
from locust.runners import STATE_MISSING, STATE_RUNNING, STATE_SPAWNING, MasterRunner, WorkerRunner

from load import operations as ops
from load import slo
from load import summary as summary_mod
from load.lines import lab_lines, partition
from load.locustlib.options import Knobs
from load.locustlib.state import STATE, log
from recqual.preflight import Preflight
from recqual.target_config import ConfigError, RoleCredentials, resolve

if TYPE_CHECKING:  # base imports this module (to register the listeners): no import cycle at run time
    from load.locustlib.base import RecqualUser

EMULATOR_ADMIN = RoleCredentials("l10", "admin", "admin", "the emulator's seeded admin")
"""Who acts when the control plane may be used and no l10 credentials were given."""

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
    log.error("recqual: %s", message)
    STATE.fatal = STATE.fatal or message
    STATE.counters["fatal"] += 1
    if not isinstance(environment.runner, WorkerRunner):
        gevent.spawn_later(0.1, environment.runner.quit)


# -- 1. init --------------------------------------------------------------------------------------------
@events.init.add_listener
def _on_init(environment, **_kwargs) -> None:
    # gevent's loop caches "now" and has not run since locust was imported; slow imports (a busy machine
    # takes seconds) would leave it stale, and the --run-time timer, scheduled from it, would fire at
    # once: a 2-s run ended before its first request. Refresh it before Locust schedules anything.
    gevent.get_hub().loop.update_now()
    runner = environment.runner
    if isinstance(runner, WorkerRunner):
        runner.register_message("recqual_stop", _worker_stop, concurrent=True)
    elif isinstance(runner, MasterRunner):
        runner.register_message("recqual_stopped", _master_worker_stopped)


# -- 2. test_start --------------------------------------------------------------------------------------
class _SetupFailed(Exception):
    """A step of test_start found the run cannot go on; its message is the one line the operator reads."""


@events.test_start.add_listener
def _on_test_start(environment, **_kwargs) -> None:
    worker = isinstance(environment.runner, WorkerRunner)
    options = environment.parsed_options
    STATE.begin()
    STATE.knobs = Knobs.from_options(options)
    cls = scenario_class(environment)
    STATE.scenario = cls.scenario if cls else "unknown"
    STATE.host = (environment.host or "").rstrip("/")
    try:
        if not worker:
            _choose_run_settings(environment, STATE.knobs)
        _adopt_run_settings(environment, STATE.knobs, cls)
        if not STATE.host:
            raise _SetupFailed("no target: pass -H/--host")
        if not worker:  # the master's (or local runner's) reading of the preflight goes to every worker
            _share_preflight(options, STATE.knobs)
        usable = _resolve_target(options, STATE.knobs)
        if not STATE.control:
            _take_lab_lines(usable, cls, worker)
        STATE.prepared = True
        _log_start(environment.runner)
        if not worker and cls is not None:
            _prepare_scene(cls, STATE.knobs)
    except _SetupFailed as exc:
        _fail_setup(environment, str(exc))


def _choose_run_settings(environment, knobs: Knobs) -> None:
    """Master or local runner: the run id, the per-user rate and the worker count, put in the options so
    that Locust forwards them to every worker in its spawn message."""
    runner, options = environment.runner, environment.parsed_options
    STATE.lifecycle.started_at = datetime.now(UTC).isoformat(timespec="seconds")
    STATE.lifecycle.started_mono = time.monotonic()
    users = int(getattr(options, "num_users", 0) or 1)
    options.recqual_run_id = knobs.run_id or f"{random.randrange(1, 0xFFFF):04x}"
    options.recqual_per_user_rate = knobs.rate / users if knobs.rate > 0 else 0.0
    options.recqual_worker_count = runner.worker_count if isinstance(runner, MasterRunner) else 1


def _adopt_run_settings(environment, knobs: Knobs, cls: type[RecqualUser] | None) -> None:
    """Every process: take the settings the master chose (a worker reads them from its spawn message)."""
    options = environment.parsed_options
    try:
        STATE.run_id = int(str(getattr(options, "recqual_run_id", "0") or "0"), 16)
    except ValueError:
        raise _SetupFailed("--recqual-run-id must be hexadecimal") from None
    STATE.per_user_rate = float(getattr(options, "recqual_per_user_rate", 0.0) or 0.0)
    STATE.worker_count = max(1, int(getattr(options, "recqual_worker_count", 1) or 1))
    STATE.worker_index = max(0, int(getattr(environment.runner, "worker_index", 0) or 0))
    if knobs.rate > 0 and cls is not None and not cls.supports_rate:
        log.warning("recqual: --recqual-rate is ignored by the %s scenario", STATE.scenario)
        STATE.per_user_rate = 0.0


def _share_preflight(options, knobs: Knobs) -> None:
    """Master or local runner: what the preflight allows (control plane, usable lines), for every worker."""
    try:
        pre = read_preflight(knobs.preflight, STATE.host)
    except ValueError as exc:
        raise _SetupFailed(str(exc)) from None
    options.recqual_control_allowed = pre.control_allowed
    options.recqual_usable_lines = list(pre.usable_lines)


def _resolve_target(options, knobs: Knobs) -> list[str]:
    """The target as this process sees it (its own credentials), proven reachable; returns the usable
    lines the preflight named."""
    control = getattr(options, "recqual_control_allowed", None)
    if control is None:
        raise _SetupFailed("no preflight from the master (RECQUAL_PREFLIGHT)")
    STATE.control = bool(control)
    usable = list(getattr(options, "recqual_usable_lines", None) or [])
    try:
        STATE.config = resolve(
            target=STATE.host, target_file=knobs.target_file or None, tls_verify=knobs.tls_verify or None
        )
    except ConfigError as exc:
        raise _SetupFailed(str(exc)) from None
    STATE.admin = STATE.config.role("l10")
    if STATE.admin is None and STATE.control:
        STATE.admin = EMULATOR_ADMIN
    if STATE.admin is None:
        raise _SetupFailed(
            "no credentials: set RECQUAL_USER/RECQUAL_PASSWORD or [credentials.l10] in the target file"
        )
    reply = STATE.client().request("GET", ops.recordings_root() + "?page=0&pageSize=1")
    if reply.status == 0:
        raise _SetupFailed(f"target {public_url(STATE.host)} unreachable: {reply.error}")
    return usable


def _take_lab_lines(usable: list[str], cls: type[RecqualUser] | None, worker: bool) -> None:
    """A lab: this worker's share of the usable standing-call lines, and the no-call lines."""
    if STATE.worker_index >= STATE.worker_count:
        raise _SetupFailed(f"worker index {STATE.worker_index} >= worker count {STATE.worker_count}")
    assert STATE.config is not None  # set by _resolve_target
    standing, STATE.idle_lines = lab_lines(STATE.config, usable)
    STATE.free_lines = partition(standing, STATE.worker_index, STATE.worker_count)
    if cls is not None and cls.needs_lines and not standing and not worker:
        raise _SetupFailed(
            f'the {STATE.scenario} scenario needs lines: no usable [[lines]] with call = "standing" '
            "in the target file (preflight.json says which are usable), and no emulator control plane "
            "this run may use (python -m load --allow-reset)"
        )


def _log_start(runner) -> None:
    if isinstance(runner, WorkerRunner):
        role = f"worker {STATE.worker_index} of {STATE.worker_count}"
    else:
        role = f"master of {STATE.worker_count} workers" if isinstance(runner, MasterRunner) else "local"
    if STATE.control:
        kind = "emulator control plane"
    else:
        kind = f"lab: {len(STATE.free_lines)} standing-call line(s), {len(STATE.idle_lines)} without a call"
    log.info("recqual: %s against %s (%s), %s", STATE.scenario, public_url(STATE.host), kind, role)


def _prepare_scene(cls: type[RecqualUser], knobs: Knobs) -> None:
    """Master or local runner, once: the emulator's channels (control plane only), then the scenario's
    own scene. The scene is a precondition: no scene, no run."""
    if STATE.control:
        channels = knobs.channels if knobs.channels >= 0 else cls.channels
        if channels >= 0:
            before = STATE.emulator().settings()
            STATE.lifecycle.saved_channels = before.get("channels") if isinstance(before, dict) else None
            if STATE.emulator().settings(channels=channels) is None:
                raise _SetupFailed("PUT /_emulator/settings refused the channel count")
    try:
        cls.prepare_scene(STATE)
    except Exception as exc:
        raise _SetupFailed(f"preparing the scene failed: {type(exc).__name__}: {exc}") from None


# -- 3. test_stopping: the distributed stop handshake -----------------------------------------------------
@events.test_stopping.add_listener
def _on_test_stopping(environment, **_kwargs) -> None:
    STATE.stopping_at = STATE.stopping_at or time.monotonic()
    runner = environment.runner
    if not isinstance(runner, MasterRunner):
        return
    workers = [c.id for c in runner.clients.all if c.state != STATE_MISSING]
    STATE.lifecycle.pending_workers = pending = set(workers)  # emptied by _master_worker_stopped
    for client_id in workers:
        runner.send_message("recqual_stop", None, client_id=client_id)
    deadline = time.monotonic() + STOP_HANDSHAKE_TIMEOUT + (environment.stop_timeout or 0)
    while pending and time.monotonic() < deadline:
        gevent.sleep(0.1)
    if pending:
        log.error("recqual: %d worker(s) did not confirm their clean-up", len(pending))
        STATE.counters["workers_unconfirmed"] += len(pending)


def _worker_stop(environment, msg, **_kwargs) -> None:
    """Worker side: stop users now (fires test_stop: the sweep), flush stats, confirm to the master."""
    runner = environment.runner
    runner.stop()
    runner._send_stats()  # Locust's own final-report call, made now instead of after "quit"
    runner.send_message("recqual_stopped", None)


def _master_worker_stopped(environment, msg, **_kwargs) -> None:
    STATE.lifecycle.pending_workers.discard(msg.node_id)


# -- 4. test_stop: clean-up -------------------------------------------------------------------------------
@events.test_stop.add_listener
def _on_test_stop(environment, **_kwargs) -> None:
    runner = environment.runner
    if not isinstance(runner, MasterRunner):
        STATE.sweep()
        due, issued = STATE.rate_counts()
        STATE.counters["rate_due"] += due
        STATE.counters["rate_issued"] += issued
        STATE.schedules.clear()
    saved = STATE.lifecycle.saved_channels
    if not isinstance(runner, WorkerRunner) and STATE.control and saved is not None:
        STATE.emulator().settings(channels=saved)
        STATE.lifecycle.saved_channels = None


# -- 5. counters across processes -------------------------------------------------------------------------
@events.report_to_master.add_listener
def _on_report_to_master(client_id, data, **_kwargs) -> None:
    if STATE.counters:
        data["recqual"] = dict(STATE.counters)
        if STATE.fatal:
            data["recqual_fatal"] = STATE.fatal
        STATE.counters.clear()


@events.worker_report.add_listener
def _on_worker_report(client_id, data, **_kwargs) -> None:
    for key, value in (data.get("recqual") or {}).items():
        STATE.counters[key] += value
    if data.get("recqual_fatal") and not STATE.fatal:
        STATE.fatal = f"worker: {data['recqual_fatal']}"


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
    runner = environment.runner
    if isinstance(runner, WorkerRunner) or STATE.lifecycle.quitting:
        return  # a second SIGTERM (e.g. the parent-death signal) must not write a second summary
    STATE.lifecycle.quitting = True
    interrupted = runner.state in (STATE_SPAWNING, STATE_RUNNING)
    if interrupted:
        # SIGTERM (the runner's Ctrl-C, a timeout, a parent going away): Locust fires "quitting" before it
        # stops the users. Stop them now, so the sweep (test_stop; the workers' through the handshake)
        # runs before the summary is written and its counts are in it.
        log.warning("recqual: interrupted: stopping users and cleaning up before the summary")
        runner.stop()
    knobs = STATE.knobs or Knobs.from_options(environment.parsed_options)
    scenario = STATE.scenario or "unknown"
    out_dir = Path(knobs.out_dir or f"reports/load/{scenario}-{datetime.now(UTC):%Y%m%dT%H%M%SZ}")
    out_dir.mkdir(parents=True, exist_ok=True)
    notes = _notes(interrupted)
    result = _summary(environment, knobs, scenario, notes)
    checks = _judge(result, knobs, scenario, interrupted)
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


def _summary(environment, knobs: Knobs, scenario: str, notes: list[str]) -> dict[str, Any]:
    """summary.json without its verdict, from the merged stats and this run's counters."""
    runner, stats, counters = environment.runner, environment.stats, STATE.counters
    end = STATE.stopping_at or time.monotonic()
    started_mono = STATE.lifecycle.started_mono
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
        target=public_url(STATE.host or environment.host or ""),
        started=STATE.lifecycle.started_at,
        duration_s=duration,
        users=users,
        rows=[entry.serialize() for entry in stats.entries.values()],
        errors=[error.to_dict() for error in stats.errors.values()],
        rate=_rate_section(knobs) if STATE.per_user_rate > 0 else None,
        cleanup=cleanup if STATE.prepared else None,
        capacity=capacity,
        workers=STATE.worker_count if isinstance(runner, MasterRunner) else 0,
        exceptions=exceptions,
        notes=notes,
    )


def _rate_section(knobs: Knobs) -> dict[str, Any]:
    """Open model: target vs achieved rate (achieved = target x slots issued / slots due)."""
    due, issued = STATE.counters["rate_due"], STATE.counters["rate_issued"]
    return {
        "target": knobs.rate,
        "achieved": round(knobs.rate * issued / due, 3) if due else 0.0,
        "slots_due": due,
        "slots_issued": issued,
    }


def _notes(interrupted: bool) -> list[str]:
    """What the operator should know beside the gates: set-up failures, interruption, idle users..."""
    notes = []
    if STATE.fatal:
        notes.append(f"setup failed: {STATE.fatal}")
    if interrupted:
        notes.append("interrupted before the end of the run (no verdict); what it started was stopped")
    for key, text in _NOTED_COUNTERS:
        if STATE.counters[key]:
            notes.append(f"{STATE.counters[key]} {text}")
    return notes


def _judge(result: dict[str, Any], knobs: Knobs, scenario: str, interrupted: bool) -> list[slo.Check]:
    """Apply the SLO gates (verdict and exit code into ``result``); a run that broke gets exit 3."""
    try:
        config = slo.load(knobs.slo_file or None, scenario)
    except slo.SloConfigError as exc:
        config, result["notes"] = {}, [*result["notes"], f"SLO file unusable: {exc}"]
        STATE.fatal = STATE.fatal or str(exc)
    checks = slo.apply(result, config)
    if locust.log.unhandled_greenlet_exception:
        result["notes"].append("an unhandled exception killed a greenlet: see the log")
    broke = STATE.fatal or STATE.counters["setup_errors"] or locust.log.unhandled_greenlet_exception
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
