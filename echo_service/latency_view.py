"""The latency page: the timer extension's statistics as a table and inline SVG histograms.

Drawn on the server with no script or asset from the network, so it works
behind Snowflake's public endpoint and offline alike.
"""

from __future__ import annotations

import math
from html import escape
from typing import Any, Mapping, Sequence

CHART_WIDTH, CHART_HEIGHT, AXIS_HEIGHT = 560, 140, 22
DISPLAY_BINS = 24


def rebin(bounds_ms: Sequence[float], counts: Sequence[int], bins: int = DISPLAY_BINS) -> list[tuple[float, float, int]]:
    """Fold the extension's fine log-spaced buckets into at most `bins` log-spaced bars.

    Returns (low_ms, high_ms, count) per bar, from the smallest to the largest bound seen.
    """
    if not bounds_ms:
        return []
    low, high = min(bounds_ms), max(bounds_ms)
    if high <= low:
        return [(low, high, sum(counts))]
    ratio = (high / low) ** (1 / bins)
    edges = [low * ratio**i for i in range(bins + 1)]
    edges[-1] = high
    bars = [0] * bins
    for bound, count in zip(bounds_ms, counts):
        index = min(bins - 1, int(math.log(bound / low, ratio))) if bound > low else 0
        bars[index] += count
    return [(edges[i], edges[i + 1], bars[i]) for i in range(bins)]


def histogram_svg(function: str, bounds_ms: Sequence[float], counts: Sequence[int]) -> str:
    bars = rebin(bounds_ms, counts)
    label = f"Latency histogram of {function}"
    if not bars:
        return f'<p class="empty">No completed invocation of {escape(function)} yet.</p>'
    tallest = max(count for _, _, count in bars) or 1
    width = CHART_WIDTH / len(bars)
    shapes = []
    for index, (low, high, count) in enumerate(bars):
        height = 0 if count == 0 else max(2.0, CHART_HEIGHT * count / tallest)
        x = index * width
        shapes.append(
            f'<rect class="bar" x="{x + 1:.1f}" y="{CHART_HEIGHT - height:.1f}" width="{width - 2:.1f}" '
            f'height="{height:.1f}"><title>{_ms(low)}–{_ms(high)} ms: {count:,} invocations</title></rect>'
        )
    ticks = []
    for index in (0, len(bars) // 2, len(bars)):
        edge = bars[min(index, len(bars) - 1)][0 if index < len(bars) else 1]
        anchor = "start" if index == 0 else "end" if index == len(bars) else "middle"
        ticks.append(
            f'<text x="{index * width:.1f}" y="{CHART_HEIGHT + 16}" text-anchor="{anchor}">{_ms(edge)} ms</text>'
        )
    return (
        f'<svg class="histogram" role="img" aria-label="{escape(label)}" viewBox="0 0 {CHART_WIDTH} '
        f'{CHART_HEIGHT + AXIS_HEIGHT}" width="100%" preserveAspectRatio="xMidYMid meet">'
        f"<title>{escape(label)}</title>"
        f'<line class="axis" x1="0" y1="{CHART_HEIGHT}" x2="{CHART_WIDTH}" y2="{CHART_HEIGHT}"/>'
        + "".join(shapes)
        + "".join(ticks)
        + "</svg>"
    )


def function_section(name: str, stats: Mapping[str, Any]) -> str:
    cells = [
        ("Count", f"{stats.get('count', 0):,}"),
        ("Errors", f"{stats.get('errors', 0):,}"),
        ("p50", _ms_or_dash(stats.get("p50_ms"))),
        ("p90", _ms_or_dash(stats.get("p90_ms"))),
        ("p99", _ms_or_dash(stats.get("p99_ms"))),
        ("Max", _ms_or_dash(stats.get("max_ms"))),
    ]
    slug = escape(name)
    head = "".join(f"<th scope=\"col\">{label}</th>" for label, _ in cells)
    row = "".join(f'<td data-stat="{label.lower()}">{value}</td>' for label, value in cells)
    histogram = stats.get("histogram") or {}
    chart = histogram_svg(name, histogram.get("bounds_ms", []), histogram.get("counts", []))
    return (
        f'<section class="function" data-function="{slug}" aria-labelledby="fn-{slug}">'
        f'<h2 id="fn-{slug}">{slug}</h2>'
        f"<table><thead><tr>{head}</tr></thead><tbody><tr>{row}</tr></tbody></table>"
        f"{chart}</section>"
    )


def sections(snapshot: Mapping[str, Any]) -> str:
    functions = snapshot.get("functions") or {}
    if not functions:
        return (
            '<p class="empty">No statistics yet: the timer extension records invocations only when '
            "<code>PYTHON_ENABLE_WORKER_EXTENSIONS</code> is <code>1</code>.</p>"
        )
    return "".join(function_section(name, functions[name]) for name in sorted(functions))


def _ms(value: float) -> str:
    if value >= 100:
        return f"{value:,.0f}"
    if value >= 1:
        return f"{value:.1f}"
    return f"{value:.3g}"


def _ms_or_dash(value: float | None) -> str:
    return "–" if value is None else f"{_ms(value)} ms"
