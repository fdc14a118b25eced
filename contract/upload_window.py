"""When the recordings a check uploads may start: inside the server's retention, by the server's clock.

A server refuses an upload dated before its retention period (409, reference 2.2) and one more than
five minutes in the future (400 reason 1, A-5). Neither limit is ours to pick: retention is the lab's
(declared as ``[target] retention_days``, otherwise assumed to be at least one day, which any
production retention is), and "now" is the server's clock (the preflight measured its offset from
ours). Every date a check uploads comes from here, so no check depends on the day it runs, the
server's retention, or a clock that is a few seconds off.
"""

from __future__ import annotations

from dataclasses import dataclass

from strategies.rhs_colon import TICKS_PER_SECOND, Instant

SAFE_RETENTION_DAYS = 1
"""Used when the target file declares no retention: any real retention is at least a day."""
MARGIN_S = 3600
"""Kept clear of the retention edge, so a run that lasts an hour still uploads inside it."""
RECENT_S = 120
"""Kept clear of "now": a clock offset within the preflight's 1 s resolution never makes a date future."""


@dataclass(frozen=True)
class UploadWindow:
    """``[earliest, latest]``: start times any check may upload, by the server's clock."""

    offset_s: float = 0.0
    retention_days: int = SAFE_RETENTION_DAYS

    @classmethod
    def of(cls, clock_offset_s: float | None, retention_days: int | None) -> UploadWindow:
        return cls(clock_offset_s or 0.0, retention_days or SAFE_RETENTION_DAYS)

    def server_now(self) -> Instant:
        return Instant.now() + int(self.offset_s * TICKS_PER_SECOND)

    @property
    def latest(self) -> Instant:
        return self.server_now() - RECENT_S * TICKS_PER_SECOND

    @property
    def earliest(self) -> Instant:
        span = self.retention_days * 86_400 - MARGIN_S
        return self.server_now() - max(span, 2 * RECENT_S) * TICKS_PER_SECOND

    @property
    def span_s(self) -> int:
        """Seconds between earliest and latest (at least a few minutes)."""
        return (self.latest.ticks - self.earliest.ticks) // TICKS_PER_SECOND

    def hours_ago(self, hours: float) -> Instant:
        """``hours`` before now, or as far back as the window allows; never outside it."""
        back = min(int(hours * 3600), self.span_s) * TICKS_PER_SECOND
        return self.latest - back

    def before_retention(self) -> Instant:
        """A start date the server must refuse with 409: a day before its retention period began.
        Only meaningful when the retention is known (declared, or set on the emulator)."""
        return self.server_now() - (self.retention_days + 1) * 86_400 * TICKS_PER_SECOND
