"""Combination faults: status codes and 400 reasons (section 2, 2.1, 2.2, 2.3, A-1, A-13).

Written from the dimensions of a refusal: which parameters are invalid and which others are present
(a second filter, a filter beside bad paging), the history of the recording (its second pause), the
id's case and whether it exists, the start date's zone and the retention. Each bug answers the wrong
code or reason only where its dimensions meet: one invalid filter alone, bad paging alone, the first
pause, an unknown lowercase id, a `Z` start before the retention, are all answered right.
"""

from __future__ import annotations

import uuid

from .. import multipart
from ..behaviours import Behaviour, rewrite
from ..fault import Fault, combination
from ..ticks import has_offset
from ..upstream import Px
from ..wire import Req, Resp

LIST_FILTERS = ("startTime", "endTime", "remoteParty", "localPartyNumber", "ownerUsername", "direction")


def _filters_in(req: Req) -> list[str]:
    return [name for name, _ in req.params() if name in LIST_FILTERS]


def _reason(resp: Resp) -> int | None:
    body = resp.json()
    return body.get("reason") if resp.status == 400 and isinstance(body, dict) else None


@rewrite(("listRecordings",))
def filter_reason_with_second_filter(req: Req, resp: Resp) -> Resp | None:
    """An invalid filter beside a second filter is reported as a paging error (reason 1): the
    validator checks each filter alone, and the combined query builder's exception falls through to
    the generic handler, which says "paging". One invalid filter alone gets reason 0."""
    if _reason(resp) != 0 or len(set(_filters_in(req))) < 2:
        return None
    return resp.with_json({**(resp.json() or {}), "reason": 1})


@rewrite(("listRecordings",))
def paging_reason_with_filter(req: Req, resp: Resp) -> Resp | None:
    """An invalid page or pageSize in a filtered list is reported as a filter error (reason 0): with
    a filter present, paging is validated inside the filtered query. Bad paging on an unfiltered
    list gets reason 1."""
    if _reason(resp) != 1 or not _filters_in(req):
        return None
    return resp.with_json({**(resp.json() or {}), "reason": 0})


class SecondPauseIs409(Behaviour):
    """Pausing an already-paused recording answers 409 ("no such live recording") instead of 429
    once the recording has been through a pause/resume cycle: the second pause looks the recording
    up among the *running* ones. The first cycle's double pause is 429, as documented."""

    def __init__(self) -> None:
        super().__init__()
        self.cycles: dict[str, int] = {}
        """Recording id -> resumes that succeeded (completed pause/resume cycles)."""

    async def handle(self, req: Req, px: Px) -> Resp:
        resp = await px.forward(req)
        if req.op not in ("pauseRecording", "resumeRecording"):
            return resp
        rid = req.path.rstrip("/").split("/")[-2].lower()
        if req.op == "resumeRecording" and resp.status == 204:
            self.cycles[rid] = self.cycles.get(rid, 0) + 1
        if req.op == "pauseRecording" and resp.status == 429 and self.cycles.get(rid, 0) >= 1:
            return self.report(resp, Resp.of_json(409, {"message": "No live recording with that id."}))
        return resp


@rewrite(("getRecording", "downloadRecording"))
def unknown_uppercase_id_is_400(req: Req, resp: Resp) -> Resp | None:
    """An unknown id written in uppercase is called malformed (400 reason 0) instead of 404: the
    id is looked up case-insensitively first and only a miss is re-validated, by a lowercase-only
    pattern. A known uppercase id is found (200), an unknown lowercase one is 404 (A-1: any case is
    accepted)."""
    segment = req.path.rstrip("/").split("/")
    rid = segment[-2] if req.op == "downloadRecording" else segment[-1]
    if resp.status != 404 or rid == rid.lower():
        return None
    return Resp.of_json(400, {"reason": 0, "message": "The id is not a valid GUID."})


@rewrite(("uploadRecording",))
def retention_skipped_for_offsets(req: Req, resp: Resp) -> Resp | None:
    """An upload whose start is written with a non-UTC offset skips the retention check (it compares
    a DateTimeOffset with a UTC DateTime and the comparison is never true): dated before the
    retention period, it is stored (201) instead of refused with 409. A ``Z`` start is refused."""
    if resp.status != 409:
        return None
    parsed = multipart.parse(req.header("content-type"), req.body)
    meta = multipart.metadata(parsed[1]) if parsed else None
    start = (meta or {}).get("startDateTime")
    if not isinstance(start, str) or not has_offset(start):
        return None
    return Resp.of_json(201, {"id": str(uuid.uuid4())})


COMBOS: list[Fault] = [
    combination(
        "filter-reason-with-second-filter",
        "status",
        "2.1 [doc] 400 reason 0 is a filter error (A-13 the invalid forms); filters combine with AND (A-3)",
        filter_reason_with_second_filter,
        dimensions=("invalid filter", "a second filter present"),
        expect=("status", "schema", "filters"),
    ),
    combination(
        "paging-reason-with-filter",
        "status",
        "2.1 [doc] 400 reason 1 is a paging error",
        paging_reason_with_filter,
        dimensions=("invalid page or pageSize", "a filter present"),
        expect=("status", "schema", "paging", "filters"),
    ),
    combination(
        "second-pause-is-409",
        "status",
        "2.3 [doc] Pause 429: already paused (409 only when there is no such live recording)",
        SecondPauseIs409,
        dimensions=("pause of a paused recording", "second pause/resume cycle"),
        expect=("status", "live-state", "races"),
    ),
    combination(
        "unknown-uppercase-id-is-400",
        "status",
        "section 2 [doc] 404 for an unknown id; A-1 any case is accepted",
        unknown_uppercase_id_is_400,
        dimensions=("id not found", "id in uppercase"),
        expect=("status", "schema", "transfer"),
    ),
    combination(
        "retention-skipped-for-offsets",
        "status",
        "2.2 [doc] 409 = start date outside the retention period",
        retention_skipped_for_offsets,
        dimensions=("start before the retention period", "start with a non-UTC offset"),
        expect=("status", "transfer"),
    ),
]
