"""Pair coverage travels from a check's results row to summary.json and the report page."""

from __future__ import annotations

from recqual.html import render
from recqual.summary import build_summary

RUN = {"quick": True, "seed": 1, "started": "s", "finished": "f", "duration_s": 1.0, "versions": {}}


def test_pair_figures_reach_the_summary_and_the_page() -> None:
    entry = {
        "operation": "listRecordings",
        "cases": 9,
        "dimensions": ["filter", "operator", "page"],
        "pairs_covered": 20,
        "pairs_total": 24,
        "percent": 83.3,
        "missing": ["filter='direction' & operator='contains'"],
    }
    checks = [
        {"id": "filters/listRecordings/pairs", "family": "filters", "outcome": "passed", "pairs": [entry]},
        {"id": "auth/getRecording/levels", "family": "auth", "outcome": "passed"},
    ]
    summary = build_summary(
        target={"url": "http://x", "kind": "server", "profile": "documented"},
        run=RUN,
        contract={"checks": checks},
        contract_exit=0,
        load_summaries={},
        load_skipped="read-only",
    )
    assert summary["pair_coverage"] == [{"check": "filters/listRecordings/pairs", **entry}]
    page = render(summary)
    assert "Pair coverage per operation" in page
    assert "20/24" in page and "83.3" in page
    assert "never reached: filter=&#39;direction&#39; &amp; operator=&#39;contains&#39;" in page


def test_no_covering_array_check_no_section() -> None:
    summary = build_summary(
        target={"url": "http://x", "kind": "server", "profile": "documented"},
        run=RUN,
        contract={"checks": [{"id": "a/b/c", "family": "auth", "outcome": "passed"}]},
        contract_exit=0,
        load_summaries={},
        load_skipped="read-only",
    )
    assert summary["pair_coverage"] == []
    assert "Pair coverage per operation" not in render(summary)
