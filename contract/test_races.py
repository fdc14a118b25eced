"""Concurrent requests on one recording or line: exactly one wins (reference 2.3, documented).

Invariants, for K requests released together:

- K starts on one connected line: one 201, K-1 429 ("a duplicate request, or the call is already
  being recorded"), and exactly one live recording afterwards;
- K pauses of one running recording: one 204, K-1 429 ("already paused");
- K stops of one live recording: one 204, K-1 409 ("the id is not a live recording").

A server without atomic check-and-set answers 201 twice (two recorders on one call) or 500.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import pytest

from contract import api, expect
from contract.client import ApiClient, Reply
from contract.provenance import RUN
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


def _k() -> int:
    return 4 if RUN.quick else K


@pytest.fixture
def connected(scene: Scene) -> tuple[str, str]:
    """A fresh line with a connected call: (deviceName, directoryNumber)."""
    owner = scene.new_user(1, stem="race")
    assert owner.line is not None
    scene.connect(owner.line)
    return owner.line.device_name, owner.line.directory_number


@pytest.mark.recqual(
    family="races",
    operation="startRecording",
    check="concurrent starts: one 201, others 429",
    needs=("emulator",),
)
def test_concurrent_starts(connected: tuple[str, str], admin: ApiClient) -> None:
    device, dn = connected
    replies = race(_k(), lambda: api.start(admin, {"deviceName": device, "directoryNumber": dn}))
    expect_one_winner(replies, 201, 429, "concurrent starts: one 201, others 429", "start on one line")
    listing = api.list_active(admin, deviceName=device)
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
    needs=("emulator",),
)
def test_concurrent_pauses(connected: tuple[str, str], admin: ApiClient) -> None:
    device, dn = connected
    started = expect.status(
        api.start(admin, {"deviceName": device, "directoryNumber": dn}),
        201,
        check="set-up: start",
        why="a connected, unrecorded line",
    )
    rec = str(started.json()["id"])
    replies = race(_k(), lambda: api.pause(admin, rec))
    expect_one_winner(replies, 204, 429, "concurrent pauses: one 204, others 429", "pause of one recording")


@pytest.mark.recqual(
    family="races",
    operation="stopRecording",
    check="concurrent stops: one 204, others 409",
    needs=("emulator",),
)
def test_concurrent_stops(connected: tuple[str, str], admin: ApiClient) -> None:
    device, dn = connected
    started = expect.status(
        api.start(admin, {"deviceName": device, "directoryNumber": dn}),
        201,
        check="set-up: start",
        why="a connected, unrecorded line",
    )
    rec = str(started.json()["id"])
    replies = race(_k(), lambda: api.stop(admin, rec))
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
