"""The kill matrix: every catalogued fault must be caught, and the clean emulator must pass.

Invariant: for each fault, ``pytest contract --quick`` against the faulty server fails with at least
one failed check in a family the catalogue expects (plus a failing load scenario where the fault only
shows under load); against the correct emulator, directly and through the transparent proxy, the same
run passes on every seed. Slow (about an hour): run it with

    python -m pytest -p no:locust tests/faults -m slow

It writes ``reports/kill-matrix.json`` and prints the table; ``reports/fault-runs/<fault>/`` keeps each
run's output for diagnosis.
"""

from __future__ import annotations

import os

import pytest

from .catalogue import CATALOGUE
from .harness import CONTRACT_TIMEOUT_S, LOAD_TIMEOUT_S
from .matrix import Matrix
from .runner import clean, clean_load, kill

pytestmark = pytest.mark.slow

SEEDS = [int(s) for s in os.environ.get("RECQUAL_CLEAN_SEEDS", "1,2,3,4,5").split(",") if s.strip()]
"""Seeds of the clean baseline: a suite that fails a correct server on some seed is flaky."""
TIMEOUT_S = CONTRACT_TIMEOUT_S + LOAD_TIMEOUT_S + 120


@pytest.mark.timeout(TIMEOUT_S)
@pytest.mark.parametrize("via_proxy", [False, True], ids=["direct", "via-proxy"])
@pytest.mark.parametrize("seed", SEEDS)
def test_clean_emulator_passes(seed: int, via_proxy: bool, matrix: Matrix) -> None:
    """The correct emulator passes; through the proxy with no fault too (the proxy is transparent)."""
    result = clean(seed, via_proxy=via_proxy)
    matrix.clean.append(result)
    assert result.passed, "\n".join(result.failures)


@pytest.mark.timeout(TIMEOUT_S)
@pytest.mark.parametrize("scenario", sorted({f.load for f in CATALOGUE.values() if f.load}))
def test_clean_load_passes(scenario: str, matrix: Matrix) -> None:
    """Each load scenario a fault relies on passes its gates through the transparent proxy."""
    result = clean_load(scenario)
    matrix.clean.append(result)
    assert result.passed, "\n".join(result.failures)


@pytest.mark.timeout(TIMEOUT_S)
@pytest.mark.parametrize("name", list(CATALOGUE))
def test_fault_is_killed(name: str, matrix: Matrix) -> None:
    """The suite fails against the fault, for the right reason (a check of an expected family)."""
    verdict = kill(CATALOGUE[name], matrix.seed or 0)
    matrix.verdicts.append(verdict)
    assert verdict.caught, verdict.explain()
