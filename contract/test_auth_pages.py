"""Every access level on every page and every filter (reference section 5, A-15; issue #17 item 3).

The level matrix (``test_auth_matrix.py``) asks each level one question per operation: the simplest
request. A permission bug that hides in a combination (the owner restriction applied to the first
page only, lost when a date filter takes another query path, forgotten by the count query, bypassed
by an ``ownerUsername`` in another case; the ownership test of get/download skipped for an id written
in capitals) answers that simplest request correctly. These checks cover every pair of the
dimensions instead (``strategies.pairwise``), Hypothesis drawing the concrete values of each case:

- listRecordings: level (10, 2, 1, 0) x filter (none, the run's marker alone, ``ownerUsername`` =
  self / another user, each in another case, each filter, two filters) x page (0, 1, last, past the
  end, unpaged) x pageSize (1, 2, 3, absent). Oracle (``contract.visibility``): a level-2 answer is the
  admin's answer to the same query restricted to the caller's own recordings, on every page and in
  ``totalCount`` (A-15); level 10 gets the admin's unpaged answer page by page (documented, A-3 past
  the end, A-3b without pageSize); levels 1 and 0 are 403 (A-15). ``ownerUsername`` naming another
  user may also be refused with 403 (refusing the filter is not a leak).
- getRecording / downloadRecording: level x whose recording (own, another user's) x operation x how
  the id is written (lowercase, capitals, mixed: A-1 accepts any case): 200 for level 10 and for
  level 2 on its own (documented), 403 otherwise (A-15), whatever the case of the id.

Data: recordings uploaded by level 10, owned by the caller and by another user, interleaved in
time with distinct start times, all sharing one run-unique local number (the marker), so the
comparison never depends on what else the server holds; the "none" filter (level 2 only) compares
the caller's whole listing with the admin's ``ownerUsername=<caller>`` listing, which holds on any
data. On a lab the callers are the declared role users; a role the target file lacks drops its rows
(the pair coverage says which pairs ran).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass
from typing import Any

import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

from contract import api, expect
from contract.client import ApiClient, Reply
from contract.pair_ledger import NO_SHRINK, PairLedger
from contract.run_context import RunContext
from contract.scene import Scene, User
from contract.test_auth_matrix import _caller, _other_user
from contract.visibility import item_id, last_page, own_only, page_bounds, strangers
from strategies import audio
from strategies.pairwise import covering_rows
from strategies.rhs_colon import TICKS_PER_SECOND, Instant

CHECK_PAGES = "every level, every page and filter"
CHECK_IDS = "get/download: every level, every id form"

ROLE_OF_LEVEL = {10: "l10", 2: "l2", 1: "l1", 0: "l0"}

FILTERS = (
    "marker",
    "none",
    "owner=self",
    "owner=self-recased",
    "owner=other",
    "owner=other-recased",
    "direction",
    "startTime",
    "endTime",
    "remoteParty",
    "direction+startTime",
    "owner=self+endTime",
)
"""``marker``: the run's local number alone; ``none``: no parameter at all (any data)."""

PAGE_DIMENSIONS: dict[str, tuple[Hashable, ...]] = {
    "level": (10, 2, 1, 0),
    "filter": FILTERS,
    "page": ("0", "1", "last", "past-end", "unpaged"),
    "pageSize": (1, 2, 3, "absent"),
}


def page_case_allowed(row: Mapping[str, Hashable]) -> bool:
    """``unpaged`` sends neither page nor pageSize; level 10's unfiltered listing is every recording
    on the server (not an auth question, and unbounded on a real server)."""
    if row.get("page") == "unpaged" and row.get("pageSize", "absent") != "absent":
        return False
    return not (row.get("filter") == "none" and row.get("level") == 10)


OWNERS = ("own", "other", "other", "own", "own", "other", "own", "other")
DIRECTIONS = (1, 2, 1, 2, 2, 1, 1, 2)
STEP_TICKS = int(437.5 * TICKS_PER_SECOND)
"""Distinct start times, 7 min 17.5 s apart (a sub-second part on every other one)."""


@dataclass
class Uploaded:
    """The recordings this check uploaded: one shared marker, two owners interleaved in time."""

    marker: str
    caller: User
    other: User
    starts: list[Instant]
    ends: list[Instant]
    remotes: list[str]
    ids: list[str]


def _upload_interleaved(scene: Scene, admin: ApiClient, caller: User, other: User) -> Uploaded:
    marker = scene.number()
    base = scene.upload_window.hours_ago(3)
    up = Uploaded(marker, caller, other, [], [], [], [])
    for k, (whose, direction) in enumerate(zip(OWNERS, DIRECTIONS, strict=True)):
        owner = caller if whose == "own" else other
        start = base - k * STEP_TICKS
        duration_s = 5 + 11 * k
        remote = ("+4930" if k % 2 == 0 else "+3906") + f"{marker}{k}"
        meta = {
            "startDateTime": start.isoformat(),
            "duration": f"PT{duration_s}S",
            "direction": direction,
            "localParty": {"username": owner.username, "phoneNumber": marker},
            "remoteParty": {"phoneNumber": remote},
        }
        reply = api.upload_recording(admin, meta, audio.wav("pcm16", seconds=0.2), "audio/wav")
        expect.status(reply, 201, check=CHECK_PAGES, why="set-up: level 10 uploads a recording")
        up.starts.append(start)
        up.ends.append(start + duration_s * TICKS_PER_SECOND)
        up.remotes.append(remote)
        up.ids.append(str(reply.json()["id"]).lower())
    return up


@st.composite
def recased(draw: st.DrawFn, name: str) -> str:
    """``name`` in another case (A-4: usernames compare case-insensitively); ``name`` itself only
    when it has no letters."""
    forms = [f for f in (name.upper(), name.swapcase(), name.title(), name.lower()) if f != name]
    return draw(st.sampled_from(forms)) if forms else name


def _middle_first(n: int) -> list[int]:
    """``0..n-1`` from the middle outwards: the simplest draw (the first) splits the data in two."""
    mid = n // 2
    return sorted(range(n), key=lambda i: (abs(i - mid), i))


def _stamp(draw: st.DrawFn, times: list[Instant]) -> Instant:
    """An instant halfway between two of the run's neighbouring times, or at one (a boundary)."""
    k = draw(st.sampled_from(_middle_first(len(times) - 1)))
    at, before = times[k], times[k + 1]
    return draw(st.sampled_from((before + (at - before) // 2, at, before)))


def _datetime_filter(draw: st.DrawFn, times: list[Instant]) -> str:
    op = draw(st.sampled_from(("before", "after", "between", "equals")))
    a = _stamp(draw, times)
    if op == "equals":
        return a.isoformat()
    if op != "between":
        return f"{op}:{a.isoformat()}"
    b = _stamp(draw, times)
    lo, hi = (a, b) if a.ticks <= b.ticks else (b, a)
    return f"between:{lo.isoformat()};{(hi + TICKS_PER_SECOND).isoformat()}"


@st.composite
def filter_params(draw: st.DrawFn, name: str, up: Uploaded, me: str) -> dict[str, Any]:
    """The query parameters of one filter case (without paging); the marker unless ``none``. ``me``
    is whom ``owner=self`` names: the caller of the row (for level 10, the level-2 owner)."""
    params: dict[str, Any] = {} if name == "none" else {"localPartyNumber": up.marker}
    for part in name.split("+"):
        if part == "owner=self":
            params["ownerUsername"] = me
        elif part == "owner=self-recased":
            params["ownerUsername"] = draw(recased(me))
        elif part == "owner=other":
            params["ownerUsername"] = up.other.username
        elif part == "owner=other-recased":
            params["ownerUsername"] = draw(recased(up.other.username))
        elif part == "direction":
            params["direction"] = draw(st.sampled_from((1, 2)))
        elif part == "startTime":
            params["startTime"] = _datetime_filter(draw, up.starts)
        elif part == "endTime":
            params["endTime"] = _datetime_filter(draw, sorted(up.ends, key=lambda i: -i.ticks))
        elif part == "remoteParty":
            whole = draw(st.sampled_from(up.remotes))
            params["remoteParty"] = draw(
                st.sampled_from((f"contains:{whole[:5]}", whole, f"contains:{whole[-4:]}"))
            )
    return params


def reference_answer(admin: ApiClient, params: dict[str, Any], level: int, caller: User) -> list[Any]:
    """What ``level`` may see of ``params``: the admin's unpaged answer, restricted to the caller's
    own recordings for level 2 (A-15). The unfiltered level-2 listing is the admin's
    ``ownerUsername=<caller>`` listing (any data)."""
    query = dict(params) if params else {"ownerUsername": caller.username}
    reply = api.list_recordings(admin, query)
    expect.status(reply, 200, check=CHECK_PAGES, why="reference: level 10 lists the same query, unpaged")
    body = expect.json_body(reply, check=CHECK_PAGES)
    items = (
        [i for i in (body.get("recordings") or []) if isinstance(i, dict)] if isinstance(body, dict) else []
    )
    return items if level == 10 else own_only(items, caller.username)


def page_of(row: Mapping[str, Hashable], total: int) -> tuple[int | None, int | None]:
    """``(page, pageSize)`` to send for a row (``None``: leave the parameter out)."""
    size = row["pageSize"]
    if row["page"] == "unpaged":
        return None, None
    span = size if isinstance(size, int) else 1
    named = {"0": 0, "1": 1, "last": last_page(total, span), "past-end": last_page(total, span) + 1}
    page = named[str(row["page"])]
    if page == named["past-end"] and total == 0:
        page = 1
    return page, (size if isinstance(size, int) else None)


def _owner_names_other(params: Mapping[str, Any], caller: User) -> bool:
    asked = params.get("ownerUsername")
    return isinstance(asked, str) and asked.lower() != caller.username.lower()


def judge_page(
    reply: Reply, row: Mapping[str, Hashable], params: dict[str, Any], expected: list[Any], caller: User
) -> None:
    """One listing case against what its level may see."""
    level = int(str(row["level"]))
    what = f"level {level}, filter {row['filter']} ({_describe(params)})"
    if level in (0, 1):
        expect.status(reply, 403, check=CHECK_PAGES, why=f"{what}: no right to list", provenance="A-15")
        return
    provenance = "A-15" if level == 2 else "documented"
    if level == 2 and reply.status == 403 and _owner_names_other(params, caller):
        return  # refusing a filter that names another user is not a leak
    expect.status(reply, 200, check=CHECK_PAGES, why=what, provenance=provenance)
    body = expect.json_body(reply, check=CHECK_PAGES, provenance=provenance)
    items = (
        [i for i in (body.get("recordings") or []) if isinstance(i, dict)] if isinstance(body, dict) else []
    )
    if level == 2:
        foreign = strangers(items, caller.username)
        expect.that(
            not foreign,
            reply,
            check=CHECK_PAGES,
            title=f"{what}: page {params.get('page', '-')} lists other users' recordings",
            expected=f"only recordings of {caller.username}",
            actual=foreign,
            provenance="A-15",
        )
    total = body.get("totalCount") if isinstance(body, dict) else None
    expect.that(
        total == len(expected),
        reply,
        check=CHECK_PAGES,
        title=f"{what}: totalCount is not the count of what this level may see",
        expected=len(expected),
        actual=total,
        provenance=provenance,
    )
    size = params.get("pageSize")
    page = int(params.get("page", 0)) if size is not None else 0
    bounds = page_bounds(expected, page, size)
    problems = bounds.judge([item_id(i) for i in items])
    past_end = size is not None and page * size >= len(expected)
    expect.that(
        not problems,
        reply,
        check=CHECK_PAGES,
        title=f"{what}: page {page} of size {size} is not that window of what this level may see",
        expected=f"{bounds.count} recordings, the window of {len(expected)} (most recent first)",
        actual="; ".join(problems),
        provenance=joined(
            "A-15" if level == 2 else "documented",
            "A-3" if past_end else "documented",
            "A-3b" if size is None and "page" in params else "documented",
        ),
    )


def joined(*provenances: str) -> str:
    """One provenance for an expectation resting on several: ``documented`` only when every part is."""
    parts = sorted({p for prov in provenances for p in prov.split(",") if p != "documented"})
    return ",".join(parts) if parts else "documented"


def _describe(params: Mapping[str, Any]) -> str:
    shown = {k: v for k, v in params.items() if k not in ("page", "pageSize")}
    return ", ".join(f"{k}={v}" for k, v in shown.items()) or "no filter"


@pytest.mark.recqual(family="auth", operation="listRecordings", check=CHECK_PAGES, provenance="A-15")
def test_every_level_every_page_and_filter(
    scene: Scene, admin: ApiClient, pairs: PairLedger, run_context: RunContext
) -> None:
    """Each pair of (level, filter, page, pageSize) is asked once per example; each answer is judged
    against the admin's answer to the same query, restricted to what that level may see."""
    caller = _caller(scene, "l2")
    other = _other_user(scene, "l2", caller)
    up = _upload_interleaved(scene, admin, caller, other)
    callers: dict[int, ApiClient] = {10: admin, 2: scene.client_for(caller)}
    names = {10: caller.username, 2: caller.username}
    for level in (1, 0):
        try:
            user = _caller(scene, ROLE_OF_LEVEL[level])
        except pytest.skip.Exception:
            continue  # a lab without that role: its rows do not run (the pair coverage shows it)
        callers[level], names[level] = scene.client_for(user), user.username
    rows = [r for r in covering_rows(PAGE_DIMENSIONS, page_case_allowed) if int(str(r["level"])) in callers]
    ran: list[dict[str, Hashable]] = []

    @settings(max_examples=run_context.examples(full=3, quick=1), phases=NO_SHRINK)
    @given(data=st.data())
    def run(data: st.DataObject) -> None:
        references: dict[tuple[int, str], list[Any]] = {}
        for row in rows:
            level = int(str(row["level"]))
            params = data.draw(filter_params(str(row["filter"]), up, names[level]))
            key = (level, repr(sorted(params.items())))
            if level in (10, 2) and key not in references:
                references[key] = reference_answer(admin, params, level, caller)
            expected = references.get(key, [])
            page, size = page_of(row, len(expected))
            query = dict(params)
            if page is not None:
                query["page"] = page
            if size is not None:
                query["pageSize"] = size
            event(f"level {level} page {row['page']}")
            reply = api.list_recordings(callers[level], query or None)
            judge_page(reply, row, query, expected, caller)
            if row not in ran:
                ran.append(row)

    try:
        run()
    finally:
        pairs.record("listRecordings", ran, PAGE_DIMENSIONS, page_case_allowed)


# ------------------------------------------------------------------------------- get/download by id

ID_DIMENSIONS: dict[str, tuple[Hashable, ...]] = {
    "level": (10, 2, 1, 0),
    "whose": ("own", "other"),
    "operation": ("getRecording", "downloadRecording"),
    "id": ("lowercase", "capitals", "mixed"),
}


def expected_for_id(level: int, whose: str, id_form: str) -> tuple[int, str]:
    """(status, provenance): level 10 and level 2 on its own read (documented); everyone else is 403
    (A-15); an id not in lowercase rests on A-1 too when the answer is 200."""
    if level == 10 or (level == 2 and whose == "own"):
        return 200, ("A-1" if id_form != "lowercase" else "documented")
    return 403, "A-15"


@st.composite
def id_forms(draw: st.DrawFn, rec: str, form: str) -> str:
    """``rec`` written in ``form``: lowercase, capitals, or a drawn mix (A-1: any case)."""
    if form == "lowercase":
        return rec.lower()
    if form == "capitals":
        return rec.upper()
    flips = draw(st.lists(st.booleans(), min_size=len(rec), max_size=len(rec)))
    mixed = "".join(c.upper() if f else c.lower() for c, f in zip(rec, flips, strict=True))
    return mixed if mixed not in (rec.lower(), rec.upper()) else rec[:1].upper() + rec[1:].lower()


def _upload_for(scene: Scene, admin: ApiClient, owner: User) -> str:
    meta = {
        "startDateTime": scene.upload_window.hours_ago(2).isoformat(),
        "duration": "PT2S",
        "direction": 1,
        "localParty": {"username": owner.username, "phoneNumber": scene.number()},
        "remoteParty": {"phoneNumber": scene.number()},
    }
    reply = api.upload_recording(admin, meta, audio.wav("pcm16", seconds=0.2), "audio/wav")
    expect.status(reply, 201, check=CHECK_IDS, why="set-up: level 10 uploads a recording")
    return str(reply.json()["id"]).lower()


@pytest.mark.recqual(
    family="auth", operation="getRecording,downloadRecording", check=CHECK_IDS, provenance="A-15"
)
def test_get_download_every_level_every_id_form(
    scene: Scene, admin: ApiClient, pairs: PairLedger, run_context: RunContext
) -> None:
    """A recording another user owns stays 403 to levels 2, 1 and 0 however its id is written, and
    one's own (level 2) or any (level 10) is 200 in every case of its id."""
    users: dict[int, User] = {}
    for level, role in ROLE_OF_LEVEL.items():
        try:
            users[level] = _caller(scene, role) if level != 10 else scene.user("l10")
        except pytest.skip.Exception:
            continue
    if len(users) < 2:
        pytest.skip(
            "needs two declared users (two [credentials.<role>] entries) to own each other's recordings"
        )
    owned = {level: _upload_for(scene, admin, user) for level, user in users.items()}
    levels = sorted(users)
    stranger = {lv: owned[levels[(levels.index(lv) + 1) % len(levels)]] for lv in levels}
    media: dict[str, bytes] = {}
    rows = [r for r in covering_rows(ID_DIMENSIONS) if int(str(r["level"])) in users]
    ran: list[dict[str, Hashable]] = []
    send: dict[str, Callable[[ApiClient, str], Reply]] = {
        "getRecording": api.get_recording,
        "downloadRecording": api.download_recording,
    }

    @settings(max_examples=run_context.examples(full=3, quick=1), phases=NO_SHRINK)
    @given(data=st.data())
    def run(data: st.DataObject) -> None:
        for row in rows:
            level, whose, op, form = (
                int(str(row["level"])),
                str(row["whose"]),
                str(row["operation"]),
                str(row["id"]),
            )
            rec = owned[level] if whose == "own" else stranger[level]
            written = data.draw(id_forms(rec, form))
            reply = send[op](scene.client_for(users[level]), written)
            status, provenance = expected_for_id(level, whose, form)
            whose_text = "its own" if whose == "own" else "another user's"
            why = f"level {level} {op} of {whose_text} recording, id {form}"
            expect.status(reply, status, check=CHECK_IDS, why=why, provenance=provenance)
            if status == 200:
                _same_recording(admin, reply, op, rec, media, why, provenance)
            if row not in ran:
                ran.append(row)

    try:
        run()
    finally:
        pairs.record("getRecording,downloadRecording", ran, ID_DIMENSIONS)


def _same_recording(
    admin: ApiClient, reply: Reply, op: str, rec: str, media: dict[str, bytes], why: str, provenance: str
) -> None:
    """The 200 is the recording asked for: its detail's id, or the bytes the admin downloads."""
    if op == "getRecording":
        body = expect.json_body(reply, check=CHECK_IDS, provenance=provenance)
        got = str(body.get("id", "")).lower() if isinstance(body, dict) else None
        expect.that(
            got == rec,
            reply,
            check=CHECK_IDS,
            title=f"{why}: another recording's detail",
            expected=rec,
            actual=got,
            provenance=provenance,
        )
        return
    if rec not in media:
        reference = api.download_recording(admin, rec)
        expect.status(reference, 200, check=CHECK_IDS, why="reference: level 10 downloads it")
        media[rec] = reference.content
    expect.that(
        reply.content == media[rec],
        reply,
        check=CHECK_IDS,
        title=f"{why}: other bytes than the admin's download",
        expected=f"{len(media[rec])} bytes",
        actual=f"{len(reply.content)} bytes",
        provenance=provenance,
    )
