"""The run's one JUnit file: preflight, every contract check by stable id, every load gate in words.

A CI dashboard that reads only junit.xml must see a breached gate fail and a check under the name the
rest of recqual uses (its stable id), and merging twice must not duplicate anything.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

from recqual.junit import write_junit

PYTEST_JUNIT = """<?xml version="1.0" encoding="utf-8"?>
<testsuites name="pytest tests"><testsuite name="pytest" errors="0" failures="1" skipped="0" tests="2">
<testcase classname="test_races" name="test_concurrent_starts[3]" time="0.5"><properties>
<property name="recqual.id" value="races/startRecording/concurrent-starts-one-201-others-429" />
<property name="recqual.family" value="races" /></properties>
<failure message="got 2x201">got 2x201, 1x429</failure></testcase>
<testcase classname="test_auth" name="test_missing[listRecordings]" time="0.1"><properties>
<property name="recqual.id" value="auth/listRecordings/missing-credentials-are-401" />
<property name="recqual.family" value="auth" /></properties></testcase>
</testsuite></testsuites>"""


def summary(**load: Any) -> dict[str, Any]:
    gates = [
        {
            "operation": "startRecording",
            "metric": "p99",
            "limit": 500.0,
            "actual": 812.0,
            "passed": False,
            "sentence": "p99 of startRecording was 812 ms, the gate is 500 ms",
        },
        {"operation": "*", "metric": "min_rps", "limit": 1.0, "actual": 90.0, "passed": True},
    ]
    return {
        "target": {
            "url": "http://x",
            "preflight": {
                "server": "recqual-emulator",
                "elapsed_s": 0.2,
                "capabilities": [{"family": "auth", "runs": True}],
            },
        },
        "checks": [],
        "load": load or {"call-control": {"exit_code": 1, "gates": gates, "breaches": [gates[0]]}},
    }


def cases(path: Path) -> dict[str, ET.Element]:
    root = ET.parse(path).getroot()
    return {f"{c.get('classname')} | {c.get('name')}": c for c in root.iter("testcase")}


def test_one_file_with_preflight_checks_by_id_and_gates_in_words(tmp_path: Path) -> None:
    path = tmp_path / "junit.xml"
    path.write_text(PYTEST_JUNIT)
    write_junit(path, summary())
    found = cases(path)
    assert set(found) == {
        "preflight | preflight",
        "contract.races | races/startRecording/concurrent-starts-one-201-others-429",
        "contract.auth | auth/listRecordings/missing-credentials-are-401",
        "load.slo.call-control | startRecording p99",
        "load.slo.call-control | min_rps",
    }
    gate = found["load.slo.call-control | startRecording p99"].find("failure")
    assert gate is not None and gate.get("message") == "p99 of startRecording was 812 ms, the gate is 500 ms"
    race = found["contract.races | races/startRecording/concurrent-starts-one-201-others-429"]
    assert race.find("failure") is not None
    props = {p.get("name"): p.get("value") for p in race.iter("property")}
    assert props["pytest.nodeid"] == "test_races::test_concurrent_starts[3]"
    root = ET.parse(path).getroot()
    assert (root.get("tests"), root.get("failures")) == ("5", "2")


def test_merging_again_changes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "junit.xml"
    path.write_text(PYTEST_JUNIT)
    write_junit(path, summary())
    once = path.read_text()
    write_junit(path, summary())
    assert path.read_text() == once


def test_a_skipped_load_pass_and_a_missing_pytest_file(tmp_path: Path) -> None:
    doc = summary(skipped="the read-only profile sends only GET requests")
    doc["checks"] = [
        {"id": "paging/listRecordings/pages-concatenate", "family": "paging", "outcome": "passed"}
    ]
    path = tmp_path / "junit.xml"
    write_junit(path, doc)
    found = cases(path)
    assert "contract.paging | paging/listRecordings/pages-concatenate" in found
    skipped = found["load.slo | load pass"].find("skipped")
    assert skipped is not None and "read-only" in str(skipped.get("message"))
