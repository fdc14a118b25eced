"""The run context: what every part of the conformance suite may need to know about this run.

One object per pytest session, created by the plugin in ``pytest_configure`` and kept in the
config's stash (``plugin.run_context_of(config)``); checks receive it as the ``run_context``
fixture. It replaces module globals: a global survives between sessions of one process (pytester,
an IDE re-run) and hides which code depends on the run, where a fixture parameter says so.

The profile and ``is_emulator`` are settled by the preflight at session start; until then the
profile is the one the user chose, or ``None`` for "decide from the target".
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any


def utc_now() -> str:
    return datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")


@dataclass
class RunContext:
    """Profile, seed, budgets and the results recorder of one run."""

    seed: int
    quick: bool = False
    chosen_profile: str | None = None
    """The ``--profile`` the user gave; ``None`` lets the preflight decide."""
    profile: str = "strict"
    is_emulator: bool = True
    started: str = field(default_factory=utc_now)
    results: dict[str, Any] = field(default_factory=dict)
    """The recorder: ``target``, ``status_codes`` and one row per check (``rows``, by node id)."""

    def __post_init__(self) -> None:
        if self.chosen_profile:
            self.profile = self.chosen_profile

    def settle(self, *, is_emulator: bool, server: str) -> None:
        """Called once the preflight knows the server: strict on recqual's emulator, else documented."""
        self.is_emulator = is_emulator
        if not self.chosen_profile:
            self.profile = "strict" if server == "recqual-emulator" else "documented"

    @property
    def read_only(self) -> bool:
        return self.profile == "read-only"

    @property
    def strict(self) -> bool:
        return self.profile == "strict"

    def examples(self, full: int, quick: int, *, creates: bool = False) -> int:
        """Hypothesis ``max_examples`` for this run: ``--quick`` keeps every family, fewer examples.

        ``creates``: each example leaves data behind (an upload cannot be deleted through the API), so
        on a real server the quick count bounds what the run leaves there.
        """
        if self.quick or (creates and not self.is_emulator):
            return quick
        return full
