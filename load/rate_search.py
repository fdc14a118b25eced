"""The capacity search: which arrival rates to try, and whether the server held each one. Pure Python.

The capacity scenario is an open model: requests arrive on a schedule at a rate the search sets, whatever
the server's answers take, so a server that cannot keep up builds a queue, and the queue shows in the
latency measured from each request's intended start. A step *holds* its rate when, over its measured
window, all of these are true (the limits come from the SLO file):

- p99 from the intended start <= ``[capacity] p99_ms``;
- failures / requests <= ``[defaults] max_failure_ratio`` (an unpredicted answer, or no answer);
- the achieved rate (answers per second) is short of the step's rate by at most ``[run] max_rate_shortfall``;
- no ``503`` (no recording channel): that limit is the server's channels, not its rate.

The rates: ``start``, then ``x factor`` while steps hold (the ramp; ``/ factor`` while none has held yet,
a few times); a rate that breaks while ramping is tried once more (a stall of a shared machine must not
end the search; a 503 is not retried); once one broke twice, ``refine`` bisections between the highest
rate held and the lowest broken. The answer is the highest rate
held; the true limit lies between it and the lowest broken rate, within ``(factor - 1) / 2**refine``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

MAX_DOWN_STEPS = 3
"""When the first rate breaks, at most this many steps down (each / factor) look for one that holds."""
GENERATOR_BUSY = 90.0
"""Percent of one core: a load generator this busy when a step broke may be what broke it."""


@dataclass(frozen=True)
class SearchPlan:
    start_rate: float  # requests/s of the first step
    factor: float  # ramp: each held step's rate times this
    refine: int  # bisections after the first broken step
    max_rate: float = 0.0  # never try above this (0: no ceiling but the run time)

    def __post_init__(self) -> None:
        if self.start_rate <= 0 or self.factor <= 1 or self.refine < 0 or self.max_rate < 0:
            raise ValueError(
                "capacity search: start rate > 0, factor > 1, refine >= 0 and max rate >= 0 required"
            )


@dataclass(frozen=True)
class Limits:
    p99_ms: float
    max_failure_ratio: float
    max_shortfall: float


@dataclass(frozen=True)
class Measured:
    """One step's measured window."""

    seconds: float
    requests: int
    failures: int
    p99_intended_ms: float
    count_503: int = 0
    generator_cpu: float | None = None  # the busiest load-generator process, percent of one core
    rate: float | None = None  # answers/s when measured better than requests / seconds (across workers)

    @property
    def achieved(self) -> float:
        if self.rate is not None:
            return self.rate
        return self.requests / self.seconds if self.seconds > 0 else 0.0


@dataclass(frozen=True)
class Step:
    rate: float
    started_s: float  # run time at which the step began
    seconds: float  # its measured window
    requests: int
    achieved: float
    p99_intended_ms: float
    failures: int
    count_503: int
    held: bool
    why: str  # what broke it ("" when held)
    partial: bool = False  # cut short by the end of the run: not judged
    generator_cpu: float | None = None

    def as_dict(self) -> dict[str, Any]:
        return {k: (round(v, 3) if isinstance(v, float) else v) for k, v in asdict(self).items()}


def judge(rate: float, window: Measured, limits: Limits) -> tuple[bool, str]:
    """(held, why not) for one step at ``rate`` (see the module docstring)."""
    if window.requests <= 0 or window.seconds <= 0:
        return False, f"no answer at {rate:g} req/s"
    achieved = window.achieved
    shortfall = max(0.0, 1.0 - achieved / rate)
    ratio = window.failures / window.requests
    if window.count_503:
        return False, f"{window.count_503} x 503 (no recording channel) at {rate:g} req/s"
    if window.p99_intended_ms > limits.p99_ms:
        return False, (
            f"p99 from the intended start {window.p99_intended_ms:g} ms above {limits.p99_ms:g} ms "
            f"at {rate:g} req/s"
        )
    if ratio > limits.max_failure_ratio:
        return False, f"{window.failures} failures in {window.requests} requests at {rate:g} req/s"
    if shortfall > limits.max_shortfall:
        return False, f"achieved {achieved:.1f} req/s, {shortfall:.0%} short of {rate:g} req/s"
    return True, ""


class RateSearch:
    """The search's state: the steps so far and the next rate to try (``None``: done, see ``stopped``)."""

    def __init__(self, plan: SearchPlan, limits: Limits) -> None:
        self.plan, self.limits = plan, limits
        self.steps: list[Step] = []
        self.held: float | None = None  # highest rate held
        self.broken: float | None = None  # lowest rate broken (twice in a row while ramping)
        self.stopped = ""
        self._retry: float | None = None  # a rate that broke once while ramping: it gets a second try
        self._downs = 0
        self._refined = 0

    def next_rate(self) -> float | None:
        if self.stopped:
            return None
        if not self.steps:
            return self._capped(self.plan.start_rate)
        if self._retry is not None:  # one stall on a shared machine must not end the ramp
            return self._retry
        if self.broken is None:  # still ramping: the last step held
            assert self.held is not None
            if self.plan.max_rate and self.held >= self.plan.max_rate:
                return self._stop(f"held the ceiling {self.plan.max_rate:g} req/s (--recqual-max-rate)")
            return self._capped(self.held * self.plan.factor)
        if self.held is None:  # nothing held yet: step down, a few times
            if self._downs >= MAX_DOWN_STEPS:
                return self._stop(f"no rate held, down to {self.broken:g} req/s: {self.steps[-1].why}")
            self._downs += 1
            return round(self.broken / self.plan.factor, 3)
        if self._refined >= self.plan.refine:
            return self._stop(
                f"between {self.held:g} (held) and {self.broken:g} req/s (broken: {self._first_break()})"
            )
        self._refined += 1
        return round((self.held + self.broken) / 2, 3)

    def record(self, rate: float, started_s: float, window: Measured, *, partial: bool = False) -> Step:
        held, why = judge(rate, window, self.limits) if not partial else (False, "cut short by the run's end")
        step = Step(
            rate=rate,
            started_s=started_s,
            seconds=window.seconds,
            requests=window.requests,
            achieved=window.achieved,
            p99_intended_ms=window.p99_intended_ms,
            failures=window.failures,
            count_503=window.count_503,
            held=held,
            why=why,
            partial=partial,
            generator_cpu=window.generator_cpu,
        )
        self.steps.append(step)
        if partial:
            return step
        retried, self._retry = self._retry, None
        if held:
            self.held = rate if self.held is None else max(self.held, rate)
        elif self.broken is None and retried != rate and not window.count_503:
            self._retry = rate  # a break while ramping: try it again before believing it
        else:
            self.broken = rate if self.broken is None else min(self.broken, rate)
        return step

    def stop(self, reason: str) -> None:
        self.stopped = self.stopped or reason

    def report(self) -> dict[str, Any]:
        """The capacity section of summary.json."""
        # The steps that set the answer's upper end: every try of the lowest broken rate. The first
        # break of a ramp is often retried and a later bisection breaks lower, so the first broken step
        # is the wrong one to ask (a run at 97 % of a core was once reported as not generator-bound).
        breaking = [s for s in self.steps if s.rate == self.broken and not s.held and not s.partial]
        cpus = [s.generator_cpu for s in breaking if s.generator_cpu is not None]
        cpu_at_break = max(cpus) if cpus else None
        return {
            "model": "open",
            "p99_limit_ms": self.limits.p99_ms,
            "highest_rate": self.held,
            "lowest_broken_rate": self.broken,
            "first_503_rate": next((s.rate for s in self.steps if s.count_503), None),
            "stopped_because": self.stopped or "run time limit reached",
            "generator_cpu_at_break": cpu_at_break,
            "generator_bound": cpu_at_break is not None and cpu_at_break >= GENERATOR_BUSY,
            "steps": [step.as_dict() for step in self.steps],
        }

    def _first_break(self) -> str:
        """Why the lowest broken rate broke (its last try)."""
        return next((s.why for s in reversed(self.steps) if s.rate == self.broken and not s.held), "")

    def _capped(self, rate: float) -> float:
        rate = round(rate, 3)
        return min(rate, self.plan.max_rate) if self.plan.max_rate else rate

    def _stop(self, reason: str) -> float | None:
        """Stop the search: no next rate."""
        self.stopped = reason
        return None
