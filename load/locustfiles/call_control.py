"""call-control: the realistic mix of live-recording control.

Each user owns its lines (with the emulator's control plane: fresh lines with connected calls and its own
IAS user, whose extension is the first line; on a lab: one usable standing-call line of the target file,
whose declared ``role`` user, if any, is its owner). A round on one line:

    startRecording            (body naming the line; on the own line sometimes no body: "record me")
    listActiveRecordings      (by line)  or  listMyActiveRecordings   -- the new id must be listed
    ( pauseRecording | pauseRecordingsByLine  ->  resumeRecording | resumeRecordingsByLine ) x 0..2
    stopRecording (by id)  |  stopRecordingByLine  |  stopMyRecording (own line)

with think times between steps. Nobody else touches the user's lines, so the model predicts only
successes (201/200/204): every 409/429/503 here is a failure that names the operation and the reason.

On a lab (no control plane) the round also asks what the reference documents for a line that is already
busy (2.3), each check once per user and then in a quarter of the rounds, each outcome in its own row:

    startRecording again on the recorded line       -> 429   ``startRecording [429]``
    resumeRecording of a recording not paused       -> 429   ``resumeRecording [429]``
    pauseRecording of a paused recording            -> 429   ``pauseRecording [429]``
    stopRecording of the id just stopped            -> 409   ``stopRecording [409]``
    startRecording on a declared call = "none" line -> 409   ``startRecording [409]``

and the first round on a line with an owner goes through ``/Mine``. Any other answer to these is a
failure; a line whose state became unknown is stopped by line (it is this user's line).

Run (emulator on 127.0.0.1:8080, whose control plane the run may use; add --rate R for the open model):

    python -m load call-control --target http://127.0.0.1:8080 --allow-reset -u 10 -r 5 -t 30s
"""

from __future__ import annotations

from typing import ClassVar

# Locust runs a locustfile with its own folder on sys.path; mypy, checking the package, cannot see it
import _bootstrap  # type: ignore[import-not-found]  # noqa: F401  (puts the repository on sys.path)
import gevent
from locust import task

from load import operations as ops
from load.lines import Line
from load.locustlib.base import Invalid, RecqualUser, created_id
from load.locustlib.state import Lease

STARTED = {201: created_id}
DONE = {204: None}
BUSY = {429: None}  # start on a recorded line, pause of a paused one, resume of one not paused
GONE = {409: None}  # stop of an id no longer live; start on a line without a call
CHECK_AGAIN = 0.25
"""Lab: after its first time, each 409/429 check runs in this share of the rounds."""


def lists(rec_id: str):
    """200 with the new id in the (small, per-line or per-user) array: a substring test keeps it cheap."""
    needle = rec_id.lower().encode()

    def check(resp) -> None:
        if needle not in (resp.content or b"").lower():
            raise Invalid("the started recording is not listed")

    return {200: check}


class CallControlUser(RecqualUser):
    scenario = "call-control"
    start_expect: ClassVar[dict] = STARTED  # capacity widens this with the channel limit's 503

    def on_start(self) -> None:
        super().on_start()
        self.lab = not self.state.control
        self.checked: set[str] = set()
        # a lab line is one user's for the whole run: one line each, so every standing line is kept busy
        self.lease = self.take_lines(1 if self.lab else self.knobs.lines_per_user, own_user=True)

    def check(self, kind: str) -> bool:
        """Lab only: run the 409/429 check ``kind`` now? Always the first time, then in some rounds."""
        if not self.lab or (kind in self.checked and self.rng.random() >= CHECK_AGAIN):
            return False
        self.checked.add(kind)
        return True

    @task
    def recording_round(self) -> None:
        if self.lease is None:
            gevent.sleep(1.0)
            return
        mode, line = self.pick_line(self.lease)
        rec_id = self.start_recording(line, mine=(mode == "mine"))
        if rec_id is None:
            return
        if self.check("start-busy") and not self.expect_refusal(ops.START, line, BUSY):
            return  # the line was stopped by line: its state was unknown
        self.think()
        if mode == "mine":
            ok = self.send(ops.LIST_MY_ACTIVE, "GET", f"{ops.LIVE}/Mine", lists(rec_id), creds=line.owner).ok
        else:
            query = ops.line_query(line.device_name, line.directory_number)
            ok = self.send(ops.LIST_ACTIVE, "GET", ops.live_root() + query, lists(rec_id)).ok
        if ok and self.check("resume-unpaused"):
            ok = self.send(ops.RESUME, "PUT", ops.live_item(rec_id, "Resume"), BUSY).ok
        pauses = self.rng.choice((0, 1, 1, 2))
        if self.lab and "pause-paused" not in self.checked:
            pauses = max(pauses, 1)
        for _ in range(pauses):
            if not ok:
                break
            self.think()
            ok = self.pause_or_resume("Pause", rec_id, line)
            if ok and self.check("pause-paused"):
                ok = self.send(ops.PAUSE, "PUT", ops.live_item(rec_id, "Pause"), BUSY).ok
            if ok:
                self.think()
                ok = self.pause_or_resume("Resume", rec_id, line)
        if not ok:
            self.recover(line)
            return
        self.think()
        if not self.stop_recording(rec_id, line, mode):
            return
        if self.check("stop-stopped"):
            self.send(ops.STOP, "DELETE", ops.live_item(rec_id), GONE)
        if self.state.idle_lines and self.check("start-no-call"):
            self.think()
            self.expect_refusal(ops.START, self.rng.choice(self.state.idle_lines), GONE)

    # -- steps ---------------------------------------------------------------------------------------
    def pick_line(self, lease: Lease) -> tuple[str, Line]:
        """This round's mode (stop by id, by line, or ``mine``: through ``/Mine``) and its line (the own
        line for ``mine``)."""
        own = lease.own_line
        mode = self.rng.choices(("id", "line", "mine"), weights=(4, 3, 3 if own else 0))[0]
        if own and self.lab and "mine" not in self.checked:
            mode = "mine"  # the declared owner acts at least once
            self.checked.add("mine")
        if mode == "mine" and own is not None:  # "mine" is drawn only when there is an own line
            return mode, own
        return mode, self.rng.choice(lease.lines)

    def start_recording(self, line: Line, *, mine: bool) -> str | None:
        creds = line.owner if mine else self.creds
        body = (
            None
            if (mine and self.rng.random() < 0.5)
            else {"deviceName": line.device_name, "directoryNumber": line.directory_number}
        )
        self.state.in_flight.add(line)
        result = self.send(ops.START, "POST", ops.live_root(), self.start_expect, creds=creds, json=body)
        if result.ok and result.value:
            self.state.track(result.value, line, creds or self.creds)
        self.state.in_flight.discard(line)
        if not result.ok:
            self.recover(line)
        return result.value if result.ok else None

    def pause_or_resume(self, action: str, rec_id: str, line: Line) -> bool:
        if self.rng.random() < 0.6:
            op = ops.PAUSE if action == "Pause" else ops.RESUME
            path = ops.live_item(rec_id, action)
        else:
            op = ops.PAUSE_BY_LINE if action == "Pause" else ops.RESUME_BY_LINE
            path = f"{ops.LIVE}/{action}" + ops.line_query(directory_number=line.directory_number)
        return self.send(op, "PUT", path, DONE).ok

    def stop_recording(self, rec_id: str, line: Line, mode: str) -> bool:
        if mode == "mine":
            result = self.send(ops.STOP_MINE, "DELETE", f"{ops.LIVE}/Mine", DONE, creds=line.owner)
        elif mode == "line":
            query = ops.line_query(line.device_name, line.directory_number)
            result = self.send(ops.STOP_BY_LINE, "DELETE", ops.live_root() + query, DONE)
        else:
            result = self.send(ops.STOP, "DELETE", ops.live_item(rec_id), DONE)
        if result.ok:
            self.state.untrack(rec_id)
        else:
            self.recover(line)
        return result.ok

    def expect_refusal(self, operation: str, line: Line, expect: dict) -> bool:
        """A start the model says must be refused (``expect``: 429 on this user's recorded line, 409 on a
        line without a call). Any other answer is a failure, and the line is stopped by line: a start
        that went through must not stay live (this user's line, or one where nobody can be recording)."""
        if line in self.state.idle_lines:
            self.state.touched_idle.add(line)
        body = {"deviceName": line.device_name, "directoryNumber": line.directory_number}
        self.state.in_flight.add(line)
        result = self.send(operation, "POST", ops.live_root(), expect, json=body)
        if result.ok:
            self.state.in_flight.discard(line)
        else:
            self.recover(line)
        return result.ok

    def recover(self, line: Line) -> None:
        """After a failed step the line's state is unknown: stop whatever is live on it, off the books."""
        query = ops.line_query(line.device_name, line.directory_number)
        self.state.client().request("DELETE", ops.live_root() + query, headers={"Authorization": self.auth()})
        self.state.in_flight.discard(line)
        for rec_id, (tracked_line, _) in list(self.state.live.items()):
            if tracked_line == line:
                self.state.untrack(rec_id)
