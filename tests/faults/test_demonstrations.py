"""Every fault the suite has missed is still a real, observable violation.

Invariant: each scenario in ``demonstrations.py`` sees no violation through the transparent proxy and
sees one through its fault. So a miss in the kill matrix is the suite's defect, never a fault that
cannot be observed. Real processes, a few seconds per fault; slow because the full list grows with
the matrix (run with the matrix: ``-m slow``).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from .demonstrations import DEMONSTRATIONS, demonstrate
from .harness import Service, start_proxy

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("name", sorted(DEMONSTRATIONS))
def test_fault_is_observable(name: str, emulator: Service, tmp_path: Path) -> None:
    for fault, should_see in (("none", False), (name, True)):
        proxy = start_proxy(fault, emulator.url, tmp_path)
        try:
            seen = demonstrate(name, proxy.url)
        finally:
            proxy.stop()
        assert (seen is not None) is should_see, f"{fault}: {seen or 'no violation seen'}"
