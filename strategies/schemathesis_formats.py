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


_REGISTERED: dict[str, object] = {}
"""What the schemathesis registry held for each name right after we registered it."""


def register_formats() -> None:
    """Register both formats with `schemathesis.openapi.format` (checked against schemathesis 4.32).

    Idempotent: a name whose registry entry is still the one we put there is left alone, so repeated
    calls do not clear Schemathesis' strategy caches; a name unregistered or overwritten since is
    registered again.
    """
    import schemathesis

    try:
        from schemathesis.specs.openapi.formats import STRING_FORMATS as registry
    except ImportError:  # pragma: no cover - a layout change: re-registering is harmless
        registry = {}
    for name, strategy in format_strategies().items():
        current = registry.get(name)
        if current is not None and current is _REGISTERED.get(name):
            continue
        schemathesis.openapi.format(name, strategy)
        _REGISTERED[name] = registry.get(name)
