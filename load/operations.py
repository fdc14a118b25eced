"""Paths and operation names of the two vendor APIs and the emulator control plane.

Operation names are the operationIds of ``specs/`` (and of section 2 of the API reference); every stats row,
SLO gate and summary entry is keyed by them, so they are spelled once, here.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from urllib.parse import quote, urlencode

from recqual.target_config import RoleCredentials

RECORDINGS = "/fw/Apps/Recorder/WebAPI/Recordings"
LIVE = "/fw/Apps/Recorder/WebAPI/LiveRecordings"
EMULATOR = "/_emulator"
EMULATOR_ADMIN = RoleCredentials("l10", "admin", "admin", "the emulator's seeded admin")
"""Who acts when the control plane may be used and no l10 credentials were given."""

# operationIds (reference section 2)
LIST_RECORDINGS = "listRecordings"
GET_RECORDING = "getRecording"
DOWNLOAD_RECORDING = "downloadRecording"
UPLOAD_RECORDING = "uploadRecording"
LIST_ACTIVE = "listActiveRecordings"
LIST_MY_ACTIVE = "listMyActiveRecordings"
START = "startRecording"
STOP_BY_LINE = "stopRecordingByLine"
STOP = "stopRecording"
STOP_MINE = "stopMyRecording"
PAUSE = "pauseRecording"
RESUME = "resumeRecording"
PAUSE_BY_LINE = "pauseRecordingsByLine"
RESUME_BY_LINE = "resumeRecordingsByLine"

OPERATIONS: tuple[str, ...] = (
    LIST_RECORDINGS,
    GET_RECORDING,
    DOWNLOAD_RECORDING,
    UPLOAD_RECORDING,
    LIST_ACTIVE,
    LIST_MY_ACTIVE,
    START,
    STOP_BY_LINE,
    STOP,
    STOP_MINE,
    PAUSE,
    RESUME,
    PAUSE_BY_LINE,
    RESUME_BY_LINE,
)


def live_root() -> str:
    """``LiveRecordings/``: the collection path (list, start, stop by line). The vendor writes it as ``/``."""
    return LIVE + "/"


def live_item(rec_id: str, action: str = "") -> str:
    """``LiveRecordings/{id}`` or ``LiveRecordings/{id}/Pause|Resume``."""
    return f"{LIVE}/{quote(rec_id, safe='')}" + (f"/{action}" if action else "")


def line_query(device_name: str | None = None, directory_number: str | None = None) -> str:
    """``?deviceName=..&directoryNumber=..`` with only the parts given."""
    params = {}
    if device_name is not None:
        params["deviceName"] = device_name
    if directory_number is not None:
        params["directoryNumber"] = directory_number
    return "?" + urlencode(params) if params else ""


def recordings_root() -> str:
    return RECORDINGS + "/"


def recording_item(rec_id: str, media: bool = False) -> str:
    return f"{RECORDINGS}/{quote(rec_id, safe='')}" + ("/Media" if media else "")


def upload_metadata(rng: random.Random, username: str, seconds: int) -> dict:
    """UploadRecordingMetadata (reference 2.2, 3): a start within the last three days
    (well inside a normal retention period, so no 409)."""
    start = datetime.now(UTC) - timedelta(minutes=rng.randint(1, 72 * 60))
    return {
        "startDateTime": start.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "duration": f"PT{seconds}S",
        "direction": rng.choice((0, 1, 2)),
        "localParty": {"username": username, "phoneNumber": str(rng.randint(100, 199))},
        "remoteParty": {"phoneNumber": f"+39{rng.randint(100000000, 999999999)}"},
        "notes": "recqual load seed",
    }
