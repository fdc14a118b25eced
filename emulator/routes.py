"""The whole HTTP surface in one list.

Every vendor route's ``name`` is the operationId of the reference's table (and of ``specs/``), so a
self-test can diff this list against the specs (strip the ``{trailing_slash:...}`` suffix of the two
collection paths first). Three rules are encoded here:

* The literal segments ``Mine``, ``Pause`` and ``Resume`` win over ``/{id}``: the ``live_id``
  convertor refuses them, so ``DELETE .../Pause`` is a 405 rather than a stop of a recording "Pause".
* Collections answer with and without a trailing slash, without redirecting (``optional_slash``).
* Order is for speed only (the router tries routes in turn): the hot LiveRecordings operations
  come first; no two routes can match the same path and method.
"""

from __future__ import annotations

from starlette.convertors import Convertor, register_url_convertor
from starlette.routing import Route

from emulator import control, live_api, recordings_api

RECORDINGS = "/fw/Apps/Recorder/WebAPI/Recordings"
LIVE_RECORDINGS = "/fw/Apps/Recorder/WebAPI/LiveRecordings"
CONTROL = "/_emulator"


class LiveIdConvertor(Convertor[str]):
    """A path segment that is not one of the LiveRecordings literals."""

    regex = r"(?!(?:Mine|Pause|Resume)(?:/|$))[^/]+"

    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: str) -> str:
        return value


class OptionalSlashConvertor(Convertor[str]):
    """Nothing or one trailing ``/``."""

    regex = "/?"

    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: str) -> str:
        return value


register_url_convertor("live_id", LiveIdConvertor())
register_url_convertor("optional_slash", OptionalSlashConvertor())

LIVE_COLLECTION = LIVE_RECORDINGS + "{trailing_slash:optional_slash}"
RECORDINGS_COLLECTION = RECORDINGS + "{trailing_slash:optional_slash}"

ROUTES: list[Route] = [
    # LiveRecordings
    Route(LIVE_COLLECTION, live_api.list_active, methods=["GET"], name="listActiveRecordings"),
    Route(LIVE_COLLECTION, live_api.start, methods=["POST"], name="startRecording"),
    Route(LIVE_COLLECTION, live_api.stop_by_line, methods=["DELETE"], name="stopRecordingByLine"),
    Route(LIVE_RECORDINGS + "/{id:live_id}", live_api.stop_by_id, methods=["DELETE"], name="stopRecording"),
    Route(
        LIVE_RECORDINGS + "/{id:live_id}/Pause", live_api.pause_by_id, methods=["PUT"], name="pauseRecording"
    ),
    Route(
        LIVE_RECORDINGS + "/{id:live_id}/Resume",
        live_api.resume_by_id,
        methods=["PUT"],
        name="resumeRecording",
    ),
    Route(LIVE_RECORDINGS + "/Mine", live_api.list_mine, methods=["GET"], name="listMyActiveRecordings"),
    Route(LIVE_RECORDINGS + "/Mine", live_api.stop_mine, methods=["DELETE"], name="stopMyRecording"),
    Route(LIVE_RECORDINGS + "/Pause", live_api.pause_by_line, methods=["PUT"], name="pauseRecordingsByLine"),
    Route(
        LIVE_RECORDINGS + "/Resume", live_api.resume_by_line, methods=["PUT"], name="resumeRecordingsByLine"
    ),
    # Recordings
    Route(RECORDINGS_COLLECTION, recordings_api.list_recordings, methods=["GET"], name="listRecordings"),
    Route(RECORDINGS_COLLECTION, recordings_api.upload_recording, methods=["POST"], name="uploadRecording"),
    Route(RECORDINGS + "/{id}", recordings_api.get_recording, methods=["GET"], name="getRecording"),
    Route(
        RECORDINGS + "/{id}/Media",
        recordings_api.download_recording,
        methods=["GET"],
        name="downloadRecording",
    ),
    # Control plane (section 7); names are the operationIds of specs/emulator-control.yaml.
    Route(CONTROL + "/health", control.health, methods=["GET"], name="health"),
    Route(CONTROL + "/reset", control.reset, methods=["POST"], name="reset"),
    Route(CONTROL + "/calls", control.list_calls, methods=["GET"], name="listCalls"),
    Route(CONTROL + "/calls", control.place_call, methods=["POST"], name="placeCall"),
    Route(CONTROL + "/calls/{callId}", control.hang_up, methods=["DELETE"], name="hangUpCall"),
    Route(CONTROL + "/settings", control.update_settings, methods=["PUT"], name="updateSettings"),
    Route(CONTROL + "/users", control.create_user, methods=["POST"], name="createUser"),
]

VENDOR_ROUTES: list[Route] = [r for r in ROUTES if r.path.startswith((RECORDINGS, LIVE_RECORDINGS))]
"""Deployed mode: the vendor APIs only, so every ``/_emulator`` path is a 404 as on a real server."""
