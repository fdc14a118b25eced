"""The plan of the multi-cycle live walks (``test_live_cycles.py``): their dimensions, the steps of a
walk, its stretches, and what a line must be to carry it.

A walk is one recording's life: started one way, paused and resumed three times (each half addressed
by id or by directory number, sent by the line's owner or by level 10), stopped one way, running or
while paused. Its dimensions come from the reference (2.3: the addressings and the start forms; A-15:
who may act on which line; section 3: the call's direction) and from the target (the owner levels and
directions its lines have); a covering array over them (``strategies/pairwise.py``) makes every pair
meet in some walk. Pure logic, unit-tested in ``tests/contract/test_live_model_units.py``.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass, field

from hypothesis import strategies as st

from contract.live_model import LiveRec
from contract.scene import Call, User
from strategies.pairwise import Row

ADDRESSINGS = ("id", "dn")
CYCLES = 3
STRETCHES = (
    "recording before pause 1",
    "pause 1",
    "recording after resume 1",
    "pause 2",
    "recording after resume 2",
    "pause 3",
    "recording after resume 3 (or pause 3 until the stop)",
)
LONG_ORDER = (1, 3, 2, 5, 0, 4, 6)
"""Which stretch is long, walk after walk: the pauses of the first two cycles first (where accounting
errors of a second cycle show), then the recording between them, the third pause, the rest."""


# -- the dimensions ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LineKind:
    """What a walk needs of its line: its owner's level (``None``: nobody's, or no credentials), its
    call's direction (``None``: not declared) and whether the owner can act on it as "my own line"
    (Record Only or more, credentials known, this line its only one)."""

    owner: int | None
    direction: int | None
    acting: bool


def dimensions(kinds: Sequence[LineKind]) -> dict[str, tuple[Hashable, ...]]:
    """The walk's dimensions; the owner levels and directions are those the target's lines have.

    The order is the covering array's input order, which its greedy generator is sensitive to: this
    one gives 15 walks on the emulator where the natural order gives 19 (every walk costs ~35
    requests), every allowed pair still reached (recounted in the units)."""
    return {
        "start": ("device", "dn", "both", "no body"),
        "resume3": (*ADDRESSINGS, "none"),
        "stop": ("id", "line", "mine"),
        "owner": tuple(sorted({label(k.owner) for k in kinds}, key=str)),
        "pause3": ADDRESSINGS,
        "pause2": ADDRESSINGS,
        "pause1": ADDRESSINGS,
        "resume2": ADDRESSINGS,
        "actor": ("owner", "admin", "alternating"),
        "direction": tuple(sorted({label(k.direction) for k in kinds}, key=str)),
        "resume1": ADDRESSINGS,
    }


def label(value: int | None) -> Hashable:
    """A dimension value for an owner level or direction the target leaves open."""
    return "none" if value is None else value


def allowed_for(kinds: Sequence[LineKind]) -> Callable[[Mapping[str, Hashable]], bool]:
    """A walk exists when a line of its owner level and direction exists, and the owner acts (alone
    or in turns) only where the line has an acting owner; level 10 cannot start "no body" or stop
    ``/Mine`` on someone else's line (those name the caller's own)."""

    def allowed(case: Mapping[str, Hashable]) -> bool:
        own_only = case.get("start") == "no body" or case.get("stop") == "mine"
        if case.get("actor") == "admin" and own_only:
            return False
        needs_owner = own_only or case.get("actor") in ("owner", "alternating")
        return any(
            case.get("owner", label(k.owner)) == label(k.owner)
            and case.get("direction", label(k.direction)) == label(k.direction)
            and (k.acting or not needs_owner)
            for k in kinds
        )

    return allowed


STEP_DIMENSIONS: dict[str, dict[str, tuple[Hashable, ...]]] = {
    "startRecording": {"form": ("device", "dn", "both", "no body"), "actor": ("owner", "admin")},
    "pauseRecording+pauseRecordingsByLine": {
        "cycle": tuple(range(1, CYCLES + 1)),
        "addressing": ADDRESSINGS,
        "actor": ("owner", "admin"),
    },
    "resumeRecording+resumeRecordingsByLine": {
        "cycle": tuple(range(1, CYCLES + 1)),
        "addressing": ADDRESSINGS,
        "actor": ("owner", "admin"),
    },
    "stopRecording+stopRecordingByLine+stopMyRecording": {
        "addressing": ("id", "line", "mine"),
        "state": ("running", "paused"),
        "actor": ("owner", "admin"),
    },
}
"""What the report counts per operation: the pairs of (cycle, addressing, actor, the line owner's
level, the call's direction) the steps that ran reached."""


def step_allowed(kinds: Sequence[LineKind]) -> Callable[[Mapping[str, Hashable]], bool]:
    """A step exists on a line the target has; the owner acts only where the line has an acting owner;
    level 10 cannot start "no body" or stop ``/Mine`` on someone else's line."""

    def allowed(case: Mapping[str, Hashable]) -> bool:
        own_only = case.get("form", case.get("addressing")) in ("no body", "mine")
        if case.get("actor") == "admin" and own_only:
            return False
        return any(
            case.get("owner", label(k.owner)) == label(k.owner)
            and case.get("direction", label(k.direction)) == label(k.direction)
            and (k.acting or case.get("actor") != "owner")
            for k in kinds
        )

    return allowed


# -- the walks -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Action:
    verb: str
    """start, pause, resume or stop."""
    how: str
    """start: device/dn/both/no body; pause/resume: id/dn; stop: id/line/mine."""
    cycle: int
    actor: str
    """owner or admin: whose credentials send it."""


def actions_of(row: Row) -> list[Action]:
    """The walk's state changes in order: start, three pause/resume cycles, stop."""

    def actor(verb: str) -> str:
        if row["actor"] != "alternating":
            return str(row["actor"])
        return "admin" if verb == "pause" else "owner"

    steps = [Action("start", str(row["start"]), 0, actor("start"))]
    for n in range(1, CYCLES + 1):
        steps.append(Action("pause", str(row[f"pause{n}"]), n, actor("pause")))
        if row[f"resume{n}"] != "none":
            steps.append(Action("resume", str(row[f"resume{n}"]), n, actor("resume")))
    steps.append(Action("stop", str(row["stop"]), CYCLES, actor("stop")))
    return steps


@dataclass(frozen=True)
class Timing:
    """What Hypothesis draws for one run of the walks."""

    short_s: float
    long_s: float
    stagger_s: float
    modes: tuple[int | None, ...]


def timings(walks: int) -> st.SearchStrategy[Timing]:
    return st.builds(
        Timing,
        st.floats(0.1, 0.2),
        st.floats(2.2, 2.4),
        st.floats(0.0, 0.02),
        st.lists(st.sampled_from([None, 0, 1]), min_size=walks, max_size=walks).map(tuple),
    )


@dataclass
class Slot:
    """A line with a connected call that walks run on, one at a time."""

    index: int
    """The line's index in the model."""
    kind: LineKind
    owner: User | None
    call: Call
    busy: bool = False


@dataclass
class Walk:
    number: int
    row: Row
    actions: list[Action]
    stretches: list[float]
    mode: int | None
    slot: Slot | None = None
    step: int = 0
    due: float = 0.0
    rec: LiveRec | None = None
    stopped_paused: bool = False
    handover_until: float | None = None
    done: bool = False
    ran: list[tuple[str, dict[str, Hashable]]] = field(default_factory=list)

    @property
    def next(self) -> Action | None:
        return self.actions[self.step] if self.step < len(self.actions) else None

    def describe(self) -> str:
        plan = ", ".join(f"{a.verb} by {a.how} as {a.actor}" for a in self.actions)
        return f"walk {self.number} ({plan})"


def make_walks(rows: Sequence[Row], timing: Timing) -> list[Walk]:
    walks = []
    for number, row in enumerate(rows):
        actions = actions_of(row)
        stretches = [timing.short_s] * (len(actions) - 1)
        stretches[min(LONG_ORDER[number % len(LONG_ORDER)], len(stretches) - 1)] = timing.long_s
        walks.append(Walk(number, row, actions, stretches, timing.modes[number]))
    return walks


EMULATOR_KINDS = tuple(LineKind(level, direction, True) for level in (1, 2, 10) for direction in (1, 2))
"""On the emulator every walk gets a fresh user of the level and a call of the direction it asks for."""


def fits(slot: Slot, row: Row) -> bool:
    needs_owner = row["actor"] != "admin" or row["start"] == "no body" or row["stop"] == "mine"
    return (
        label(slot.kind.owner) == row["owner"]
        and label(slot.kind.direction) == row["direction"]
        and (slot.kind.acting or not needs_owner)
    )
