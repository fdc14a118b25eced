"""ISO-8601 durations as the Recordings API writes them (§3: `PT1M30S`, `PT1M13S`).

Invariant: `parse_iso_duration(iso_duration(t)) == t` for every tick count `t >= 0`. `iso_duration`
writes the canonical `PT#H#M#S` form (zero parts omitted, `PT0S` for nothing, fractions only when the
duration is not whole seconds).
"""

from __future__ import annotations

import re

from strategies.rhs_colon import TICKS_PER_SECOND

__all__ = ["iso_duration", "parse_iso_duration"]

_DURATION_RE = re.compile(
    r"P(?!$)(?:(\d+)D)?(?:T(?=\d)(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)(?:\.(\d{1,7}))?S)?)?",
    re.ASCII,
)


def iso_duration(ticks: int) -> str:
    """`PT1M30S` for 90 s; hours are not folded into days (the vendor writes `PT26H`)."""
    if ticks < 0:
        raise ValueError("a duration cannot be negative")
    seconds, fraction = divmod(ticks, TICKS_PER_SECOND)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    text = "PT"
    if hours:
        text += f"{hours}H"
    if minutes:
        text += f"{minutes}M"
    if secs or fraction or text == "PT":
        text += str(secs)
        if fraction:
            text += "." + f"{fraction:07d}".rstrip("0")
        text += "S"
    return text


def parse_iso_duration(text: str) -> int:
    """Ticks in a `P[nD][T[nH][nM][n[.f]S]]` duration (years, months and weeks have no fixed length)."""
    match = _DURATION_RE.fullmatch(text)
    if match is None:
        raise ValueError(f"{text!r} is not a day/time ISO-8601 duration")
    days, hours, minutes, seconds, fraction = match.groups()
    total = ((int(days or 0) * 24 + int(hours or 0)) * 60 + int(minutes or 0)) * 60 + int(seconds or 0)
    return total * TICKS_PER_SECOND + int((fraction or "").ljust(7, "0"))
