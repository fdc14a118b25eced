"""The trend gate: does the server get slower, or fail more, as the run goes on?

Every SLO gate of ``load/slo.py`` judges the run as a whole, so a server whose latency grows steadily
(a leak, a table scanned in full that grows with every request, a cache that never evicts) passes them
while it is still young: its median is fine and its p95 under the limit. This module compares the
**first third** of the run with the **last third**, per operation, and the error rate of the whole run:

- latency drift (metric ``latency_drift``): the last third's median over the first third's. A breach
  needs all of: at least ``min_samples`` samples in each third; the median grown beyond
  ``latency_ratio`` *and* ``latency_floor_ms``; a seeded bootstrap confident of that at 95%; and a
  one-sided Mann-Whitney test finding the last third's samples larger (at 1%). That is ``recqual
  diff``'s latency test (:func:`recqual.diff.compare_latency`) applied to two thirds of one run instead
  of two runs, on the median: a drift moves the whole distribution, and the median of a few dozen
  samples is far steadier than their p95 (whose growth the p95 gates judge anyway);
- error drift (metric ``error_drift``, whole run): the last third's failure ratio minus the first's. A
  breach needs the rise beyond ``error_points`` (absolute, e.g. 0.02 = two percentage points) and a
  one-sided two-proportion z-test significant at ``error_alpha``.

The window is the steady part of the run: from the moment every user was spawned (a ramp has fewer
users, so it is faster, and would read as a slow-down) to the stop. Thirds shorter than
``min_third_s`` are not judged (no gate: the run is too short to have a trend).

Samples are kept as histograms per time bin and operation ({bucketed ms: count}), so a worker ships a
few kilobytes per report and a two-hour soak stays small (``bin_s`` grows with the planned run time,
at most :data:`MAX_BINS` bins). Pure Python: the Locust side is ``load/locustlib/trend_events.py``.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

MAX_BINS = 600
"""Bins a run keeps at most: ``bin_s`` = planned run time / MAX_BINS, at least one second."""

DEFAULTS: dict[str, Any] = {
    "enabled": True,
    "latency_ratio": 1.5,
    "latency_floor_ms": 25.0,
    "min_samples": 30,
    "min_third_s": 1.0,
    "error_points": 0.02,
    "error_alpha": 0.01,
}
"""The ``[trend]`` table of ``load/slo.toml`` (see there for why these values)."""

SCHEMA: dict[str, type | tuple[type, ...]] = {
    "enabled": bool,
    "latency_ratio": (int, float),
    "latency_floor_ms": (int, float),
    "min_samples": int,
    "min_third_s": (int, float),
    "error_points": (int, float),
    "error_alpha": (int, float),
}


def bin_width(planned_s: float | None) -> int:
    """Seconds per bin for a run planned to last ``planned_s`` (unknown: one second)."""
    if not planned_s or planned_s <= 0:
        return 1
    return max(1, math.ceil(planned_s / MAX_BINS))


@dataclass
class Bin:
    """One time bin of one operation: the latency histogram, requests and failures."""

    histogram: dict[float, int] = field(default_factory=lambda: defaultdict(int))
    requests: int = 0
    failures: int = 0

    def add(self, ms: float, failed: bool) -> None:
        self.histogram[ms] += 1
        self.requests += 1
        self.failures += int(failed)

    def merge(self, other: Mapping[str, Any]) -> None:
        for key, count in (other.get("histogram") or {}).items():
            self.histogram[float(key)] += int(count)
        self.requests += int(other.get("requests", 0))
        self.failures += int(other.get("failures", 0))

    def dump(self) -> dict[str, Any]:
        return {
            "histogram": {f"{k:g}": v for k, v in self.histogram.items()},
            "requests": self.requests,
            "failures": self.failures,
        }


@dataclass
class Series:
    """Per-operation bins of one process (a worker ships and clears its own; the master or a local
    runner keeps the whole run). Bin ``b`` holds requests that started in ``[b*width, (b+1)*width)``
    seconds of wall-clock time."""

    width: int = 1
    bins: dict[str, dict[int, Bin]] = field(default_factory=lambda: defaultdict(dict))

    def add(self, operation: str, started: float, ms: float, failed: bool) -> None:
        index = int(started // self.width)
        self.bins[operation].setdefault(index, Bin()).add(ms, failed)

    def drain(self) -> list[dict[str, Any]]:
        """Every bin as plain data (with its start time), then forget them: a worker's report."""
        out = [
            {"op": op, "at": index * self.width, **b.dump()}
            for op, bins in self.bins.items()
            for index, b in bins.items()
        ]
        self.bins.clear()
        return out

    def merge(self, rows: Iterable[Mapping[str, Any]]) -> None:
        """Add a worker's drained bins (re-binned to this series' width)."""
        for row in rows:
            index = int(float(row.get("at", 0)) // self.width)
            self.bins[str(row.get("op", "?"))].setdefault(index, Bin()).merge(row)


def section(series: Series, start: float | None, end: float | None) -> dict[str, Any]:
    """``summary.json``'s ``trend``: the steady window, and per operation the first and last third's
    histograms and counts. The gate is evaluated from these by :func:`checks` (so it can be re-run on
    a stored summary with other settings)."""
    if start is None or end is None or end <= start:
        return {"window_s": 0.0, "third_s": 0.0, "bin_s": series.width, "operations": {}}
    third = (end - start) / 3.0
    out: dict[str, Any] = {
        "window_s": round(end - start, 3),
        "third_s": round(third, 3),
        "bin_s": series.width,
        "operations": {},
    }
    for op, bins in sorted(series.bins.items()):
        first, last = Bin(), Bin()
        for index, b in bins.items():
            at = (index + 0.5) * series.width  # a bin counts for the third its middle falls in
            if start <= at < start + third:
                first.merge(b.dump())
            elif end - third <= at <= end:
                last.merge(b.dump())
        out["operations"][op] = {"first": first.dump(), "last": last.dump()}
    return out


@dataclass(frozen=True)
class Drift:
    """One trend gate's outcome: ``metric`` of ``operation`` ("*": the whole run)."""

    operation: str
    metric: str
    limit: float
    actual: float
    passed: bool
    detail: str


def latency_drift(op: str, thirds: Mapping[str, Any], settings: Mapping[str, Any]) -> Drift | None:
    """The last third's median against the first's (``None``: too few samples for a verdict)."""
    # imported here: recqual.summary imports load.slo, which imports this module
    from recqual.diff import LatencyOptions, compare_latency
    from recqual.summary import histogram_pairs, quantile

    first, last = thirds.get("first") or {}, thirds.get("last") or {}
    before, after = histogram_pairs(first.get("histogram")), histogram_pairs(last.get("histogram"))
    n_first, n_last = sum(c for _, c in before), sum(c for _, c in after)
    if min(n_first, n_last) < int(settings["min_samples"]):
        return None
    options = LatencyOptions(
        ratio=float(settings["latency_ratio"]),
        floor_ms=float(settings["latency_floor_ms"]),
        min_samples=int(settings["min_samples"]),
        percentile=0.5,
    )
    was, now = quantile(before, 0.5), quantile(after, 0.5)
    beyond = now > was * options.ratio and now - was > options.floor_ms
    verdict = "same"
    if beyond:  # the bootstrap (2,000 draws) only when the point estimates cross both thresholds
        result = compare_latency(
            op, {"histogram": first["histogram"]}, {"histogram": last["histogram"]}, options
        )
        verdict = result.verdict
    ratio = round(now / was, 3) if was > 0 else (math.inf if now > 0 else 1.0)
    tail = (quantile(before, 0.95), quantile(after, 0.95))
    detail = (
        f"p50 {was:g} -> {now:g} ms, p95 {tail[0]:g} -> {tail[1]:g} ms, first vs last third "
        f"({n_first} vs {n_last} samples); a breach needs x{options.ratio:g} and +{options.floor_ms:g} ms, "
        "bootstrap-confident and Mann-Whitney-significant"
    )
    return Drift(op, "latency_drift", options.ratio, ratio, verdict != "regression", detail)


def error_drift(operations: Mapping[str, Any], settings: Mapping[str, Any]) -> Drift | None:
    """The whole run's failure ratio, last third minus first (``None``: too few requests)."""
    totals = {"first": [0, 0], "last": [0, 0]}
    for thirds in operations.values():
        for part in ("first", "last"):
            totals[part][0] += int((thirds.get(part) or {}).get("requests", 0))
            totals[part][1] += int((thirds.get(part) or {}).get("failures", 0))
    (n1, f1), (n2, f2) = totals["first"], totals["last"]
    if min(n1, n2) < int(settings["min_samples"]):
        return None
    p1, p2 = f1 / n1, f2 / n2
    rise = p2 - p1
    significant = one_sided_proportions(f1, n1, f2, n2) < float(settings["error_alpha"])
    limit = float(settings["error_points"])
    detail = (
        f"failure ratio {p1:.4f} -> {p2:.4f}, first vs last third ({f1}/{n1} vs {f2}/{n2}); a breach "
        f"needs a rise of more than {limit:g} and a significant two-proportion test"
    )
    return Drift("*", "error_drift", limit, round(rise, 6), not (rise > limit and significant), detail)


def pool(operations: Mapping[str, Any]) -> dict[str, Any]:
    """Every operation's thirds added up: the whole run's latency, for a short run (``--quick``) in
    which no single operation has ``min_samples`` per third. A scenario's mix of operations is the same
    in every third of its steady part (each user loops over the same tasks), so a shift of the pooled
    median beyond the floor is the server's, not the mix's."""
    first, last = Bin(), Bin()
    for thirds in operations.values():
        first.merge(thirds.get("first") or {})
        last.merge(thirds.get("last") or {})
    return {"first": first.dump(), "last": last.dump()}


def one_sided_proportions(f1: int, n1: int, f2: int, n2: int) -> float:
    """P-value of "the second proportion is larger" (pooled two-proportion z-test)."""
    pooled = (f1 + f2) / (n1 + n2)
    variance = pooled * (1 - pooled) * (1 / n1 + 1 / n2)
    if variance <= 0:
        return 1.0
    z = (f2 / n2 - f1 / n1) / math.sqrt(variance)
    return 0.5 * math.erfc(z / math.sqrt(2.0))


def judged(summary: Mapping[str, Any], config: Mapping[str, Any]) -> tuple[bool, str]:
    """Whether the run had a trend to judge, and if not why (disabled, or thirds too short)."""
    settings = {**DEFAULTS, **config}
    third = float((summary.get("trend") or {}).get("third_s", 0.0))
    if not settings["enabled"]:
        return False, "the trend gate is disabled ([trend] enabled = false)"
    if third < float(settings["min_third_s"]):
        return False, f"thirds of {third:.1f} s are shorter than min_third_s = {settings['min_third_s']:g} s"
    return True, ""


def checks(summary: Mapping[str, Any], config: Mapping[str, Any]) -> list[Drift]:
    """Every trend gate this summary allows (none when the trend is not judged: see :func:`judged`)."""
    settings = {**DEFAULTS, **config}
    trend = summary.get("trend") or {}
    if not judged(summary, config)[0]:
        return []
    operations = trend.get("operations") or {}
    out = [d for op, thirds in sorted(operations.items()) if (d := latency_drift(op, thirds, settings))]
    if len(operations) > 1 and (pooled := latency_drift("*", pool(operations), settings)):
        out.append(pooled)
    errors = error_drift(operations, settings)
    return out + ([errors] if errors else [])
