"""Every page of a listing, filtered or not, serialises its recordings like any other (section 3, 2.1).

Invariant: for any page, pageSize and filter, every item of a listRecordings answer is a valid
``Recording`` (the spec's model), and a recording seen in two answers (page 0 of 15, page 1 of 2, a
filtered page) is the same JSON in both. Schemathesis draws pages at random and mostly reaches empty
ones; a server that serialises items differently on the pages after the first (a second query for
keyset paging), or in filtered pages, or in long pages, passes it. Here a covering array reaches
every pair of page x pageSize x filter, on whatever the server holds (any data: GET only, also in
read-only).

Data: on a server with fewer than 15 recordings the check uploads a few first (not in read-only,
where it judges what there is), so the later pages exist.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Hashable
from typing import Any

import pytest

import specs
from contract import api, expect
from contract.client import ApiClient, Reply
from contract.pair_ledger import PairLedger
from contract.run_context import RunContext
from contract.scene import Scene
from contract.schema_checks import model_errors
from contract.spec_provenance import load, response_provenance
from strategies import audio
from strategies.durations import parse_iso_duration
from strategies.pairwise import covering_rows
from strategies.rhs_colon import Instant

CHECK = "every page serialises like the first"

PAGE_DIMENSIONS: dict[str, tuple[Hashable, ...]] = {
    "page": (0, 1, 2),
    "pageSize": (1, 2, 5),
    "filter": ("none", "direction", "remoteParty", "startTime"),
}
FILTERS: dict[str, tuple[str, str] | None] = {
    "none": None,
    "direction": ("direction", "1"),
    "remoteParty": ("remoteParty", "contains:7"),
    "startTime": ("startTime", "after:2000-01-01T00:00:00Z"),
}
"""One valid filter per kind (plain, RHS-Colon string, RHS-Colon datetime) that keeps many rows."""
REFERENCE_PAGE = 15
"""Page 0 of this size is read once per filter: the later pages' items must equal its items."""


def normalised(item: Any) -> Any:
    """The item with startTime as an instant and duration as a length: two spellings of one value
    (``+02:00`` or ``Z``, ``PT90S`` or ``PT1M30S``) are one value, a legal server may mix them."""
    if not isinstance(item, dict):
        return item
    out = dict(item)
    for name, parse in (("startTime", lambda t: Instant.parse(t).ticks), ("duration", parse_iso_duration)):
        with contextlib.suppress(ValueError):
            out[name] = parse(str(item.get(name)))
    return out


def item_failures(reply: Reply, items: list[Any], seen: dict[str, str]) -> None:
    """Each item valid against Recording, and equal to every earlier sighting of the same id."""
    spec = load(str(specs.RECORDINGS))
    for index, item in enumerate(items):
        errors = model_errors(specs.RECORDINGS, "Recording", item)
        if errors:
            path, message = errors[0]
            expect.that(
                False,
                reply,
                check=CHECK,
                title=f"a listed recording does not match Recording at {'/'.join(map(str, path))}",
                expected="a Recording (specs/recordings.yaml)",
                actual=message,
                provenance=response_provenance(spec, "listRecordings", 200, ["recordings", index, *path]),
            )
        text = json.dumps(normalised(item), sort_keys=True)
        rec_id = str(item.get("id", "")).lower() if isinstance(item, dict) else ""
        before = seen.setdefault(rec_id, text)
        expect.that(
            before == text,
            reply,
            check=CHECK,
            title="one recording serialised differently in two list answers",
            expected=before,
            actual=text,
        )


def _top_up(admin: ApiClient, scene: Scene, run_context: RunContext) -> None:
    """Upload enough recordings for three pages of five (direction 1, remote numbers with a 7)."""
    reply = api.list_recordings(admin, {"page": 0, "pageSize": 1})
    total = (reply.json_or_none() or {}).get("totalCount", 0) if reply.status == 200 else 0
    if run_context.read_only or not isinstance(total, int) or total >= REFERENCE_PAGE:
        return
    owner = admin.credentials.username if admin.credentials else "admin"
    for n in range(REFERENCE_PAGE - total):
        meta = {
            "startDateTime": scene.upload_window.hours_ago(1 + n / 60).isoformat(),
            "duration": "PT1H2M3S" if n % 3 == 0 else "PT42S",
            "direction": 1,
            "localParty": {"username": owner, "phoneNumber": scene.number()},
            "remoteParty": {"phoneNumber": f"+39{scene.number()}"},
        }
        expect.status(
            api.upload_recording(admin, meta, audio.wav("pcm16", seconds=0.05), "audio/wav"),
            201,
            check=CHECK,
            why="set-up: a valid upload so the later pages exist",
        )


@pytest.mark.recqual(family="schema", operation="listRecordings", check=CHECK, writes=False)
def test_pages_serialise_alike(
    admin: ApiClient, scene: Scene, run_context: RunContext, pairs: PairLedger
) -> None:
    _top_up(admin, scene, run_context)
    seen: dict[str, str] = {}
    ran: list[dict[str, Hashable]] = []
    try:
        for name, pair in FILTERS.items():
            query = [pair] if pair else []
            reply = api.list_recordings(admin, [*query, ("page", "0"), ("pageSize", str(REFERENCE_PAGE))])
            expect.status(reply, 200, check=CHECK, why=f"page 0 of {REFERENCE_PAGE}, filter {name}")
            body = expect.json_body(reply, check=CHECK)
            item_failures(reply, list(body.get("recordings") or []) if isinstance(body, dict) else [], seen)
        for row in covering_rows(PAGE_DIMENSIONS):
            pair = FILTERS[str(row["filter"])]
            params = [
                *([pair] if pair else []),
                ("page", str(row["page"])),
                ("pageSize", str(row["pageSize"])),
            ]
            reply = api.list_recordings(admin, params)
            expect.status(reply, 200, check=CHECK, why=f"valid paging and filter: {params}")
            body = expect.json_body(reply, check=CHECK)
            item_failures(reply, list(body.get("recordings") or []) if isinstance(body, dict) else [], seen)
            ran.append(row)
    finally:
        pairs.record("listRecordings", ran, PAGE_DIMENSIONS)
