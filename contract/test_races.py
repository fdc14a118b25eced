"""Concurrent requests on one recording or line: exactly one wins (reference 2.3, documented).

Invariants, for K requests released together:

- K starts on one connected line: one 201, K-1 429 ("a duplicate request, or the call is already
  being recorded"), and exactly one live recording afterwards;
- K pauses of one running recording: one 204, K-1 429 ("already paused");
- K stops of one live recording: one 204, K-1 409 ("the id is not a live recording").

A server without atomic check-and-set answers 201 twice (two recorders on one call) or 500.

The three races need only a line with a connected call that nobody records: a fresh user's line on
the emulator, a declared ``call = "standing"`` line on a lab (lent to the check; whatever the check
leaves recording is stopped by line when it ends). The K requests of a race are counted by the
session's rate cap beforehand and then released at once, so a lab's ``max_rps`` never turns a race
into a queue. Only "channels exhausted is 503" needs the emulator (no lab can declare its channels).
"""

from __future__ import annotations

import dataclasses
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

import pytest

from contract import api, expect
from contract.client import ApiClient, RateLimiter, Reply
from contract.run_context import RunContext
from contract.scene import Scene

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
