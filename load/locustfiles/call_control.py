"""call-control: the realistic mix of live-recording control.

Each user owns its lines (on the emulator: fresh lines with connected calls and its own IAS user, whose
extension is the first line; on a real server: its share of the target file's lines). A round on one line:

    startRecording            (body naming the line; on the own line sometimes no body: "record me")
    listActiveRecordings      (by line)  or  listMyActiveRecordings   -- the new id must be listed
    ( pauseRecording | pauseRecordingsByLine  ->  resumeRecording | resumeRecordingsByLine ) x 0..2
    stopRecording (by id)  |  stopRecordingByLine  |  stopMyRecording (own line)

with think times between steps. Nobody else touches the user's lines, so the model predicts only
successes (201/200/204): every 409/429/503 here is a failure that names the operation and the reason.

Run (emulator on 127.0.0.1:8080; add --recqual-rate R for the open model):

    python -m load call-control --target http://127.0.0.1:8080 --users 10 --spawn-rate 5 --run-time 30s

or directly:

    locust -f load/locustfiles/call_control.py --headless -H http://127.0.0.1:8080 -u 10 -r 5 -t 30s
"""

from __future__ import annotations

from typing import ClassVar

import _bootstrap  # noqa: F401  (puts the repository on sys.path)
import gevent
from locust import task

from load import api
from load.locustlib.base import Invalid, RecqualUser, created_id
from load.locustlib.state import STATE
from load.target import Line

STARTED = {201: created_id}
DONE = {204: None}


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
        self.lease = self.take_lines(self.knobs.lines_per_user, own_user=True)

    @task
    def recording_round(self) -> None:
        if self.lease is None:
            gevent.sleep(1.0)
            return
        own = self.lease.own_line
        mode = self.rng.choices(("id", "line", "mine"), weights=(4, 3, 3 if own else 0))[0]
        line = own if mode == "mine" else self.rng.choice(self.lease.lines)
        rec_id = self.start_recording(line, mine=(mode == "mine"))
        if rec_id is None:
            return
        self.think()
        if mode == "mine":
            ok = self.rest(api.LIST_MY_ACTIVE, "GET", f"{api.LIVE}/Mine", lists(rec_id), creds=line.owner).ok
        else:
            query = api.line_query(line.device_name, line.directory_number)
            ok = self.rest(api.LIST_ACTIVE, "GET", api.live_root() + query, lists(rec_id)).ok
        for _ in range(self.rng.choice((0, 1, 1, 2))):
            if not ok:
                break
            self.think()
            ok = self.pause_or_resume("Pause", rec_id, line)
            if ok:
                self.think()
                ok = self.pause_or_resume("Resume", rec_id, line)
        if not ok:
            self.recover(line)
            return
        self.think()
        self.stop_recording(rec_id, line, mode)

    # -- steps ---------------------------------------------------------------------------------------
    def start_recording(self, line: Line, *, mine: bool) -> str | None:
        creds = line.owner if mine else self.creds
        body = (
            None
            if (mine and self.rng.random() < 0.5)
            else {"deviceName": line.device_name, "directoryNumber": line.directory_number}
        )
        STATE.in_flight.add(line)
        result = self.rest(api.START, "POST", api.live_root(), self.start_expect, creds=creds, json=body)
        if result.ok and result.value:
            STATE.track(result.value, line, creds or self.creds)
        STATE.in_flight.discard(line)
        if not result.ok:
            self.recover(line)
        return result.value if result.ok else None

    def pause_or_resume(self, action: str, rec_id: str, line: Line) -> bool:
        if self.rng.random() < 0.6:
            op = api.PAUSE if action == "Pause" else api.RESUME
            path = api.live_item(rec_id, action)
        else:
            op = api.PAUSE_BY_LINE if action == "Pause" else api.RESUME_BY_LINE
            path = f"{api.LIVE}/{action}" + api.line_query(directory_number=line.directory_number)
        return self.rest(op, "PUT", path, DONE).ok

    def stop_recording(self, rec_id: str, line: Line, mode: str) -> None:
        if mode == "mine":
            result = self.rest(api.STOP_MINE, "DELETE", f"{api.LIVE}/Mine", DONE, creds=line.owner)
        elif mode == "line":
            query = api.line_query(line.device_name, line.directory_number)
            result = self.rest(api.STOP_BY_LINE, "DELETE", api.live_root() + query, DONE)
        else:
            result = self.rest(api.STOP, "DELETE", api.live_item(rec_id), DONE)
        if result.ok:
            STATE.untrack(rec_id)
        else:
            self.recover(line)

    def recover(self, line: Line) -> None:
        """After a failed step the line's state is unknown: stop whatever is live on it, off the books."""
        query = api.line_query(line.device_name, line.directory_number)
        STATE.client().request("DELETE", api.live_root() + query, headers={"Authorization": self.auth()})
        for rec_id, (tracked_line, _) in list(STATE.live.items()):
            if tracked_line == line:
                STATE.untrack(rec_id)
