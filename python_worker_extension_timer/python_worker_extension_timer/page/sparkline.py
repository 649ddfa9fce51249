"""A function's last hour in a table cell: calls per minute as bars, p99 per minute as a line.

Small enough for a row of the overview (120 × 28), on the same log idea as the hour's chart:
the line's top and bottom are the hour's highest and lowest p99. Its text alternative says the
calls, the p99 range and the minutes with errors, so the row reads the same without the picture.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from html import escape
from typing import Any

from .scales import format_ms

WIDTH, HEIGHT = 120, 28
LINE_TOP, LINE_BOTTOM = 2.0, 17.0
BARS_BOTTOM, BARS_HEIGHT = 28.0, 9.0


def sparkline_svg(function: str, minutes: Sequence[Mapping[str, Any]]) -> str:
    """The hour of one function as an inline SVG, or a dash when no minute had a call."""
    busy = [m for m in minutes if m.get("calls") or m.get("errors")]
    if not busy:
        return '<span class="muted">–</span>'
    label = escape(describe(function, minutes))
    slot = WIDTH / max(len(minutes), 1)
    most = max(int(m.get("calls") or 0) for m in minutes) or 1
    p99s = [float(m["p99_ms"]) for m in busy if m.get("p99_ms")]
    low, high = (min(p99s), max(p99s)) if p99s else (1.0, 1.0)
    spread = math.log(high / low) if high > low > 0 else 0.0

    def y_of(ms: float) -> float:
        if spread == 0.0 or ms <= 0:
            return (LINE_TOP + LINE_BOTTOM) / 2
        return LINE_BOTTOM - (LINE_BOTTOM - LINE_TOP) * math.log(ms / low) / spread

    parts = [
        f'<svg class="spark" role="img" aria-label="{label}" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'width="{WIDTH}" height="{HEIGHT}"><title>{label}</title>'
    ]
    # The bars as one path each (calls, minutes with errors): a row's sparkline stays a handful of elements.
    width = f"{max(slot - 0.5, 0.5):.1f}"
    bars: dict[str, list[str]] = {"spark-calls": [], "spark-error": []}
    for index, minute in enumerate(minutes):
        calls = int(minute.get("calls") or 0)
        if calls:
            height = max(BARS_HEIGHT * calls / most, 1.0)
            bars["spark-error" if minute.get("errors") else "spark-calls"].append(
                f"M{index * slot:.1f} {BARS_BOTTOM:.0f}v-{height:.1f}h{width}v{height:.1f}z"
            )
    parts.extend(f'<path class="{css}" d="{"".join(d)}"/>' for css, d in bars.items() if d)
    points, runs = [], []
    for index, minute in enumerate(minutes):
        p99 = minute.get("p99_ms")
        if p99:
            points.append(f"{(index + 0.5) * slot:.1f},{y_of(float(p99)):.1f}")
        elif points:
            runs.append(points)
            points = []
    if points:
        runs.append(points)
    for run in runs:
        if len(run) == 1:
            x, y = run[0].split(",")
            parts.append(f'<circle class="spark-dot" cx="{x}" cy="{y}" r="1.5"/>')
        else:
            parts.append(f'<polyline class="spark-p99" points="{" ".join(run)}"/>')
    parts.append("</svg>")
    return "".join(parts)


def describe(function: str, minutes: Sequence[Mapping[str, Any]]) -> str:
    """The sparkline in words: calls in the hour, the p99 range per minute, how many minutes had errors."""
    calls = sum(int(m.get("calls") or 0) for m in minutes)
    p99s = [float(m["p99_ms"]) for m in minutes if m.get("p99_ms")]
    text = f"Last {len(minutes)} minutes of {function}: {calls:,} calls"
    if p99s:
        low, high = min(p99s), max(p99s)
        text += (
            f", p99 {format_ms(low)} ms per minute"
            if low == high
            else f", p99 from {format_ms(low)} to {format_ms(high)} ms per minute"
        )
    failing = sum(1 for m in minutes if m.get("errors"))
    if failing:
        text += f", errors in {failing} minute{'s' if failing != 1 else ''}"
    return text + "."
