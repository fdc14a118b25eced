"""The capacity step shape: raise concurrency step by step until p99 breaks its limit or 503s appear.

The step table is three numbers, all knobs:

| knob                                   | meaning                                        | default |
|----------------------------------------|------------------------------------------------|---------|
| ``--recqual-step-users``               | users added per step (step k runs k x this)    | 2       |
| ``-u/--users``                         | ceiling: the shape stops after the step at it  | 10      |
| ``--recqual-step-seconds``             | length of each step                            | 5 s     |

(``-r`` is the spawn rate within a step; ``-t`` still bounds the whole run.) At the end of each step the
master looks at that step alone (a diff of the Aggregated histogram, so earlier steps do not dilute it):

- p99 above ``[capacity] p99_ms`` of the SLO file: the knee is the previous step's user count; stop.
- any ``startRecording [503]`` (no recording channel available): the first-503 concurrency is this step's
  user count; stop.

Only the master (or local runner) runs the shape and it reads the merged stats, which workers refresh every
3 s: in distributed runs use steps of 6 s or more.
"""

from __future__ import annotations

import time

from locust import LoadTestShape
from locust.runners import Runner

from load import operations as ops
from load import slo
from load.locustlib.options import Knobs
from load.summary import outcome_row, percentile


class CapacitySteps(LoadTestShape):
    use_common_options = True  # -u is the ceiling, -r the spawn rate, -t the overall bound

    def __init__(self) -> None:
        super().__init__()
        self._clear()

    def reset_time(self) -> None:
        super().reset_time()
        self._clear()

    def _clear(self) -> None:
        self.steps: list[dict] = []
        self.knee_users: int | None = None
        self.first_503_users: int | None = None
        self.stopped_because = ""
        self.p99_limit: float | None = None
        self._index = -1
        self._users = 0
        self._mark: dict | None = None

    @property
    def _runner(self) -> Runner:
        """Locust gives the shape its runner before the first tick; the shape runs only on the master."""
        assert self.runner is not None
        return self.runner

    # -- the table ------------------------------------------------------------------------------------
    def tick(self):
        options = self._runner.environment.parsed_options
        knobs = Knobs.from_options(options)
        if self.p99_limit is None:
            self.p99_limit = float(
                slo.load(knobs.slo_file or None, "capacity").get("capacity", {}).get("p99_ms", 250.0)
            )
        ceiling = int(getattr(options, "num_users", 0) or 10)
        spawn_rate = float(getattr(options, "spawn_rate", 0) or knobs.step_users)
        index = int(self.get_run_time() // knobs.step_seconds)
        if index != self._index:
            if self._index >= 0:
                self._close_step()
                if self.stopped_because:
                    return None
                if self._users >= ceiling:
                    self.stopped_because = f"user ceiling {ceiling} reached"
                    return None
            self._index = index
            self._users = min(ceiling, knobs.step_users * (index + 1))
            self._open_step()
        return self._users, spawn_rate

    # -- per-step measurement ---------------------------------------------------------------------------
    def _counts_503(self) -> int:
        entry = self._runner.stats.entries.get((outcome_row(ops.START, 503), "POST"))
        return entry.num_requests if entry is not None else 0

    def _open_step(self) -> None:
        total = self._runner.stats.total
        self._mark = {
            "t": time.monotonic(),
            "times": dict(total.response_times),
            "requests": total.num_requests,
            "503": self._counts_503(),
        }

    def _close_step(self, partial: bool = False) -> None:
        if self._mark is None:
            return
        total = self._runner.stats.total
        diff = {k: n - self._mark["times"].get(k, 0) for k, n in total.response_times.items()}
        diff = {k: n for k, n in diff.items() if n > 0}
        requests = total.num_requests - self._mark["requests"]
        seconds = time.monotonic() - self._mark["t"]
        p99 = percentile(diff, sum(diff.values()), 0.99)
        count_503 = self._counts_503() - self._mark["503"]
        self.steps.append(
            {
                "users": self._users,
                "seconds": round(seconds, 2),
                "requests": requests,
                "rps": round(requests / seconds, 2) if seconds > 0 else 0.0,
                "p99": p99,
                "503s": count_503,
                "partial": partial,
            }
        )
        self._mark = None
        if self.p99_limit is not None and p99 > self.p99_limit and requests and not partial:
            self.stopped_because = f"p99 {p99:g} ms above {self.p99_limit:g} ms at {self._users} users"
        elif not partial and requests:
            self.knee_users = self._users  # the largest step so far that kept p99 within the limit
        if count_503 and self.first_503_users is None:
            self.first_503_users = self._users
            self.stopped_because = (
                self.stopped_because or f"503 (no recording channel) at {self._users} users"
            )

    def report(self) -> dict:
        """The capacity section of summary.json (called by the master's quitting listener)."""
        if self._mark is not None:
            self._close_step(partial=True)
            self.stopped_because = self.stopped_because or "run time limit reached"
        return {
            "p99_limit_ms": self.p99_limit,
            "knee_users": self.knee_users,
            "first_503_users": self.first_503_users,
            "stopped_because": self.stopped_because,
            "steps": self.steps,
        }
