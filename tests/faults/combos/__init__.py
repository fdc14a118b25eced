"""The combination catalogue: faults that show only where two or more dimensions meet (issue #17).

The one-rule catalogue (``catalogue.py``) breaks one rule in the simplest request that exercises it.
These break a rule only in a combination: two filters at once, a page after the first, the second
pause of a recording, one access level on one page, a character that means something to SQL LIKE,
overlapping uploads. They are written from the dimensions each operation has (specs and reference),
one module per family, each exporting ``COMBOS``; ``python -m tests.faults.runner --combos`` runs them
and writes ``tests/faults/combination-kill-matrix.md``.
"""

from __future__ import annotations

from ..fault import Fault
from . import auth, data, filters, live, paging, races, schema, status

COMBINATIONS: dict[str, Fault] = {}
for _module in (filters, paging, live, auth, races, status, schema, data):
    for _fault in _module.COMBOS:
        if _fault.name in COMBINATIONS:
            raise ValueError(f"combination fault names must be unique: {_fault.name}")
        if not _fault.is_combination:
            raise ValueError(f"{_fault.name}: a combination fault must name its dimensions")
        COMBINATIONS[_fault.name] = _fault
