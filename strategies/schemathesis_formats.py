"""Schemathesis string formats `RHS-Colon:datetime` and `RHS-Colon:string` (reference §4).

`specs/recordings.yaml` declares `startTime`/`endTime` as `format: RHS-Colon:datetime` and
`remoteParty` as `format: RHS-Colon:string`. Without a registered strategy Schemathesis sends random
strings, nearly all of them invalid filters; with one, positive generation sends meaningful filters.

Invariant: the registered strategies yield only *valid* encoded filters (`parse` accepts each one).
Negative testing is Schemathesis' own job, and the contract oracles send `malformed_filters` explicitly.
This is the only module that imports schemathesis, and only inside `register_formats`.
"""

from __future__ import annotations

from functools import cache

from hypothesis.strategies import SearchStrategy

from strategies.filters import datetime_filters, string_filters
from strategies.rhs_colon import encode

__all__ = ["DATETIME_FORMAT", "STRING_FORMAT", "format_strategies", "register_formats"]

DATETIME_FORMAT = "RHS-Colon:datetime"
STRING_FORMAT = "RHS-Colon:string"


@cache
def format_strategies() -> dict[str, SearchStrategy[str]]:
    """The strategy for each format name: encoded valid filters (built once, so identity is stable)."""
    return {
        DATETIME_FORMAT: datetime_filters().map(encode),
        STRING_FORMAT: string_filters().map(encode),
    }


def register_formats() -> None:
    """Register both formats with Schemathesis' public ``schemathesis.openapi.format``.

    Idempotent without reading Schemathesis' registry: the strategies are built once
    (``format_strategies`` is cached), so registering again stores the very same objects.
    """
    import schemathesis

    for name, strategy in format_strategies().items():
        schemathesis.openapi.format(name, strategy)
