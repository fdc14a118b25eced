"""Checks that mostly wait, run in one thread inside each other's waits.

Why: a few live-state checks spend most of their time asleep (the A-8 duration checks wait ~7 s for a
pause to outlast the rounding allowance; the state machine sleeps ~8 s between its steps). Written as
generator *flows* (each ``yield`` is a wait of at least that many seconds), they can take turns in one
thread: whoever's wait ends first goes on. No thread, so no new concurrency in the client, the scene
or Hypothesis; a wait may only grow (while another flow takes its turn), and every bound such a check
judges is taken from the client clock around its actual requests, so a longer wait never makes a
correct server fail.

What is shared: the flows' requests are sent while another check is running, so they appear in that
check's request counts and exchange log; each flow's *outcome* (pass, or the failure it raised) is
reported by its own check.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterator

Flow = Iterator[float]


class SharedWaits:
    """Flows taking turns; ``sleep`` lends the caller's own waits to them."""

    def __init__(self, flows: dict[str, Flow]) -> None:
        self._flows = dict(flows)
        self._due = dict.fromkeys(self._flows, time.monotonic())
        self.outcomes: dict[str, BaseException | None] = {}

    @property
    def names(self) -> set[str]:
        return set(self._flows)

    def sleep(self, seconds: float) -> None:
        """Wait ``seconds`` (at least), running the flows' steps that fall due meanwhile."""
        until = time.monotonic() + seconds
        self._run_until(until)
        time.sleep(max(0.0, until - time.monotonic()))

    def finish(self) -> dict[str, BaseException | None]:
        """Run every flow to its end (each waiting at least what it asked for); their outcomes."""
        self._run_until(math.inf)
        return self.outcomes

    def _run_until(self, until: float) -> None:
        """Run each flow's next step when its wait ends, as long as one ends before ``until``."""
        while self._due:
            name = min(self._due, key=self._due.__getitem__)
            if self._due[name] >= until:
                return
            time.sleep(max(0.0, self._due[name] - time.monotonic()))
            self._step(name)

    def _step(self, name: str) -> None:
        try:
            self._due[name] = time.monotonic() + next(self._flows[name])
            return
        except StopIteration:
            self.outcomes[name] = None
        except (KeyboardInterrupt, SystemExit):
            raise
        except BaseException as exc:  # a failure, a TargetError, or pytest's skip/fail outcomes
            self.outcomes[name] = exc
        del self._due[name]
