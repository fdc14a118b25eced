"""Profiles, provenance and the "deviation" outcome (reference section 6, design rule 2).

Every check says where its expectation comes from: ``documented`` (the vendor says so) or ``A-n``
(an assumption of the reference). The profile decides what an assumed failure means:

=============  =============================  ==========================================
profile        assumed check fails →          requests allowed
=============  =============================  ==========================================
strict         failure (red run)              all (default on any emulator target)
documented     DEVIATION (xfail, run green)   all (default on any other target)
read-only      DEVIATION                      GET only, enforced in the client
=============  =============================  ==========================================

Tests declare themselves with ``@pytest.mark.recqual(family=..., operation=..., check=...,
provenance=..., writes=..., needs=...)``; the plugin reads the marker for skips, allure labels and
the results file, and converts failures with :func:`classify`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from contract.failures import DOCUMENTED, flatten, only_assumed, validate_provenance

PROFILES = ("strict", "documented", "read-only")
FAMILIES = ("schema", "status", "filters", "paging", "transfer", "live-state", "races", "auth")
NEEDS = ("emulator", "lines", "roles")
DEVIATION_PREFIX = "DEVIATION"


@dataclass(frozen=True)
class CheckSpec:
    """The ``recqual`` marker's contents, validated (a typo in a family would hide a check)."""

    family: str
    operation: str
    check: str
    provenance: str = DOCUMENTED
    writes: bool = True
    needs: tuple[str, ...] = field(default_factory=tuple)
    id: str = ""
    """The stable check id (``contract/check_ids.py``), set at collection once the case is known."""

    @classmethod
    def from_marker_kwargs(cls, kwargs: dict[str, Any], default_check: str) -> CheckSpec:
        family = kwargs.get("family", "")
        if family not in FAMILIES:
            raise ValueError(f"recqual marker: family must be one of {FAMILIES} (got {family!r})")
        operation = kwargs.get("operation", "")
        if isinstance(operation, (list, tuple)):
            operation = ",".join(operation)
        if not operation:
            raise ValueError("recqual marker: operation is required")
        needs = tuple(kwargs.get("needs", ()))
        unknown = set(needs) - set(NEEDS)
        if unknown:
            raise ValueError(f"recqual marker: unknown needs {sorted(unknown)}; known: {NEEDS}")
        return cls(
            family=family,
            operation=operation,
            check=kwargs.get("check", default_check),
            provenance=validate_provenance(kwargs.get("provenance", DOCUMENTED)),
            writes=bool(kwargs.get("writes", True)),
            needs=needs,
        )


def classify(exc: BaseException, *, strict: bool) -> str:
    """``"failed"`` or ``"deviation"`` for an exception raised by a test.

    A deviation needs a non-strict profile and *every* failure in the (possibly grouped) exception
    to rest on an assumption; one documented failure or any other exception keeps it a failure.
    """
    if strict:
        return "failed"
    return "deviation" if only_assumed(flatten(exc)) else "failed"


def deviation_message(exc: BaseException) -> str:
    """``DEVIATION A-8: <title>`` lines, one per assumed failure."""
    lines = []
    for leaf in flatten(exc):
        provenance = getattr(leaf, "provenance", "?")
        title = getattr(leaf, "title", str(leaf))
        operation = getattr(leaf, "operation", "")
        lines.append(f"{DEVIATION_PREFIX} {provenance}: [{operation}] {title}")
    return "\n".join(dict.fromkeys(lines))


def provenances(excs: Iterable[BaseException]) -> str:
    """The provenance(s) a failure carries, for the results file."""
    found = [getattr(e, "provenance", DOCUMENTED) for e in excs]
    return ",".join(dict.fromkeys(found)) or DOCUMENTED
