"""One JUnit XML per run: the preflight, every conformance check and every load SLO gate.

A CI dashboard reads one file per job. pytest writes its own ``junit.xml`` of the conformance checks and
each load scenario writes one of its gates; a job that fails on a gate or on the preflight showed green
checks only. ``write_junit`` merges them from ``summary.json`` (the run's facts) and pytest's file:

    testsuite recqual.preflight   one testcase, classname ``preflight``
    testsuite recqual.contract    pytest's testcases, named by the stable check id (``recqual.id``,
                                  e.g. ``races/startRecording/concurrent-starts-one-201-others-429``),
                                  classname ``contract.<family>``; pytest's own name is kept as the
                                  property ``pytest.nodeid``, its failure text and output unchanged
    testsuite recqual.load        one testcase per SLO gate, classname ``load.slo.<scenario>``, name the
                                  gate ("startRecording p99"), a failure message in words: "p99 of
                                  startRecording was 812 ms, the gate is 500 ms"
    testsuite recqual.baseline    (``qualify --baseline`` only) one testcase, failed on a regression

Stdlib ``xml.etree`` only. Writing is idempotent: pytest's file may be the output path itself (the
merge reads it first), and a file merged already is recognised and merged again without duplicates.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from load.slo import sentence

ROOT_NAME = "recqual"
CONTRACT_SUITE = "recqual.contract"


def write_junit(path: Path, summary: Mapping[str, Any], contract_junit: Path | None = None) -> None:
    """Write the run's one JUnit file to ``path`` (``contract_junit``: pytest's, default ``path``)."""
    tree = build(summary, contract_junit if contract_junit is not None else path)
    ET.indent(tree)
    path.parent.mkdir(parents=True, exist_ok=True)
    tree.write(path, encoding="utf-8", xml_declaration=True)


def build(summary: Mapping[str, Any], contract_junit: Path | None) -> ET.ElementTree:
    """The merged document: preflight, contract, load, baseline suites under one ``testsuites``."""
    root = ET.Element("testsuites", name=ROOT_NAME)
    suites = [
        _suite("recqual.preflight", [_preflight_case(summary)]),
        _suite(CONTRACT_SUITE, _contract_cases(summary, contract_junit)),
        _suite("recqual.load", _load_cases(summary.get("load") or {})),
    ]
    if summary.get("baseline"):
        suites.append(_suite("recqual.baseline", [_baseline_case(summary["baseline"])]))
    for suite in suites:
        root.append(suite)
    _count(root, suites)
    return ET.ElementTree(root)


def _suite(name: str, cases: Iterable[ET.Element]) -> ET.Element:
    suite = ET.Element("testsuite", name=name)
    for case in cases:
        suite.append(case)
    _count(suite, list(suite))
    return suite


def _count(element: ET.Element, children: list[ET.Element]) -> None:
    """tests/failures/errors/skipped/time attributes, summed over testcases (or child suites)."""
    if element.tag == "testsuites" or not children or children[0].tag == "testsuite":
        keys = ("tests", "failures", "errors", "skipped")
        totals = {k: sum(int(c.get(k, "0")) for c in children) for k in keys}
        seconds = sum(float(c.get("time", "0") or 0) for c in children)
    else:
        totals = {
            "tests": len(children),
            "failures": sum(c.find("failure") is not None for c in children),
            "errors": sum(c.find("error") is not None for c in children),
            "skipped": sum(c.find("skipped") is not None for c in children),
        }
        seconds = sum(float(c.get("time", "0") or 0) for c in children)
    for key, value in totals.items():
        element.set(key, str(value))
    element.set("time", f"{seconds:.3f}")


def _case(classname: str, name: str, seconds: float = 0.0) -> ET.Element:
    return ET.Element("testcase", classname=classname, name=name, time=f"{seconds:.3f}")


def _preflight_case(summary: Mapping[str, Any]) -> ET.Element:
    """Passed when the run got past it (a failed preflight is exit 2 and no report); what it found
    (server, control plane, skipped families) is its output."""
    pre = (summary.get("target") or {}).get("preflight")
    case = _case("preflight", "preflight", float((pre or {}).get("elapsed_s") or 0))
    if not pre:
        ET.SubElement(case, "skipped", message="no preflight recorded in summary.json")
        return case
    lines = [f"{pre.get('server')} at {pre.get('url', (summary.get('target') or {}).get('url'))}"]
    lines += [
        f"{c.get('family')}: {'runs' if c.get('runs') else 'skipped'}"
        + (f" ({c.get('why')})" if c.get("why") else "")
        for c in pre.get("capabilities") or []
    ]
    lines += [f"note: {w}" for w in pre.get("warnings") or []]
    ET.SubElement(case, "system-out").text = "\n".join(lines)
    return case


def _contract_cases(summary: Mapping[str, Any], junit: Path | None) -> list[ET.Element]:
    """pytest's testcases renamed by stable id; without pytest's file, the summary's check rows."""
    cases = _pytest_cases(junit) if junit is not None and junit.is_file() else None
    if cases is None:
        return [_case_of_check(check) for check in summary.get("checks") or []]
    return [_renamed(case) for case in cases]


def _pytest_cases(junit: Path) -> list[ET.Element] | None:
    try:
        root = ET.parse(junit).getroot()
    except (ET.ParseError, OSError):
        return None
    if root.get("name") == ROOT_NAME:  # merged already: take the contract suite as it is
        suites = [suite for suite in root.iter("testsuite") if suite.get("name") == CONTRACT_SUITE]
        return [case for suite in suites for case in suite]
    return list(root.iter("testcase"))


def _renamed(case: ET.Element) -> ET.Element:
    properties = {p.get("name"): p.get("value") for p in case.iter("property")}
    check_id = properties.get("recqual.id")
    if not check_id or properties.get("pytest.nodeid"):  # not one of ours, or renamed already
        return case
    props = case.find("properties")
    if props is None:
        props = ET.SubElement(case, "properties")
    nodeid = f"{case.get('classname')}::{case.get('name')}"
    ET.SubElement(props, "property", name="pytest.nodeid", value=nodeid)
    case.set("name", check_id)
    case.set("classname", f"contract.{properties.get('recqual.family') or check_id.split('/', 1)[0]}")
    return case


def _case_of_check(check: Mapping[str, Any]) -> ET.Element:
    name = str(check.get("id") or check.get("nodeid") or check.get("check"))
    case = _case(f"contract.{check.get('family') or 'unknown'}", name, float(check.get("duration_s") or 0))
    outcome, message = check.get("outcome"), str(check.get("message") or "")
    if outcome == "failed":
        ET.SubElement(case, "failure", message=message.split("\n", 1)[0][:500]).text = message
    elif outcome == "skipped":
        ET.SubElement(case, "skipped", message=message[:500])
    return case


def _load_cases(load: Mapping[str, Any]) -> list[ET.Element]:
    """Every SLO gate of every scenario; a skipped pass is one skipped testcase, a scenario that broke
    (no gates: it never got to judge) one error."""
    if "skipped" in load:
        case = _case("load.slo", "load pass")
        ET.SubElement(case, "skipped", message=str(load["skipped"]))
        return [case]
    cases = []
    for scenario, section in load.items():
        gates = section.get("gates") or [{**b, "passed": False} for b in section.get("breaches") or []]
        for gate in gates:
            cases.append(_gate_case(scenario, gate))
        if section.get("exit_code") not in (0, 1) or not gates:
            case = _case(f"load.slo.{scenario}", "run")
            ET.SubElement(
                case,
                "error",
                message=f"the {scenario} scenario did not complete (exit code "
                f"{section.get('exit_code')}); see {section.get('report_dir')}",
            )
            cases.append(case)
    return cases


def _gate_case(scenario: str, gate: Mapping[str, Any]) -> ET.Element:
    op, metric = str(gate.get("operation", "*")), str(gate.get("metric", ""))
    case = _case(f"load.slo.{scenario}", metric if op == "*" else f"{op} {metric}")
    words = str(gate.get("sentence") or sentence(gate))
    if gate.get("passed"):
        ET.SubElement(case, "system-out").text = words
    else:
        ET.SubElement(case, "failure", message=words, type="SloBreach").text = words
    return case


def _baseline_case(baseline: Mapping[str, Any]) -> ET.Element:
    case = _case("baseline", f"no regression against {baseline.get('path')}")
    regressions = list(baseline.get("regressions") or [])
    if regressions:
        message = f"{len(regressions)} regression(s): {regressions[0]}"
        ET.SubElement(case, "failure", message=message, type="Regression").text = "\n".join(regressions)
    notes = list(baseline.get("notes") or [])
    if notes:
        ET.SubElement(case, "system-out").text = "\n".join(notes)
    return case
