"""listRecordings queries for the ``reads`` scenario: valid filters (reference 2.1 and 4) and paging.

Every query built here is valid, so the model predicts 200 for each; an invalid-filter 400 is the
contract suite's business, not the load's. Values are taken from recordings the server actually holds
(learned at start), so filters select real, non-empty subsets and the server does real work.

Plain Python, no locust import. ``strategies.filters`` (Hypothesis) is not used here on purpose: drawing
examples inside a load loop is slow and would make request mix depend on another package's shrinking
order; the load only needs a cheap, reproducible mix.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta


def _rhs_escape(text: str) -> str:
    """Escape ``\\`` and ``;`` in an RHS-Colon string operand (reference 4)."""
    return text.replace("\\", "\\\\").replace(";", "\\;")


def _parse_time(value: str) -> datetime | None:
    """Parse an API date-time (up to 7 fractional digits, ``Z`` or no zone, or an offset)."""
    text = value.strip().replace("Z", "+00:00")
    if "." in text:
        head, _, frac = text.partition(".")
        digits = "".join(ch for ch in frac if ch.isdigit())
        zone = frac[len(digits) :]
        text = f"{head}.{digits[:6].ljust(6, '0')}{zone}"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _fmt(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class QueryMix:
    """Draws listRecordings query dicts from a sample of listed recordings (``Recording`` items)."""

    def __init__(self, sample: list[dict], rng: random.Random | None = None) -> None:
        self.rng = rng or random.Random()
        self.times = [t for t in (_parse_time(str(r.get("startTime", ""))) for r in sample) if t]
        self.locals = sorted({str(r["localPartyNumber"]) for r in sample if r.get("localPartyNumber")})
        self.remotes = sorted({str(r["remotePartyNumber"]) for r in sample if r.get("remotePartyNumber")})
        self.owners = sorted({str(r["ownerUsername"]) for r in sample if r.get("ownerUsername")})
        self.total = len(sample)

    def _time(self) -> datetime:
        if self.times:
            return self.rng.choice(self.times)
        return datetime.now(UTC) - timedelta(hours=self.rng.randint(0, 48))

    def _time_filter(self) -> str:
        pick = self.rng.randrange(4)
        t = self._time()
        if pick == 0:
            return "after:" + _fmt(t - timedelta(seconds=1))
        if pick == 1:
            return "before:" + _fmt(t + timedelta(seconds=1))
        if pick == 2:
            return f"between:{_fmt(t - timedelta(hours=1))};{_fmt(t + timedelta(hours=1))}"
        return "after:" + _fmt(datetime.now(UTC) - timedelta(days=self.rng.randint(1, 30)))

    def _remote_filter(self) -> str:
        if not self.remotes:
            return "contains:" + str(self.rng.randint(0, 9))
        value = self.rng.choice(self.remotes)
        if self.rng.random() < 0.5:
            return _rhs_escape(value)
        start = self.rng.randrange(len(value))
        part = value[start : start + self.rng.randint(1, 4)]
        return "contains:" + _rhs_escape(part)

    def paging(self) -> dict[str, str]:
        size = self.rng.choice((1, 5, 10, 25))
        pages = max(1, (self.total + size - 1) // size)
        return {"page": str(self.rng.randrange(pages + 1)), "pageSize": str(size)}  # one past the end too

    def query(self) -> dict[str, str]:
        """One query: zero to three filters, usually with paging (an unpaged list returns every match)."""
        params: dict[str, str] = {}
        for _ in range(self.rng.choice((0, 1, 1, 2, 3))):
            kind = self.rng.randrange(6)
            if kind == 0:
                params["startTime"] = self._time_filter()
            elif kind == 1:
                params["endTime"] = "after:" + _fmt(self._time() - timedelta(minutes=5))
            elif kind == 2:
                params["remoteParty"] = self._remote_filter()
            elif kind == 3 and self.locals:
                params["localPartyNumber"] = self.rng.choice(self.locals)
            elif kind == 4 and self.owners:
                params["ownerUsername"] = self.rng.choice(self.owners)
            else:
                params["direction"] = str(self.rng.choice((0, 1, 2)))
        if self.rng.random() < 0.85 or self.total > 200:
            params.update(self.paging())
        return params
