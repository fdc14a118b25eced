"""Stable check ids, and selecting checks by id, family or glob (``--only`` / ``--exclude``).

A pytest node id names a file path relative to wherever pytest was started, so the same check gets
another id on another machine or from another folder, and a diff across machines mismatches. A check
id is built from what the check *is*: ``family/operation/check[case]``, e.g.
``races/startRecording/concurrent-starts-one-201-others-429`` or
``schema/listRecordings/schema-conformance[listRecordings]``; the same in results, summary, JUnit,
report and diff, for any cwd, machine and seed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from fnmatch import fnmatchcase

_NOT_SLUG = re.compile(r"[^a-z0-9]+")


def slug(text: str) -> str:
    return _NOT_SLUG.sub("-", text.lower()).strip("-")


def check_id(family: str, operation: str, check: str, case: str | None = None) -> str:
    operations = "+".join(part.strip() for part in operation.split(",") if part.strip())
    base = f"{family}/{operations}/{slug(check)}"
    return f"{base}[{case}]" if case else base


def matches(identifier: str, pattern: str) -> bool:
    """A pattern names a family (``filters``), a family and operation (``auth/getRecording``), a check
    with all its cases (``paging/listRecordings/pages-concatenate``), one case, or any glob of those;
    case-insensitive, because people type operationIds from memory."""
    ident, pat = identifier.lower(), _literal_brackets(pattern.strip().lower())
    return any(fnmatchcase(ident, p) for p in (pat, f"{pat}/*", f"{pat}[[]*"))


def _literal_brackets(pattern: str) -> str:
    """``[...]`` in an id is a case, not a glob character class."""
    return "".join({"[": "[[]", "]": "[]]"}.get(c, c) for c in pattern)


def selected(identifier: str, only: Iterable[str], exclude: Iterable[str]) -> bool:
    only = [p for p in only if p.strip()]
    if only and not any(matches(identifier, p) for p in only):
        return False
    return not any(matches(identifier, p) for p in exclude if p.strip())
