"""Response-schema faults: fields missing, mistyped or mis-served (reference section 3, A-1)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..ticks import parse_duration
from ..wire import Req, Resp
from . import rewrite

RECORDING_BODIES = ("listRecordings", "getRecording")
LIVE_LISTS = ("listActiveRecordings", "listMyActiveRecordings")


def map_recordings(resp: Resp, fn: Callable[[dict[str, Any]], None]) -> Resp | None:
    """Apply ``fn`` in place to every Recording / RecordingDetail of a 200 answer."""
    body = resp.json()
    if resp.status != 200 or not isinstance(body, dict):
        return None
    items = body.get("recordings") if "recordings" in body else [body]
    if not isinstance(items, list):
        return None
    for item in items:
        if isinstance(item, dict):
            fn(item)
    return resp.with_json(body)


def map_live(resp: Resp, fn: Callable[[dict[str, Any]], None]) -> Resp | None:
    body = resp.json()
    if resp.status != 200 or not isinstance(body, list):
        return None
    for item in body:
        if isinstance(item, dict):
            fn(item)
    return resp.with_json(body)


@rewrite(RECORDING_BODIES)
def missing_reference_number(req: Req, resp: Resp) -> Resp | None:
    """referenceNumber is not serialised (a DTO that forgot the property)."""
    return map_recordings(resp, lambda item: item.pop("referenceNumber", None))


@rewrite(RECORDING_BODIES)
def direction_as_string(req: Req, resp: Resp) -> Resp | None:
    """The Direction enum is serialised by name/string instead of as an integer."""

    def fn(item: dict[str, Any]) -> None:
        if isinstance(item.get("direction"), int):
            item["direction"] = str(item["direction"])

    return map_recordings(resp, fn)


@rewrite(RECORDING_BODIES)
def duration_as_seconds(req: Req, resp: Resp) -> Resp | None:
    """duration is a number of seconds instead of an ISO-8601 duration (a TimeSpan serialised as double)."""

    def fn(item: dict[str, Any]) -> None:
        ticks = parse_duration(str(item.get("duration", "")))
        if ticks is not None:
            item["duration"] = ticks / 10_000_000

    return map_recordings(resp, fn)


@rewrite(LIVE_LISTS)
def is_paused_as_int(req: Req, resp: Resp) -> Resp | None:
    """isPaused comes straight from a SQL bit column: 0/1 instead of false/true."""

    def fn(item: dict[str, Any]) -> None:
        if isinstance(item.get("isPaused"), bool):
            item["isPaused"] = int(item["isPaused"])

    return map_live(resp, fn)


@rewrite(None)
def json_as_text_plain(req: Req, resp: Resp) -> Resp | None:
    """JSON answers are labelled text/plain (a framework default content type)."""
    if resp.content_type != "application/json":
        return None
    return resp.with_header("content-type", "text/plain; charset=utf-8")


@rewrite(None)
def ids_uppercase(req: Req, resp: Resp) -> Resp | None:
    """GUIDs come back uppercase (SQL Server's uniqueidentifier rendering) instead of lowercase (A-1)."""
    body = resp.json()

    def up(obj: Any) -> None:
        if isinstance(obj, dict):
            if isinstance(obj.get("id"), str):
                obj["id"] = obj["id"].upper()
            for key in ("recordings",):
                if isinstance(obj.get(key), list):
                    for item in obj[key]:
                        up(item)
        elif isinstance(obj, list):
            for item in obj:
                up(item)

    if resp.status not in (200, 201) or body is None:
        return None
    up(body)
    return resp.with_json(body)
