"""RHS-Colon filter values (reference section 4, A-12..A-14) turned into SQL conditions.

Parsing is separate from SQL so that every rule of the grammar is a visible branch here, and SQL only
ever receives bound parameters: nothing is escaped by hand, and LIKE (which folds ASCII only) is never
used. String matching compares Python ``str.lower()`` of both sides (A-4) against stored lowercase
columns, so non-ASCII case folding agrees with what a client computes.
"""

from __future__ import annotations

from dataclasses import dataclass

from emulator.times import parse_datetime

DATETIME_OPERATORS = ("equals", "before", "after", "between")
STRING_OPERATORS = ("equals", "contains")


class FilterError(ValueError):
    """The filter value breaks the grammar: 400 reason 0 (A-13)."""


@dataclass(frozen=True, slots=True)
class Condition:
    """One SQL boolean expression with its bound parameters.

    ``index`` names the store's index whose leading column this condition pins by equality, when there
    is one: the store then seeks into that index instead of scanning by start time. ``selective`` says
    whether that equality usually leaves few rows (a name or number does; a direction leaves a third),
    which decides between two such conditions. ``substring`` is the lowercase needle of a ``contains``,
    which the store may look up in its trigram index first.
    """

    sql: str
    params: tuple[object, ...]
    index: str | None = None
    selective: bool = True
    substring: str | None = None


def _split_operator(value: str, operators: tuple[str, ...]) -> tuple[str, str]:
    """Split ``operator:operand``; text before the first ``:`` counts only if it is an operator (A-12)."""
    head, sep, tail = value.partition(":")
    if sep and head in operators:
        return head, tail
    return "equals", value


def unescape_string(operand: str) -> str:
    """Resolve ``\\;`` and ``\\\\``; any other escape, a dangling backslash or a bare ``;`` is invalid."""
    out: list[str] = []
    i = 0
    n = len(operand)
    while i < n:
        c = operand[i]
        if c == "\\":
            if i + 1 >= n:
                raise FilterError("dangling backslash at the end of the operand")
            nxt = operand[i + 1]
            if nxt not in ";\\":
                raise FilterError(f"backslash before {nxt!r}: only ';' and '\\' may be escaped")
            out.append(nxt)
            i += 2
            continue
        if c == ";":
            raise FilterError("unescaped ';' in a string operand")
        out.append(c)
        i += 1
    return "".join(out)


def _datetime_operand(text: str) -> int:
    if not text:
        raise FilterError("empty operand")
    if "\\" in text:
        raise FilterError("a backslash is not allowed in a datetime operand")
    ticks = parse_datetime(text)
    if ticks is None:
        raise FilterError(f"unparsable datetime {text!r}")
    return ticks


def datetime_condition(column: str, value: str) -> Condition:
    """Build the condition for a ``RHS-Colon:datetime`` value on an integer-ticks column.

    A bare datetime contains colons itself, so only the four operator names are taken as operators; any
    other prefix leaves the whole value to the datetime parser, which then rejects it (``foo:2020-...``).
    """
    op, operand = _split_operator(value, DATETIME_OPERATORS)
    if op == "between":
        parts = operand.split(";")
        if len(parts) != 2:
            raise FilterError("between needs exactly one ';' between its two instants")
        low, high = (_datetime_operand(p) for p in parts)
        # T1 >= T2 simply matches nothing; SQL gives that on its own.
        return Condition(f"{column} >= ? AND {column} < ?", (low, high))
    ticks = _datetime_operand(operand)
    sql_op = {"equals": "=", "before": "<", "after": ">"}[op]
    return Condition(f"{column} {sql_op} ?", (ticks,))


def end_time_condition(value: str) -> Condition:
    """An ``endTime`` filter, plus the bound it implies on the start.

    A recording never ends before it starts (durations are never negative), so ``end < T`` implies
    ``start < T`` and ``end = T`` implies ``start <= T``. The added term changes no answer; it lets the
    start-ordered indexes seek to the rows that can match instead of scanning them all. ``after``
    implies nothing about the start.
    """
    cond = datetime_condition("end_ticks", value)
    op, _ = _split_operator(value, DATETIME_OPERATORS)
    if op == "after":
        return cond
    upper = cond.params[-1]
    implied = "start_ticks <= ?" if op == "equals" else "start_ticks < ?"
    return Condition(f"{cond.sql} AND {implied}", (*cond.params, upper))


def direction_condition(value: str) -> Condition:
    """``direction`` is 0, 1 or 2, written as exactly that digit."""
    if value not in ("0", "1", "2"):
        raise FilterError("direction must be 0, 1 or 2")
    return Condition("direction = ?", (int(value),), index="recordings_by_direction", selective=False)


def string_condition(lower_column: str, value: str) -> Condition:
    """Build the condition for a ``RHS-Colon:string`` value on a stored lowercase column."""
    op, operand = _split_operator(value, STRING_OPERATORS)
    if not operand:
        raise FilterError("empty operand")
    needle = unescape_string(operand).lower()
    if op == "contains":
        return Condition(f"instr({lower_column}, ?) > 0", (needle,), substring=needle)
    return Condition(f"{lower_column} = ?", (needle,), index=f"recordings_by_{lower_column}")


def plain_condition(lower_column: str, value: str) -> Condition:
    """Plain (non RHS-Colon) equality, case-insensitive.

    An empty value matches nothing (A-4), even a recording whose field happens to be empty: the
    reference reads ``ownerUsername=`` as "equals the empty string and so matches nothing".
    """
    if not value:
        return Condition("0", ())
    return Condition(f"{lower_column} = ?", (value.lower(),), index=f"recordings_by_{lower_column}")
