"""Race machinery: a cyclic gevent barrier, race groups, and the invariant (reference 2.3).

K users of one process form a group that shares one line. For each operation of a round all K wait at
the barrier, fire the same request at once, wait again, and then every member evaluates the invariant
over the group's K statuses (the same data, so the same verdict; only the leader logs it):

| operation      | exactly one | and K-1 | reference                                   |
|----------------|-------------|---------|---------------------------------------------|
| startRecording | 201         | 429     | start 429: duplicate / already recorded     |
| pauseRecording | 204         | 429     | pause 429: already paused                   |
| resumeRecording| 204         | 429     | resume 429: not paused                      |
| stopRecording  | 204         | 409     | stop 409: the id is not a live recording    |

Groups are per process, so ``-u`` should be a multiple of K times the number of workers; members of an
incomplete group stay idle (and are counted).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import gevent.event

from load import operations as ops

if TYPE_CHECKING:  # the run state holds the arena: the lease type is only named here
    from load.locustlib.state import Lease

INVARIANT: dict[str, tuple[int, int]] = {
    ops.START: (201, 429),
    ops.PAUSE: (204, 429),
    ops.RESUME: (204, 429),
    ops.STOP: (204, 409),
}
ROUND: tuple[str, ...] = (ops.START, ops.PAUSE, ops.RESUME, ops.STOP)


class BarrierBroken(Exception):
    """A member did not arrive in time (killed, or stuck past the network timeout): the group stops."""


class Barrier:
    """Cyclic barrier for greenlets: the ``parties``-th arrival releases all of them."""

    def __init__(self, parties: int) -> None:
        self.parties = parties
        self.broken = False
        self._waiting = 0
        self._event = gevent.event.Event()

    def wait(self, timeout: float) -> None:
        if self.broken:
            raise BarrierBroken()
        event = self._event
        self._waiting += 1
        if self._waiting == self.parties:
            self._waiting = 0
            self._event = gevent.event.Event()
            event.set()
            return
        if not event.wait(timeout) or self.broken:
            self.broken = True
            event.set()
            raise BarrierBroken()


def verdict(operation: str, statuses: list[int], parties: int) -> str | None:
    """``None`` when the K statuses keep the invariant, else a message free of ids (messages are grouped)."""
    win, lose = INVARIANT[operation]
    counts = Counter(statuses)
    if counts[win] == 1 and counts[lose] == parties - 1:
        return None
    got = ", ".join(f"{n}x{code or 'no answer'}" for code, n in sorted(counts.items()))
    return f"{operation} race of {parties}: got {got}; expected 1x{win} and {parties - 1}x{lose}"


@dataclass
class Round:
    """What one round's members saw: per operation, every member's status; the winning id."""

    results: dict[str, list[int]] = field(default_factory=dict)
    rec_id: str | None = None


@dataclass
class Group:
    parties: int
    members: list = field(default_factory=list)
    barrier: Barrier = field(init=False)
    ready: gevent.event.Event = field(default_factory=gevent.event.Event)
    lease: Lease | None = None
    current: Round = field(default_factory=Round)

    def __post_init__(self) -> None:
        self.barrier = Barrier(self.parties)


class Arena:
    """Forms groups of K users in arrival order, within one process (``RunState.arena``)."""

    def __init__(self) -> None:
        self.groups: list[Group] = []

    def join(self, user, parties: int) -> tuple[Group, bool]:
        """Put ``user`` in the open group (a new one if none); returns (group, is_leader)."""
        if not self.groups or len(self.groups[-1].members) >= self.groups[-1].parties:
            self.groups.append(Group(parties))
        group = self.groups[-1]
        group.members.append(user)
        if len(group.members) == group.parties:
            group.ready.set()
        return group, len(group.members) == 1
