r"""Independent, deliberately naive readings of the RHS-Colon definitions (reference §4, A-4, A-14).

Tests compare `strategies.rhs_colon` against these. Nothing here uses `Instant` arithmetic or the
module's parser: date-times go through `datetime.fromisoformat` plus an exact fraction, string operands
through a regular expression, comparison through `casefold` and an explicit window search.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from fractions import Fraction

_FRACTION = re.compile(r"\.(\d+)")


def instant_key(text: str) -> tuple[datetime, Fraction]:
    """A sortable reading of an ISO-8601 date-time: (UTC whole second, fraction of a second)."""
    match = _FRACTION.search(text)
    fraction = Fraction(int(match.group(1)), 10 ** len(match.group(1))) if match else Fraction(0)
    whole = _FRACTION.sub("", text, count=1)
    dt = datetime.fromisoformat(whole.replace("Z", "+00:00"))
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)  # no zone means UTC
    return dt.astimezone(UTC), fraction


def datetime_selects(filter_text: str, stored_text: str) -> bool:
    """§4 table read literally: bare = equals; before strictly earlier; after strictly later;
    between lower included, upper excluded."""
    head, _, rest = filter_text.partition(":")
    if head in ("equals", "before", "after", "between"):
        op, operand = head, rest
    else:
        op, operand = "equals", filter_text
    x = instant_key(stored_text)
    if op == "between":
        lower_text, upper_text = operand.split(";")
        lower, upper = instant_key(lower_text), instant_key(upper_text)
        return lower <= x and x < upper
    bound = instant_key(operand)
    return {"equals": x == bound, "before": x < bound, "after": x > bound}[op]


def naive_unescape(operand_text: str) -> str:
    r"""Every `\c` becomes `c` (the text is known to be valid)."""
    return re.sub(r"\\(.)", r"\1", operand_text, flags=re.DOTALL)


def string_selects(filter_text: str, stored: str) -> bool:
    """`equals` (default) compares the whole value, `contains` any window; case-insensitive (A-4)."""
    head, _, rest = filter_text.partition(":")
    op, operand_text = (head, rest) if head in ("equals", "contains") else ("equals", filter_text)
    needle, hay = naive_unescape(operand_text).casefold(), stored.casefold()
    if op == "equals":
        return needle == hay
    return any(hay[i : i + len(needle)] == needle for i in range(len(hay) - len(needle) + 1))
