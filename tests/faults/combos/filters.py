"""Combination faults: listRecordings and listActiveRecordings filters (reference 2.1, 2.3, section 4,
A-2, A-4, A-11, A-12..A-14).

Written from the dimensions of a filter: the parameter and its operator, the class of its operand
(characters with a meaning in SQL LIKE, regular expressions or URLs; case; non-ASCII letters), how a
date is written (numeric offset, sub-second digits), where the stored date lies (summer time), and
which other filters come with it. Each bug shows only where its dimensions meet: ``contains:`` with a
plain operand, an ASCII operand in another case, a ``Z`` bound, a winter date, one live filter alone
are all answered right.

Every one evaluates the filter under test locally (``behaviours.filters.LocalFilter``): the emulator
answers the request unchanged first (validation, 400 reasons and permissions stay its own), then the
buggy predicate runs over the superset the emulator returns without that filter.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from urllib.parse import unquote_plus

from .. import rhs
from ..behaviours import Behaviour
from ..behaviours.filters import DATETIME_PARAMS, LocalFilter, datetime_matches
from ..fault import Fault, combination
from ..ticks import TICKS_PER_SECOND, has_offset
from ..upstream import Px
from ..wire import Req, Resp

Item = dict
PLAIN = {"localPartyNumber": "localPartyNumber", "ownerUsername": "ownerUsername"}
LIKE_CHARS = "_%["
REGEX_CHARS = ".*+?|()^$"


def like_regex(pattern: str) -> re.Pattern[str]:
    """SQL Server's LIKE: ``%`` any run, ``_`` one character, ``[...]`` a character class."""
    out, i = [], 0
    while i < len(pattern):
        c = pattern[i]
        close = pattern.find("]", i + 1) if c == "[" else -1
        if c == "%":
            out.append(".*")
        elif c == "_":
            out.append(".")
        elif close > i + 1:
            out.append("[" + re.escape(pattern[i + 1 : close]) + "]")
            i = close
        else:
            out.append(re.escape(c))
        i += 1
    return re.compile("".join(out), re.IGNORECASE | re.DOTALL)


def _remote(value: str) -> tuple[str, str]:
    """``(operator, unescaped operand)`` of a remoteParty value the emulator accepted."""
    op, operand = rhs.split(value, rhs.STRING_OPERATORS)
    return op, rhs.unescape(operand)


def _remote_field(item: Item) -> str:
    return str(item.get("remotePartyNumber") or "")


# ------------------------------------------------------------------------------------ LIKE patterns


def contains_like_wildcards() -> Behaviour:
    """remoteParty ``contains:S`` is ``LIKE '%' + S + '%'`` without escaping S: a ``_``, ``%`` or
    ``[ab]`` in the operand is a wildcard, so ``contains:a_c`` also lists ``abc``. ``contains`` with a
    plain operand, and ``equals`` with any operand, are right."""

    def applies(name: str, value: str) -> bool:
        op, operand = _remote(value) if name == "remoteParty" else ("", "")
        return op == "contains" and any(c in operand for c in LIKE_CHARS)

    def matches(name: str, value: str, item: Item) -> bool:
        return like_regex("%" + _remote(value)[1] + "%").fullmatch(_remote_field(item)) is not None

    return LocalFilter(applies, matches)


def plain_equals_like() -> Behaviour:
    """localPartyNumber and ownerUsername are compared with ``LIKE @value`` (the easy way to be
    case-insensitive), not ``=``: a ``_`` or ``%`` in the value matches any character(s), so
    ``localPartyNumber=100_1`` also lists ``100x1``. A value without those characters is right."""

    def applies(name: str, value: str) -> bool:
        return name in PLAIN and any(c in value for c in LIKE_CHARS)

    def matches(name: str, value: str, item: Item) -> bool:
        return like_regex(value).fullmatch(str(item.get(PLAIN[name]) or "")) is not None

    return LocalFilter(applies, matches)


# ----------------------------------------------------------------------------- regular expressions


def contains_regex() -> Behaviour:
    """remoteParty ``contains:S`` is a case-insensitive regular-expression search for S, unescaped:
    ``.``, ``+``, ``|`` and parentheses in the operand are pattern syntax, so ``contains:a.c`` also
    lists ``axc``. A plain operand, and ``equals``, are right (an operand that is no valid pattern
    falls back to a substring search)."""

    def applies(name: str, value: str) -> bool:
        op, operand = _remote(value) if name == "remoteParty" else ("", "")
        return op == "contains" and any(c in operand for c in REGEX_CHARS)

    def matches(name: str, value: str, item: Item) -> bool:
        operand = _remote(value)[1]
        try:
            return re.search(operand, _remote_field(item), re.IGNORECASE) is not None
        except re.error:
            return operand.lower() in _remote_field(item).lower()

    return LocalFilter(applies, matches)


# ------------------------------------------------------------------------------------ URL decoding


def _decoded_twice(value: str) -> str:
    return unquote_plus(value)


def url_decoded_twice() -> Behaviour:
    """String filter values are URL-decoded a second time after the framework already did: ``+``
    becomes a space and ``%2F`` a slash, so ``remoteParty=a+b`` lists ``a b`` and not ``a+b``. A
    value without ``+`` or ``%`` is right."""

    def applies(name: str, value: str) -> bool:
        return (name == "remoteParty" or name in PLAIN) and _decoded_twice(value) != value

    def matches(name: str, value: str, item: Item) -> bool:
        twice = _decoded_twice(value)
        if name == "remoteParty":
            return rhs.string_matches(_remote_field(item), twice)
        return str(item.get(PLAIN[name]) or "").lower() == twice.lower()

    return LocalFilter(applies, matches)


# -------------------------------------------------------------------------------- case x non-ASCII


def _ascii_lower(text: str) -> str:
    return "".join(c.lower() if c.isascii() else c for c in text)


def case_folds_ascii_only() -> Behaviour:
    """Case-insensitive matching folds ASCII letters only (SQLite's LIKE, ``lower()`` in C): ``É``
    and ``é``, ``Ж`` and ``ж`` differ, so ``contains:été`` misses ``Été`` (A-4: SQL Server's
    collation folds them). ASCII letters in another case, and non-ASCII letters in the stored case,
    are right."""

    def applies(name: str, value: str) -> bool:
        return (name == "remoteParty" or name in PLAIN) and not value.isascii()

    def matches(name: str, value: str, item: Item) -> bool:
        if name == "remoteParty":
            op, operand = _remote(value)
            hay, needle = _ascii_lower(_remote_field(item)), _ascii_lower(operand)
            return needle in hay if op == "contains" else hay == needle
        return _ascii_lower(str(item.get(PLAIN[name]) or "")) == _ascii_lower(value)

    return LocalFilter(applies, matches)


# ---------------------------------------------------------------------------------------- datetimes


def _datetime_op(name: str, value: str) -> tuple[str, str] | None:
    return rhs.split(value, rhs.DATETIME_OPERATORS) if name in DATETIME_PARAMS else None


def between_ignores_offset() -> Behaviour:
    """``between`` parses its two bounds with its own routine, which drops a numeric offset
    (``10:00+02:00`` is read as ``10:00Z``); ``equals``, ``before`` and ``after`` honour offsets
    (A-14), and ``between`` with ``Z`` bounds is right."""

    def applies(name: str, value: str) -> bool:
        split = _datetime_op(name, value)
        return split is not None and split[0] == "between" and any(map(has_offset, split[1].split(";")))

    def matches(name: str, value: str, item: Item) -> bool:
        return datetime_matches(value, DATETIME_PARAMS[name](item), ignore_offset=True)

    return LocalFilter(applies, matches)


_FRACTION_WITH_OFFSET = re.compile(r"\.[0-9]{1,7}(?=[+-][0-9]{2}:[0-9]{2}$)")


def _truncate_fraction(bound: str) -> str:
    return _FRACTION_WITH_OFFSET.sub("", bound)


def fraction_dropped_with_offset() -> Behaviour:
    """A date-time with a numeric offset is parsed with a second format (``yyyy-MM-ddTHH:mm:sszzz``)
    that has no fraction, so its sub-second digits are dropped: ``before:…:05.25+02:00`` compares
    with ``…:05+02:00``. Sub-second values with ``Z``, and whole seconds with an offset, are right
    (A-11, A-14)."""

    def applies(name: str, value: str) -> bool:
        split = _datetime_op(name, value)
        return split is not None and any(
            _truncate_fraction(b) != b and has_offset(b) for b in split[1].split(";")
        )

    def matches(name: str, value: str, item: Item) -> bool:
        op, operand = rhs.split(value, rhs.DATETIME_OPERATORS)
        cut = ";".join(_truncate_fraction(b) for b in operand.split(";"))
        return datetime_matches(f"{op}:{cut}", DATETIME_PARAMS[name](item))

    return LocalFilter(applies, matches)


def _eu_summer(ticks: int) -> bool:
    """Central European summer time: last Sunday of March to last Sunday of October, 01:00 UTC."""
    moment = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=ticks // 10)

    def change(month: int) -> datetime:
        last = datetime(moment.year, month, 31, 1, tzinfo=UTC)
        return last - timedelta(days=(last.weekday() + 1) % 7)

    return change(3) <= moment < change(10)


HOUR = 3600 * TICKS_PER_SECOND


def summer_dates_shifted() -> Behaviour:
    """Date filters compare against a local-time column (Europe/Rome) and convert the operand with
    the zone's standard offset (+01:00) instead of the one in force at that date: a recording made
    in summer time is compared as if it were an hour later. Winter recordings, and listing the
    dates themselves, are right."""

    def applies(name: str, value: str) -> bool:
        return name in DATETIME_PARAMS

    def matches(name: str, value: str, item: Item) -> bool:
        x = DATETIME_PARAMS[name](item)
        if x is not None and _eu_summer(x):
            x += HOUR
        return datetime_matches(value, x)

    return LocalFilter(applies, matches)


# ------------------------------------------------------------------------------------ live filters

USER_FILTERS = ("username", "numericUserId")
LINE_FILTERS = ("deviceName", "directoryNumber")


class LiveUserOrLine(Behaviour):
    """listActiveRecordings combines a user filter with a line filter by OR (the two lists are
    fetched and merged): ``username=A&deviceName=B's`` lists both recordings instead of none.
    Each filter alone, and two line filters, are right (2.3: filters combine with AND)."""

    async def handle(self, req: Req, px: Px) -> Resp:
        if req.op != "listActiveRecordings":
            return await px.forward(req)
        names = {k for k, _ in req.params()}
        users, lines = names & set(USER_FILTERS), names & set(LINE_FILTERS)
        correct = await px.forward(req)
        if not users or not lines or correct.status != 200:
            return correct
        merged: dict[str, Item] = {}
        for keep in (users, lines):
            part = await px.forward(req.without_params(*(names - keep)))
            body = part.json()
            if part.status != 200 or not isinstance(body, list):
                return correct
            merged |= {str(i.get("id")): i for i in body if isinstance(i, dict)}
        return self.report(correct, correct.with_json(list(merged.values())))


# fmt: off
COMBOS: list[Fault] = [
    combination(
        "contains-like-wildcards", "filters", "§4 contains (the operand is literal)", contains_like_wildcards,
        dimensions=("operator contains", "operand with a SQL LIKE metacharacter"),
    ),
    combination(
        "plain-equals-like", "filters", "§2.1 equals only, A-4", plain_equals_like,
        dimensions=("plain filter (localPartyNumber, ownerUsername)", "operand with _ or %"),
    ),
    combination(
        "contains-regex", "filters", "§4 contains (the operand is literal)", contains_regex,
        dimensions=("operator contains", "operand with a regex metacharacter"),
    ),
    combination(
        "url-decoded-twice", "filters", "§4 string operands, §2.1 plain filters", url_decoded_twice,
        dimensions=("string filter", "operand with + or %XX"),
    ),
    combination(
        "case-folds-ascii-only", "filters", "A-4 (case-insensitive, SQL Server collation)",
        case_folds_ascii_only, dimensions=("letters in another case", "non-ASCII operand"),
    ),
    combination(
        "between-ignores-offset", "filters", "§4 between, A-14 (offsets honoured)", between_ignores_offset,
        dimensions=("operator between", "numeric offset"),
    ),
    combination(
        "fraction-dropped-with-offset", "filters", "A-11 (7 fractional digits), A-14 (offsets)",
        fraction_dropped_with_offset, dimensions=("sub-second bound", "numeric offset"),
    ),
    combination(
        "summer-dates-shifted", "filters", "§4 datetime comparison, A-14", summer_dates_shifted,
        dimensions=("date filter", "recording in summer time (a European clock change in the window)"),
    ),
    combination(
        "live-user-or-line", "filters", "§2.3 live filters combine with AND", LiveUserOrLine,
        dimensions=("user filter (username, numericUserId)", "line filter (deviceName, directoryNumber)"),
    ),
]
# fmt: on
