"""Status and reason-code faults: the right refusal under the wrong code (section 2, A-5, A-16..A-18)."""

from __future__ import annotations

import datetime as dt
import uuid

from .. import multipart
from ..ticks import parse_instant
from ..upstream import Px
from ..wire import Req, Resp
from . import Behaviour, rewrite, status_map

SERVER_ERROR = {"message": "An error has occurred."}
IIS_PAGE = (
    b"<!DOCTYPE html><html><head><title>400 Bad Request</title></head>"
    b"<body><h1>Bad Request</h1><p>The request could not be understood by the server.</p></body></html>"
)


@rewrite(None)
def bad_request_as_500(req: Req, resp: Resp) -> Resp | None:
    """Validation errors escape as unhandled exceptions: 500 instead of 400."""
    return Resp.of_json(500, SERVER_ERROR) if resp.status == 400 else None


@rewrite(None)
def error_body_html(req: Req, resp: Resp) -> Resp | None:
    """400 answers carry the web server's HTML error page instead of ``{reason, message}``."""
    if resp.status != 400:
        return None
    return Resp(400, (("content-type", "text/html; charset=utf-8"),), IIS_PAGE)


def _reason_swap(src: int, dst: int, doc: str):  # type: ignore[no-untyped-def]
    @rewrite(("listRecordings",))
    def fn(req: Req, resp: Resp) -> Resp | None:
        body = resp.json()
        if resp.status == 400 and isinstance(body, dict) and body.get("reason") == src:
            return resp.with_json({**body, "reason": dst})
        return None

    fn.__doc__ = doc
    return fn


filter_reason_wrong = _reason_swap(0, 1, "An invalid filter is reported as a paging error (reason 1, not 0).")
paging_reason_wrong = _reason_swap(
    1, 0, "An invalid page/pageSize is reported as a filter error (reason 0, not 1)."
)


@rewrite(("getRecording", "downloadRecording"))
def unknown_id_as_400(req: Req, resp: Resp) -> Resp | None:
    """A well-formed GUID that matches nothing is called invalid (400 reason 0) instead of 404."""
    if resp.status != 404:
        return None
    return Resp.of_json(400, {"reason": 0, "message": "The id is not valid."})


@rewrite(("uploadRecording",))
def retention_ignored(req: Req, resp: Resp) -> Resp | None:
    """The retention check is missing: an upload dated before the retention period gets 201."""
    return Resp.of_json(201, {"id": str(uuid.uuid4())}) if resp.status == 409 else None


@rewrite(("uploadRecording",))
def future_start_accepted(req: Req, resp: Resp) -> Resp | None:
    """An upload dated more than 5 minutes in the future is accepted (A-5 says 400 reason 1)."""
    body = resp.json()
    if resp.status != 400 or not isinstance(body, dict) or body.get("reason") != 1:
        return None
    parsed = multipart.parse(req.header("content-type"), req.body)
    meta = multipart.metadata(parsed[1]) if parsed else None
    start = parse_instant(str((meta or {}).get("startDateTime", "")))
    now = dt.datetime.now(dt.UTC).timestamp() * 10_000_000
    if start is None or start <= now + 5 * 60 * 10_000_000:
        return None
    return Resp.of_json(201, {"id": str(uuid.uuid4())})


no_channel_as_500 = status_map(
    ("startRecording",),
    503,
    500,
    SERVER_ERROR,
    doc="Running out of recording channels is an unhandled exception (500) instead of 503.",
)


@rewrite(("startRecording",))
def auto_record_as_429(req: Req, resp: Resp) -> Resp | None:
    """A manual start on an automatically recorded device says "already being recorded" (429) instead
    of 400 reason 4 (A-18): the server looks for a live recording before it looks at the device."""
    body = resp.json()
    if resp.status == 400 and isinstance(body, dict) and body.get("reason") == 4:
        return Resp.of_json(429, {"message": "The call is already being recorded."})
    return None


class EmptyJsonIsOwnLine(Behaviour):
    """A start whose JSON body names no line records the caller's own line (A-16 says 400 reason 0)."""

    async def handle(self, req: Req, px: Px) -> Resp:
        body = req.json()
        if (
            req.op != "startRecording"
            or not isinstance(body, dict)
            or body.get("deviceName")
            or body.get("directoryNumber")
        ):
            return await px.forward(req)
        # Only the line is defaulted; the buggy server still validates what it reads.
        correct = await px.forward(req)
        if correct.status != 400 or (correct.json() or {}).get("reason") != 0:
            return correct
        return self.report(correct, await px.forward(req.with_body(b"").with_header("content-type", None)))
