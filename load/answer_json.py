"""The quick reading of a listRecordings page on the load generator's hot path.

The reads scenario checks every page: JSON, an integer ``totalCount``, a ``recordings`` array no longer
than ``pageSize``. Parsing the page with the standard library, every recording a dict, was the largest
single cost recqual added to a request (a tenth of the generator's CPU under py-spy; 124 us for a page
of 100 against 18 us here). msgspec checks the same things, and the syntax of the whole body, without
building the recordings: each stays a ``Raw`` slice.

It only ever says "yes, and this long": when the quick reading refuses a body (bad UTF-8, bad syntax,
a field of another type, ``NaN``, which the standard library reads), the caller reads it the standard
library's way, so a page passes or fails exactly as it did before.
"""

from __future__ import annotations

from typing import Any

import msgspec


class _Page(msgspec.Struct):
    totalCount: int
    recordings: list[msgspec.Raw]


_PAGE = msgspec.json.Decoder(_Page)


def is_page(body: Any) -> bool:
    """The shape the reads check asks of a parsed page: an integer ``totalCount``, a ``recordings`` array."""
    return (
        isinstance(body, dict)
        and isinstance(body.get("totalCount"), int)
        and isinstance(body.get("recordings"), list)
    )


def quick_page_length(content: bytes | None) -> int | None:
    """How many recordings a well-formed page holds; ``None`` when the quick reading cannot tell."""
    try:
        return len(_PAGE.decode((content or b"").decode("utf-8")).recordings)
    except (UnicodeDecodeError, msgspec.DecodeError, msgspec.ValidationError):
        return None
