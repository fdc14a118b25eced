"""RHS-Colon filter values (reference section 4), with switches for the ways servers get them wrong.

Each switch is one realistic bug: ``recognise_equals=False`` (only ``contains`` is known, so
``equals:x`` is the literal ``equals:x``), ``unescape_backslash=False`` (``\\\\`` stays two
backslashes), ``unescape_semicolon=False`` (``\\;`` stays two characters). The defaults are correct.
"""

from __future__ import annotations

DATETIME_OPERATORS = ("equals", "before", "after", "between")
STRING_OPERATORS = ("equals", "contains")


def split(value: str, operators: tuple[str, ...], *, recognise_equals: bool = True) -> tuple[str, str]:
    """``(operator, operand)``; a prefix counts only when it is a known operator (A-12)."""
    head, sep, tail = value.partition(":")
    known = operators if recognise_equals else tuple(o for o in operators if o != "equals")
    if sep and head in known:
        return head, tail
    return "equals", value


def unescape(operand: str, *, unescape_backslash: bool = True, unescape_semicolon: bool = True) -> str:
    """The literal a string operand stands for (the operand was already accepted by the server)."""
    out: list[str] = []
    i = 0
    while i < len(operand):
        c = operand[i]
        if c == "\\" and i + 1 < len(operand):
            nxt = operand[i + 1]
            if (nxt == "\\" and unescape_backslash) or (nxt == ";" and unescape_semicolon):
                out.append(nxt)
            else:
                out.append(c + nxt)
            i += 2
            continue
        out.append(c)
        i += 1
    return "".join(out)


def string_matches(
    field: str,
    value: str,
    *,
    recognise_equals: bool = True,
    unescape_backslash: bool = True,
    unescape_semicolon: bool = True,
    case_sensitive: bool = False,
    contains_as_prefix: bool = False,
) -> bool:
    """Does ``field`` match the ``RHS-Colon:string`` filter ``value`` (A-4: case-insensitive)?"""
    op, operand = split(value, STRING_OPERATORS, recognise_equals=recognise_equals)
    needle = unescape(operand, unescape_backslash=unescape_backslash, unescape_semicolon=unescape_semicolon)
    hay = field
    if not case_sensitive:
        needle, hay = needle.lower(), hay.lower()
    if op == "contains":
        return hay.startswith(needle) if contains_as_prefix else needle in hay
    return hay == needle
