"""The assumption texts ship with the package and say what the reference says.

A deviation names an A-n; the report prints its text from ``recqual/assumptions.json``. These tests
keep that file honest: equal to the reference's current list, covering every A-n a check uses, and
installed as package data (a wheel without it would print "not in this version").
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from recqual import assumptions
from tests.test_specs import REFERENCE

REPO = Path(__file__).resolve().parents[1]


def test_shipped_texts_equal_the_reference() -> None:
    if not REFERENCE.is_file():
        pytest.skip(f"the API reference is not at {REFERENCE}; set RECQUAL_REFERENCE to its path")
    extracted = assumptions.extract(REFERENCE.read_text(encoding="utf-8"))
    assert extracted == assumptions.texts(), (
        "recqual/assumptions.json differs from the reference: run "
        f"`python -m recqual.assumptions {REFERENCE}` and review the diff"
    )


def test_every_assumption_a_check_rests_on_has_its_text() -> None:
    used: set[str] = set()
    for path in [*(REPO / "contract").glob("*.py"), *(REPO / "load").rglob("*.py")]:
        used |= set(re.findall(r"[\"'](A-\d+b?)[\"',]", path.read_text(encoding="utf-8")))
    assert used, "no A-n found: the scan itself is broken"
    missing = sorted(used - set(assumptions.texts()))
    assert not missing, f"checks rest on assumptions the package has no text for: {missing}"


def test_describe_joins_several_and_names_unknown_ones() -> None:
    text = assumptions.describe("A-8,A-99")
    assert text.startswith("A-8: A live recording's `duration` counts recorded time only")
    assert "A-99: (not in this version of recqual)" in text


def test_texts_are_read_from_the_installed_package(tmp_path: Path) -> None:
    """From a folder outside the repo, through importlib.resources, as an installed copy reads them."""
    code = "from recqual import assumptions; print(len(assumptions.texts()))"
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, check=True
    )
    assert int(out.stdout) == len(assumptions.texts()) >= 18
