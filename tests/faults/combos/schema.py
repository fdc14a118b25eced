"""Combination faults: schema (section 3 models, the IsoDuration and date-time formats, A-11).

Written from the dimensions of an answer: which operation serialises it (list, detail, /Mine), which
page, how many items, which optional parts the recording has (a note, a preservation), how long it
lasted, and the live recording's history (paused or not). Each bug serialises one field wrong only
where its dimensions meet, as a second code path (the page-after-the-first query, the detail of an
annotated recording, the paused branch of the live list) would: the first page, a short recording,
the recording without a note, a live recording never paused are all right.
"""

from __future__ import annotations

from typing import Any

from ..behaviours import Behaviour, rewrite
from ..behaviours.schema import map_live, map_recordings
from ..fault import Fault, combination
from ..ops import LIVE
from ..ticks import TICKS_PER_SECOND, parse_duration
from ..upstream import Px
from ..wire import Req, Resp


def _page(req: Req) -> int:
    text = req.param("page")
    return int(text) if text and text.isdigit() and req.param("pageSize") else 0


@rewrite(("listRecordings",))
def later_pages_direction_as_string(req: Req, resp: Resp) -> Resp | None:
    """Pages after the first come from a second query (keyset paging) whose reader returns the
    Direction enum as a string (``"1"``): page 0 and unpaged lists are right."""
    if _page(req) < 1:
        return None

    def fn(item: dict[str, Any]) -> None:
        if isinstance(item.get("direction"), int):
            item["direction"] = str(item["direction"])

    return map_recordings(resp, fn)


def _clock(ticks: int) -> str:
    seconds = ticks // TICKS_PER_SECOND
    return f"{seconds // 3600:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


@rewrite(("listRecordings",))
def listed_hour_durations_as_clock(req: Req, resp: Resp) -> Resp | None:
    """In the list (not the detail), a duration of an hour or more is rendered as a clock,
    ``01:02:03`` (the list's formatter falls back to TimeSpan's default format when hours are not
    zero): shorter durations, and every detail, are ISO-8601."""

    def fn(item: dict[str, Any]) -> None:
        ticks = parse_duration(str(item.get("duration", "")))
        if ticks is not None and ticks >= 3600 * TICKS_PER_SECOND:
            item["duration"] = _clock(ticks)

    return map_recordings(resp, fn)


@rewrite(("getRecording",))
def preserving_user_name_with_note(req: Req, resp: Resp) -> Resp | None:
    """The detail of a recording that is preserved *and* has a note serialises preservingUser as the
    bare username (a join that projects one column when both optional joins hit), not a User
    object: preserved alone, or a note alone, is right."""

    def fn(item: dict[str, Any]) -> None:
        preserving = item.get("preservingUser")
        if isinstance(preserving, dict) and item.get("note"):
            item["preservingUser"] = preserving.get("username")

    return map_recordings(resp, fn)


@rewrite(("listMyActiveRecordings",))
def mine_paused_duration_as_seconds(req: Req, resp: Resp) -> Resp | None:
    """In /Mine, a paused recording's duration is the stored number of seconds (the paused branch
    reads the frozen column, a double) instead of an ISO-8601 duration: the active list, and /Mine
    while recording, are right."""

    def fn(item: dict[str, Any]) -> None:
        ticks = parse_duration(str(item.get("duration", "")))
        if item.get("isPaused") is True and ticks is not None:
            item["duration"] = ticks / TICKS_PER_SECOND

    return map_live(resp, fn)


class StartedAtLocalAfterPause(Behaviour):
    """Once a live recording has been paused (by id or by line), the live lists render its startedAt
    from the reloaded row with the server culture's ``ToString()`` (``03/12/2026 14:32:00``), not
    ISO-8601 (A-11): a recording never paused is right."""

    def __init__(self) -> None:
        super().__init__()
        self.paused: set[str] = set()

    async def handle(self, req: Req, px: Px) -> Resp:
        before: set[str] = set()
        if req.op == "pauseRecordingsByLine":
            number = req.param("directoryNumber") or ""
            items = await px.admin_json("GET", LIVE, [("directoryNumber", number)])
            before = {str(i.get("id", "")).lower() for i in items} if isinstance(items, list) else set()
        resp = await px.forward(req)
        if req.op == "pauseRecording" and resp.status == 204:
            self.paused.add((req.path.rstrip("/").split("/")[-2]).lower())
        elif req.op == "pauseRecordingsByLine" and resp.status == 204:
            self.paused |= before
        if req.op not in ("listActiveRecordings", "listMyActiveRecordings") or not self.paused:
            return resp

        def fn(item: dict[str, Any]) -> None:
            text = item.get("startedAt")
            if str(item.get("id", "")).lower() in self.paused and isinstance(text, str) and "T" in text:
                item["startedAt"] = f"{text[8:10]}/{text[5:7]}/{text[0:4]} {text[11:19]}"

        faulty = map_live(resp, fn)
        return resp if faulty is None else self.report(resp, faulty)


@rewrite(("listRecordings",))
def long_pages_omit_owner(req: Req, resp: Resp) -> Resp | None:
    """A list answer of more than 20 items comes from the "lite" projection that omits
    ownerUsername (a required property of Recording): pages of 20 or fewer are right."""
    body = resp.json()
    if not isinstance(body, dict) or len(body.get("recordings") or []) <= 20:
        return None
    return map_recordings(resp, lambda item: item.pop("ownerUsername", None))


SCHEMA = ("schema",)

COMBOS: list[Fault] = [
    combination(
        "later-pages-direction-as-string",
        "schema",
        "section 3 Direction is an integer 0/1/2",
        later_pages_direction_as_string,
        dimensions=("listRecordings", "page > 0"),
        expect=("schema", "paging", "filters"),
    ),
    combination(
        "listed-hour-durations-as-clock",
        "schema",
        "section 3 duration is an ISO-8601 duration (PT1H2M3S)",
        listed_hour_durations_as_clock,
        dimensions=("listRecordings", "duration of an hour or more"),
        expect=("schema", "transfer", "filters", "paging"),
    ),
    combination(
        "preserving-user-name-with-note",
        "schema",
        "section 3 RecordingDetail.preservingUser is a User or null",
        preserving_user_name_with_note,
        dimensions=("recording with a note", "recording preserved"),
        expect=("schema", "transfer"),
    ),
    combination(
        "mine-paused-duration-as-seconds",
        "schema",
        "section 3 LiveRecording.duration is an ISO-8601 duration",
        mine_paused_duration_as_seconds,
        dimensions=("listMyActiveRecordings", "isPaused true"),
        expect=("schema", "live-state"),
    ),
    combination(
        "started-at-sql-text-after-pause",
        "schema",
        "section 3 LiveRecording.startedAt is a date-time (A-11: up to 7 digits, zone optional)",
        StartedAtLocalAfterPause,
        dimensions=("live list", "recording paused at least once"),
        expect=("schema", "live-state"),
    ),
    combination(
        "long-pages-omit-owner",
        "schema",
        "section 3 Recording requires ownerUsername",
        long_pages_omit_owner,
        dimensions=("listRecordings", "more than 20 items in the answer"),
        expect=("schema", "filters", "paging", "transfer"),
    ),
]
