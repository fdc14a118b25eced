"""uploads: multipart uploadRecording of small generated audio.

Each request uploads one of a small catalogue generated once per process (1-second 8 kHz tone as WAV
PCM-16, PCM-8, A-law, u-law and as MP3; ``load.audio``) with fresh metadata: a start within the last three
days (inside any retention period), the clip's duration, a random direction and parties, the acting
user as local party. The model predicts 201 with ``{"id": <guid>}``; anything else is a failure naming the
audio kind. Uploads go through admin (Complete Management: reference 5, A-15). Completed recordings cannot
be deleted through the API, so each run leaves its uploads on the server: keep runs short on real servers.

Run (a direct ``locust -f`` run needs ``RECQUAL_PREFLIGHT``: see load/README.md):

    python -m load uploads --target http://127.0.0.1:8080 --allow-reset -u 4 -r 4 -t 20s
    locust -f load/locustfiles/uploads.py --headless -H http://127.0.0.1:8080 -u 4 -r 4 -t 20s
"""

from __future__ import annotations

import functools
import json
import uuid

# Locust runs a locustfile with its own folder on sys.path; mypy, checking the package, cannot see it
import _bootstrap  # type: ignore[import-not-found]  # noqa: F401  (puts the repository on sys.path)
from locust import task

from load import audio
from load import operations as ops
from load.locustlib.base import RecqualUser, created_id


@functools.cache
def catalogue() -> tuple[audio.Audio, ...]:
    """The clips, generated once per process (MP3 encoding is not free): the same bytes every run."""
    return tuple(audio.catalogue(seconds=1))


class UploadUser(RecqualUser):
    scenario = "uploads"
    channels = -1  # no live recordings involved
    needs_lines = False

    def on_start(self) -> None:
        super().on_start()
        self.clips = catalogue()

    @task
    def upload(self) -> None:
        clip = self.rng.choice(self.clips)
        meta = ops.upload_metadata(self.rng, self.creds.username, clip.seconds)
        meta["notes"] = f"recqual load upload ({clip.label})"
        data, content_type = audio.multipart(json.dumps(meta).encode(), clip, uuid.uuid4().hex)
        self.send(
            ops.UPLOAD_RECORDING,
            "POST",
            ops.recordings_root(),
            {201: created_id},
            data=data,
            content_type=content_type,
            note=clip.label,
        )
