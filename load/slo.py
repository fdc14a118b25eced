"""SLO gates: load the TOML, evaluate a summary, write JUnit XML, decide the exit code.

Pure Python (no locust import): the master calls ``apply`` in its ``quitting`` listener, and tests and the
CLI can call it on a stored ``summary.json``. The file format is described in ``load/slo.toml`` (the
defaults); a user file is merged over it, then ``[scenario.<name>]`` over the top level.

Exit codes (``EXIT_*``): 0 every gate passed, 1 a gate failed. The runner adds 2 (usage) and 3 (the run
itself broke: timeout, crash, no summary).
"""

from __future__ import annotations

import copy
import tomllib
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from load import trend

DEFAULT_FILE = Path(__file__).with_name("slo.toml")
EXIT_PASS, EXIT_FAIL, EXIT_USAGE, EXIT_RUN_ERROR = 0, 1, 2, 3

_SCHEMA: dict[str, dict[str, type | tuple[type, ...]]] = {
    "defaults": {"p95_ms": (int, float), "p99_ms": (int, float), "max_failure_ratio": (int, float)},
    "run": {
        "min_rps": (int, float),
        "max_race_violations": int,
        "max_rate_shortfall": (int, float),
        "max_leftover_live": int,
        "max_exceptions": int,
        "latency_gates": bool,
    },
    "capacity": {"p99_ms": (int, float), "min_rate": (int, float)},
    "trend": trend.SCHEMA,
}


class SloConfigError(ValueError):
    """The SLO file is unreadable or names an unknown key (one-line message)."""


def _merge(base: dict, over: dict) -> dict:
    out = copy.deepcopy(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def _check_table(where: str, table: Any, allowed: dict[str, Any]) -> None:
    if not isinstance(table, dict):
        raise SloConfigError(f"{where} must be a table")
    for key, value in table.items():
        if key not in allowed:
            raise SloConfigError(f"{where}: unknown key {key!r} (known: {', '.join(sorted(allowed))})")
        if isinstance(value, bool) and allowed[key] is not bool:
            raise SloConfigError(f"{where}.{key} must be a number")
        if not isinstance(value, allowed[key]):
            raise SloConfigError(f"{where}.{key} has the wrong type")


def _validate(config: dict, where: str) -> None:
    for key, table in config.items():
        if key in _SCHEMA:
            _check_table(f"{where}[{key}]", table, _SCHEMA[key])
        elif key == "operations":
            if not isinstance(table, dict):
                raise SloConfigError(f"{where}[operations] must be a table")
            for op, limits in table.items():
                _check_table(f"{where}[operations.{op}]", limits, _SCHEMA["defaults"])
        elif key == "scenario":
            if not isinstance(table, dict):
                raise SloConfigError(f"{where}[scenario] must be a table")
            for name, sub in table.items():
                if not isinstance(sub, dict):
                    raise SloConfigError(f"{where}[scenario.{name}] must be a table")
                _validate(sub, f"{where}[scenario.{name}]")
        else:
            raise SloConfigError(f"{where}: unknown table [{key}]")


def _read(path: Path) -> dict:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SloConfigError(f"SLO file not found: {path}") from None
    except tomllib.TOMLDecodeError as exc:
        raise SloConfigError(f"SLO file {path} is not valid TOML: {exc}") from None
    _validate(data, path.name)
    return data


def load(path: str | Path | None, scenario: str) -> dict:
    """The effective gates for ``scenario``: defaults, then the user file, then its scenario section."""
    config = _read(DEFAULT_FILE)
    if path:
        config = _merge(config, _read(Path(path)))
    sections = config.pop("scenario", {})
    return _merge(config, sections.get(scenario, {}))


@dataclass(frozen=True)
class Check:
    operation: str  # an operationId, or "*" for a whole-run gate
    metric: str
    limit: float
    actual: float
    passed: bool
    unit: str = ""
    note: str = ""  # what else decided the gate (the trend gate: its medians, samples and tests)

    @property
    def name(self) -> str:
        return f"{self.operation} {self.metric}" if self.operation != "*" else self.metric

    @property
    def message(self) -> str:
        cmp = "within" if self.passed else "breaches"
        unit = f" {self.unit}" if self.unit else ""
        bound = "min" if self.metric.startswith("min_") else "max"
        note = f" ({self.note})" if self.note else ""
        return f"{self.name}: actual {self.actual:g}{unit} {cmp} {bound} {self.limit:g}{unit}{note}"

    def breach(self) -> dict[str, Any]:
        return {
            "operation": self.operation,
            "metric": self.metric,
            "limit": self.limit,
            "actual": self.actual,
        }

    def gate(self) -> dict[str, Any]:
        """Every gate, passed or not, for the run's one JUnit file and the report."""
        breach = self.breach()
        return {**breach, "passed": self.passed, "unit": self.unit, "sentence": sentence(breach)}


_WHAT = {
    "p95": "p95 of {op}",
    "p99": "p99 of {op}",
    "p95_intended": "p95 of {op} from its intended start",
    "p99_intended": "p99 of {op} from its intended start",
    "failure_ratio": "the failure ratio of {op}",
    "min_rps": "the throughput",
    "race_violations": "the race-invariant violations",
    "rate_shortfall": "the open model's rate shortfall",
    "leftover_live": "the recordings left live after clean-up",
    "exceptions": "the uncaught exceptions",
    "min_rate": "the highest arrival rate held",
    "latency_drift": "the median latency of {op} in the last third of the run over the first third's",
    "error_drift": "the rise of the failure ratio from the first to the last third of the run",
}
_UNITS = {"min_rps": " req/s", "min_rate": " req/s"}


def sentence(breach: Mapping[str, Any]) -> str:
    """A gate in words, measured value first: "p99 of startRecording was 812 ms, the gate is 500 ms".

    A minimum gate says "at least", so a throughput below its floor never reads as if it were above."""
    metric, op = str(breach.get("metric", "")), str(breach.get("operation", ""))
    what = _WHAT.get(metric, f"{metric} of {{op}}" if op != "*" else metric)
    what = what.format(op=op if op != "*" else "all operations")
    unit = " ms" if metric.startswith(("p95", "p99")) else _UNITS.get(metric, "")
    bound = "at least " if metric.startswith("min_") else ""
    actual, limit = float(breach.get("actual", 0)), float(breach.get("limit", 0))
    return f"{what} was {actual:g}{unit}, the gate is {bound}{limit:g}{unit}"


def evaluate(summary: dict, config: dict) -> list[Check]:
    """Every gate that applies to this summary, passed or not, in a stable order."""
    checks: list[Check] = []
    for op, stats in summary.get("operations", {}).items():
        if stats.get("count"):
            checks += _operation_checks(op, stats, config, open_model=summary.get("rate") is not None)
    drifts = [
        Check(d.operation, d.metric, d.limit, d.actual, d.passed, note=d.detail)
        for d in trend.checks(summary, config.get("trend", {}))
    ]
    return checks + _run_checks(summary, config) + drifts


def _operation_checks(op: str, stats: dict, config: dict, *, open_model: bool) -> list[Check]:
    """Latency (the intended-start series in an open-model run) and failure ratio of one operation."""
    checks: list[Check] = []
    limits = {**config.get("defaults", {}), **config.get("operations", {}).get(op, {})}
    if config.get("run", {}).get("latency_gates", True):
        source = (stats.get("intended") if open_model else None) or stats
        suffix = "_intended" if source is not stats else ""
        for pct in ("p95", "p99"):
            if f"{pct}_ms" in limits:
                limit, actual = float(limits[f"{pct}_ms"]), float(source.get(pct, 0.0))
                checks.append(Check(op, pct + suffix, limit, actual, actual <= limit, "ms"))
    if "max_failure_ratio" in limits:
        ratio = stats.get("failures", 0) / stats["count"]
        limit = float(limits["max_failure_ratio"])
        checks.append(Check(op, "failure_ratio", limit, round(ratio, 6), ratio <= limit))
    return checks


def _run_checks(summary: dict, config: dict) -> list[Check]:
    """The whole-run gates of ``[run]`` and ``[capacity]`` that apply to this summary."""
    checks: list[Check] = []
    run = config.get("run", {})
    totals = summary.get("totals", {})
    if "min_rps" in run:
        actual = float(totals.get("rps", 0.0))
        checks.append(Check("*", "min_rps", float(run["min_rps"]), actual, actual >= run["min_rps"], "req/s"))
    races = summary.get("races") or {}
    if "max_race_violations" in run and races.get("rounds"):
        checks.append(_at_most("race_violations", run["max_race_violations"], races.get("violations", 0)))
    rate = summary.get("rate")
    if rate and "max_rate_shortfall" in run and rate.get("target"):
        shortfall = max(0.0, 1.0 - float(rate.get("achieved", 0.0)) / float(rate["target"]))
        limit = float(run["max_rate_shortfall"])
        checks.append(Check("*", "rate_shortfall", limit, round(shortfall, 4), shortfall <= limit))
    cleanup = summary.get("cleanup")
    if cleanup is not None and "max_leftover_live" in run:
        checks.append(
            _at_most("leftover_live", run["max_leftover_live"], int(cleanup.get("leftover_live", 0)))
        )
    if "max_exceptions" in run:
        checks.append(_at_most("exceptions", run["max_exceptions"], int(totals.get("exceptions", 0))))
    capacity = summary.get("capacity")
    if capacity and config.get("capacity", {}).get("min_rate"):
        limit = float(config["capacity"]["min_rate"])
        held = float(capacity.get("highest_rate") or 0.0)
        checks.append(Check("*", "min_rate", limit, held, held >= limit, "req/s"))
    return checks


def _at_most(metric: str, limit: float, actual: float) -> Check:
    """A whole-run gate with a maximum (limit and actual kept as given: counts stay integers)."""
    return Check("*", metric, limit, actual, actual <= limit)


def apply(summary: dict, config: dict) -> list[Check]:
    """Evaluate and write the verdict into ``summary`` (``slo`` and ``exit_code``); return the checks."""
    checks = evaluate(summary, config)
    breaches = [c.breach() for c in checks if not c.passed]
    summary["slo"] = {"passed": not breaches, "breaches": breaches, "gates": [c.gate() for c in checks]}
    summary["exit_code"] = EXIT_PASS if not breaches else EXIT_FAIL
    return checks


def write_junit(path: str | Path, summary: dict, checks: list[Check]) -> None:
    """One testcase per gate; a breached gate is a ``<failure>`` whose message names op, metric, limit."""
    scenario = summary.get("scenario", "load")
    suite_name = f"recqual.load.{scenario}"
    failures = sum(1 for c in checks if not c.passed)
    root = ET.Element("testsuites", name="recqual.load", tests=str(len(checks)), failures=str(failures))
    suite = ET.SubElement(
        root,
        "testsuite",
        name=suite_name,
        tests=str(len(checks)),
        failures=str(failures),
        errors="0",
        time=f"{float(summary.get('duration_s', 0.0)):.3f}",
        timestamp=str(summary.get("started", "")),
    )
    props = ET.SubElement(suite, "properties")
    for key in ("scenario", "target", "users", "workers"):
        ET.SubElement(props, "property", name=key, value=str(summary.get(key, "")))
    for check in checks:
        case = ET.SubElement(suite, "testcase", classname=f"{suite_name}.slo", name=check.name, time="0")
        if not check.passed:
            failure = ET.SubElement(case, "failure", message=check.message, type="SloBreach")
            failure.text = check.message
        else:
            ET.SubElement(case, "system-out").text = check.message
    tree = ET.ElementTree(root)
    ET.indent(tree)
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    tree.write(path, encoding="utf-8", xml_declaration=True)
