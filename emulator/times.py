"""Instants as integer ticks and ISO-8601 text, exactly.

The vendor's server is .NET: its date-times carry 7 fractional digits (100 ns ticks). Storing instants
as integer ticks since the Unix epoch (UTC) lets filters compare the 7th digit exactly in SQL, which
floats or ``datetime`` (microseconds) could not.
"""

from __future__ import annotations

import datetime as dt
import re
import time
from decimal import Decimal, InvalidOperation

TICKS_PER_SECOND = 10_000_000
TICKS_PER_DAY = 86_400 * TICKS_PER_SECOND
_EPOCH_ORDINAL = dt.date(1970, 1, 1).toordinal()

# Largest instant the wire format can express (9999-12-31T23:59:59.9999999Z).
MAX_TICKS = (dt.date(9999, 12, 31).toordinal() - _EPOCH_ORDINAL + 1) * TICKS_PER_DAY - 1

# ASCII digits only: Python's \d would also accept other scripts' digits.
_DATETIME = re.compile(
    r"([0-9]{4})-([0-9]{2})-([0-9]{2})[Tt]([0-9]{2}):([0-9]{2}):([0-9]{2})"
    r"(?:\.([0-9]{1,7}))?"
    r"(?:([Zz])|([+-])([0-9]{2}):([0-9]{2}))?"
)

_NUM = r"([0-9]+(?:[.,][0-9]+)?)"
_DURATION = re.compile(
    rf"[Pp](?:{_NUM}[Ww])?(?:{_NUM}[Dd])?(?:([Tt])(?:{_NUM}[Hh])?(?:{_NUM}[Mm])?(?:{_NUM}[Ss])?)?"
)


def now_ticks() -> int:
    """The current instant in ticks; the wall clock, since clients compare it with their own."""
    return time.time_ns() // 100


def parse_datetime(text: str) -> int | None:
    """Parse an ISO-8601 date-time into ticks, or ``None`` when it is not one.

    Accepts ``Z``, numeric offsets (``+02:00``) and no zone (taken as UTC, A-14), with 0 to 7 fractional
    digits. Anything else, including out-of-range fields, is ``None`` so callers can answer 400.
    """
    m = _DATETIME.fullmatch(text)
    if m is None:
        return None
    year, month, day, hour, minute, second = (int(m.group(i)) for i in range(1, 7))
    try:
        date = dt.date(year, month, day)
    except ValueError:
        return None
    if hour > 23 or minute > 59 or second > 59:
        return None
    frac = m.group(7) or ""
    ticks = (date.toordinal() - _EPOCH_ORDINAL) * TICKS_PER_DAY
    ticks += (hour * 3600 + minute * 60 + second) * TICKS_PER_SECOND
    ticks += int(frac.ljust(7, "0")) if frac else 0
    if m.group(9):
        off_h, off_m = int(m.group(10)), int(m.group(11))
        if off_h > 23 or off_m > 59:
            return None
        offset = (off_h * 3600 + off_m * 60) * TICKS_PER_SECOND
        ticks -= offset if m.group(9) == "+" else -offset
    return ticks


def format_datetime(ticks: int) -> str:
    """Render ticks as ``YYYY-MM-DDTHH:MM:SS.fffffffZ`` (A-11: always 7 digits and an explicit Z)."""
    days, rem = divmod(ticks, TICKS_PER_DAY)
    secs, frac = divmod(rem, TICKS_PER_SECOND)
    date = dt.date.fromordinal(days + _EPOCH_ORDINAL)
    h, rest = divmod(secs, 3600)
    mi, s = divmod(rest, 60)
    return f"{date.year:04d}-{date.month:02d}-{date.day:02d}T{h:02d}:{mi:02d}:{s:02d}.{frac:07d}Z"


def parse_duration(text: str) -> int | None:
    """Parse an ISO-8601 duration leniently into ticks, or ``None``.

    Lenient in form (``PT90S``, ``PT1M30S``, ``PT1.25S``, ``P1DT2H``, ``P1W``, decimal comma) but not in
    meaning: years and months have no fixed length, so they are refused, and so is a negative duration.
    """
    m = _DURATION.fullmatch(text)
    if m is None:
        return None
    weeks, days, t_marker, hours, minutes, seconds = m.groups()
    if t_marker and not (hours or minutes or seconds):
        return None
    if not (weeks or days or hours or minutes or seconds):
        return None
    total = Decimal(0)
    for value, unit in (
        (weeks, 7 * 86_400),
        (days, 86_400),
        (hours, 3_600),
        (minutes, 60),
        (seconds, 1),
    ):
        if value:
            try:
                total += Decimal(value.replace(",", ".")) * unit
            except InvalidOperation:  # pragma: no cover - the regex admits only digits
                return None
    return int((total * TICKS_PER_SECOND).to_integral_value())


def format_duration(ticks: int) -> str:
    """Render ticks as ``PT#H#M#S``: zero components omitted, fractional seconds only when non-zero.

    On the hot path (every listed live recording, every listed recording): no format specs, which cost
    several times a plain ``str()``.
    """
    ticks = max(ticks, 0)
    secs, frac = divmod(ticks, TICKS_PER_SECOND)
    h, rest = divmod(secs, 3600)
    mi, s = divmod(rest, 60)
    out = "PT"
    if h:
        out += f"{h}H"
    if mi:
        out += f"{mi}M"
    if frac:  # the seven digits of frac, zero-padded by the leading 1 of 1xxxxxxx, trailing zeros cut
        out += f"{s}.{str(TICKS_PER_SECOND + frac)[1:].rstrip('0')}S"
    elif s or out == "PT":
        out += f"{s}S"
    return out
