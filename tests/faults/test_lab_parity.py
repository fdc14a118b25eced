"""Lab parity: on a lab the suite catches the live-state, auth, status and race faults an emulator
run catches, except those ``parity.py`` explains.

Invariant: through the transparent proxy the lab run passes; for each fault of ``parity.FAMILIES``
(the kill matrix proves the emulator half), ``runner.kill(lab=True)`` kills it, unless it is
``EMULATOR_ONLY`` (it cannot fire on a lab: not run) or a known ``LAB_GAPS`` entry (xfail; caught
now means the entry is stale and must go). The lists' sanity runs in every CI run; the rest is slow
(about 35 min on the shared 2-core machine):

    python -m pytest -p no:locust tests/faults/test_lab_parity.py -m slow

It does not touch ``reports/kill-matrix.json``; each run stays in ``reports/fault-runs/<fault>-lab/``.
"""

from __future__ import annotations

import pytest

from .catalogue import CATALOGUE
from .harness import CONTRACT_TIMEOUT_S
from .parity import EMULATOR_ONLY, FAMILIES, LAB_GAPS
from .runner import DEFAULT_SEED, clean, kill

TIMEOUT_S = CONTRACT_TIMEOUT_S + 120


@pytest.mark.slow
@pytest.mark.timeout(TIMEOUT_S)
def test_clean_lab_passes_through_the_proxy() -> None:
    """The correct lab through the transparent proxy passes, so a lab kill is the fault's doing."""
    result = clean(DEFAULT_SEED, via_proxy=True, lab=True)
    assert result.passed, "\n".join(result.failures)


def test_parity_lists_are_catalogued() -> None:
    """(Quick, in every run.) Every explained miss names a fault of the compared families, and none
    is explained twice."""
    for name in [*EMULATOR_ONLY, *LAB_GAPS]:
        assert name in CATALOGUE and CATALOGUE[name].family in FAMILIES, name
    assert not set(EMULATOR_ONLY) & set(LAB_GAPS)


@pytest.mark.slow
@pytest.mark.timeout(TIMEOUT_S)
@pytest.mark.parametrize("name", [n for n, f in CATALOGUE.items() if f.family in FAMILIES])
def test_fault_is_killed_on_a_lab(name: str) -> None:
    if name in EMULATOR_ONLY:
        pytest.skip(f"emulator-only: {EMULATOR_ONLY[name]}")
    verdict = kill(CATALOGUE[name], DEFAULT_SEED, with_load=False, lab=True)
    if name in LAB_GAPS:
        stale = f"caught on a lab now: remove {name!r} from LAB_GAPS in tests/faults/parity.py"
        assert not verdict.caught, stale
        pytest.xfail(f"known lab gap: {LAB_GAPS[name]}")
    assert verdict.caught, verdict.explain()
