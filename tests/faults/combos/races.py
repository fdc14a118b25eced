"""Combination faults: races (see the package docstring)."""

from __future__ import annotations

from ..fault import Fault

COMBOS: list[Fault] = []
