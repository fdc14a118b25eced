"""Instants and durations as integer 100-ns ticks, for faults that evaluate filters themselves.

A filter fault fetches a superset from the emulator and applies a *buggy* predicate locally, so it
needs the reference's datetime rules (A-11, A-14: 7 fractional digits, ``Z``, offsets, zone-less = UTC)
at full precision. Written here rather than imported from ``emulator/`` so the two stay independent.
"""

from __future__ import annotations

import datetime as dt
import re

TICKS_PER_SECOND = 10_000_000
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)

_DATETIME = re.compile(
    r"([0-9]{4})-([0-9]{2})-([0-9]{2})[Tt]([0-9]{2}):([0-9]{2}):([0-9]{2})"
    r"(?:\.([0-9]{1,7}))?(?:([Zz])|([+-])([0-9]{2}):([0-9]{2}))?"
)
_DURATION = re.compile(r"P(?:([0-9.]+)D)?(?:T(?:([0-9.]+)H)?(?:([0-9.]+)M)?(?:([0-9.]+)S)?)?", re.IGNORECASE)


def parse_instant(text: str, *, ignore_offset: bool = False) -> int | None:
    """Ticks since the epoch (UTC), or ``None``. ``ignore_offset`` is the bug of dropping ``+02:00``."""
    m = _DATETIME.fullmatch(text)
    if m is None:
        return None
    try:
        base = dt.datetime(*(int(m.group(i)) for i in range(1, 7)), tzinfo=dt.UTC)
    except ValueError:
        return None
    delta = base - _EPOCH
    ticks = (delta.days * 86_400 + delta.seconds) * TICKS_PER_SECOND
    ticks += int((m.group(7) or "0").ljust(7, "0"))
    if m.group(9) and not ignore_offset:
        offset = (int(m.group(10)) * 3600 + int(m.group(11)) * 60) * TICKS_PER_SECOND
        ticks += -offset if m.group(9) == "+" else offset
    return ticks


def has_offset(text: str) -> bool:
    m = _DATETIME.fullmatch(text)
    return bool(m and m.group(9) and (m.group(10), m.group(11)) != ("00", "00"))


def format_instant(ticks: int) -> str:
    """``YYYY-MM-DDTHH:MM:SS.fffffffZ`` (A-11)."""
    seconds, frac = divmod(ticks, TICKS_PER_SECOND)
    moment = _EPOCH + dt.timedelta(seconds=seconds)
    return moment.strftime("%Y-%m-%dT%H:%M:%S") + f".{frac:07d}Z"


def parse_duration(text: str) -> int | None:
    m = _DURATION.fullmatch(text or "")
    if m is None or not any(m.groups()):
        return None
    days, hours, minutes, seconds = (float(g) if g else 0.0 for g in m.groups())
    return round((days * 86_400 + hours * 3600 + minutes * 60 + seconds) * TICKS_PER_SECOND)


def format_duration(ticks: int) -> str:
    ticks = max(ticks, 0)
    seconds, frac = divmod(ticks, TICKS_PER_SECOND)
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    out = "PT" + (f"{h}H" if h else "") + (f"{m}M" if m else "")
    if s or frac or out == "PT":
        out += (f"{s}.{frac:07d}".rstrip("0") if frac else f"{s}") + "S"
    return out


def item_start(item: dict) -> int | None:
    return parse_instant(str(item.get("startTime", "")))


def item_end(item: dict) -> int | None:
    """``endTime = startTime + duration`` (A-2)."""
    start, duration = item_start(item), parse_duration(str(item.get("duration", "")))
    return None if start is None or duration is None else start + duration
