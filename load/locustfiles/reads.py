"""reads: listRecordings with generated filters and paging, getRecording, downloadRecording.

Before any user starts, the master (or local runner) makes sure an emulator whose control plane the run
may use holds at least ``--recqual-seed-recordings`` completed recordings (default 30) by uploading small
MP3s with varied metadata; any other server is read as it is. Each user then lists the first 100
recordings once to learn real ids, parties, owners and times, and draws its queries from them
(``load.filters.QueryMix``: zero to three valid RHS-Colon filters, usually with paging, sometimes one page
past the end), so filters select real, non-empty subsets. The model predicts 200 everywhere; checks stay
cheap (a page never holds more items than ``pageSize``; a detail names an id; media is non-empty
``audio/mpeg``).

Run (a direct ``locust -f`` run needs ``RECQUAL_PREFLIGHT``: see load/README.md):

    python -m load reads --target http://127.0.0.1:8080 --allow-reset -u 10 -r 5 -t 30s
    locust -f load/locustfiles/reads.py --headless -H http://127.0.0.1:8080 -u 10 -r 5 -t 30s
"""

from __future__ import annotations

import json
import random
import uuid
from urllib.parse import urlencode

# Locust runs a locustfile with its own folder on sys.path; mypy, checking the package, cannot see it
import _bootstrap  # type: ignore[import-not-found]  # noqa: F401  (puts the repository on sys.path)
import gevent
from locust import task

from load import audio
from load import operations as ops
from load.filters import QueryMix
from load.locustlib.base import Invalid, RecqualUser, audio_mpeg, has_id, page_length, recording_page
from load.locustlib.state import RunState, log

SAMPLE = f"?{urlencode({'page': 0, 'pageSize': 100})}"


def page_of(size: int | None):
    def check(resp) -> None:
        length = page_length(resp)
        if size is not None and length > size:
            raise Invalid(f"page holds {length} items, pageSize is {size}")

    return {200: check}


class ReadsUser(RecqualUser):
    scenario = "reads"
    channels = -1  # no live recordings involved: leave the emulator's setting alone
    needs_lines = False

    @classmethod
    def prepare_scene(cls, state: RunState) -> None:
        """Control plane only (an emulator this run may use): top the recordings up to the seed count
        (uploads, off the books)."""
        assert state.knobs is not None and state.admin is not None  # test_start sets both before the scene
        wanted = state.knobs.seed_recordings
        if not state.control or wanted <= 0:
            return
        client, auth = state.client(), {"Authorization": state.admin.basic()}
        reply = client.request("GET", ops.recordings_root() + "?page=0&pageSize=1", headers=auth)
        body = reply.json()
        have = body.get("totalCount", 0) if reply.status == 200 and isinstance(body, dict) else 0
        if have >= wanted:
            return
        rng, clip = random.Random(), audio.mp3(1)
        for _ in range(wanted - have):
            meta = json.dumps(ops.upload_metadata(rng, state.admin.username, clip.seconds)).encode()
            data, ctype = audio.multipart(meta, clip, uuid.uuid4().hex)
            reply = client.request(
                "POST", ops.recordings_root(), body=data, headers={**auth, "Content-Type": ctype}
            )
            if reply.status != 201:
                raise RuntimeError(f"seeding upload answered {reply.status or reply.error}")
        log.info("reads: seeded %d recordings", wanted - have)

    def on_start(self) -> None:
        super().on_start()
        self.ids: list[str] = []
        self.mix = QueryMix([], self.rng)
        for _ in range(5):
            result = self.send(
                ops.LIST_RECORDINGS, "GET", ops.recordings_root() + SAMPLE, {200: recording_page}, paced=False
            )
            if result.ok and result.value["recordings"]:
                sample = result.value["recordings"]
                self.ids = [str(r["id"]) for r in sample if r.get("id")]
                self.mix = QueryMix(sample, self.rng)
                return
            gevent.sleep(1.0)
        log.warning("reads: the target lists no recordings; only listRecordings will run")

    @task(5)
    def list_filtered(self) -> None:
        query = self.mix.query()
        size = int(query["pageSize"]) if "pageSize" in query else None
        self.send(ops.LIST_RECORDINGS, "GET", ops.recordings_root() + "?" + urlencode(query), page_of(size))

    @task(3)
    def detail(self) -> None:
        if self.ids:
            self.send(ops.GET_RECORDING, "GET", ops.recording_item(self.rng.choice(self.ids)), {200: has_id})

    @task(2)
    def download(self) -> None:
        if self.ids:
            self.send(
                ops.DOWNLOAD_RECORDING,
                "GET",
                ops.recording_item(self.rng.choice(self.ids), media=True),
                {200: audio_mpeg},
            )
