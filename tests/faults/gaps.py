"""The suite's known defects: for each fault the contract suite (``--quick``) misses, which check is
missing or too weak, what it should assert, and the reference rule.

A miss is fixed in ``contract/``, never by weakening the fault. Each entry has a
scenario in ``demonstrations.py`` proving the violation is observable in a few requests, which is also
a sketch of the missing check. The matrix prints the entry when the fault escapes, and flags an entry
whose fault is now caught, so the list never goes stale.
"""

from __future__ import annotations

SUITE_GAPS: dict[str, str] = {}
