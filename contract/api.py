"""The 14 vendor operations as thin functions over :class:`~contract.client.ApiClient`.

One function per operationId of the reference table (section 2); each returns the raw
:class:`~contract.client.Reply` so checks decide what is right. Paths are the documented ones
(capitalised ``Media``, ``Mine``, ``Pause``, ``Resume``).
"""

from __future__ import annotations

import json
from typing import Any

from contract.client import ApiClient, Reply

RECORDINGS_BASE = "/fw/Apps/Recorder/WebAPI/Recordings"
LIVE_BASE = "/fw/Apps/Recorder/WebAPI/LiveRecordings"

OPERATIONS: dict[str, tuple[str, str]] = {
    "listRecordings": ("GET", RECORDINGS_BASE + "/"),
    "getRecording": ("GET", RECORDINGS_BASE + "/{id}"),
    "downloadRecording": ("GET", RECORDINGS_BASE + "/{id}/Media"),
    "uploadRecording": ("POST", RECORDINGS_BASE + "/"),
    "listActiveRecordings": ("GET", LIVE_BASE + "/"),
    "listMyActiveRecordings": ("GET", LIVE_BASE + "/Mine"),
    "startRecording": ("POST", LIVE_BASE + "/"),
    "stopRecordingByLine": ("DELETE", LIVE_BASE + "/"),
    "stopRecording": ("DELETE", LIVE_BASE + "/{id}"),
    "stopMyRecording": ("DELETE", LIVE_BASE + "/Mine"),
    "pauseRecording": ("PUT", LIVE_BASE + "/{id}/Pause"),
    "resumeRecording": ("PUT", LIVE_BASE + "/{id}/Resume"),
    "pauseRecordingsByLine": ("PUT", LIVE_BASE + "/Pause"),
    "resumeRecordingsByLine": ("PUT", LIVE_BASE + "/Resume"),
}
"""operationId -> (method, path template), from the reference's operations table."""


def call(client: ApiClient, operation: str, *, id: str | None = None, **kwargs: Any) -> Reply:
    """Send ``operation`` (path ``{id}`` filled in) with any request keyword arguments."""
    method, path = OPERATIONS[operation]
    if "{id}" in path:
        path = path.replace("{id}", id if id is not None else "")
    return client.request(method, path, operation=operation, **kwargs)


def list_recordings(client: ApiClient, params: Any = None) -> Reply:
    return call(client, "listRecordings", params=params)


def get_recording(client: ApiClient, recording_id: str) -> Reply:
    return call(client, "getRecording", id=recording_id)


def download_recording(client: ApiClient, recording_id: str) -> Reply:
    return call(client, "downloadRecording", id=recording_id)


def upload_recording(
    client: ApiClient,
    metadata: Any,
    audio: bytes | None,
    content_type: str | None,
    *,
    filename: str = "recording",
    raw_jsondata: str | None = None,
) -> Reply:
    """Multipart upload: ``jsondata`` (JSON) + ``attachment`` (audio, with its Content-Type).

    ``metadata=None`` (and no ``raw_jsondata``) leaves the ``jsondata`` part out; ``audio=None`` leaves
    the attachment out; ``content_type=None`` sends the attachment without a Content-Type.
    """
    files: dict[str, Any] = {}
    text = (
        raw_jsondata if raw_jsondata is not None else (json.dumps(metadata) if metadata is not None else None)
    )
    if text is not None:
        files["jsondata"] = (None, text, "application/json")
    if audio is not None:
        files["attachment"] = (filename, audio, content_type) if content_type else (filename, audio)
    return call(client, "uploadRecording", files=files)


def list_active(client: ApiClient, **filters: str) -> Reply:
    return call(client, "listActiveRecordings", params=filters or None)


def list_mine(client: ApiClient) -> Reply:
    return call(client, "listMyActiveRecordings")


def start(client: ApiClient, body: dict[str, Any] | None = None) -> Reply:
    """``body=None`` sends no body at all: "record my own line" (A-16)."""
    if body is None:
        return call(client, "startRecording")
    return call(client, "startRecording", json=body)


def stop_by_line(client: ApiClient, device_name: str | None, directory_number: str | None) -> Reply:
    params = {
        k: v for k, v in (("deviceName", device_name), ("directoryNumber", directory_number)) if v is not None
    }
    return call(client, "stopRecordingByLine", params=params)


def stop(client: ApiClient, recording_id: str) -> Reply:
    return call(client, "stopRecording", id=recording_id)


def stop_mine(client: ApiClient) -> Reply:
    return call(client, "stopMyRecording")


def pause(client: ApiClient, recording_id: str) -> Reply:
    return call(client, "pauseRecording", id=recording_id)


def resume(client: ApiClient, recording_id: str) -> Reply:
    return call(client, "resumeRecording", id=recording_id)


def pause_by_line(client: ApiClient, directory_number: str | None) -> Reply:
    params = {"directoryNumber": directory_number} if directory_number is not None else None
    return call(client, "pauseRecordingsByLine", params=params)


def resume_by_line(client: ApiClient, directory_number: str | None) -> Reply:
    params = {"directoryNumber": directory_number} if directory_number is not None else None
    return call(client, "resumeRecordingsByLine", params=params)
