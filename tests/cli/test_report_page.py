"""`summary.html` as a person sees it: rendered by headless Chromium, verdict and charts visible.

Chromium is Debian's (`/usr/bin/chromium`, installed by `.ci/run`), driven by Playwright; nothing is
downloaded. A screenshot of the real run's page is kept at `reports/summary-screenshot.png`.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from recqual.html import write_html
from recqual.summary import build_summary

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        pytest.fail("Chromium is not installed: `apt-get install chromium` (.ci/run does it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield instance
        instance.close()


def open_page(browser: Any, path: Path) -> Any:
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    page.goto(path.as_uri())
    page.wait_for_load_state("load")
    page.requests = requests
    return page


def test_real_report_shows_verdict_matrix_and_charts(browser: Any, quick_qualify: Any) -> None:
    page = open_page(browser, quick_qualify.out / "summary.html")
    verdict = page.locator("#verdict h1")
    assert verdict.is_visible() and verdict.inner_text() == "QUALIFIED"
    assert page.locator("#matrix").is_visible()
    assert page.locator("#matrix td.passed").count() > 0
    chart = page.locator("#latency-chart")
    assert chart.is_visible()
    box = chart.bounding_box()
    assert box is not None and box["width"] > 300 and box["height"] > 50
    bars = page.locator("#latency-chart rect")
    assert bars.count() >= 3 * 2  # p50/p95/p99 for at least two operations
    assert max(float(bars.nth(i).get_attribute("width") or 0) for i in range(bars.count())) > 100
    assert all(url.startswith("file://") for url in page.requests), "the page must not fetch anything"
    assert_no_horizontal_overflow(page)
    rows = page.locator("#latency-table tr")
    assert rows.count() == 1 + 14  # every vendor operation: figures, or why it was not exercised
    summary = json.loads((quick_qualify.out / "summary.json").read_text())
    for op, stats in summary["latency"].items():
        assert stats["p50"] <= stats["p95"] <= stats["p99"] <= stats["max"], op
        assert sum(stats["histogram"].values()) == stats["count"], op
    load = page.locator("#load")
    assert load.is_visible() and "users, spawn rate" in load.inner_text()
    screenshot = REPO / "reports" / "summary-screenshot.png"
    screenshot.parent.mkdir(exist_ok=True)
    page.screenshot(path=str(screenshot), full_page=True)
    assert screenshot.stat().st_size > 10_000


def assert_no_horizontal_overflow(page: Any) -> None:
    widths = page.evaluate(
        "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    assert widths[0] <= widths[1], f"the page is {widths[0]} px wide in a {widths[1]} px window"


def test_breaches_read_the_right_way_and_200_skips_fit_the_page(browser: Any, tmp_path: Path) -> None:
    """A failed gate in words (measured value, then the limit), the skips as a few reasons, and no
    horizontal scroll at 1280 px even with long ids and messages."""
    long_id = "auth/" + "listRecordings-" * 12 + "missing-credentials-are-401"
    checks = [
        {
            "id": f"{long_id}-{i}",
            "operation": "listRecordings",
            "family": "auth",
            "check": "c",
            "outcome": "skipped",
            "message": "Skipped: no credentials for role l0 " + "x" * 300
            if i % 2
            else "Skipped: read-only profile",
        }
        for i in range(200)
    ]
    load = {
        "scenario": "call-control",
        "users": 4,
        "spawn_rate": 4.0,
        "duration_s": 5.0,
        "totals": {"requests": 900, "failures": 3, "rps": 180.0},
        "operations": {
            "startRecording": {
                "count": 200,
                "failures": 3,
                "p50": 2.0,
                "p95": 700.0,
                "p99": 812.0,
                "max": 900.0,
                "histogram": {"2": 150, "700": 40, "812": 8, "900": 2},
            },
        },
        "failures": [
            {"operation": "startRecording", "message": "503 channels " + "y" * 400, "occurrences": 3}
        ],
        "slo": {
            "passed": False,
            "breaches": [{"operation": "startRecording", "metric": "p99", "limit": 500.0, "actual": 812.0}],
        },
        "exit_code": 1,
    }
    summary = build_summary(
        target={"url": "http://127.0.0.1:1", "kind": "server", "profile": "documented"},
        run={"started": "s", "finished": "f", "duration_s": 1.0, "seed": 7, "quick": True, "versions": {}},
        contract={"checks": checks},
        contract_exit=0,
        load_summaries={"call-control": load},
    )
    path = tmp_path / "summary.html"
    write_html(summary, path)
    page = open_page(browser, path)
    assert_no_horizontal_overflow(page)
    text = page.locator("#load").inner_text()
    assert "p99 of startRecording was 812 ms, the gate is 500 ms" in text
    assert page.locator("#skip-groups tr").count() == 1 + 2
    assert "not exercised by this run's load pass" in page.locator("#latency-table").inner_text()


def test_failed_report_is_red_and_escapes_what_the_server_sent(browser: Any, tmp_path: Path) -> None:
    hostile = '<img src=x onerror="document.title=\'pwned\'"><script>document.title="pwned"</script>'
    summary = build_summary(
        target={"url": "http://127.0.0.1:1", "kind": "server", "profile": "documented"},
        run={"started": "s", "finished": "f", "duration_s": 1.0, "seed": 7, "quick": True, "versions": {}},
        contract={
            "checks": [
                {
                    "nodeid": "n1",
                    "operation": "getRecording",
                    "family": "transfer",
                    "check": "hash-matches",
                    "provenance": "A-10",
                    "outcome": "failed",
                    "message": f"Received: {hostile}",
                    "curl": "curl -H 'Authorization: [REDACTED]' http://127.0.0.1:1/x",
                },
            ]
        },
        contract_exit=1,
        load_summaries={},
        load_skipped="read-only",
    )
    path = tmp_path / "summary.html"
    write_html(summary, path)
    page = open_page(browser, path)
    assert page.locator("#verdict h1").inner_text() == "NOT QUALIFIED"
    colour = page.eval_on_selector("#verdict", "e => getComputedStyle(e).backgroundColor")
    assert colour == "rgb(180, 35, 24)"
    assert page.title() != "pwned"
    assert hostile in page.locator("#failures").inner_text()
    assert page.locator("#matrix td.failed").count() == 1
