"""An open-model schedule whose rate the capacity search changes while the users run.

``pacing.Schedule`` keeps one rate for the run. The capacity search offers one rate per step: at each step
the master names the new total rate (a ``recqual_rate`` message to every worker; directly on a local
runner), every process divides it by the run's user count and ``retime``s each of its users' schedules.
A retime starts the schedule afresh (new period, random phase, slots counted from now): the slots a
broken step left unsent are dropped, so one step's queue does not leak into the next step's latencies.
A user waiting for a slot re-reads the schedule every ``RECHECK_S``, so a faster step starts at once.
"""

from __future__ import annotations

import random
import time

import gevent

from load.locustlib.pacing import Schedule

RECHECK_S = 0.1


class SteppedSchedule(Schedule):
    """A ``Schedule`` with a settable rate; ``rate`` 0 holds the user until the first step."""

    def __init__(self, rate: float, rng: random.Random) -> None:
        super().__init__(1.0, rng)
        self.rng = rng
        self.retime(rate)

    def retime(self, rate: float) -> None:
        self.rate = max(0.0, rate)
        if self.rate > 0:
            self.period = 1.0 / self.rate
            self.t0 = time.monotonic() + self.rng.random() * self.period
        self.next_index = 0

    def wait_for_slot(self) -> float:
        """Sleep until the next slot of the current rate (never skip one: a late slot is sent late)."""
        while True:
            if self.rate > 0:
                due = self.t0 + self.next_index * self.period
                delay = due - time.monotonic()
                if delay <= 0:
                    break
                gevent.sleep(min(delay, RECHECK_S))
            else:
                gevent.sleep(RECHECK_S)
        self.next_index += 1
        self.issued += 1
        return due

    def due_until(self, moment: float) -> int:
        return super().due_until(moment) if self.rate > 0 else 0
