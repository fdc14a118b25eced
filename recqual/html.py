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

from recqual.summary import OPERATIONS, skip_reason

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


def latency_rows(summary: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Every vendor operation, measured or not: an operation the load pass did not exercise is a row
    that says so, never a silent gap (the chart shows only measured ones)."""
    latency = summary.get("latency") or {}
    load = summary.get("load") or {}
    why = (
        f"not exercised: {load['skipped']}" if "skipped" in load else "not exercised by this run's load pass"
    )
    rows = []
    for op in [*OPERATIONS, *sorted(set(latency) - set(OPERATIONS))]:
        stats = latency.get(op)
        if stats and stats.get("count"):
            scenarios = ", ".join(stats.get("by_scenario") or {})
            rows.append({"operation": op, "stats": stats, "scenarios": scenarios, "why": ""})
        else:
            rows.append({"operation": op, "stats": None, "scenarios": "", "why": why})
    return rows


def skip_groups(summary: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Skipped checks grouped by the reason a person can act on, largest group first: one row per
    reason and the check ids folded under it (a row per check ran to 200 rows and off the page)."""
    groups: dict[str, list[str]] = {}
    for check in summary.get("skipped") or []:
        reason = skip_reason(str(check.get("message") or ""))
        groups.setdefault(reason, []).append(
            str(check.get("id") or check.get("nodeid") or check.get("check"))
        )
    return [
        {"reason": reason, "count": len(ids), "checks": ids}
        for reason, ids in sorted(groups.items(), key=lambda kv: (-len(kv[1]), kv[0]))
    ]


def render(summary: Mapping[str, Any]) -> str:
    environment = jinja2.Environment(
        loader=jinja2.PackageLoader("recqual", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    template = environment.get_template("summary.html.j2")
    return template.render(
        s=summary,
        chart=latency_chart(summary.get("latency") or {}),
        latency_rows=latency_rows(summary),
        skip_groups=skip_groups(summary),
    )


def write_html(summary: Mapping[str, Any], path: Path) -> None:
    path.write_text(render(summary), encoding="utf-8")
