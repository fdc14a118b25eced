"""What a fault is: a named server bug, the rule it breaks, and which check families may claim the kill.

Shared by the one-rule catalogue (``catalogue.py``) and the combination catalogue (``combos/``), which
is why it is a module of its own: the combination modules define faults without importing the
one-rule table.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from .behaviours import Behaviour

FAMILIES = ("schema", "status", "filters", "paging", "transfer", "live-state", "races", "auth")


@dataclass(frozen=True)
class Fault:
    name: str
    family: str
    description: str
    reference: str
    expect: tuple[str, ...]
    make: Callable[[], Behaviour]
    load: str | None = None
    message: str | None = None
    dimensions: tuple[str, ...] = ()
    """A combination fault names the dimensions that must meet for it to show (e.g. ``("page>0",
    "level 2")``); empty for a one-rule fault."""

    @property
    def needs_load(self) -> bool:
        return self.load is not None

    @property
    def is_combination(self) -> bool:
        return bool(self.dimensions)


def _f(
    name: str,
    family: str,
    reference: str,
    make: Callable[[], Behaviour],
    expect: tuple[str, ...] | None = None,
    description: str | None = None,
    load: str | None = None,
    message: str | None = None,
    dimensions: tuple[str, ...] = (),
) -> Fault:
    text = description or (make.__doc__ or "").strip().split("\n\n")[0]
    return Fault(
        name, family, " ".join(text.split()), reference, expect or (family,), make, load, message, dimensions
    )


def combination(
    name: str,
    family: str,
    reference: str,
    make: Callable[[], Behaviour],
    *,
    dimensions: tuple[str, ...],
    expect: tuple[str, ...] | None = None,
    description: str | None = None,
    load: str | None = None,
    message: str | None = None,
) -> Fault:
    """A combination fault: one that shows only where ``dimensions`` (at least two) meet."""
    if len(dimensions) < 2:
        raise ValueError(f"{name}: a combination fault names at least two dimensions")
    return _f(name, family, reference, make, expect, description, load, message, dimensions)
