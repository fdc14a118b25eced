"""A pytest plugin for the kill matrix's contract runs: Hypothesis without its shrink phase.

Why: whether the suite *detects* a fault is decided by the first failing example; shrinking only makes
that example smaller, and against a broken server it can take minutes per test (measured: 80 s in one
stateful test once the client's circuit breaker had tripped). The matrix runs 80 faulty servers, so it
skips shrinking; everything else (seed, examples, deadline, health checks) is the profile the recqual
plugin loaded. ``RECQUAL_FAULT_SHRINK=1`` runs the suite exactly as users do instead.
"""

from __future__ import annotations

import pytest

PROFILE = "recqual-kill-matrix"


@pytest.hookimpl(trylast=True)
def pytest_configure(config: pytest.Config) -> None:
    """After the recqual plugin has loaded its profile: the same profile, minus ``Phase.shrink``."""
    from hypothesis import Phase, settings

    current = settings.default
    settings.register_profile(
        PROFILE, parent=current, phases=[p for p in current.phases if p != Phase.shrink]
    )
    settings.load_profile(PROFILE)
