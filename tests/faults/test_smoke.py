"""The kill matrix in miniature, for every CI run (about two minutes): the suite passes through the
transparent proxy, and catches a few representative faults for the right reason.

The full matrix (every fault, five clean seeds) is ``python -m pytest -p no:locust tests/faults -m slow``.
"""

from __future__ import annotations

import pytest

from .catalogue import CATALOGUE
from .harness import CONTRACT_TIMEOUT_S
from .runner import DEFAULT_SEED, clean, kill

REPRESENTATIVE = ("ignored-auth", "direction-filter-ignored", "media-corrupt-byte")
"""One fault each from auth, filters and transfer: the families where a weak suite most often passes
a broken server (a 401 nobody sends, a boundary nobody probes, bytes nobody hashes). Each runs only
the families expected to catch it (``--only``); the full matrix runs every family against every fault."""


@pytest.mark.slow  # every CI run: test_variants.py's stacked variants pass through the same proxy
@pytest.mark.timeout(CONTRACT_TIMEOUT_S + 60)
def test_proxy_is_transparent() -> None:
    result = clean(DEFAULT_SEED, via_proxy=True)
    assert result.passed, "\n".join(result.failures)


@pytest.mark.timeout(CONTRACT_TIMEOUT_S + 60)
@pytest.mark.parametrize("name", REPRESENTATIVE)
def test_representative_fault_is_killed(name: str) -> None:
    verdict = kill(CATALOGUE[name], DEFAULT_SEED, with_load=False, only_expected=True)
    assert verdict.caught, verdict.explain()
