"""The capacity shape: a fixed set of users on an open-model schedule whose arrival rate rises step by step.

The users are all started first (``-u`` at ``-r``; they must be enough to carry the highest rate: each has
one request in flight at a time). Then each step offers one total arrival rate, chosen by
``load.rate_search.RateSearch`` (the ramp, then bisection), and shares it among the users
(``load.locustlib.arrivals``). The step table is knobs:

| knob                        | meaning                                                    | default |
|-----------------------------|------------------------------------------------------------|---------|
| ``--recqual-start-rate``    | requests/s of the first step                               | 20      |
| ``--recqual-rate-factor``   | ramp: the next rate after a held step is this times higher | 1.5     |
| ``--recqual-refine-steps``  | bisections between the highest held and lowest broken rate | 2       |
| ``--recqual-max-rate``      | never offer more (0: no ceiling)                           | 0       |
| ``--recqual-step-seconds``  | length of each step                                        | 5 s     |

Before the first step, one step's time at the start rate warms up, unjudged: every user's first requests
(new connections, the server's first check of each user's credentials, its caches) land there, not in a
step. A step's first part settles (the new rate reaches every user, a broken step's queue drains: at
least 1 s, and one slot period of a user); the rest is its measured window, read from the master's merged
stats (a diff, so earlier steps do not dilute it): answers, failures, 503s and the p99 from the intended
start over every operation. Workers report every 3 s: across workers a step runs 3.5 s longer and its
window is that much later, its achieved rate is each worker's between two of its own reports, and steps
should be 8 s or more (two reports in the window). The busiest load-generator process's CPU is kept per
step: a step that broke with a generator near a full core was limited by the generator, not the server
(``generator_bound``: add ``--workers``).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from locust import LoadTestShape
from locust.runners import MasterRunner, Runner

from load import operations as ops
from load import slo
from load.locustlib.hooks import offer_rate
from load.locustlib.options import Knobs
from load.locustlib.state import run_state
from load.rate_search import Limits, Measured, RateSearch, SearchPlan
from load.summary import classify, outcome_row, percentile

SETTLE_MIN_S = 1.0
USERS_WAIT_S = 60.0
"""The first step starts when every user has set up its lines, or after this long (some could not)."""
REPORT_LAG_S = 3.5
"""Workers report every 3 s (Locust's ``WORKER_REPORT_INTERVAL``), plus the way to the master."""
USERS_READY = "capacity_users_ready"
"""The run counter of users whose set-up is done (workers report it with their stats, every 3 s)."""


@dataclass
class _Mark:
    """The merged stats at the start of a step's measured window."""

    t: float
    requests: int
    failures: int
    count_503: int
    intended: dict[float, int]
    cpu: list[float] = field(default_factory=list)


class ArrivalRateSteps(LoadTestShape):
    use_common_options = True  # -u users, -r spawn rate, -t the overall bound

    def __init__(self) -> None:
        super().__init__()
        self._clear()

    def reset_time(self) -> None:
        super().reset_time()
        self._clear()

    def _clear(self) -> None:
        self.search: RateSearch | None = None
        self._rate = 0.0
        self._step_start = 0.0  # run time
        self._step_mono = 0.0
        self._mark: _Mark | None = None
        self._cpu: list[float] = []
        self._waiting_since: float | None = None
        self._warm_until: float | None = None  # run time at which the warm-up ends

    @property
    def _runner(self) -> Runner:
        """Locust gives the shape its runner before the first tick; the shape runs only on the master."""
        assert self.runner is not None
        return self.runner

    # -- the table ------------------------------------------------------------------------------------
    def tick(self):
        options = self._runner.environment.parsed_options
        knobs = Knobs.from_options(options)
        users = int(getattr(options, "num_users", 0) or 1)
        spawn_rate = float(getattr(options, "spawn_rate", 0) or users)
        if self.search is None:
            self.search = _new_search(knobs)
        search = self.search
        if search.stopped:
            return None
        if not self._rate:
            if not self._all_users_running(users):
                return users, spawn_rate
            if self._warm_until is None:  # first the warm-up, at the start rate, not judged
                self._warm_until = self.get_run_time() + knobs.step_seconds + self._lag()
                offer_rate(self._runner.environment, search.plan.start_rate / users)
            if self.get_run_time() < self._warm_until:
                return users, spawn_rate
            return self._open(search.next_rate(), users, spawn_rate)
        self._cpu.append(self._generator_cpu())
        elapsed = self.get_run_time() - self._step_start - self._lag()
        settle = max(SETTLE_MIN_S, users / self._rate, knobs.step_seconds / 4)
        if self._mark is None and elapsed >= min(settle, knobs.step_seconds / 2):
            self._mark = self._take_mark()
        if elapsed < knobs.step_seconds:
            return users, spawn_rate
        self._close(partial=False)
        return self._open(search.next_rate(), users, spawn_rate)

    def _lag(self) -> float:
        """How far the master's merged stats trail the workers: a step runs this much longer, and its
        window starts and ends this much later, so that it holds the step's own requests."""
        return REPORT_LAG_S if isinstance(self._runner, MasterRunner) else 0.0

    def _all_users_running(self, users: int) -> bool:
        """Every user set up (its lines leased, its calls placed): set-up traffic must not fall in a step."""
        if self._waiting_since is None:
            self._waiting_since = time.monotonic()
        ready = run_state(self._runner.environment).counters[USERS_READY]
        return ready >= users or time.monotonic() - self._waiting_since > USERS_WAIT_S

    def _open(self, rate: float | None, users: int, spawn_rate: float):
        if rate is None:
            self._rate = 0.0
            return None
        self._rate, self._step_start, self._step_mono = rate, self.get_run_time(), time.monotonic()
        self._mark, self._cpu = None, []
        offer_rate(self._runner.environment, rate / users)
        return users, spawn_rate

    # -- per-step measurement ---------------------------------------------------------------------------
    def _take_mark(self) -> _Mark:
        stats = self._runner.stats
        entry = stats.entries.get((outcome_row(ops.START, 503), "POST"))
        return _Mark(
            t=time.monotonic(),
            requests=stats.total.num_requests,
            failures=stats.total.num_failures,
            count_503=entry.num_requests if entry is not None else 0,
            intended=self._intended(),
        )

    def _intended(self) -> dict[float, int]:
        """Every operation's intended-start histogram, merged: {bucketed ms: count}."""
        merged: dict[float, int] = {}
        for (name, _method), entry in self._runner.stats.entries.items():
            if classify(str(name))[0] == "intended":
                for bucket, count in entry.response_times.items():
                    merged[float(bucket)] = merged.get(float(bucket), 0) + count
        return merged

    def _generator_cpu(self) -> float:
        """The busiest load-generator process now: the local runner itself, or the busiest worker."""
        runner = self._runner
        if isinstance(runner, MasterRunner):
            return max((float(c.cpu_usage or 0) for c in runner.clients.values()), default=0.0)
        return float(getattr(runner, "current_cpu_usage", 0) or 0)

    def _workers_rate(self, start: float, end: float) -> float | None:
        """Across workers: the sum of each worker's rate between its first and last report in the window
        (``RunState.worker_reports``); ``None`` on a local runner, or when a worker sent fewer than two."""
        if not isinstance(self._runner, MasterRunner):
            return None
        total = 0.0
        for reports in run_state(self._runner.environment).worker_reports.values():
            inside = [(t, n) for t, n in reports if start <= t <= end]
            if len(inside) < 2 or inside[-1][0] <= inside[0][0]:
                return None
            total += (inside[-1][1] - inside[0][1]) / (inside[-1][0] - inside[0][0])
        return total or None

    def _close(self, *, partial: bool) -> None:
        assert self.search is not None
        mark = self._mark or self._take_mark()
        now = self._take_mark()
        diff = {k: n - mark.intended.get(k, 0) for k, n in now.intended.items()}
        diff = {k: n for k, n in diff.items() if n > 0}
        window = Measured(
            seconds=round(now.t - mark.t, 3),
            requests=now.requests - mark.requests,
            failures=now.failures - mark.failures,
            p99_intended_ms=percentile(diff, sum(diff.values()), 0.99),
            count_503=now.count_503 - mark.count_503,
            generator_cpu=round(max(self._cpu), 1) if self._cpu else None,
            rate=self._workers_rate(mark.t, now.t),
        )
        started = round(self._step_start + (mark.t - self._step_mono), 3)
        self.search.record(self._rate, started, window, partial=partial or window.seconds <= 0)

    def report(self) -> dict:
        """The capacity section of summary.json (called by the master's quitting listener)."""
        search = self.search or RateSearch(SearchPlan(1.0, 2.0, 0), Limits(0.0, 0.0, 0.0))
        if self._rate and not search.stopped:
            self._close(partial=True)
            search.stop("run time limit reached")
            self._rate = 0.0
        return search.report()


def _new_search(knobs: Knobs) -> RateSearch:
    config = slo.load(knobs.slo_file or None, "capacity")
    limits = Limits(
        p99_ms=float(config.get("capacity", {}).get("p99_ms", 250.0)),
        max_failure_ratio=float(config.get("defaults", {}).get("max_failure_ratio", 0.0)),
        max_shortfall=float(config.get("run", {}).get("max_rate_shortfall", 0.05)),
    )
    plan = SearchPlan(
        start_rate=knobs.start_rate,
        factor=knobs.rate_factor,
        refine=knobs.refine_steps,
        max_rate=knobs.max_rate,
    )
    return RateSearch(plan, limits)
