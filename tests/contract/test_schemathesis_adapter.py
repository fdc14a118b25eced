"""Canary: every Schemathesis/Hypothesis internal recqual relies on is still where it was.

``contract/schemathesis_adapter.py`` is the only module allowed to touch them. When an upgrade moves
one, this test fails first and says which name, in which module, at which version, so the fix is one
edit in the adapter rather than a broken run.
"""

from __future__ import annotations

import importlib
import importlib.metadata

import pytest

from contract.schemathesis_adapter import PRIVATE_NAMES


@pytest.mark.parametrize(("module", "name"), PRIVATE_NAMES, ids=[f"{m}.{n}" for m, n in PRIVATE_NAMES])
def test_internal_name_is_still_there(module: str, name: str) -> None:
    dist = module.split(".")[0]
    version = importlib.metadata.version(dist)
    try:
        found = importlib.import_module(module)
    except ImportError as exc:
        pytest.fail(
            f"{dist} {version} no longer has module {module} ({exc}): update contract/schemathesis_adapter.py"
        )
    assert hasattr(found, name), (
        f"{dist} {version}: {module} no longer defines {name}: update contract/schemathesis_adapter.py"
    )


def test_no_other_module_imports_the_internals() -> None:
    """The adapter is the one place: a private import elsewhere would escape the canary."""
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    offenders = []
    for package in ("contract", "strategies", "recqual", "load"):
        for path in (root / package).rglob("*.py"):
            if path.name == "schemathesis_adapter.py":
                continue
            text = path.read_text(encoding="utf-8")
            for module, name in PRIVATE_NAMES:
                if module in text:
                    offenders.append(f"{path.relative_to(root)}: {module}.{name}")
    assert not offenders, offenders
