"""races: K users fire the same operation on one line at the same instant; the invariant holds every round.

Users form groups of K (``--recqual-race-size``, default 3) in arrival order within each process; each
group shares one line with a connected call. One round:

    all K: startRecording on the line       -> exactly one 201, K-1 429   (reference 2.3: duplicate)
    all K: pauseRecording on the winner's id -> exactly one 204, K-1 429   (already paused)
    all K: resumeRecording                  -> exactly one 204, K-1 429   (not paused)
    all K: stopRecording (by id)            -> exactly one 204, K-1 409   (not a live recording)

Each step starts from a gevent barrier so the K requests leave together. The statuses are the expected
outcomes of the ``<operationId>`` rows (anything else is a failure there), and each step is also one sample
of the ``race <operationId>`` row (its duration: barrier release to the last answer); a round that breaks
the invariant is a failure of that row, counted in summary.json ``races.violations`` and gated by the SLO
``max_race_violations`` (default 0). After a violation the round ends and the line is reset.

On a lab (no control plane) each group races on one of the target file's usable standing-call lines;
users beyond K x lines idle and are counted. Run (users: a multiple of K per worker; a direct
``locust -f`` run needs ``RECQUAL_PREFLIGHT``: see load/README.md):

    python -m load races --target http://127.0.0.1:8080 --allow-reset -u 6 -r 6 -t 20s
    locust -f load/locustfiles/races.py --headless -H http://127.0.0.1:8080 -u 6 -r 6 -t 20s
"""

from __future__ import annotations

import time

# Locust runs a locustfile with its own folder on sys.path; mypy, checking the package, cannot see it
import _bootstrap  # type: ignore[import-not-found]  # noqa: F401  (puts the repository on sys.path)
import gevent
from locust import task

from load import operations as ops
from load.lines import Line
from load.locustlib.base import Check, RecqualUser, created_id, log_side
from load.locustlib.races import ROUND, BarrierBroken, Round, verdict
from load.summary import race_row

EXPECT: dict[str, dict[int, Check]] = {
    ops.START: {201: created_id, 429: None},
    ops.PAUSE: {204: None, 429: None},
    ops.RESUME: {204: None, 429: None},
    ops.STOP: {204: None, 409: None},
}


class RaceUser(RecqualUser):
    scenario = "races"
    supports_rate = False  # the barrier sets the pace

    def on_start(self) -> None:
        super().on_start()
        self.parties = self.knobs.race_size
        self.race_group, self.leader = self.state.arena.join(self, self.parties)
        if self.leader:
            self.race_group.lease = self.take_lines(1, own_user=False)
        self.barrier_timeout = self.network_timeout + 5.0

    def wait_time(self) -> float:
        """Between rounds: the per-user rate cap (a round is one request per operation), no think time."""
        cap = self.knobs.max_user_rps
        return len(ROUND) / cap if cap > 0 else 0.0

    @task
    def race_round(self) -> None:
        group = self.race_group
        if not group.ready.wait(1.0):  # an incomplete group (users not a multiple of K): idle, counted once
            if not getattr(self, "_idle_counted", False):
                self._idle_counted = True
                self.state.counters["race_users_idle"] += 1
            return
        if group.barrier.broken or group.lease is None:
            gevent.sleep(1.0)
            return
        line = group.lease.lines[0]
        try:
            if self.leader:
                group.current = Round()
                self.state.in_flight.add(line)
            group.barrier.wait(self.barrier_timeout)
            current = group.current
            for operation in ROUND:
                group.barrier.wait(self.barrier_timeout)  # ... and they are off
                started = time.monotonic()
                status, value = self.fire(operation, current, line)
                current.results.setdefault(operation, []).append(status)
                if operation == ops.START and status == 201 and value:
                    current.rec_id = value
                group.barrier.wait(self.barrier_timeout)  # everyone has an answer
                problem = verdict(operation, current.results[operation], self.parties)
                if self.leader:
                    elapsed = (time.monotonic() - started) * 1000.0
                    log_side(self.environment.stats, "RACE", race_row(operation), elapsed, error=problem)
                    self.book(operation, current, problem, line)
                if problem or current.rec_id is None:
                    if self.leader:
                        self.reset_line(line)
                    return
            if self.leader:
                self.state.in_flight.discard(line)
        except BarrierBroken:  # a member vanished mid-round (killed at the stop, or stuck): the group retires
            if self.leader:
                self.state.counters["race_groups_broken"] += 1

    def fire(self, operation: str, current: Round, line: Line) -> tuple[int, str | None]:
        if operation == ops.START:
            body = {"deviceName": line.device_name, "directoryNumber": line.directory_number}
            result = self.send(operation, "POST", ops.live_root(), EXPECT[operation], json=body, paced=False)
        else:
            action = {ops.PAUSE: "Pause", ops.RESUME: "Resume", ops.STOP: ""}[operation]
            method = "DELETE" if operation == ops.STOP else "PUT"
            path = ops.live_item(current.rec_id or "00000000-0000-0000-0000-000000000000", action)
            result = self.send(operation, method, path, EXPECT[operation], paced=False)
        return result.status, result.value

    def book(self, operation: str, current: Round, problem: str | None, line: Line) -> None:
        """Keep the clean-up registry right: the winner's id is live after the start, gone after the stop."""
        if operation == ops.START and current.rec_id:
            self.state.track(current.rec_id, line, self.creds)
        if operation == ops.STOP and problem is None:
            self.state.untrack(current.rec_id)

    def reset_line(self, line: Line) -> None:
        """After a violation the line may hold several recordings: stop them all, off the books."""
        query = ops.line_query(line.device_name, line.directory_number)
        client = self.state.client()
        for _ in range(self.parties + 1):
            reply = client.request("DELETE", ops.live_root() + query, headers={"Authorization": self.auth()})
            if reply.status != 204:
                break
        for rec_id, (tracked, _) in list(self.state.live.items()):
            if tracked == line:
                self.state.untrack(rec_id)
        self.state.in_flight.discard(line)
