"""Which vendor operation a request is, from its method and path alone (reference section 2).

Written independently of ``emulator/routes.py`` on purpose: the proxy must recognise operations the
way any client reads the reference, not the way one server happens to route them.
"""

from __future__ import annotations

import re

RECORDINGS = "/fw/Apps/Recorder/WebAPI/Recordings"
LIVE = "/fw/Apps/Recorder/WebAPI/LiveRecordings"
CONTROL = "/_emulator"

_LITERALS = ("Mine", "Pause", "Resume")
_SEGMENT = re.compile(r"[^/]+")

RECORDING_READS = frozenset({"listRecordings", "getRecording", "downloadRecording"})
LIVE_WRITES = frozenset(
    {
        "startRecording",
        "stopRecordingByLine",
        "stopRecording",
        "stopMyRecording",
        "pauseRecording",
        "resumeRecording",
        "pauseRecordingsByLine",
        "resumeRecordingsByLine",
    }
)
STOPS = frozenset({"stopRecordingByLine", "stopRecording", "stopMyRecording"})


def is_control(path: str) -> bool:
    return path == CONTROL or path.startswith(CONTROL + "/")


def _rest(path: str, base: str) -> list[str] | None:
    if path != base and not path.startswith(base + "/"):
        return None
    return [s for s in path[len(base) :].split("/") if s] if path != base + "/" else []


def operation(method: str, path: str) -> str | None:
    """The operationId of ``method path``, or ``None`` when it is not a vendor operation."""
    method = method.upper()
    rec = _rest(path, RECORDINGS)
    if rec is not None:
        if not rec:
            return {"GET": "listRecordings", "POST": "uploadRecording"}.get(method)
        if len(rec) == 1 and method == "GET":
            return "getRecording"
        if len(rec) == 2 and rec[1] == "Media" and method == "GET":
            return "downloadRecording"
        return None
    live = _rest(path, LIVE)
    if live is None:
        return None
    if not live:
        return {"GET": "listActiveRecordings", "POST": "startRecording", "DELETE": "stopRecordingByLine"}.get(
            method
        )
    head = live[0]
    if len(live) == 1:
        if head == "Mine":
            return {"GET": "listMyActiveRecordings", "DELETE": "stopMyRecording"}.get(method)
        if head == "Pause":
            return "pauseRecordingsByLine" if method == "PUT" else None
        if head == "Resume":
            return "resumeRecordingsByLine" if method == "PUT" else None
        return "stopRecording" if method == "DELETE" else None
    if len(live) == 2 and head not in _LITERALS and method == "PUT":
        return {"Pause": "pauseRecording", "Resume": "resumeRecording"}.get(live[1])
    return None


def path_id(path: str) -> str | None:
    """The ``{id}`` segment of a by-id path, lowercased (A-1), or ``None``."""
    for base in (RECORDINGS, LIVE):
        rest = _rest(path, base)
        if rest and rest[0] not in _LITERALS:
            return rest[0].lower()
    return None
