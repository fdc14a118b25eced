"""`recqual qualify --quick` on the embedded emulator: qualified, a complete report, no secrets in it.

The emulator is a correct server, so anything but exit 0 here is a false alarm in the suite (or a
fault in the emulator): either way a defect that must not land.
"""

from __future__ import annotations

import base64
import json
import re
from typing import Any

import yaml

import specs

QualifyRun = Any  # the `quick_qualify` fixture's dataclass, see conftest.py

SECRETS = ("admin:admin", base64.b64encode(b"admin:admin").decode())


def test_qualify_exits_0_and_says_so(quick_qualify: QualifyRun) -> None:
    assert quick_qualify.returncode == 0, quick_qualify.stderr[-4000:]
    last = quick_qualify.stdout.strip().splitlines()[-1]
    assert re.fullmatch(
        r"QUALIFIED: (\d+)/(\d+) checks ran \(\d+%\), 0 failed, \d+ deviations?(; .*)?", last
    ), last
    assert "Traceback" not in quick_qualify.stderr


def test_progress_names_every_phase(quick_qualify: QualifyRun) -> None:
    for phase in ("[1/4] preflight", "[2/4] conformance suite", "[3/4] load pass", "[4/4] report"):
        assert phase in quick_qualify.stderr


def test_report_folder_has_every_artifact(quick_qualify: QualifyRun) -> None:
    out = quick_qualify.out
    for name in ("summary.html", "summary.json", "junit.xml", "contract-results.json"):
        assert (out / name).is_file(), name
    assert any((out / "allure-results").iterdir())
    for scenario in ("call-control", "races"):
        run = out / "load" / scenario
        assert (run / "summary.json").is_file(), scenario
        assert list(run.glob("*.html")), f"no Locust HTML report for {scenario}"


def test_summary_json_is_complete(quick_qualify: QualifyRun) -> None:
    summary = json.loads((quick_qualify.out / "summary.json").read_text())
    assert summary["schema"] == "recqual.summary/2"
    assert summary["verdict"] == "qualified" and summary["reasons"] == []
    assert summary["target"]["kind"] == "embedded-emulator" and summary["target"]["profile"] == "strict"
    assert isinstance(summary["run"]["seed"], int)
    families = {c["family"] for c in summary["checks"]}
    assert families >= {"schema", "filters", "paging", "transfer", "live-state", "races", "auth"}
    assert summary["races"]["rounds"] > 0 and summary["races"]["violations"] == 0
    assert {"startRecording", "stopRecording"} <= set(summary["latency"])


def test_every_observed_status_code_is_documented(quick_qualify: QualifyRun) -> None:
    """The emulator is correct, so each operation answered only codes its spec documents, and the
    suite saw every operation (the per-operation record `recqual diff` compares across upgrades)."""
    documented: dict[str, set[int]] = {}
    for spec in specs.VENDOR_SPECS:
        for item in yaml.safe_load(spec.read_text())["paths"].values():
            for op in item.values():
                documented[op["operationId"]] = {int(code) for code in op["responses"]}
    observed = json.loads((quick_qualify.out / "summary.json").read_text())["status_codes"]
    assert set(observed) == set(documented)
    for op, codes in observed.items():
        assert set(codes) <= documented[op], op
        assert 401 in codes, f"{op}: the auth matrix never sent it without credentials"


def test_no_password_or_authorization_value_anywhere(quick_qualify: QualifyRun) -> None:
    """Every file the run wrote, and everything it printed, is free of the credentials it used."""
    texts = [quick_qualify.stdout, quick_qualify.stderr]
    for path in quick_qualify.out.rglob("*"):
        if path.is_file():
            texts.append(path.read_bytes().decode("utf-8", errors="replace"))
    assert len(texts) > 10
    for secret in SECRETS:
        leaks = [i for i, text in enumerate(texts) if secret in text]
        assert not leaks, f"{secret!r} found in {len(leaks)} output(s)"


def test_nothing_is_written_outside_the_report_folder(quick_qualify: QualifyRun) -> None:
    """The run's folder holds the report and nothing else: no .hypothesis, no pytest cache."""
    assert sorted(p.name for p in quick_qualify.out.parent.iterdir()) == [quick_qualify.out.name]
