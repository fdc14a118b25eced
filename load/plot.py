"""The capacity step plot: one self-contained SVG (no script, no font or network fetch), pure Python.

Written next to summary.json as ``capacity.svg``. Time runs left to right; each step is a band as wide as
its measured window and as high as the rate it offered, green when the server held it and red when it
broke; a dark tick marks the rate achieved; a dashed line marks the highest rate held. The step's p99
from the intended start is written above its band. A person sees at a glance where the server gave way
and by how much the achieved rate fell behind.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from html import escape
from pathlib import Path
from typing import Any

WIDTH, HEIGHT = 720, 360
LEFT, RIGHT, TOP, BOTTOM = 64, 16, 40, 44
HELD, BROKEN, PARTIAL = "#4caf50", "#e53935", "#bdbdbd"


def _ticks(top: float, count: int = 5) -> list[float]:
    """Round axis ticks from 0 to at least ``top``."""
    if top <= 0:
        return [0.0, 1.0]
    raw = top / count
    magnitude = 10 ** len(str(int(raw))) / 10 if raw >= 1 else 0.1
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    ticks = [0.0]
    while ticks[-1] < top:
        ticks.append(round(ticks[-1] + step, 6))
    return ticks


def svg(capacity: Mapping[str, Any], *, title: str = "capacity: arrival rate steps") -> str:
    """The plot of a summary's ``capacity`` section (see ``load.rate_search.RateSearch.report``)."""
    steps: Sequence[Mapping[str, Any]] = capacity.get("steps") or []
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    top_rate = max([float(s["rate"]) for s in steps] + [float(s["achieved"]) for s in steps] + [1.0])
    y_ticks = _ticks(top_rate)
    y_max = y_ticks[-1]
    spans = [(float(s["started_s"]), float(s["seconds"])) for s in steps]
    t_end = max([start + max(length, 0.5) for start, length in spans] + [1.0])
    x_ticks = _ticks(t_end)
    t_max = x_ticks[-1]

    def x(t: float) -> float:
        return LEFT + plot_w * t / t_max

    def y(rate: float) -> float:
        return TOP + plot_h * (1 - rate / y_max)

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" font-family="sans-serif" font-size="11">',
        f"<title>{escape(title)}</title>",
        '<rect width="100%" height="100%" fill="white"/>',
        f'<text x="{LEFT}" y="18" font-size="13">{escape(title)}: highest rate held '
        f"{_rate(capacity.get('highest_rate'))}</text>",
    ]
    for tick in y_ticks:
        parts.append(
            f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y(tick):.1f}" y2="{y(tick):.1f}" stroke="#eee"/>'
            f'<text x="{LEFT - 6}" y="{y(tick) + 4:.1f}" text-anchor="end">{tick:g}</text>'
        )
    for tick in x_ticks:
        at = f'x="{x(tick):.1f}" y="{HEIGHT - BOTTOM + 16}"'
        parts.append(f'<text {at} text-anchor="middle">{tick:g}</text>')
    parts.append(
        f'<text x="{LEFT + plot_w / 2}" y="{HEIGHT - 8}" text-anchor="middle">run time (s)</text>'
        f'<text x="14" y="{TOP + plot_h / 2}" transform="rotate(-90 14 {TOP + plot_h / 2})" '
        'text-anchor="middle">requests/s</text>'
    )
    for step, (start, length) in zip(steps, spans, strict=True):
        colour = PARTIAL if step.get("partial") else HELD if step.get("held") else BROKEN
        x0, x1 = x(start), x(start + max(length, 0.2))
        rate, achieved = float(step["rate"]), float(step["achieved"])
        verdict = "partial" if step.get("partial") else "held" if step.get("held") else "broke"
        p99 = float(step["p99_intended_ms"])
        tip = f"{rate:g} req/s offered, {achieved:.1f} achieved, p99 {p99:g} ms: {verdict}"
        parts.append(
            f'<g class="step {verdict}"><title>{escape(tip)}</title>'
            f'<rect x="{x0:.1f}" y="{y(rate):.1f}" width="{x1 - x0:.1f}" height="{y(0) - y(rate):.1f}" '
            f'fill="{colour}" fill-opacity="0.55" stroke="{colour}"/>'
            f'<line x1="{x0:.1f}" x2="{x1:.1f}" y1="{y(achieved):.1f}" y2="{y(achieved):.1f}" '
            'stroke="#212121" stroke-width="2"/>'
            f'<text x="{(x0 + x1) / 2:.1f}" y="{y(rate) - 4:.1f}" text-anchor="middle" font-size="9">'
            f"{p99:g} ms</text></g>"
        )
    held = capacity.get("highest_rate")
    if held:
        parts.append(
            f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y(float(held)):.1f}" y2="{y(float(held)):.1f}" '
            'stroke="#1b5e20" stroke-dasharray="6 4"/>'
        )
    parts.append(
        f'<line x1="{LEFT}" x2="{LEFT}" y1="{TOP}" y2="{y(0):.1f}" stroke="#555"/>'
        f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y(0):.1f}" y2="{y(0):.1f}" stroke="#555"/>'
    )
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def _rate(value: Any) -> str:
    return f"{float(value):g} req/s" if value else "none"


def write(path: Path, capacity: Mapping[str, Any]) -> Path:
    path.write_text(svg(capacity), encoding="utf-8")
    return path
