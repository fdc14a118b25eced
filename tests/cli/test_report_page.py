"""`summary.html` as a person sees it: rendered by headless Chromium, verdict and charts visible.

Chromium is Debian's (`/usr/bin/chromium`, installed by `.ci/run`), driven by Playwright; nothing is
downloaded. A screenshot of the real run's page is kept at `reports/summary-screenshot.png`.
"""

from __future__ import annotations

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
    page = browser.new_page(viewport={"width": 1200, "height": 900})
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
    screenshot = REPO / "reports" / "summary-screenshot.png"
    screenshot.parent.mkdir(exist_ok=True)
    page.screenshot(path=str(screenshot), full_page=True)
    assert screenshot.stat().st_size > 10_000


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
