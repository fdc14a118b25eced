r"""RHS-Colon filters: a typed model, a parser, an encoder and the selection oracle.

Reference: `shared/api/recording-api-reference.md` section 4 (grammar), A-4 (case), A-12 (operators),
A-13 (what is invalid: 400 reason 0), A-14 (`between`, zones, backslashes in datetimes), A-11 (up to 7
fractional digits, zone-less means UTC).

Invariants (tested in `tests/strategies/`):

* `parse(encode(f), f.kind) == f` for every filter value `f`. Everything that changes the encoded text
  (bare or explicit `equals:`, offset and zone style, number of fractional digits) is part of the value;
  two filters that select the same instants but render differently are *different values* with the same
  `selection_key`.
* `parse` either returns a filter or raises `FilterSyntaxError` whose `rule` names the A-13 clause that
  makes the text invalid. The documented outcome of every rule is HTTP 400 with reason 0.
* `matches` is the oracle: datetime `equals` is `==`, `before` is `<`, `after` is `>`, `between` is
  `lower <= x < upper` (nothing when `lower >= upper`); string matching compares `str.lower()` of both
  sides (A-4), `equals` on the whole value, `contains` as a substring.

`encode` returns the raw query-parameter value; URL encoding is the HTTP client's job.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Literal, get_args, overload

__all__ = [
    "ALL_OPERATORS",
    "DATETIME_OPERATORS",
    "EXPECTED_REASON",
    "EXPECTED_STATUS",
    "RULES",
    "STRING_OPERATORS",
    "TICKS_PER_MINUTE",
    "TICKS_PER_SECOND",
    "DatetimeFilter",
    "DatetimeOp",
    "Filter",
    "FilterKind",
    "FilterSyntaxError",
    "Instant",
    "StringFilter",
    "StringOp",
    "TimeFormat",
    "ZoneStyle",
    "encode",
    "escape",
    "matches",
    "min_digits",
    "needs_explicit_equals",
    "parse",
    "selection_key",
    "unescape",
]

TICKS_PER_SECOND = 10_000_000
"""An instant has 100-ns resolution: 7 fractional digits (A-11), like .NET `DateTime` ticks."""
TICKS_PER_MINUTE = 60 * TICKS_PER_SECOND

FilterKind = Literal["datetime", "string"]
DatetimeOp = Literal["equals", "before", "after", "between"]
StringOp = Literal["equals", "contains"]
ZoneStyle = Literal["Z", "offset", "none"]
"""How a date-time names its zone: `Z`, `+hh:mm`/`-hh:mm`, or nothing (UTC, A-14)."""

DATETIME_OPERATORS: tuple[DatetimeOp, ...] = get_args(DatetimeOp)
STRING_OPERATORS: tuple[StringOp, ...] = get_args(StringOp)
ALL_OPERATORS: tuple[str, ...] = ("equals", "before", "after", "between", "contains")

EXPECTED_STATUS = 400
EXPECTED_REASON = 0
"""A-13: every invalid filter is answered 400 with reason 0."""

RULES: dict[str, str] = {
    "unknown-operator": "a datetime filter names an operator that is not equals/before/after/between (A-13)",
    "unescaped-semicolon": "a string operand holds a `;` not preceded by an escaping backslash (§4, A-13)",
    "dangling-backslash": "a string operand ends in a backslash that escapes nothing (A-13)",
    "bad-escape": "a backslash precedes something other than `;` or `\\` (A-13)",
    "bad-datetime": "a datetime operand is not an ISO-8601 date-time (A-13)",
    "empty-operand": "the operand (or one `between` bound) is empty (A-13)",
    "between-separators": "`between` has no unescaped `;` or more than one (A-13)",
    "backslash-in-datetime": "a datetime operand contains a backslash (A-14)",
}
"""Stable ids of the ways a filter text can be invalid; all are 400 reason 0."""


class FilterSyntaxError(ValueError):
    """A filter text the server must reject with 400 reason 0 (A-13).

    `rule` is a key of `RULES`; `position` is the offset in `text` where the problem was found, when
    there is one.
    """

    def __init__(self, rule: str, message: str, *, text: str | None = None, position: int | None = None):
        if rule not in RULES:
            raise ValueError(f"unknown rule id {rule!r}")
        self.rule = rule
        self.message = message
        self.text = text
        self.position = position
        super().__init__(f"{rule}: {message}")


# --------------------------------------------------------------------------------------------------
# Instants and their text form
# --------------------------------------------------------------------------------------------------

_NAIVE_EPOCH = datetime(1970, 1, 1)
_DATETIME_RE = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,7}))?(Z|[+-]\d{2}:\d{2})?",
    re.ASCII,
)
_MAX_OFFSET_MINUTES = 23 * 60 + 59


def min_digits(ticks: int) -> int:
    """The fewest fractional digits that render `ticks` exactly (0 for whole seconds, 7 for odd ticks)."""
    fraction = ticks % TICKS_PER_SECOND
    digits = 7
    while digits > 0 and fraction % 10 == 0:
        fraction //= 10
        digits -= 1
    return 0 if ticks % TICKS_PER_SECOND == 0 else digits


@dataclass(frozen=True)
class TimeFormat:
    """How one instant is written: zone style, offset in minutes, fractional digits (0..7).

    `zone=None` means "the natural one": `Z` for offset 0, `+hh:mm` otherwise. `Z` and `none` need
    offset 0 (a zone-less value is UTC, A-14).
    """

    offset_minutes: int = 0
    digits: int = 7
    zone: ZoneStyle | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.digits, int) or not 0 <= self.digits <= 7:
            raise ValueError(f"digits must be 0..7, got {self.digits!r}")
        if not isinstance(self.offset_minutes, int) or abs(self.offset_minutes) > _MAX_OFFSET_MINUTES:
            raise ValueError(f"offset_minutes must be within ±23:59, got {self.offset_minutes!r}")
        zone = self.zone
        if zone is None:
            zone = "Z" if self.offset_minutes == 0 else "offset"
            object.__setattr__(self, "zone", zone)
        if zone not in get_args(ZoneStyle):
            raise ValueError(f"zone must be one of {get_args(ZoneStyle)}, got {zone!r}")
        if zone != "offset" and self.offset_minutes != 0:
            raise ValueError(f"zone style {zone!r} cannot carry offset {self.offset_minutes} min")

    def can_render(self, instant: Instant) -> bool:
        """True when `instant` can be written in this format without losing a tick."""
        if min_digits(instant.ticks) > self.digits:
            return False
        try:
            self.render(instant)
        except ValueError:
            return False
        return True

    def render(self, instant: Instant) -> str:
        """The ISO-8601 text of `instant`; raises ValueError rather than silently dropping ticks."""
        local = instant.ticks + self.offset_minutes * TICKS_PER_MINUTE
        seconds, fraction = divmod(local, TICKS_PER_SECOND)
        cut = 10 ** (7 - self.digits)
        if fraction % cut:
            needed = min_digits(instant.ticks)
            raise ValueError(f"{instant!r} needs {needed} fractional digits, not {self.digits}")
        try:
            dt = _NAIVE_EPOCH + timedelta(seconds=seconds)
        except OverflowError as exc:
            raise ValueError(f"{instant!r} is outside years 1..9999") from exc
        text = f"{dt.year:04d}-{dt.month:02d}-{dt.day:02d}T{dt.hour:02d}:{dt.minute:02d}:{dt.second:02d}"
        if self.digits:
            text += "." + f"{fraction:07d}"[: self.digits]
        if self.zone == "Z":
            text += "Z"
        elif self.zone == "offset":
            sign = "-" if self.offset_minutes < 0 else "+"
            hours, minutes = divmod(abs(self.offset_minutes), 60)
            text += f"{sign}{hours:02d}:{minutes:02d}"
        return text


def _parse_stamp(text: str) -> tuple[Instant, TimeFormat]:
    """Parse one ISO-8601 date-time and remember how it was written (for exact re-encoding)."""
    match = _DATETIME_RE.fullmatch(text)
    if match is None:
        raise FilterSyntaxError(
            "bad-datetime",
            f"{text!r} is not YYYY-MM-DDThh:mm:ss[.f{{1,7}}][Z|±hh:mm]",
            text=text,
        )
    year, month, day, hour, minute, second = (int(g) for g in match.groups()[:6])
    fraction_text, zone_text = match.group(7), match.group(8)
    try:
        local = datetime(year, month, day, hour, minute, second)
    except ValueError as exc:
        raise FilterSyntaxError("bad-datetime", f"{text!r}: {exc}", text=text) from exc
    offset = 0
    if zone_text is None:
        zone: ZoneStyle = "none"
    elif zone_text == "Z":
        zone = "Z"
    else:
        zone = "offset"
        hours, minutes = int(zone_text[1:3]), int(zone_text[4:6])
        if hours > 23 or minutes > 59:
            raise FilterSyntaxError("bad-datetime", f"{text!r}: offset {zone_text} out of range", text=text)
        offset = (hours * 60 + minutes) * (-1 if zone_text[0] == "-" else 1)
    delta = local - _NAIVE_EPOCH
    fraction = int((fraction_text or "").ljust(7, "0"))
    ticks = (delta.days * 86_400 + delta.seconds) * TICKS_PER_SECOND + fraction - offset * TICKS_PER_MINUTE
    digits = len(fraction_text) if fraction_text else 0
    return Instant(ticks), TimeFormat(offset_minutes=offset, digits=digits, zone=zone)


@dataclass(frozen=True, order=True)
class Instant:
    """A point in time: 100-ns ticks since 1970-01-01T00:00:00Z. Ordered, hashable, zone-free.

    Offsets only matter when an instant is written (`isoformat`); comparisons are by `ticks` (A-14:
    offsets are honoured, so `02:00+02:00` equals `00:00Z`).
    """

    ticks: int

    def __post_init__(self) -> None:
        if not isinstance(self.ticks, int) or isinstance(self.ticks, bool):
            raise TypeError(f"ticks must be an int, got {type(self.ticks).__name__}")

    @classmethod
    def parse(cls, text: str) -> Instant:
        """Read `YYYY-MM-DDThh:mm:ss[.f{1,7}][Z|±hh:mm]`; no zone means UTC (A-11, A-14).

        Raises `FilterSyntaxError(rule="bad-datetime")`. Deliberately strict: lowercase `t`/`z`, a space
        for `T`, date-only and `+hhmm` are refused here, and the adversarial strategies never claim a
        server must refuse them (a lenient server may accept them).
        """
        return _parse_stamp(text)[0]

    @classmethod
    def from_datetime(cls, dt: datetime) -> Instant:
        """Exact conversion; a naive datetime is taken as UTC (A-14)."""
        if dt.tzinfo is None:
            dt = dt.replace(tzinfo=UTC)
        delta = dt - datetime(1970, 1, 1, tzinfo=UTC)
        micros = (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds
        return cls(micros * 10)

    @classmethod
    def now(cls) -> Instant:
        """The current instant (microsecond resolution, from the local clock)."""
        return cls.from_datetime(datetime.now(UTC))

    def to_datetime(self) -> datetime:
        """An aware UTC datetime; the sub-microsecond tick is dropped (floored)."""
        return datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=self.ticks // 10)

    def isoformat(self, offset_minutes: int = 0, digits: int = 7, *, zone: ZoneStyle | None = None) -> str:
        """Render with the given offset and digits; raises ValueError if a tick would be lost."""
        return TimeFormat(offset_minutes=offset_minutes, digits=digits, zone=zone).render(self)

    def __add__(self, ticks: int) -> Instant:
        if isinstance(ticks, bool) or not isinstance(ticks, int):
            return NotImplemented
        return Instant(self.ticks + ticks)

    __radd__ = __add__

    @overload
    def __sub__(self, other: Instant) -> int: ...
    @overload
    def __sub__(self, other: int) -> Instant: ...
    def __sub__(self, other: int | Instant) -> Instant | int:
        """`instant - ticks` is an Instant; `instant - instant` is the distance in ticks."""
        if isinstance(other, Instant):
            return self.ticks - other.ticks
        if isinstance(other, bool) or not isinstance(other, int):
            return NotImplemented
        return Instant(self.ticks - other)

    def __repr__(self) -> str:
        try:
            return f"Instant({self.isoformat()})"
        except ValueError:
            return f"Instant(ticks={self.ticks})"


# --------------------------------------------------------------------------------------------------
# Filter values
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DatetimeFilter:
    """A `RHS-Colon:datetime` filter (§4) and how it is written.

    `offset_minutes`, `digits`, `zone` say how `value` is written; `upper_format` how `upper` is
    written when it differs (None: like `value`). `explicit_op=False` (bare operand) only exists for
    `equals`; it is forced True for the other operators, which are always written.
    """

    op: DatetimeOp
    value: Instant
    upper: Instant | None = None
    offset_minutes: int = 0
    digits: int = 7
    explicit_op: bool = True
    zone: ZoneStyle | None = None
    upper_format: TimeFormat | None = field(default=None)

    def __post_init__(self) -> None:
        if self.op not in DATETIME_OPERATORS:
            raise ValueError(f"datetime operator must be one of {DATETIME_OPERATORS}, got {self.op!r}")
        if not isinstance(self.value, Instant):
            raise TypeError("value must be an Instant")
        fmt = TimeFormat(self.offset_minutes, self.digits, self.zone)
        object.__setattr__(self, "zone", fmt.zone)
        if not fmt.can_render(self.value):
            raise ValueError(f"{self.value!r} cannot be written with {fmt}")
        if self.op != "equals":
            object.__setattr__(self, "explicit_op", True)
        if self.op == "between":
            if not isinstance(self.upper, Instant):
                raise ValueError("between needs an Instant upper bound")
            upper_fmt = self.upper_format or fmt
            if not upper_fmt.can_render(self.upper):
                raise ValueError(f"{self.upper!r} cannot be written with {upper_fmt}")
            object.__setattr__(self, "upper_format", None if upper_fmt == fmt else upper_fmt)
        elif self.upper is not None or self.upper_format is not None:
            raise ValueError(f"only between has an upper bound, not {self.op}")

    @property
    def kind(self) -> FilterKind:
        return "datetime"

    @property
    def value_format(self) -> TimeFormat:
        return TimeFormat(self.offset_minutes, self.digits, self.zone)

    @property
    def upper_value_format(self) -> TimeFormat | None:
        if self.op != "between":
            return None
        return self.upper_format or self.value_format

    @property
    def is_empty_range(self) -> bool:
        """A-14: `between` with lower >= upper selects nothing (and is not an error)."""
        return self.op == "between" and self.upper is not None and self.value >= self.upper


@dataclass(frozen=True)
class StringFilter:
    r"""A `RHS-Colon:string` filter (§4). `operand` is the unescaped text to compare.

    `explicit_op=False` writes a bare operand; it is forced True for `contains` and whenever the bare
    form would be read as an operator (A-12: `equals:contains:x`).
    """

    op: StringOp
    operand: str
    explicit_op: bool = True

    def __post_init__(self) -> None:
        if self.op not in STRING_OPERATORS:
            raise ValueError(f"string operator must be one of {STRING_OPERATORS}, got {self.op!r}")
        if not isinstance(self.operand, str) or self.operand == "":
            raise ValueError("a string filter needs a non-empty operand (A-13: empty is invalid)")
        if self.op != "equals" or needs_explicit_equals(self.operand):
            object.__setattr__(self, "explicit_op", True)

    @property
    def kind(self) -> FilterKind:
        return "string"


Filter = DatetimeFilter | StringFilter


def needs_explicit_equals(operand: str) -> bool:
    """A-12: a bare operand whose text before the first `:` is a string operator would be read as
    that operator, so it must be written `equals:...` (e.g. the literal `contains:x`)."""
    head, sep, _ = operand.partition(":")
    return bool(sep) and head in STRING_OPERATORS


def selection_key(f: Filter) -> tuple:
    """What a filter selects, ignoring how it is written: equal keys select the same stored values."""
    if isinstance(f, DatetimeFilter):
        return ("datetime", f.op, f.value, f.upper)
    return ("string", f.op, f.operand.lower())


# --------------------------------------------------------------------------------------------------
# Escaping
# --------------------------------------------------------------------------------------------------


def escape(s: str) -> str:
    r"""§4: in a string operand `\` becomes `\\` and `;` becomes `\;`."""
    return s.replace("\\", "\\\\").replace(";", "\\;")


def unescape(s: str) -> str:
    r"""Inverse of `escape`; raises FilterSyntaxError for the A-13 escaping faults.

    Faults are reported left to right: the first one found names the rule.
    """
    out: list[str] = []
    i = 0
    while i < len(s):
        c = s[i]
        if c == "\\":
            if i + 1 == len(s):
                raise FilterSyntaxError(
                    "dangling-backslash", f"backslash at the end of {s!r} escapes nothing", text=s, position=i
                )
            nxt = s[i + 1]
            if nxt not in "\\;":
                raise FilterSyntaxError(
                    "bad-escape",
                    f"backslash before {nxt!r} at {i} in {s!r}; only \\; and \\\\ exist",
                    text=s,
                    position=i,
                )
            out.append(nxt)
            i += 2
        elif c == ";":
            raise FilterSyntaxError(
                "unescaped-semicolon", f"';' at {i} in {s!r} must be written \\;", text=s, position=i
            )
        else:
            out.append(c)
            i += 1
    return "".join(out)


# --------------------------------------------------------------------------------------------------
# Parse and encode
# --------------------------------------------------------------------------------------------------

_OPERATOR_SHAPE = re.compile(r"[A-Za-z][A-Za-z0-9_-]*", re.ASCII)
"""A word before the first `:` that looks like an operator name (a bare datetime starts with a digit)."""


def parse(text: str, kind: FilterKind) -> Filter:
    """Read a filter value as the server must (§4, A-12..A-14); raise FilterSyntaxError if invalid."""
    if kind == "datetime":
        return _parse_datetime(text)
    if kind == "string":
        return _parse_string(text)
    raise ValueError(f"kind must be 'datetime' or 'string', got {kind!r}")


def _parse_datetime(text: str) -> DatetimeFilter:
    head, sep, rest = text.partition(":")
    if sep and head in DATETIME_OPERATORS:
        op, operand, explicit = head, rest, True
    elif sep and _OPERATOR_SHAPE.fullmatch(head):
        raise FilterSyntaxError(
            "unknown-operator",
            f"{head!r} is not a datetime operator (operators are lowercase: {', '.join(DATETIME_OPERATORS)})",
            text=text,
            position=0,
        )
    else:
        op, operand, explicit = "equals", text, False
    if operand == "":
        raise FilterSyntaxError("empty-operand", f"{op} needs a date-time", text=text)
    if "\\" in operand:
        raise FilterSyntaxError(
            "backslash-in-datetime",
            "a datetime operand cannot contain a backslash (A-14)",
            text=text,
            position=text.index("\\"),
        )
    if op == "between":
        bounds = operand.split(";")
        if len(bounds) != 2:
            raise FilterSyntaxError(
                "between-separators", f"between needs exactly one ';', found {len(bounds) - 1}", text=text
            )
        if "" in bounds:
            raise FilterSyntaxError("empty-operand", "between needs two date-times", text=text)
        (lower, lower_fmt), (upper, upper_fmt) = (_parse_stamp(b) for b in bounds)
        return DatetimeFilter(
            "between",
            lower,
            upper,
            lower_fmt.offset_minutes,
            lower_fmt.digits,
            True,
            lower_fmt.zone,
            upper_fmt,
        )
    value, fmt = _parse_stamp(operand)
    return DatetimeFilter(op, value, None, fmt.offset_minutes, fmt.digits, explicit, fmt.zone)


def _parse_string(text: str) -> StringFilter:
    head, sep, rest = text.partition(":")
    if sep and head in STRING_OPERATORS:
        op, raw, explicit = head, rest, True
    else:
        op, raw, explicit = "equals", text, False
    if raw == "":
        raise FilterSyntaxError("empty-operand", f"{op} needs a non-empty operand", text=text)
    return StringFilter(op, unescape(raw), explicit)


def encode(f: Filter) -> str:
    """The query-parameter value for `f` (not URL-encoded). `parse(encode(f), f.kind) == f`."""
    if isinstance(f, DatetimeFilter):
        body = f.value_format.render(f.value)
        if f.op == "between":
            assert f.upper is not None and f.upper_value_format is not None
            body += ";" + f.upper_value_format.render(f.upper)
        return f"{f.op}:{body}" if f.explicit_op else body
    if isinstance(f, StringFilter):
        body = escape(f.operand)
        return f"{f.op}:{body}" if f.explicit_op else body
    raise TypeError(f"not a filter: {f!r}")


# --------------------------------------------------------------------------------------------------
# The oracle
# --------------------------------------------------------------------------------------------------


def matches(f: Filter, value: Instant | datetime | str | None) -> bool:
    """Whether the server must select a stored `value` under filter `f` (§4, A-4, A-14).

    A stored string that is absent (None) matches no string filter (operands are never empty).
    """
    if isinstance(f, DatetimeFilter):
        if isinstance(value, datetime):
            value = Instant.from_datetime(value)
        if not isinstance(value, Instant):
            raise TypeError(f"a datetime filter compares Instants, got {type(value).__name__}")
        if f.op == "equals":
            return value == f.value
        if f.op == "before":
            return value < f.value
        if f.op == "after":
            return value > f.value
        assert f.upper is not None
        return f.value <= value < f.upper
    if isinstance(f, StringFilter):
        if value is None:
            return False
        if not isinstance(value, str):
            raise TypeError(f"a string filter compares str, got {type(value).__name__}")
        stored, operand = value.lower(), f.operand.lower()
        return stored == operand if f.op == "equals" else operand in stored
    raise TypeError(f"not a filter: {f!r}")
