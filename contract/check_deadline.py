"""A time limit per check, kept by the HTTP client: no single check may hold a run hostage.

Why the client keeps it and not a timer signal: the per-request timeouts bound one request, the
circuit breaker bounds a dead server, but a server that answers every request just in time (or sends
big bodies the client must read up to its cap) can keep a Hypothesis test generating examples for an
hour. A signal raised into arbitrary code could interrupt a check half-way through starting a
recording; the client instead refuses the next request once the check ran over, with a message
naming the check and its limit, and shortens the last request's timeouts to what is left. Clean-up
after the check (the scene stopping what it started) is not limited: the limit covers the call phase
only.

Loaded as a pytest plugin (``-p contract.check_deadline``, which ``recqual qualify`` passes); the
option ``--check-timeout`` sets the limit (defaults below). Module state rather than thread-local:
race checks send from worker threads, and the limit is the check's, not the thread's.
"""

from __future__ import annotations

import itertools
import math
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import pytest

from contract.failures import TargetError

QUICK_LIMIT_S = 120.0
"""The slowest check of a clean ``--quick`` run takes ~9 s on the emulator; a lab at 10 rps ~5x more."""
FULL_LIMIT_S = 600.0


class CheckOverTime(TargetError):
    """The check ran over its time limit: the request was not sent (nothing to clean up for it)."""


@dataclass
class _Limit:
    check: str = ""
    seconds: float = math.inf
    deadline: float = math.inf
    serial: int = 0
    """Which check this is (0: none): what the client's per-check memory is keyed by."""


_current = _Limit()
_lock = threading.Lock()
_serials = itertools.count(1)


def serial() -> int:
    """An id of the running check, new for each check; 0 outside checks (set-up, clean-up)."""
    with _lock:
        return _current.serial


def remaining() -> float:
    """Seconds left for the running check (``inf`` outside a check, e.g. during clean-up)."""
    with _lock:
        return _current.deadline - time.monotonic()


def guard(operation: str, curl: str = "") -> None:
    """Refuse to send once the running check is over its limit."""
    with _lock:
        limit = _Limit(_current.check, _current.seconds, _current.deadline)
    if time.monotonic() >= limit.deadline:
        raise CheckOverTime(
            f"{operation}: not sent, the check {limit.check} ran over its {limit.seconds:g} s time limit "
            "(the server answered too slowly or sent too much for the check to finish)",
            operation=operation,
            curl=curl,
        )


@contextmanager
def limit(seconds: float, check: str) -> Iterator[None]:
    """The requests sent inside the block belong to ``check``, which may take ``seconds``."""
    global _current
    with _lock:
        _current = _Limit(check, seconds, time.monotonic() + seconds, next(_serials))
    try:
        yield
    finally:
        with _lock:
            _current = _Limit()


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.getgroup("recqual").addoption(
        "--check-timeout",
        dest="recqual_check_timeout",
        type=float,
        default=None,
        help=f"Time limit of one check's own requests, in seconds (default {QUICK_LIMIT_S:g} with --quick, "
        f"{FULL_LIMIT_S:g} otherwise); past it the check fails naming the limit, and the run goes on.",
    )


def _seconds(config: pytest.Config) -> float:
    given = config.getoption("recqual_check_timeout", default=None)
    if given is not None:
        return float(given)
    return QUICK_LIMIT_S if config.getoption("quick", default=False) else FULL_LIMIT_S


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    with limit(_seconds(item.config), getattr(item, "originalname", item.name)):
        return (yield)


def pytest_configure(config: pytest.Config) -> None:
    given = config.getoption("recqual_check_timeout", default=None)
    if given is not None and not 0 < given < math.inf:
        raise pytest.UsageError("--check-timeout must be a positive number of seconds")
