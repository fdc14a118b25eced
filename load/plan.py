"""What `recqual qualify` asks of the load pass: which scenarios, how many users, for how long.

Pure Python (no locust import): ``recqual.qualify`` builds its ``python -m load`` command lines from here.

Why a plan of its own: the pass must gather enough samples per operation for ``recqual diff`` to test a
latency change (at least ``recqual.diff.MIN_SAMPLES`` in both runs, a few hundred where it is cheap)
and still keep ``--quick`` under about 20 s of wall time. Locust's default think time (0.2-1 s) gave
call-control 42 requests in 6 s, one to eleven per operation; short think times on a few users keep a
steady, CPU-bounded request rate instead, and ``reads`` puts the three read operations in the pass
(listRecordings, getRecording, downloadRecording). uploadRecording runs only in the full pass: each
upload is an MP3 the emulator transcodes and keeps, too costly for the quick budget; the report says
so instead of leaving the operation out.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

QUALIFY_SCENARIOS = ("call-control", "races", "reads")
"""Quick and full: together they exercise 13 of the 14 operations (``uploads`` adds the 14th, full only)."""
FULL_ONLY = ("uploads",)


@dataclass(frozen=True)
class Step:
    """One scenario of the pass: its run time and the knobs passed to Locust after ``--``."""

    run_time: str
    think: tuple[float, float] | None = None  # (min, max) seconds; None: the scenario's default

    def locust_args(self) -> list[str]:
        if self.think is None:
            return []
        low, high = self.think
        return ["--recqual-think-min", f"{low:g}", "--recqual-think-max", f"{high:g}"]


_QUICK = {
    "call-control": Step("5s", think=(0.005, 0.02)),
    "races": Step("3s"),
    "reads": Step("3s", think=(0.005, 0.02)),
}
_FULL = {
    "call-control": Step("20s", think=(0.02, 0.1)),
    "races": Step("15s"),
    "reads": Step("15s", think=(0.02, 0.1)),
    "uploads": Step("10s", think=(0.05, 0.2)),
}


SOAK_THINK = (0.2, 1.0)
"""Think time of a soak (``recqual qualify --soak``): each user sends at most five requests a second, so
a nightly run of hours loads the server steadily without pushing it to its limit (races are paced by
their barrier instead)."""
MIN_SOAK_S = 60


def soak_step(scenario: str, soak_s: int) -> Step:
    """A soak shares ``soak_s`` between the pass's scenarios (each runs its share, one after the
    other): long enough for the trend gate (``load/trend.py``) to see a server slow down over hours."""
    share = max(1, soak_s // len(QUALIFY_SCENARIOS))
    return Step(f"{share}s", think=None if scenario == "races" else SOAK_THINK)


def scenarios(quick: bool, *, control: bool = True) -> tuple[str, ...]:
    """The scenarios of the pass, in the order they run. Uploads stay on a server for good (the API
    cannot delete a recording), so ``uploads`` runs only on an emulator whose control plane the run uses."""
    return QUALIFY_SCENARIOS if quick or not control else (*QUALIFY_SCENARIOS, *FULL_ONLY)


def step(scenario: str, quick: bool) -> Step:
    return (_QUICK if quick else _FULL)[scenario]


def command_args(
    scenario: str, *, quick: bool, users: int, out_dir: Path, soak_s: int | None = None
) -> list[str]:
    """Everything after ``python -m load SCENARIO <target arguments>``: users, spawn rate, run time,
    the run folder, then the Locust knobs after ``--`` (so nothing may be appended after these).
    All users start at once. ``soak_s``: a soak's shape (:func:`soak_step`) instead of the pass's."""
    plan = soak_step(scenario, soak_s) if soak_s else step(scenario, quick)
    extra = plan.locust_args()
    args = ["--users", str(users), "--spawn-rate", str(users), "--run-time", plan.run_time]
    args += ["--out-dir", str(out_dir)]
    return args + (["--", *extra] if extra else [])


def users(scenario: str, *, control: bool, standing_lines: int) -> int:
    """Users per scenario: on the emulator a fixed few; on a lab one per usable standing-call line for
    call-control (each keeps its line busy), three per line for races (groups of K=3 share a line), and
    four readers (reads touch no line)."""
    if scenario in ("reads", "uploads"):
        return 4 if control else 2
    if control:
        return 4 if scenario == "call-control" else 6
    per_line = 1 if scenario == "call-control" else 3
    return max(1, standing_lines) * per_line
