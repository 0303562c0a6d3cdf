"""Bar charts drawn on the server as inline SVG: no JavaScript, no build step.

The chart is a picture of the report's own table, which the page shows beside it (screen
readers read the table; the SVG has a title and a one-line description and is otherwise
hidden from them). Text is escaped: labels come from the data (office codes, reasons).
"""

from __future__ import annotations

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

WIDTH = 640
HEIGHT = 240
LEFT = 48
BOTTOM = 40
TOP = 12
MAX_LABELS = 12  # beyond this, only every n-th bar is labelled, so that labels never overlap


def _nice_ceiling(value: float) -> float:
    """1, 2, 5 x 10^n at or above `value` (the axis' top)."""
    if value <= 0:
        return 1.0
    magnitude = 10 ** (len(str(int(value))) - 1)
    for step in (1, 2, 5, 10):
        if value <= step * magnitude:
            return float(step * magnitude)
    return float(10 * magnitude)


def _number(value: float) -> str:
    return f"{value:,.0f}" if value == int(value) else f"{value:,.1f}"


def bar_chart(*, title: str, series: list[tuple[str, float]], chart_id: str) -> SafeString:
    """An SVG bar chart of `series` ((label, value) in order)."""
    if not series:
        return mark_safe("")
    top = _nice_ceiling(max(v for _, v in series))
    plot_w, plot_h = WIDTH - LEFT - 8, HEIGHT - TOP - BOTTOM
    step = plot_w / len(series)
    bar_w = max(step * 0.7, 1.0)
    every = max(1, -(-len(series) // MAX_LABELS))
    parts = [
        f'<svg class="chart" id="{chart_id}" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-labelledby="{chart_id}-title {chart_id}-desc" preserveAspectRatio="xMidYMid meet">',
        f'<title id="{chart_id}-title">{escape(title)}</title>',
        f'<desc id="{chart_id}-desc">Bar chart of {len(series)} values, highest '
        f"{escape(_number(max(v for _, v in series)))}; the table below has every figure.</desc>",
    ]
    for fraction in (0, 0.5, 1):
        y = TOP + plot_h * (1 - fraction)
        parts.append(
            f'<line x1="{LEFT}" y1="{y:.1f}" x2="{WIDTH - 8}" y2="{y:.1f}" class="chart-grid"/>'
            f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end" class="chart-axis">'
            f"{escape(_number(top * fraction))}</text>"
        )
    for index, (label, value) in enumerate(series):
        h = plot_h * (value / top) if top else 0
        x = LEFT + index * step + (step - bar_w) / 2
        parts.append(
            f'<rect x="{x:.1f}" y="{TOP + plot_h - h:.1f}" width="{bar_w:.1f}" height="{h:.1f}" '
            f'class="chart-bar"><title>{escape(label)}: {escape(_number(value))}</title></rect>'
        )
        if index % every == 0:
            parts.append(
                f'<text x="{x + bar_w / 2:.1f}" y="{HEIGHT - BOTTOM + 16}" text-anchor="middle" '
                f'class="chart-axis">{escape(label[:12])}</text>'
            )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every text above is escaped
