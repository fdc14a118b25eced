"""Concurrent requests on one recording or line: exactly one wins (reference 2.3, documented).

Invariants, for K requests released together:

- K starts on one connected line: one 201, K-1 429 ("a duplicate request, or the call is already
  being recorded"), and exactly one live recording afterwards;
- K pauses of one running recording: one 204, K-1 429 ("already paused");
- K stops of one live recording: one 204, K-1 409 ("the id is not a live recording").

A server without atomic check-and-set answers 201 twice (two recorders on one call) or 500.

Beyond one operation racing itself, ``test_overlapping_live_requests`` releases K requests of
*different* operations and routes together (a stop by id beside a stop by line and ``/Mine``, a
pause beside a resume, a start beside a stop, live lists beside any of them), over a pairwise covering
array of (lead operation x partner x route x K x state before), 3-wise where pairs are not enough
(pause/resume/stop x running/paused). The oracle is linearizability (``contract/overlap_model.py``):
some order of the K requests, served one at a time by the reference's rules, must give every status,
every list and the state the line is left in; a recording a stop ended is completed exactly once (A-7).

The three races need only a line with a connected call that nobody records: a fresh user's line on
the emulator, a declared ``call = "standing"`` line on a lab (lent to the check; whatever the check
leaves recording is stopped by line when it ends). The K requests of a race are counted by the
session's rate cap beforehand and then released at once, so a lab's ``max_rps`` never turns a race
into a queue. Only "channels exhausted is 503" needs the emulator (no lab can declare its channels).
"""

from __future__ import annotations

import dataclasses
import itertools
import threading
import uuid
from collections import Counter
from collections.abc import Callable, Hashable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pytest

from contract import api, expect, live_model, overlap_model
from contract.client import ApiClient, RateLimiter, Reply
from contract.failures import DOCUMENTED
from contract.run_context import RunContext
from contract.scene import Scene
from strategies.pairwise import covering_rows

K = 8


def race(k: int, send: Callable[[], Reply]) -> list[Reply]:
    """Release ``k`` identical requests at once (a barrier), return every reply."""
    barrier = threading.Barrier(k)

    def one() -> Reply:
        barrier.wait(timeout=30)
        return send()

    with ThreadPoolExecutor(max_workers=k) as pool:
        futures = [pool.submit(one) for _ in range(k)]
        return [future.result(timeout=120) for future in futures]


def together(sends: list[Callable[[], Reply]], timeout: float = 120.0) -> list[Reply]:
    """Release different requests at once (one barrier); their replies in order."""
    barrier = threading.Barrier(len(sends))

    def one(send: Callable[[], Reply]) -> Reply:
        barrier.wait(timeout=30)
        return send()

    with ThreadPoolExecutor(max_workers=len(sends)) as pool:
        futures = [pool.submit(one, send) for send in sends]
        return [future.result(timeout=timeout) for future in futures]


def expect_one_winner(replies: list[Reply], win: int, lose: int, check: str, why: str) -> Reply:
    counts = Counter(r.status for r in replies)
    winners = [r for r in replies if r.status == win]
    odd = next((r for r in replies if r.status not in (win, lose)), replies[0])
    expect.that(
        counts == Counter({win: 1, lose: len(replies) - 1}),
        winners[1] if len(winners) > 1 else odd,
        check=check,
        title=f"{len(replies)} concurrent requests: {why}",
        expected=f"1 x {win}, {len(replies) - 1} x {lose}",
        actual=", ".join(f"{n} x {s}" for s, n in sorted(counts.items())),
    )
    return winners[0]


@pytest.fixture
def k(run_context: RunContext) -> int:
    """Concurrent requests per race: fewer on --quick."""
    return 4 if run_context.quick else K


@contextmanager
def burst(client: ApiClient, k: int) -> Iterator[ApiClient]:
    """``client`` for ``k`` requests released together: the same identity, breaker, log, redaction and
    read-only rule, with the ``k`` requests counted by the session's rate limiter up front (the run's
    average rate stays under the cap) and then sent without spacing."""
    shared = client.config
    for _ in range(k):
        shared.limiter.wait()
    config = dataclasses.replace(shared, limiter=RateLimiter(0))
    try:
        yield ApiClient(config, client.credentials)
    finally:
        config.close()


CHECK_SETUP = "set-up: a connected line nobody records"


@pytest.fixture
def connected(scene: Scene, admin: ApiClient) -> tuple[str, str]:
    """A line with a connected call, for this check alone: (deviceName, directoryNumber).

    Emulator: a fresh user's line and a call placed on it. Lab: a declared standing-call line, lent
    until the check ends; it must not be recorded already (a recording left by someone else would
    make every start a 429)."""
    _, call = scene.line_with_call(stem="race", owned=False)
    device, dn = call.line.device_name, call.line.directory_number
    listing = expect.status(
        api.list_active(admin, deviceName=device, directoryNumber=dn),
        200,
        check=CHECK_SETUP,
        why="level 10 lists the line's active recordings",
    )
    expect.that(
        listing.json() == [],
        listing,
        check=CHECK_SETUP,
        title=f"line {device}/{dn} is already being recorded before the race",
        expected="no live recording on the line",
        actual=listing.json(),
    )
    return device, dn


@pytest.mark.recqual(
    family="races",
    operation="startRecording",
    check="concurrent starts: one 201, others 429",
    needs=("lines",),
)
def test_concurrent_starts(connected: tuple[str, str], admin: ApiClient, k: int) -> None:
    device, dn = connected
    with burst(admin, k) as client:
        replies = race(k, lambda: api.start(client, {"deviceName": device, "directoryNumber": dn}))
    expect_one_winner(replies, 201, 429, "concurrent starts: one 201, others 429", "start on one line")
    listing = api.list_active(admin, deviceName=device, directoryNumber=dn)
    expect.that(
        len(listing.json()) == 1,
        listing,
        check="concurrent starts: one 201, others 429",
        title="the line is recorded more than once",
        expected=1,
        actual=len(listing.json()),
    )


@pytest.mark.recqual(
    family="races",
    operation="pauseRecording",
    check="concurrent pauses: one 204, others 429",
    needs=("lines",),
)
def test_concurrent_pauses(connected: tuple[str, str], admin: ApiClient, k: int) -> None:
    device, dn = connected
    started = expect.status(
        api.start(admin, {"deviceName": device, "directoryNumber": dn}),
        201,
        check="set-up: start",
        why="a connected, unrecorded line",
    )
    rec = str(started.json()["id"])
    with burst(admin, k) as client:
        replies = race(k, lambda: api.pause(client, rec))
    expect_one_winner(replies, 204, 429, "concurrent pauses: one 204, others 429", "pause of one recording")


@pytest.mark.recqual(
    family="races",
    operation="stopRecording",
    check="concurrent stops: one 204, others 409",
    needs=("lines",),
)
def test_concurrent_stops(connected: tuple[str, str], admin: ApiClient, k: int) -> None:
    device, dn = connected
    started = expect.status(
        api.start(admin, {"deviceName": device, "directoryNumber": dn}),
        201,
        check="set-up: start",
        why="a connected, unrecorded line",
    )
    rec = str(started.json()["id"])
    with burst(admin, k) as client:
        replies = race(k, lambda: api.stop(client, rec))
    expect_one_winner(replies, 204, 409, "concurrent stops: one 204, others 409", "stop of one recording")


@pytest.mark.recqual(
    family="races", operation="startRecording", check="channels exhausted is 503", needs=("emulator",)
)
def test_no_channel_503(scene: Scene, admin: ApiClient) -> None:
    """With N channels and N running recordings, one more start is 503; a stop frees a channel."""
    control = scene.require_emulator("limiting recording channels")
    before = control.settings()
    busy = len(api.list_active(admin).json())
    try:
        control.settings(channels=busy + 2)
        lines = []
        for _ in range(3):
            owner = scene.new_user(1, stem="chan")
            assert owner.line is not None
            scene.connect(owner.line)
            lines.append(owner.line)
        ids = []
        for line in lines[:2]:
            reply = expect.status(
                api.start(admin, {"deviceName": line.device_name}),
                201,
                check="channels exhausted is 503",
                why="a free channel remains",
            )
            ids.append(str(reply.json()["id"]))
        reply = api.start(admin, {"deviceName": lines[2].device_name})
        expect.status(reply, 503, check="channels exhausted is 503", why="every recording channel is busy")
        expect.status(
            api.stop(admin, ids[0]), 204, check="channels exhausted is 503", why="stop frees a channel"
        )
        expect.status(
            api.start(admin, {"deviceName": lines[2].device_name}),
            201,
            check="channels exhausted is 503",
            why="a channel was freed by the stop",
        )
    finally:
        control.settings(channels=before.get("channels"))


# -- overlapping requests of different operations and routes: a pairwise covering array ---------------------

CHECK_OVERLAP = "overlapping live requests: served as if one at a time"
OVERLAP_DIMENSIONS: dict[str, list[Hashable]] = {
    "lead": ["start", "pause", "resume", "stop"],
    "partner": ["start", "pause", "resume", "stop", "list"],
    "addressing": ["id", "line", "mine"],
    "k": [2, 4],
    "initial": ["none", "running", "paused"],
}
"""The dimensions of one overlap: the lead request's operation and route, what overlaps it (more of
the same operation, another one, or live lists), how many requests overlap, and the line's state before."""
TRIPLE_OPS = ("pause", "resume", "stop")
TRIPLE_STATES = ("running", "paused")
"""Where a pair is not enough: a pause and a resume that overlap mean something else on a running and
on a paused recording, so every (lead, partner, state before) of these also meets (3-wise)."""
START_TRIPLES = (("start", "start", "none"), ("start", "stop", "none"), ("stop", "start", "running"))
"""And the starts that can win: two starts by two routes on a line with nothing live, a start beside a
stop on an idle line and on a recorded one."""


def with_triples(
    rows: list[dict[str, Hashable]], allowed: Callable[[Mapping[str, Hashable]], bool]
) -> list[dict[str, Hashable]]:
    """``rows`` plus a row for every (lead, partner, state before) of :data:`TRIPLE_OPS` x
    :data:`TRIPLE_STATES` they miss (the lead's first allowed route, K = 2)."""
    have = {(r["lead"], r["partner"], r["initial"]) for r in rows}
    extra: list[dict[str, Hashable]] = []
    wanted = [*itertools.product(TRIPLE_OPS, TRIPLE_OPS, TRIPLE_STATES), *START_TRIPLES]
    for lead, partner, state in wanted:
        if (lead, partner, state) in have:
            continue
        routes = [a for a in OVERLAP_DIMENSIONS["addressing"] if allowed({"lead": lead, "addressing": a})]
        by = routes[len(extra) % len(routes)]
        extra.append({"lead": lead, "partner": partner, "addressing": by, "k": 2, "initial": state})
    return rows + extra


def triple_ledger(
    rows: list[dict[str, Hashable]],
) -> tuple[list[dict[str, Hashable]], dict[str, list[Hashable]]]:
    """The 3-wise coverage as pairs for the ledger: (lead+partner) x state before."""
    dims: dict[str, list[Hashable]] = {
        "lead+partner": [f"{a}+{b}" for a, b in itertools.product(TRIPLE_OPS, TRIPLE_OPS)],
        "initial": list(TRIPLE_STATES),
    }
    ran: list[dict[str, Hashable]] = [
        {"lead+partner": f"{r['lead']}+{r['partner']}", "initial": r["initial"]} for r in rows
    ]
    return ran, dims


def overlap_allowed(owner_routes: bool) -> Callable[[Mapping[str, Hashable]], bool]:
    """A start has no by-id route, a pause/resume no ``/Mine`` one; ``mine`` needs the line owner's
    credentials (a lab line declared without a role has none)."""

    def allowed(row: Mapping[str, Hashable]) -> bool:
        lead, by = row.get("lead"), row.get("addressing")
        if by == "mine" and not owner_routes:
            return False
        if lead is not None and by is not None:
            return by in overlap_model.ADDRESSINGS[str(lead)]
        return True

    return allowed


@dataclass
class OverlapLine:
    """The one line every row of the check uses, its owner's client, and the model for A-7 look-ups."""

    device: str
    dn: str
    admin: ApiClient
    owner: ApiClient | None
    model: live_model.LineModel
    left: tuple[str, dict[str, Any]] | None = None
    """The live recording the last row left on the line (id, list item), when ``known``."""
    known: bool = False

    def remember(self, items: dict[str, dict[str, Any]]) -> None:
        """What a row's final observation saw: the next row starts from it if it can."""
        self.known, self.left = True, next(iter(items.items()), None)

    def observe(self, first: str | None) -> tuple[Reply, overlap_model.State, dict[str, dict[str, Any]]]:
        """The line's live list as a model state (``first``: the id the row started with)."""
        reply, items = live_model.live_on_line(self.admin, self.device, self.dn, CHECK_OVERLAP)
        expect.that(
            len(items) <= 1,
            reply,
            check=CHECK_OVERLAP,
            title=f"line {self.dn} has {len(items)} live recordings after overlapping requests",
            expected="at most one live recording on a line (a second start is 429)",
            actual=sorted(items),
        )
        if not items:
            return reply, overlap_model.State(), items
        rec_id, item = next(iter(items.items()))
        tag = overlap_model.FIRST if rec_id == first else overlap_model.NEW
        return reply, overlap_model.State(tag, item.get("isPaused") is True), items

    def settle(self) -> None:
        """Between rows: nothing live on the line (a stop by line, whatever it answers)."""
        api.stop_by_line(self.admin, self.device, self.dn)

    def prepare(self, initial: str, *, started_at: bool) -> tuple[str | None, str | None]:
        """Bring the line to ``initial``; return the live recording's id and startedAt (or ``None``).
        A recording the last row left live is reused (paused or resumed as needed): fewer requests
        per row, and a recording that has been through several overlaps is exercised further."""
        if initial != "none" and self.known and self.left is not None:
            rec_id, item = self.left
            if (item.get("isPaused") is True) != (initial == "paused"):
                change = api.pause if initial == "paused" else api.resume
                expect.status(
                    change(self.admin, rec_id), 204, check="set-up: " + initial, why="a live recording"
                )
            return rec_id, item.get("startedAt")
        if not (self.known and self.left is None):
            self.settle()
        self.known = False
        if initial == "none":
            return None, None
        started = expect.status(
            api.start(self.admin, {"deviceName": self.device, "directoryNumber": self.dn}),
            201,
            check="set-up: start",
            why="a connected line with nothing live",
        )
        rec = str(started.json()["id"]).lower()
        if initial == "paused":
            expect.status(api.pause(self.admin, rec), 204, check="set-up: pause", why="a running recording")
        if not started_at:
            return rec, None
        _, _, items = self.observe(rec)
        return rec, (items.get(rec) or {}).get("startedAt")

    def sender(
        self, client: ApiClient, owner: ApiClient | None, request: overlap_model.Request, rec: str
    ) -> Callable[[], Reply]:
        """The HTTP request for one model request (``rec``: the id by-id requests name)."""
        line = {"deviceName": self.device, "directoryNumber": self.dn}
        sends: dict[tuple[str, str], Callable[[], Reply]] = {
            ("start", "line"): lambda: api.start(client, line),
            ("pause", "id"): lambda: api.pause(client, rec),
            ("pause", "line"): lambda: api.pause_by_line(client, self.dn),
            ("resume", "id"): lambda: api.resume(client, rec),
            ("resume", "line"): lambda: api.resume_by_line(client, self.dn),
            ("stop", "id"): lambda: api.stop(client, rec),
            ("stop", "line"): lambda: api.stop_by_line(client, self.device, self.dn),
            ("list", "line"): lambda: api.list_active(
                client, deviceName=self.device, directoryNumber=self.dn
            ),
        }
        if owner is not None:
            sends[("start", "mine")] = lambda: api.start(owner)
            sends[("stop", "mine")] = lambda: api.stop_mine(owner)
        return sends[(request.op, request.addressing)]


def answer_of(reply: Reply, request: overlap_model.Request, first: str | None) -> overlap_model.Answer:
    """A reply as the model states it: the status, or for a 200 list what it showed."""
    if request.op != "list" or reply.status != 200:
        return reply.status
    items = reply.json_or_none()
    if not isinstance(items, list):
        return reply.status
    return tuple(
        (
            overlap_model.FIRST if str(i.get("id", "")).lower() == first else overlap_model.NEW,
            i.get("isPaused") is True,
        )
        for i in items
        if isinstance(i, dict)
    )


@pytest.mark.recqual(
    family="races",
    operation=[
        "startRecording",
        "pauseRecording",
        "resumeRecording",
        "stopRecording",
        "pauseRecordingsByLine",
        "resumeRecordingsByLine",
        "stopRecordingByLine",
        "stopMyRecording",
        "listActiveRecordings",
    ],
    check=CHECK_OVERLAP,
    needs=("lines",),
)
def test_overlapping_live_requests(scene: Scene, admin: ApiClient, pairs: Any) -> None:
    """Pairwise over (lead operation x partner x route x K x state before): K requests on one line
    released together must be answered as some order of them, one at a time, would be, and leave the
    line as that order leaves it (``contract/overlap_model.py``); a recording a stop ended is listed
    as completed exactly once (A-7)."""
    owner, call = scene.line_with_call(stem="overlap", owned=True)
    owner_client = scene.client_for(owner) if owner is not None else None
    model = live_model.lent_line(admin, owner, call, scene.upload_window.server_now())
    line = OverlapLine(call.line.device_name, call.line.directory_number, admin, owner_client, model)
    allowed = overlap_allowed(owner_client is not None)
    rows = with_triples(covering_rows(OVERLAP_DIMENSIONS, allowed), allowed)
    ran: list[dict[str, Hashable]] = []
    try:
        for row in rows:
            _overlap_row(line, row, scene)
            ran.append(row)
    finally:
        pairs.record("(live control)", ran, OVERLAP_DIMENSIONS, allowed)
        pairs.record("(live control) lead+partner x state, 3-wise", *triple_ledger(ran))
        line.settle()
        line.known = False


def _overlap_row(line: OverlapLine, row: Mapping[str, Hashable], scene: Scene) -> None:
    requests = overlap_model.requests_for(
        str(row["lead"]),
        str(row["addressing"]),
        str(row["partner"]),
        int(str(row["k"])),
        line.owner is not None,
    )
    first, started_at = line.prepare(str(row["initial"]), started_at="stop" in (row["lead"], row["partner"]))
    before = overlap_model.initial(str(row["initial"]))
    target = first or str(uuid.uuid4())  # by-id requests on a line with nothing live name a never-live id
    can_stop = first is not None and "stop" in (row["lead"], row["partner"])
    if can_stop:  # what the line carried before is not this row's completed recording
        live_model.claim_existing(line.admin, line.model, scene.upload_window.server_now())
    with burst(line.admin, len(requests)) as client:
        owner = client.as_user(line.owner.credentials) if line.owner is not None else None
        replies = together([line.sender(client, owner, r, target) for r in requests])
    answers = [answer_of(reply, r, first) for reply, r in zip(replies, requests, strict=True)]
    after_reply, after, items = line.observe(first)
    line.remember(items)
    order = overlap_model.explanation(before, requests, answers, after)
    if order is None:
        sent = "; ".join(f"{r} -> {a}" for r, a in zip(requests, answers, strict=True))
        could = [
            f"{', '.join(str(a) for a in got)} leaving {final}"
            for got, final in overlap_model.possible(before, requests)[:4]
        ]
        odd = next(
            (rp for rp, a in zip(replies, answers, strict=True) if isinstance(a, int) and a >= 500),
            after_reply,
        )
        ended = overlap_model.finals(before, requests, answers)
        lagging = bool(ended) and all(f.live is None for f in ended) and after.live is not None
        raise expect.fail(
            odd,
            check=CHECK_OVERLAP,
            provenance="A-7" if lagging else DOCUMENTED,  # a stopped recording still listed: A-7's "at once"
            title=(
                f"{len(requests)} overlapping requests on line {line.dn} (state before: {row['initial']}) "
                "were not answered as any order of them, one at a time, would be"
            ),
            expected=" | ".join(could),
            actual=f"{sent}; line left {after}",
        )
    stopped_first = can_stop and after.live != overlap_model.FIRST
    if stopped_first and not any(a == 201 for a in answers):
        rec = live_model.LiveRec(first or "", 0, started_at=started_at)
        live_model.completed_of(line.admin, line.model, rec, CHECK_OVERLAP)
