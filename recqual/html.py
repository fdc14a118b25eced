"""`summary.html`: one self-contained page a person opens or attaches to a ticket.

Everything is inline (CSS, SVG charts, no scripts, no fonts, no network), so the page reads the same
from a CI artifact, an e-mail attachment or an air-gapped laptop. Jinja2 with autoescaping renders it:
server answers end up on this page, and a hostile server must not be able to inject markup.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import jinja2

PERCENTILES = (("p50", "#4c78a8"), ("p95", "#f58518"), ("p99", "#e45756"))
BAR_HEIGHT = 9
ROW_GAP = 8
LABEL_WIDTH = 190
PLOT_WIDTH = 460


def latency_chart(latency: Mapping[str, Mapping[str, float]]) -> dict[str, Any]:
    """Geometry of a horizontal grouped bar chart: per operation, one bar per percentile."""
    rows = []
    peak = max((stats.get("p99", 0.0) for stats in latency.values()), default=0.0) or 1.0
    y = 0
    for op in sorted(latency):
        stats = latency[op]
        bars = []
        for index, (name, colour) in enumerate(PERCENTILES):
            value = float(stats.get(name, 0.0))
            bars.append(
                {
                    "name": name,
                    "value": value,
                    "colour": colour,
                    "y": y + index * BAR_HEIGHT,
                    "width": max(1.0, PLOT_WIDTH * value / peak),
                }
            )
        rows.append({"operation": op, "y": y, "bars": bars, "label_y": y + BAR_HEIGHT * 2})
        y += BAR_HEIGHT * len(PERCENTILES) + ROW_GAP
    return {
        "rows": rows,
        "height": max(y, 1) + 24,
        "label_width": LABEL_WIDTH,
        "plot_width": PLOT_WIDTH,
        "peak": peak,
        "legend": PERCENTILES,
    }


def render(summary: Mapping[str, Any]) -> str:
    environment = jinja2.Environment(
        loader=jinja2.PackageLoader("recqual", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    template = environment.get_template("summary.html.j2")
    return template.render(s=summary, chart=latency_chart(summary.get("latency") or {}))


def write_html(summary: Mapping[str, Any], path: Path) -> None:
    path.write_text(render(summary), encoding="utf-8")
