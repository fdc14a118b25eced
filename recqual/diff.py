"""`recqual diff BASELINE CURRENT`: what got worse between two qualification runs, and nothing else.

Meant for the customer's admin before an upgrade (qualify the old version, qualify the new one, diff)
and for the nightly job (``recqual qualify --baseline OLD/summary.json`` gates within the run: ``gate``).
A regression is a check that passed and now fails (or deviates), a verdict that went from qualified to
not, a status code an operation newly returns, or a latency that grew beyond the threshold *and*
beyond what sampling noise explains. Improvements and new checks are notes; the exit code stays 0.

Why latency is tested rather than compared: two identical reruns on the emulator used to "regress"
because a p95 of 1 to 3 samples is noise. Each load summary now carries Locust's per-operation histogram
({bucketed ms: count}); an operation is compared only when both runs hold at least ``MIN_SAMPLES``
samples of it (otherwise it is "not comparable", never a regression), and it regresses only when, at
``CONFIDENCE``, the new p95 exceeds both ``ratio`` x the old p95 and the old p95 + ``floor_ms``, and a
rank test (Mann-Whitney, at ``SHIFT_ALPHA``) finds the new samples larger: the bootstrap alone is
overconfident about a p95 of a few dozen samples. (So a regression of the slowest few answers alone, the
bulk unchanged, may go uncalled: the price of never crying wolf.) The confidence comes from a bootstrap
of both p95s, drawn exactly and cheaply: the k-th smallest of n draws from a histogram is its quantile
at a Beta(k, n-k+1) variate, so one bootstrap round is one ``betavariate`` and one bisection per run,
however many samples. The generator is seeded per operation, so the same two files always give the same
answer (stdlib only, no scipy).
"""

from __future__ import annotations

import argparse
import bisect
import json
import math
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from recqual.errors import UsageError
from recqual.summary import SCHEMA, histogram_pairs, quantile, verdict_line

SCHEMAS = ("recqual.summary/1", SCHEMA)
"""Inputs ``diff`` reads: /1 (checks by pytest node id, no histograms) and /2."""
WORSE = {"passed": 0, "skipped": 0, "deviation": 1, "failed": 2}
MIN_SAMPLES = 30
CONFIDENCE = 0.95
BOOTSTRAP_ROUNDS = 2000
PERCENTILE = 0.95
SEED = "recqual.diff/1"
SHIFT_ALPHA = 0.01
"""One-sided significance of the rank test (``_shifted``)."""


@dataclass(frozen=True)
class LatencyOptions:
    """When a p95 change is a regression: beyond ``ratio`` and ``floor_ms``, with ``confidence``, on at
    least ``min_samples`` samples in each run."""

    ratio: float = 1.2
    floor_ms: float = 5.0
    min_samples: int = MIN_SAMPLES
    confidence: float = CONFIDENCE
    rounds: int = BOOTSTRAP_ROUNDS
    percentile: float = PERCENTILE
    """The quantile compared (the diff: p95; the load pass's trend gate, ``load/trend.py``: the median)."""


@dataclass(frozen=True)
class LatencyComparison:
    """One operation's p95, before and after, and what the test concluded."""

    operation: str
    verdict: str  # "regression", "faster", "same", "not comparable"
    samples: tuple[int, int]
    p95: tuple[float, float] = (0.0, 0.0)
    change_ci: tuple[float, float] = (0.0, 0.0)  # ms, CONFIDENCE two-sided, new - old
    why: str = ""

    def line(self) -> str:
        if self.verdict == "not comparable":
            return f"{self.operation} latency not comparable: {self.why}"
        (was, now), (low, high) = self.p95, self.change_ci
        factor = now / was if was else math.inf
        return (
            f"{self.operation} p95 latency {was:.1f} ms -> {now:.1f} ms (x{factor:.2f}; "
            f"change {low:+.1f} to {high:+.1f} ms; {self.samples[0]} vs {self.samples[1]} samples)"
        )


@dataclass
class DiffResult:
    regressions: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    latency: list[LatencyComparison] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        return 1 if self.regressions else 0

    def lines(self) -> list[str]:
        """What ``recqual diff`` prints: regressions, then notes, then the one-line verdict."""
        out = [f"REGRESSION  {line}" for line in self.regressions]
        out += [f"note        {line}" for line in self.notes]
        out.append("no regression" if not self.regressions else f"{len(self.regressions)} regression(s)")
        return out

    def to_json(self) -> dict[str, Any]:
        return {
            "regressions": list(self.regressions),
            "notes": list(self.notes),
            "latency": [
                {
                    "operation": c.operation,
                    "verdict": c.verdict,
                    "samples": list(c.samples),
                    "p95": list(c.p95),
                    "change_ci_ms": list(c.change_ci),
                    "why": c.why,
                }
                for c in self.latency
            ],
        }


Diff = DiffResult
"""The name before ``DiffResult``; kept for callers of ``compare``."""


def compare(
    baseline: Mapping[str, Any],
    current: Mapping[str, Any],
    *,
    latency_ratio: float = 1.2,
    latency_floor_ms: float = 5.0,
    min_samples: int = MIN_SAMPLES,
    confidence: float = CONFIDENCE,
) -> DiffResult:
    """Compare two ``recqual.summary/1`` or ``/2`` documents; ``ValueError`` for any other document."""
    for name, doc in (("baseline", baseline), ("current", current)):
        if not isinstance(doc, Mapping) or doc.get("schema") not in SCHEMAS:
            schema = doc.get("schema") if isinstance(doc, Mapping) else type(doc).__name__
            raise ValueError(f"{name} is not a {' or '.join(SCHEMAS)} file (schema: {schema!r})")
    diff = DiffResult()
    _compare_verdicts(baseline, current, diff)
    _compare_checks(baseline.get("checks") or [], current.get("checks") or [], diff)
    _compare_status_codes(baseline.get("status_codes") or {}, current.get("status_codes") or {}, diff)
    options = LatencyOptions(latency_ratio, latency_floor_ms, min_samples, confidence)
    _compare_latency(baseline.get("latency") or {}, current.get("latency") or {}, options, diff)
    return diff


def gate(baseline_summary: Mapping[str, Any] | Path, current_summary: Mapping[str, Any]) -> DiffResult:
    """``recqual qualify --baseline OLD/summary.json``: this run against the baseline, default thresholds.

    ``baseline_summary`` is a document or a path (read with ``read_summary``: ``UsageError`` if unusable).
    """
    baseline = read_summary(baseline_summary) if isinstance(baseline_summary, Path) else baseline_summary
    return compare(baseline, current_summary)


def apply_gate(summary: dict[str, Any], result: DiffResult, baseline_path: Path | str) -> None:
    """Write the gate into the run's summary: a ``baseline`` section, and each regression as a reason of
    a not-qualified verdict (the nightly job fails on the run's own exit code)."""
    summary["baseline"] = {"path": str(baseline_path), **result.to_json()}
    if not result.regressions:
        return
    summary["reasons"] = [*summary.get("reasons", []), *(f"regression: {r}" for r in result.regressions)]
    if summary.get("verdict") in ("qualified", "partial"):
        summary["verdict"] = "not-qualified"
        summary["verdict_line"] = verdict_line("not-qualified", summary["coverage"])
    summary["verdict_line"] += f"; {len(result.regressions)} regression(s) against {baseline_path}"


def _compare_verdicts(baseline: Mapping[str, Any], current: Mapping[str, Any], diff: DiffResult) -> None:
    was, now = baseline.get("verdict"), current.get("verdict")
    if was == "qualified" and now != "qualified":
        diff.regressions.append(f"verdict: qualified -> {now}")
    elif was != now:
        diff.notes.append(f"verdict: {was} -> {now}")


def check_key(check: Mapping[str, Any], by_id: bool = True) -> str:
    """The stable check id; a /1 file (or a row without one) falls back to pytest's node id."""
    if by_id and check.get("id"):
        return str(check["id"])
    return str(check.get("nodeid") or f"{check.get('operation')}::{check.get('check')}")


def _compare_checks(
    before_rows: Sequence[Mapping[str, Any]], after_rows: Sequence[Mapping[str, Any]], diff: DiffResult
) -> None:
    """Outcomes by check, keyed by stable id when both files carry ids (else by node id, as /1 did)."""
    by_id = all(row.get("id") for row in [*before_rows, *after_rows])
    before = {check_key(c, by_id): c for c in before_rows}
    after = {check_key(c, by_id): c for c in after_rows}
    for key, check in sorted(after.items()):
        new_outcome = str(check.get("outcome", ""))
        old = before.get(key)
        if old is None:
            if new_outcome in ("failed", "deviation"):
                diff.regressions.append(f"new check {new_outcome}: {key}")
            continue
        old_outcome = str(old.get("outcome", ""))
        if WORSE.get(new_outcome, 0) > WORSE.get(old_outcome, 0):
            diff.regressions.append(f"check {old_outcome} -> {new_outcome}: {key}")
        elif new_outcome != old_outcome:
            diff.notes.append(f"check {old_outcome} -> {new_outcome}: {key}")
    for key in sorted(before.keys() - after.keys()):
        diff.notes.append(f"check no longer run: {key}")


def _compare_status_codes(
    old_codes: Mapping[str, Sequence[int]], new_codes: Mapping[str, Sequence[int]], diff: DiffResult
) -> None:
    for op, codes in sorted(new_codes.items()):
        new = sorted(set(codes) - set(old_codes.get(op, [])))
        if new and op in old_codes:
            diff.regressions.append(f"{op} newly returns {', '.join(map(str, new))}")


def _compare_latency(
    old: Mapping[str, Mapping[str, Any]],
    new: Mapping[str, Mapping[str, Any]],
    options: LatencyOptions,
    diff: DiffResult,
) -> None:
    before, after = _latency_units(old, new), _latency_units(new, old)
    for unit in sorted(set(before) | set(after)):
        if unit not in before or unit not in after:
            where = "baseline" if unit not in before else "current run"
            diff.notes.append(f"{unit} latency not comparable: not measured in the {where}")
            continue
        result = compare_latency(unit, before[unit], after[unit], options)
        diff.latency.append(result)
        if result.verdict == "regression":
            diff.regressions.append(result.line())
        elif result.verdict in ("not comparable", "faster"):
            diff.notes.append(result.line())


def _latency_units(
    latency: Mapping[str, Mapping[str, Any]], other: Mapping[str, Mapping[str, Any]]
) -> dict[str, Mapping[str, Any]]:
    """What is compared: each (operation, scenario) histogram when both files keep them apart (a
    race's startRecording is not a call-control one, and how many of each a run gets varies), else
    the operation's one histogram."""
    units: dict[str, Mapping[str, Any]] = {}
    for op, stats in latency.items():
        apart = stats.get("by_scenario") or {}
        if apart and (other.get(op) or {}).get("by_scenario"):
            units.update({f"{op} ({scenario})": row for scenario, row in apart.items()})
        else:
            units[op] = stats
    return units


def compare_latency(
    op: str, old: Mapping[str, Any], new: Mapping[str, Any], options: LatencyOptions | None = None
) -> LatencyComparison:
    """One operation's p95 before and after: regression, faster, same, or not comparable (too few
    samples, or a file without histograms: a /1 summary)."""
    options = options or LatencyOptions()
    before, after = histogram_pairs(old.get("histogram")), histogram_pairs(new.get("histogram"))
    n_old, n_new = sum(c for _, c in before), sum(c for _, c in after)
    if not before or not after:
        missing = "baseline" if not before else "current run"
        why = f"no latency histogram in the {missing} (an older summary)"
        return LatencyComparison(op, "not comparable", (n_old, n_new), why=why)
    if min(n_old, n_new) < options.min_samples:
        why = f"{n_old} samples in the baseline, {n_new} now (at least {options.min_samples} each)"
        return LatencyComparison(op, "not comparable", (n_old, n_new), why=why)
    was, now = quantile(before, options.percentile), quantile(after, options.percentile)
    rng = random.Random(f"{SEED}:{op}")
    draws_old = _bootstrap(before, options.rounds, rng, options.percentile)
    draws_new = _bootstrap(after, options.rounds, rng, options.percentile)
    tail = (1.0 - options.confidence) / 2
    changes = sorted(b - a for a, b in zip(draws_old, draws_new, strict=True))
    ci = (_at(changes, tail), _at(changes, 1.0 - tail))
    worse = sorted(
        b - max(a * options.ratio, a + options.floor_ms) for a, b in zip(draws_old, draws_new, strict=True)
    )
    better = sorted(
        a - max(b * options.ratio, b + options.floor_ms) for a, b in zip(draws_old, draws_new, strict=True)
    )
    verdict = "same"
    if _beyond(was, now, options) and _at(worse, 1.0 - options.confidence) > 0 and _shifted(before, after):
        verdict = "regression"
    elif _beyond(now, was, options) and _at(better, 1.0 - options.confidence) > 0 and _shifted(after, before):
        verdict = "faster"
    return LatencyComparison(op, verdict, (n_old, n_new), (was, now), ci)


def _shifted(before: Sequence[tuple[float, int]], after: Sequence[tuple[float, int]]) -> bool:
    """``after`` is stochastically larger than ``before``: one-sided Mann-Whitney on every sample
    (normal approximation, ties corrected) at ``SHIFT_ALPHA``. The bootstrap of an extreme quantile is
    too sure of itself on few samples (it only ever sees the top two or three of forty): two draws of
    one heavy-tailed distribution can differ at p95 by x3; they do not differ in rank."""
    old, new = dict(before), dict(after)
    n_old, n_new = sum(old.values()), sum(new.values())
    total = n_old + n_new
    below = 0  # baseline samples below the current value
    u = ties = 0.0
    for value in sorted(set(old) | set(new)):
        a, b = old.get(value, 0), new.get(value, 0)
        u += b * (below + a / 2.0)
        below += a
        ties += (a + b) ** 3 - (a + b)
    variance = n_old * n_new / 12.0 * ((total + 1) - ties / (total * (total - 1)))
    if variance <= 0:
        return False
    z = (u - n_old * n_new / 2.0) / math.sqrt(variance)
    return 0.5 * math.erfc(z / math.sqrt(2.0)) < SHIFT_ALPHA


def _beyond(was: float, now: float, options: LatencyOptions) -> bool:
    """The point estimates alone cross both thresholds (the test must agree on top)."""
    return now > was * options.ratio and now - was > options.floor_ms


def _bootstrap(
    pairs: Sequence[tuple[float, int]], rounds: int, rng: random.Random, percentile: float = PERCENTILE
) -> list[float]:
    """``rounds`` bootstrap replicates of the ``percentile`` (p95) of ``pairs`` ((value, count), sorted)."""
    values = [value for value, _ in pairs]
    cumulative: list[int] = []
    total = 0
    for _, count in pairs:
        total += count
        cumulative.append(total)
    k = max(1, math.ceil(percentile * total))
    draws = []
    for _ in range(rounds):
        rank = min(total, max(1, math.ceil(rng.betavariate(k, total - k + 1) * total)))
        draws.append(values[bisect.bisect_left(cumulative, rank)])
    return draws


def _at(ordered: Sequence[float], fraction: float) -> float:
    return ordered[min(len(ordered) - 1, max(0, int(fraction * len(ordered))))]


def read_summary(path: Path) -> dict[str, Any]:
    """A summary file, or ``UsageError`` (exit 2) naming why it cannot be diffed."""
    if not path.is_file():
        raise UsageError(f"no such summary file: {path}")
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, OSError) as exc:
        raise UsageError(f"{path} is not a readable JSON file: {exc}") from None
    if not isinstance(document, dict) or document.get("schema") not in SCHEMAS:
        schema = document.get("schema") if isinstance(document, dict) else type(document).__name__
        raise UsageError(f"{path} is not a recqual summary ({' or '.join(SCHEMAS)}); schema: {schema!r}")
    return document


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The ``recqual diff`` arguments (``cli.build_parser`` calls this on the ``diff`` sub-parser)."""
    parser.add_argument("baseline", type=Path)
    parser.add_argument("current", type=Path)
    parser.add_argument(
        "--latency-ratio",
        type=float,
        default=1.2,
        help="a p95 that grows by more than this factor (and --latency-floor-ms) is a regression",
    )
    parser.add_argument(
        "--latency-floor-ms", type=float, default=5.0, help="and by more than this many ms (default 5)"
    )
    parser.add_argument(
        "--min-samples",
        type=int,
        default=MIN_SAMPLES,
        help=f"fewer samples of an operation in either run: not comparable (default {MIN_SAMPLES})",
    )


def run(args: argparse.Namespace) -> int:
    """``recqual diff``: print the differences; 0 no regression, 1 a regression (``UsageError``: 2)."""
    if args.latency_ratio < 1 or args.latency_floor_ms < 0 or args.min_samples < 1:
        raise UsageError("--latency-ratio must be >= 1, --latency-floor-ms >= 0, --min-samples >= 1")
    baseline, current = read_summary(args.baseline), read_summary(args.current)
    result = compare(
        baseline,
        current,
        latency_ratio=args.latency_ratio,
        latency_floor_ms=args.latency_floor_ms,
        min_samples=args.min_samples,
    )
    for line in result.lines():
        print(line)
    return result.exit_code
