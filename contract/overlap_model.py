"""Overlapping control requests on one line: which answers some order of them explains.

K requests on one line released together (starts, pauses, resumes, stops by id, by line or ``/Mine``,
and live lists) may be served in any order, but a correct server serves them *as if* one at a time:
the statuses it answered, what each list showed, and the state the line is left in must be what some
order of the K requests gives, one after the other, from the state before (linearizability). With
K <= 4 every order is tried (at most 24). Pure logic (no HTTP), unit-tested alone.

The one-request rules are reference 2.3: start on a recorded line 429 ("already being recorded");
pause of a paused recording 429, resume of a running one 429; pause, resume and stop of an id that is
not live 409, by line (or ``/Mine``) with nothing live on the line 409; stop 204 ends the recording.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

FIRST = "r0"
"""The recording live on the line before the overlap (by-id requests name it)."""
NEW = "new"
"""A recording started during the overlap."""

OPS = ("start", "pause", "resume", "stop", "list")
ADDRESSINGS: dict[str, tuple[str, ...]] = {
    "start": ("line", "mine"),
    "pause": ("id", "line"),
    "resume": ("id", "line"),
    "stop": ("id", "line", "mine"),
    "list": ("line",),
}
"""The routes of each operation: by id (``/{id}``), by line (body, query or DN), by the caller's own
line (start without a body, ``DELETE /Mine``); pause/resume have no ``/Mine`` route."""


@dataclass(frozen=True)
class State:
    """The line's live recording: which one (``None``: none) and whether it is paused."""

    live: str | None = None
    paused: bool = False

    def seen(self) -> tuple[tuple[str, bool], ...]:
        """What a live list of the line shows: nothing, or the one recording and its isPaused."""
        return () if self.live is None else ((self.live, self.paused),)


@dataclass(frozen=True)
class Request:
    op: str
    addressing: str

    def __str__(self) -> str:
        return f"{self.op} by {self.addressing}"


Answer = int | tuple[tuple[str, bool], ...]
"""A status code, or for a list what it showed (see :meth:`State.seen`)."""


def step(state: State, request: Request) -> tuple[Answer, State]:
    """One request served alone: its answer and the state after it (reference 2.3)."""
    op, by_id = request.op, request.addressing == "id"
    if op == "list":
        return state.seen(), state
    if op == "start":
        return (429, state) if state.live is not None else (201, State(NEW, False))
    target_live = state.live == FIRST if by_id else state.live is not None
    if not target_live:
        return 409, state
    if op == "stop":
        return 204, State()
    want_paused = op == "resume"
    if state.paused != want_paused:
        return 429, state
    return 204, State(state.live, not state.paused)


def serial(state: State, requests: Sequence[Request]) -> tuple[list[Answer], State]:
    """The answers of ``requests`` served one after the other in this order, and the final state."""
    answers: list[Answer] = [0] * len(requests)
    for i, request in enumerate(requests):
        answers[i], state = step(state, request)
    return answers, state


def explanation(
    before: State, requests: Sequence[Request], answers: Sequence[Answer], after: State
) -> tuple[int, ...] | None:
    """An order of ``requests`` (indices) that gives exactly ``answers`` and leaves ``after``, or
    ``None`` when no order does (the server did not serve them as if one at a time)."""
    for order in itertools.permutations(range(len(requests))):
        got, final = serial(before, [requests[i] for i in order])
        if final == after and all(got[n] == answers[i] for n, i in enumerate(order)):
            return order
    return None


def finals(before: State, requests: Sequence[Request], answers: Sequence[Answer]) -> list[State]:
    """The final states of every order that gives exactly ``answers`` (whatever state it leaves)."""
    out: list[State] = []
    for order in itertools.permutations(range(len(requests))):
        got, final = serial(before, [requests[i] for i in order])
        if all(got[n] == answers[i] for n, i in enumerate(order)) and final not in out:
            out.append(final)
    return out


def possible(before: State, requests: Sequence[Request]) -> list[tuple[list[Answer], State]]:
    """Every distinct (answers, final state) some order gives: what a failure message lists."""
    out: list[tuple[list[Answer], State]] = []
    for order in itertools.permutations(range(len(requests))):
        got, final = serial(before, [requests[i] for i in order])
        answers: list[Answer] = [0] * len(requests)
        for n, i in enumerate(order):
            answers[i] = got[n]
        if (answers, final) not in out:
            out.append((answers, final))
    return out


def requests_for(lead: str, addressing: str, partner: str, k: int, owner_routes: bool) -> list[Request]:
    """The K requests of one overlap: the lead request, then K-1 of the partner operation (``same``:
    the lead's), each by another route than the one before where the operation has one (so stops by
    id, by line and ``/Mine`` meet). ``owner_routes``: the ``mine`` routes are available."""
    op = lead if partner == "same" else partner
    routes = [r for r in ADDRESSINGS[op] if owner_routes or r != "mine"]
    out = [Request(lead, addressing)]
    start = (routes.index(addressing) + 1) if addressing in routes else 0
    for n in range(k - 1):
        out.append(Request(op, routes[(start + n) % len(routes)]))
    return out


def initial(name: str) -> State:
    """The state a row starts from: no recording, a running one, a paused one."""
    return {"none": State(), "running": State(FIRST, False), "paused": State(FIRST, True)}[name]
