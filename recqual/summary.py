"""`summary.json`: every fact of a qualification run, in a stable, versioned shape.

The page (`summary.html`), the pre-upgrade diff and any CI tooling read this file, never the suites'
raw outputs, so its shape changes only with a new `schema` value (fields are only ever added within
one). Shape of `recqual.summary/2`:

    schema        "recqual.summary/2"
    verdict       "qualified" | "not-qualified" | "partial" (qualified, but below --min-coverage)
                  | "aborted" (a stop signal: ``aborted {signal, phase}`` says when; no verdict either way)
    reasons       [str]                       why not qualified (empty when qualified)
    coverage      {checks, ran, percent, failed, deviations, skipped, skip_reasons{reason: count},
                   min_coverage}             what ran: the verdict's second half
    verdict_line  str                         the last line recqual prints (stdout)
    target        {url, kind, profile}
    run           {started, finished, duration_s, seed, quick, versions{...}}
    families      [str]                       the check families, in display order
    matrix        {operation: {family: "passed"|"failed"|"deviation"|"skipped"}}
    checks        [{id, nodeid, operation, family, check, provenance, outcome, message, curl, duration_s,
                    cause{operation, check, expected, actual} (failed and deviation rows)}]
                  ``id`` is the stable check id (family/operation/check[case]); nodeid is pytest's
    failures      failed checks grouped by cause: [{cause, count, checks[id], id, example, curl, rerun}],
                  most frequent first; ``rerun`` is one command line that reproduces the first of them
    deviations    the checks with outcome "deviation" (assumed behaviour the target does not follow),
                  each with ``assumption``: the A-n text(s) it rests on
    skipped       the checks with outcome "skipped", each with its reason in `message`
    status_codes  {operation: [int]}          every status code observed per operation
    latency       {operation: {count, p50, p95, p99, max, histogram{ms: count},
                   by_scenario{scenario: {count, p95, max, histogram}}}}
                  milliseconds, over every load scenario that ran the operation; the percentiles are
                  read from ``histogram`` (Locust's buckets: 0.1 ms below 10 ms, two significant
                  digits above), capped at ``max`` of the same samples; ``recqual diff`` tests each
                  scenario's histogram apart (a race's start is not a call-control start)
    races         {rounds, violations, examples}
    load          {scenario: {exit_code, slo_passed, breaches[{operation, metric, limit, actual,
                   sentence}], gates[{..., passed, unit, sentence}], report_dir, users, spawn_rate,
                   duration_s, requests, failures, rps, operations{op: {count, failures, p50, p95,
                   p99, max}}, errors[{operation, message, occurrences}], notes}} | {"skipped": reason}
    pair_coverage [{operation, check, dimensions[str], cases, pairs_covered, pairs_total, percent,
                   missing[str]}]             checks generated from covering arrays: which share of every
                                              pair of dimension values the cases that ran reached
    baseline      (``qualify --baseline`` only) {path, regressions, notes, latency[...]}: the gate
"""

from __future__ import annotations

import json
import math
import re
import shlex
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import specs
from load.slo import sentence as gate_sentence
from recqual.assumptions import describe

SCHEMA = "recqual.summary/2"
"""/2: ``failures`` are groups by cause (each with ``rerun``); checks carry a stable ``id``."""

FAMILIES = ("schema", "status", "filters", "paging", "transfer", "live-state", "races", "auth")

# Every vendor operation, in the specs' order: the rows of the report's matrix.
OPERATIONS = specs.operation_ids(specs.RECORDINGS) + specs.operation_ids(specs.LIVE_RECORDINGS)

# When several checks land in one matrix cell, the cell shows the most serious outcome.
SEVERITY = {"failed": 3, "deviation": 2, "passed": 1, "skipped": 0}


def load_json(path: Path) -> Any:
    with path.open(encoding="utf-8") as handle:
        return json.load(handle)


def operations_of(check: Mapping[str, Any]) -> list[str]:
    """A check names one operation, several joined by commas, or none (then it is cross-cutting)."""
    named = check.get("operation") or ""
    names = named if isinstance(named, list) else [part.strip() for part in str(named).split(",")]
    return [name for name in names if name]


def build_matrix(checks: Iterable[Mapping[str, Any]]) -> dict[str, dict[str, str]]:
    matrix: dict[str, dict[str, str]] = {op: {} for op in OPERATIONS}
    for check in checks:
        family, outcome = check.get("family"), check.get("outcome")
        if family is None or outcome not in SEVERITY:
            continue
        for op in operations_of(check):
            row = matrix.setdefault(op, {})
            if SEVERITY[outcome] >= SEVERITY.get(row.get(family, "skipped"), -1):
                row[family] = outcome
    return matrix


def histogram_pairs(histogram: Mapping[str, Any] | None) -> list[tuple[float, int]]:
    """A latency histogram ({"1.4": 12, "23": 3}: bucketed ms -> count) as sorted (ms, count) pairs."""
    pairs: dict[float, int] = {}
    for key, count in (histogram or {}).items():
        try:
            value, n = float(key), int(count)
        except (TypeError, ValueError):
            continue
        if n > 0 and math.isfinite(value):
            pairs[value] = pairs.get(value, 0) + n
    return sorted(pairs.items())


def quantile(pairs: Sequence[tuple[float, int]], fraction: float) -> float:
    """The nearest-rank quantile (the ceil(fraction x n)-th smallest sample) of sorted (ms, count) pairs."""
    total = sum(count for _, count in pairs)
    if total <= 0:
        return 0.0
    rank = max(1, math.ceil(fraction * total))
    seen = 0
    for value, count in pairs:
        seen += count
        if seen >= rank:
            return value
    return pairs[-1][0]


def merge_latency(load_summaries: Mapping[str, Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
    """Latency per operation over every load scenario that ran it: one histogram (the scenarios'
    summed; each scenario's is kept too), and p50/p95/p99 read from it, capped at the exact max of the
    same samples (a bucket can sit a hair above it). Scenarios without histograms (older load
    summaries): the slowest row wins."""
    merged: dict[str, dict[str, Any]] = {}
    for scenario, summary in load_summaries.items():
        for op, stats in (summary.get("operations") or {}).items():
            if op.split(" [", 1)[0] != op:  # outcome rows ("startRecording [429]") are not operations
                continue
            row = merged.setdefault(op, {"count": 0, "max": 0.0, "histogram": {}, "by_scenario": {}})
            row["count"] += int(stats.get("count") or 0)
            row["max"] = max(row["max"], float(stats.get("max") or 0))
            row["by_scenario"][scenario] = {
                k: stats.get(k) for k in ("count", "p95", "max", "histogram") if stats.get(k) is not None
            }
            for key, count in (stats.get("histogram") or {}).items():
                row["histogram"][key] = row["histogram"].get(key, 0) + int(count)
            if not stats.get("histogram") and float(stats.get("p95") or 0) >= row.get("p95", 0.0):
                row.update({k: float(stats.get(k) or 0) for k in ("p50", "p95", "p99")})
    for row in merged.values():
        pairs = histogram_pairs(row["histogram"])
        row["histogram"] = {f"{value:g}": count for value, count in pairs}
        if pairs:
            for name, fraction in (("p50", 0.50), ("p95", 0.95), ("p99", 0.99)):
                row[name] = min(quantile(pairs, fraction), row["max"] or math.inf)
        for name in ("p50", "p95", "p99"):
            row.setdefault(name, 0.0)
    return {op: merged[op] for op in sorted(merged)}


def merge_status_codes(
    contract: Mapping[str, Any], load_summaries: Mapping[str, Mapping[str, Any]]
) -> dict[str, list[int]]:
    seen: dict[str, set[int]] = {}
    for op, codes in (contract.get("status_codes") or {}).items():
        if op in OPERATIONS:  # the suite also counts its control-plane calls; those are not qualified
            seen.setdefault(op, set()).update(int(code) for code in codes if str(code).isdigit())
    for summary in load_summaries.values():
        for op, stats in (summary.get("operations") or {}).items():
            name = op.split(" [", 1)[0]
            for code in stats.get("outcomes") or {}:
                if str(code).isdigit():
                    seen.setdefault(name, set()).add(int(code))
    return {op: sorted(codes) for op, codes in sorted(seen.items())}


def merge_races(load_summaries: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    rounds = violations = 0
    examples: list[Any] = []
    for summary in load_summaries.values():
        races = summary.get("races") or {}
        rounds += int(races.get("rounds") or 0)
        violations += int(races.get("violations") or 0)
        examples += list(races.get("examples") or [])[:5]
    return {"rounds": rounds, "violations": violations, "examples": examples[:10]}


_SKIP_REASONS: tuple[tuple[str, str], ...] = (
    ("read-only profile", "read-only profile"),
    ("emulator control plane", "need the emulator"),
    ("no credentials for role l0", "need an l0 user"),
    ("no credentials for role l1", "need an l1 user"),
    ("no credentials for role l2", "need an l2 user"),
    ("no credentials for role l10", "need an l10 user"),
    ('call = "none"', "need a no-call line"),
    ('call = "standing"', "need a standing-call line"),
    ("retention_days", "need a declared retention"),
    ("one owner only", "need a second upload owner"),
)
"""Skip messages grouped into the few causes a person can act on (the first match wins)."""


def skip_reason(message: str) -> str:
    for fragment, reason in _SKIP_REASONS:
        if fragment in message:
            return reason
    text = message.removeprefix("Skipped: ").strip()
    return text[:60] + ("..." if len(text) > 60 else "")


def coverage(checks: list[Mapping[str, Any]], min_coverage: float | None = None) -> dict[str, Any]:
    """How much of the suite ran: a QUALIFIED verdict is only as strong as what it rests on."""
    outcomes = [c.get("outcome") for c in checks]
    skipped = [c for c in checks if c.get("outcome") == "skipped"]
    reasons: dict[str, int] = {}
    for check in skipped:
        key = skip_reason(str(check.get("message") or ""))
        reasons[key] = reasons.get(key, 0) + 1
    ran = len(checks) - len(skipped)
    return {
        "checks": len(checks),
        "ran": ran,
        "percent": round(100.0 * ran / len(checks), 1) if checks else 0.0,
        "failed": outcomes.count("failed"),
        "deviations": outcomes.count("deviation"),
        "skipped": len(skipped),
        "skip_reasons": dict(sorted(reasons.items(), key=lambda kv: -kv[1])),
        "min_coverage": min_coverage,
    }


def verdict_line(verdict: str, cover: Mapping[str, Any]) -> str:
    """``QUALIFIED: 251/290 checks ran (87%), 0 failed, 3 deviations; 39 skipped (30 need an l0 user)``."""
    word = {"qualified": "QUALIFIED", "partial": "PARTIAL", "not-qualified": "NOT QUALIFIED"}[verdict]
    line = (
        f"{word}: {cover['ran']}/{cover['checks']} checks ran ({cover['percent']:.0f}%), "
        f"{cover['failed']} failed, {cover['deviations']} deviation{'s' if cover['deviations'] != 1 else ''}"
    )
    if cover["skipped"]:
        why = ", ".join(f"{n} {reason}" for reason, n in cover["skip_reasons"].items())
        line += f"; {cover['skipped']} skipped ({why})"
    if verdict == "partial":
        line += f"; below --min-coverage {cover['min_coverage']:g}%"
    return line


def verdict_reasons(
    checks: list[Mapping[str, Any]],
    contract_exit: int | None,
    load_summaries: Mapping[str, Mapping[str, Any]],
    races: Mapping[str, Any],
) -> list[str]:
    reasons = []
    failed = [c for c in checks if c.get("outcome") == "failed"]
    if failed:
        reasons.append(f"{len(failed)} conformance check(s) failed")
    if contract_exit not in (0, None) and not failed:
        reasons.append(f"the conformance suite did not complete (pytest exit code {contract_exit})")
    if not checks and contract_exit is not None:
        reasons.append("the conformance suite reported no checks")
    for scenario, summary in load_summaries.items():
        slo = summary.get("slo") or {}
        if slo.get("passed") is False:
            said = "; ".join(gate_sentence(b) for b in slo.get("breaches") or [])
            reasons.append(f"load scenario {scenario}: {said or 'an SLO gate failed'}")
        elif summary.get("exit_code") not in (0, None):
            reasons.append(f"load scenario {scenario} failed (exit code {summary.get('exit_code')})")
    if races.get("violations"):
        reasons.append(f"{races['violations']} race-invariant violation(s)")
    return reasons


def build_summary(
    *,
    target: Mapping[str, Any],
    run: Mapping[str, Any],
    contract: Mapping[str, Any],
    contract_exit: int | None,
    load_summaries: Mapping[str, Mapping[str, Any]],
    load_skipped: str | None = None,
    min_coverage: float | None = None,
) -> dict[str, Any]:
    checks = list(contract.get("checks") or [])
    races = merge_races(load_summaries)
    reasons = verdict_reasons(checks, contract_exit, load_summaries, races)
    cover = coverage(checks, min_coverage)
    verdict = "not-qualified" if reasons else "qualified"
    if verdict == "qualified" and min_coverage is not None and cover["percent"] < min_coverage:
        verdict = "partial"
    load: dict[str, Any]
    if load_skipped:
        load = {"skipped": load_skipped}
    else:
        load = {scenario: load_section(summary) for scenario, summary in load_summaries.items()}
    return {
        "schema": SCHEMA,
        "verdict": verdict,
        "reasons": reasons,
        "coverage": cover,
        "verdict_line": verdict_line(verdict, cover),
        "target": dict(target),
        "run": dict(run),
        "families": list(FAMILIES),
        "matrix": build_matrix(checks),
        "checks": checks,
        "failures": failure_groups(checks, target, run),
        "deviations": [
            {**c, "assumption": describe(str(c.get("provenance") or ""))}
            for c in checks
            if c.get("outcome") == "deviation"
        ],
        "skipped": [c for c in checks if c.get("outcome") == "skipped"],
        "status_codes": merge_status_codes(contract, load_summaries),
        "latency": merge_latency(load_summaries),
        "races": races,
        "load": load,
        "pair_coverage": pair_coverage_rows(checks),
    }


def pair_coverage_rows(checks: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Every covering-array check's pair figures, by operation: the report's pair coverage table."""
    rows = [
        {"check": check.get("id") or check.get("check"), **entry}
        for check in checks
        for entry in check.get("pairs") or []
    ]
    return sorted(rows, key=lambda row: (str(row.get("operation")), str(row.get("check"))))


def load_section(summary: Mapping[str, Any]) -> dict[str, Any]:
    """One load scenario as the report shows it: how it ran (users, spawn rate, rate), its gates (each
    with its sentence), per-operation latency and errors by cause."""
    slo = summary.get("slo") or {}
    totals = summary.get("totals") or {}
    operations = {
        op: {k: stats.get(k) for k in ("count", "failures", "p50", "p95", "p99", "max")}
        for op, stats in sorted((summary.get("operations") or {}).items())
    }
    return {
        "exit_code": summary.get("exit_code"),
        "slo_passed": slo.get("passed"),
        "breaches": [{**b, "sentence": gate_sentence(b)} for b in slo.get("breaches") or []],
        "gates": list(slo.get("gates") or []),
        "report_dir": summary.get("report_dir"),
        "users": summary.get("users"),
        "spawn_rate": summary.get("spawn_rate"),
        "duration_s": summary.get("duration_s"),
        "requests": totals.get("requests"),
        "failures": totals.get("failures"),
        "rps": totals.get("rps"),
        "operations": operations,
        "errors": list(summary.get("failures") or [])[:10],
        "notes": list(summary.get("notes") or []),
    }


_VOLATILE = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}|\d{4,}")


def _cause_of(check: Mapping[str, Any]) -> dict[str, str]:
    cause = dict(check.get("cause") or {})
    return {
        "operation": str(cause.get("operation") or check.get("operation") or ""),
        "check": str(cause.get("check") or check.get("check") or ""),
        "expected": str(cause.get("expected") or ""),
        "actual": str(cause.get("actual") or ""),
    }


def _cause_key(cause: Mapping[str, str], check: Mapping[str, Any]) -> tuple[str, ...]:
    """Same operation, same broken expectation, same expected-vs-got: one cause. Ids and long numbers
    (GUIDs, timestamps, reference numbers) differ between checks that fail for one reason."""
    got = cause["actual"] or str(check.get("message", "")).split("\n")[0]
    return (
        cause["operation"],
        cause["check"],
        _VOLATILE.sub("#", cause["expected"]),
        _VOLATILE.sub("#", got),
    )


def failure_groups(
    checks: Iterable[Mapping[str, Any]], target: Mapping[str, Any], run: Mapping[str, Any]
) -> list[dict[str, Any]]:
    """Failed checks grouped by cause, the most frequent first, each with one way to reproduce it."""
    groups: dict[tuple[str, ...], dict[str, Any]] = {}
    for check in checks:
        if check.get("outcome") != "failed":
            continue
        cause = _cause_of(check)
        key = _cause_key(cause, check)
        if key not in groups:  # the first check of a cause is its example and its rerun
            groups[key] = {
                "cause": cause,
                "count": 0,
                "checks": [],
                "id": check.get("id") or check.get("nodeid"),
                "family": check.get("family"),
                "provenance": check.get("provenance"),
                "example": check.get("message", ""),
                "curl": check.get("curl", ""),
                "rerun": rerun_command(str(check.get("id") or ""), target, run),
            }
        groups[key]["count"] += 1
        groups[key]["checks"].append(check.get("id") or check.get("nodeid"))
    return sorted(groups.values(), key=lambda g: -int(g["count"]))


def rerun_command(check_id: str, target: Mapping[str, Any], run: Mapping[str, Any]) -> str:
    """``recqual qualify [--target URL | --target-file F] --only ID --seed N``: the failure again in seconds.

    The same target, profile, seed and budget (``--quick``) as the run, one check, no load pass.
    Credentials are never part of it: they come from the environment or the target file again.
    """
    words = ["recqual", "qualify"]
    if target.get("target_file"):
        words += ["--target-file", str(target["target_file"])]
    elif target.get("kind") != "embedded-emulator" and target.get("url"):
        words += ["--target", str(target["url"])]
    if target.get("profile"):
        words += ["--profile", str(target["profile"])]
    if target.get("allow_reset"):
        words.append("--allow-reset")
    if check_id:
        words += ["--only", check_id]
    if run.get("seed") is not None:
        words += ["--seed", str(run["seed"])]
    if run.get("quick"):
        words.append("--quick")
    return shlex.join(words)


_PROGRESS_ONLY = re.compile(r"^[.sFExX]*(\s*\[\s*\d+%\])?$")


def contract_log(raw: str, checks: Iterable[Mapping[str, Any]]) -> str:
    """contract.log as a person reads it: one line per check (outcome, seconds, stable id, and the
    first line of why for anything but a pass), then pytest's own output without its progress dots
    (with the progress plugin each dot landed on a line of its own: 300 lines of ".")."""
    lines = []
    for check in checks:
        outcome = str(check.get("outcome") or "?").upper()
        why = str(check.get("message") or "").strip().split("\n", 1)[0][:200]
        seconds = float(check.get("duration_s") or 0)
        line = f"{outcome:<9} {seconds:6.2f}s  {check.get('id') or check.get('nodeid')}"
        lines.append(line + (f"  -- {why}" if why and outcome != "PASSED" else ""))
    kept = [line for line in raw.splitlines() if line.strip() and not _PROGRESS_ONLY.match(line.strip())]
    return "\n".join([*lines, "", "-- pytest output --", *kept, ""])


def write_summary(summary: Mapping[str, Any], path: Path) -> None:
    path.write_text(json.dumps(summary, indent=2, sort_keys=False) + "\n", encoding="utf-8")
