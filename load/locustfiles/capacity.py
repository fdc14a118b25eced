"""capacity: the highest arrival rate the server holds under the SLO file (an open model, step by step).

Users do what call-control users do (``--recqual-capacity-mix call-control``: start, list, pause and
resume, stop) or only start and stop by id (``start-stop``: the emulator benchmark's cycle), but not at
their own pace: each request waits for its slot on a schedule whose total rate the search sets, step by
step (``load.locustlib.shapes.ArrivalRateSteps``, ``load.rate_search``): 20 req/s, then x1.5 while the
server holds, then two bisections between the highest rate held and the lowest broken. A step holds when
its p99 *from the intended start* stays within ``[capacity] p99_ms`` (a server that falls behind queues
the arrivals, and the queue is in that latency), its failures within ``max_failure_ratio`` and its
achieved rate within ``max_rate_shortfall`` of the offered one. ``startRecording`` may answer 503 (no
recording channel, reference 2.3): predicted, counted in ``startRecording [503]``, and it ends the
search (that limit is channels, not rate). summary.json's ``capacity`` section has the highest rate held,
every step, and ``capacity.svg`` is the step plot. With the emulator control plane the channels are set
high (``--recqual-channels`` to test the channel limit). The per-operation latency gates are off for
this scenario (it goes past them on purpose); ``[capacity] min_rate`` can gate the result.

-u must carry the highest rate (each user has one request in flight): e.g. 40 users for a few hundred
requests/s at a few ms each. Run (a direct ``locust -f`` run needs ``RECQUAL_PREFLIGHT``: see
load/README.md):

    python -m load capacity --target http://127.0.0.1:8080 --allow-reset -u 40 -r 40 -t 120s \\
        -- --recqual-start-rate 50 --recqual-step-seconds 5
"""

from __future__ import annotations

from typing import TYPE_CHECKING

# Locust runs a locustfile with its own folder on sys.path; mypy, checking the package, cannot see it
import _bootstrap  # type: ignore[import-not-found]  # noqa: F401  (puts the repository on sys.path)
import gevent

if TYPE_CHECKING:  # mypy checks the package: the same file under its package name
    from load.locustfiles import call_control
else:  # the module, not the class: a class imported by name would run as a second user
    import call_control

from load import operations as ops
from load.locustlib.arrivals import SteppedSchedule
from load.locustlib.base import created_id
from load.locustlib.shapes import USERS_READY, ArrivalRateSteps

MIXES = ("call-control", "start-stop")


class CapacityUser(call_control.CallControlUser):
    scenario = "capacity"
    supports_rate = False  # the shape sets the rate (--rate does not apply)
    start_expect = {201: created_id, 503: None}  # noqa: RUF012  (read-only table)

    def on_start(self) -> None:
        super().on_start()
        if self.knobs.capacity_mix not in MIXES:
            self.state.fatal = self.state.fatal or f"--recqual-capacity-mix must be one of {', '.join(MIXES)}"
        schedule = SteppedSchedule(self.state.step_rate_per_user, self.rng)
        self.schedule, self.min_interval = schedule, 0.0
        self.state.schedules.append(schedule)
        self.state.counters[USERS_READY] += 1  # the master's shape starts the first step when all are

    def capacity_round(self) -> None:
        if self.knobs.capacity_mix != "start-stop":
            self.recording_round()
            return
        if self.lease is None:
            gevent.sleep(1.0)
            return
        line = self.rng.choice(self.lease.lines)
        rec_id = self.start_recording(line, mine=False)
        if rec_id is not None and self.send(ops.STOP, "DELETE", ops.live_item(rec_id), {204: None}).ok:
            self.state.untrack(rec_id)
        elif rec_id is not None:
            self.recover(line)


# Locust adds a base class's tasks to a subclass's: this one task, which picks the mix, replaces them
CapacityUser.tasks = [CapacityUser.capacity_round]


class Steps(ArrivalRateSteps):
    pass
