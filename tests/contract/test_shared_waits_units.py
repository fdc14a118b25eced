"""Flows sharing their waits in one thread (``contract/shared_waits.py``) and the plugin's
``recqual_after`` order, which lets a check report a flow that ran inside another check's sleeps."""

from __future__ import annotations

import itertools
import time
from collections.abc import Iterator
from typing import Any

import pytest

from contract.plugin import _run_after
from contract.shared_waits import SharedWaits


def _flow(log: list[tuple[str, float]], name: str, waits: list[float], fail: bool = False) -> Iterator[float]:
    for wait in waits:
        log.append((name, time.monotonic()))
        yield wait
    log.append((name, time.monotonic()))
    if fail:
        raise AssertionError(f"{name} failed")


def test_every_wait_lasts_at_least_what_the_flow_asked_for() -> None:
    log: list[tuple[str, float]] = []
    waits = SharedWaits({"a": _flow(log, "a", [0.05, 0.02]), "b": _flow(log, "b", [0.01, 0.04], fail=True)})
    outcomes = waits.finish()
    assert outcomes["a"] is None
    assert isinstance(outcomes["b"], AssertionError)
    for name, asked in (("a", [0.05, 0.02]), ("b", [0.01, 0.04])):
        stamps = [t for n, t in log if n == name]
        gaps = [later - earlier for earlier, later in itertools.pairwise(stamps)]
        assert len(gaps) == 2 and all(gap >= wait for gap, wait in zip(gaps, asked, strict=True))


def test_sleep_runs_the_steps_that_fall_due_and_sleeps_at_least_as_asked() -> None:
    log: list[tuple[str, float]] = []
    waits = SharedWaits({"a": _flow(log, "a", [0.01, 0.01, 0.5])})
    started = time.monotonic()
    waits.sleep(0.08)
    assert time.monotonic() - started >= 0.08
    assert len(log) == 3  # three steps were due within the sleep; the 0.5 s wait is not over
    assert waits.outcomes == {}
    assert waits.finish() == {"a": None}


class _Item:
    def __init__(self, name: str, after: str | None = None) -> None:
        self.name = self.originalname = name
        self._after = after

    def get_closest_marker(self, name: str) -> Any:
        if name == "recqual_after" and self._after is not None:
            return pytest.mark.recqual_after(self._after).mark
        return None


def test_followers_run_right_after_their_leader_in_their_own_order() -> None:
    items: list[Any] = [
        _Item("first"),
        _Item("frozen", after="machine"),
        _Item("completed", after="machine"),
        _Item("middle"),
        _Item("machine"),
        _Item("last"),
    ]
    _run_after(items)
    assert [i.name for i in items] == ["first", "middle", "machine", "frozen", "completed", "last"]


def test_followers_stay_put_when_the_leader_is_not_selected() -> None:
    items: list[Any] = [_Item("frozen", after="machine"), _Item("other")]
    _run_after(items)
    assert [i.name for i in items] == ["frozen", "other"]
