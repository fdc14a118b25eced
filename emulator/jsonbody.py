"""Strict JSON request bodies.

Python's ``json`` accepts ``NaN``/``Infinity`` and ``\\ud800``-style escapes that decode to lone
surrogates. A lone surrogate cannot be encoded back to UTF-8, so echoing or storing it would turn a
malformed request into a 500; both are refused here as invalid JSON instead.
"""

from __future__ import annotations

import json
import re
from typing import Any

_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89abcdefABCDEF]")


def _no_constants(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


# One decoder for every call: json.loads(..., parse_constant=...) would build a new one each time.
_DECODER = json.JSONDecoder(parse_constant=_no_constants)


def loads(raw: bytes) -> Any:
    """Parse a UTF-8 JSON body; raise ``ValueError`` for anything that is not strict JSON."""
    try:
        value = _DECODER.decode(raw.decode("utf-8-sig"))
        if _SURROGATE_ESCAPE.search(raw):  # only escapes can produce a lone surrogate
            json.dumps(value, ensure_ascii=False).encode("utf-8")
    except (ValueError, RecursionError, UnicodeEncodeError) as exc:
        raise ValueError(str(exc)) from None
    return value
