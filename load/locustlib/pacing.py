"""Open-model pacing: a fixed schedule of request slots per user.

Locust is a closed model: a user sends its next request when the previous one returns, so a server stall
slows the generator down and the stall never shows in the latencies (coordinated omission). With
``--recqual-rate R`` every user instead gets slots at a fixed period (``users / R`` seconds, with a random
phase so users do not fire in lock-step). A request is timed twice: service time from its actual send
(Locust's own row) and latency from its *intended* start, the slot time, as its own
``<operationId> (intended start)`` row. A user that falls behind sends late, it never skips a slot, so
the backlog shows up in the intended-start series. ``due`` vs ``issued`` slots give achieved vs target rate.
"""

from __future__ import annotations

import math
import random
import time

import gevent


class Schedule:
    def __init__(self, rate: float, rng: random.Random) -> None:
        if rate <= 0:
            raise ValueError("rate must be > 0")
        self.period = 1.0 / rate
        self.t0 = time.monotonic() + rng.random() * self.period
        self.next_index = 0
        self.issued = 0

    def wait_for_slot(self) -> float:
        """Sleep until the next slot is due (not at all if already late); return its due time (monotonic)."""
        due = self.t0 + self.next_index * self.period
        self.next_index += 1
        delay = due - time.monotonic()
        if delay > 0:
            gevent.sleep(delay)
        self.issued += 1
        return due

    def due_until(self, moment: float) -> int:
        """How many slots fell due up to ``moment`` (monotonic): what this user should have sent by then."""
        if moment < self.t0:
            return 0
        return math.floor((moment - self.t0) / self.period) + 1
