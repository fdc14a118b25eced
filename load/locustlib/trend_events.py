"""Per-request timings for the trend gate (``load/trend.py``), collected through Locust's events.

Registered on import (``load.locustlib.hooks`` imports it). Lifecycle:

1. ``init``: a :class:`~load.trend.Series` for this process, bins as wide as the planned run time
   allows (a worker, which does not know the run time, keeps one-second bins and ships them often);
2. ``request`` (every process that runs users; registered in ``init``, bound to its recorder):
   each operation request's start time, response time
   and whether it failed, into its bin; the ``outcome``, ``intended`` and ``race`` rows are not requests;
3. ``spawning_complete`` (master or local runner): the steady window starts; ``test_stopping``: it ends;
4. ``report_to_master`` / ``worker_report``: a worker ships its bins with each stats report and forgets
   them; the master merges them into its own series (so distributed runs are judged like local ones);
5. :func:`trend_section` (called by ``hooks._on_quitting`` on the master or local runner): the
   ``trend`` section of ``summary.json``, from which ``load/slo.py`` evaluates the gate.
"""

from __future__ import annotations

import functools
import time
import weakref
from dataclasses import dataclass, field
from typing import Any

import locust.stats
from locust import events
from locust.runners import WorkerRunner

from load import trend
from load.summary import classify


@dataclass
class Recorder:
    series: trend.Series = field(default_factory=trend.Series)
    steady_from: float | None = None
    stopped_at: float | None = None
    first_request: float | None = None


_RECORDERS: weakref.WeakKeyDictionary[Any, Recorder] = weakref.WeakKeyDictionary()
"""One recorder per Locust Environment (keyed by it, so a second environment in one process, e.g. a
test's, never shares one)."""


def recorder(environment: Any) -> Recorder:
    found = _RECORDERS.get(environment)
    if found is None:
        found = _RECORDERS[environment] = Recorder()
    return found


@events.init.add_listener
def _on_init(environment: Any, **_kwargs: Any) -> None:
    worker = isinstance(environment.runner, WorkerRunner)
    planned = getattr(environment.parsed_options, "run_time", None) if environment.parsed_options else None
    width = 1 if worker else trend.bin_width(float(planned) if isinstance(planned, int | float) else None)
    rec = _RECORDERS[environment] = Recorder(trend.Series(width))
    # bound to this environment's recorder: no lookup of the environment on every request
    environment.events.request.add_listener(functools.partial(_on_request, rec))
    environment.events.report_to_master.add_listener(lambda client_id, data, **_: _ship(environment, data))
    environment.events.worker_report.add_listener(lambda client_id, data, **_: _merge(environment, data))


def _on_request(
    rec: Recorder,
    request_type: str,
    name: str,
    response_time: float,
    exception: BaseException | None = None,
    context: Any = None,
    **kwargs: Any,
) -> None:
    """Runs for every request of the load pass: kept to a cached name test and one bin update."""
    if not _is_operation(str(name)):
        return
    started = kwargs.get("start_time") or time.time() - float(response_time or 0.0) / 1000.0
    rec.first_request = rec.first_request or started
    ms = locust.stats.bucket_response_time(float(response_time or 0.0))  # hooks' finer buckets
    rec.series.add(str(name), started, float(ms), exception is not None)


@functools.lru_cache(maxsize=1024)
def _is_operation(name: str) -> bool:
    """Stats names are a small fixed set (operation, ``op [status]`` rows, ...): classify each once."""
    return classify(name)[0] == "operation"


def _only_environment() -> Any:
    """The request event carries no environment; a Locust process has exactly one."""
    envs = list(_RECORDERS.keys())
    return envs[-1] if envs else None


@events.spawning_complete.add_listener
def _on_spawning_complete(user_count: int, **_kwargs: Any) -> None:
    environment = _only_environment()
    if environment is not None and not isinstance(environment.runner, WorkerRunner):
        rec = recorder(environment)
        rec.steady_from = rec.steady_from or time.time()


@events.test_stopping.add_listener
def _on_test_stopping(environment: Any, **_kwargs: Any) -> None:
    rec = recorder(environment)
    rec.stopped_at = rec.stopped_at or time.time()


def _ship(environment: Any, data: dict[str, Any]) -> None:
    rows = recorder(environment).series.drain()
    if rows:
        data["recqual_trend"] = rows


def _merge(environment: Any, data: dict[str, Any]) -> None:
    rows = data.get("recqual_trend")
    if rows:
        recorder(environment).series.merge(rows)


def trend_section(environment: Any) -> dict[str, Any]:
    """The ``trend`` section of ``summary.json`` (master or local runner, at quitting)."""
    rec = recorder(environment)
    start = rec.steady_from or rec.first_request
    end = rec.stopped_at or time.time()
    return trend.section(rec.series, start, end)
