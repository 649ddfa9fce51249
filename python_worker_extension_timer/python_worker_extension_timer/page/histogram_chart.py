"""A function's latency histogram as an inline SVG bar chart: invocations per duration range, log scale.

The extension's fine buckets are folded into a couple of dozen bars between round numbers;
the percentiles since start are dashed lines. Colours come from the page's CSS classes.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from html import escape
from typing import Any

from ..histogram import RATIO
from .scales import axis_range, format_count, format_ms, format_tick, log_ticks, nice_ceil

# The chart's frame in SVG units: a gutter for the count axis on the left, room for the
# percentile labels on top and for the duration axis below the plot.
CHART_WIDTH, CHART_HEIGHT = 600, 196
PLOT_LEFT, PLOT_TOP, PLOT_WIDTH, PLOT_HEIGHT = 44, 26, 548, 122
DISPLAY_BINS = 24
# A bucket reported by its upper bound b holds durations from b / RATIO to b.
_HALF_BUCKET = math.sqrt(RATIO)


def rebin(
    bounds_ms: Sequence[float], counts: Sequence[int], bins: int = DISPLAY_BINS
) -> list[tuple[float, float, int]]:
    """Fold the extension's fine log-spaced buckets into `bins` log-spaced bars.

    The bars span round numbers (1, 2 or 5 times a power of ten) around the buckets seen, so a
    single invocation is a thin bar at its place on the axis, not the whole width. Each bucket,
    given by its upper bound, counts in the bar holding its middle. Returns (low_ms, high_ms,
    count) per bar, fastest first.
    """
    if not bounds_ms:
        return []
    low, high = axis_range(bounds_ms)
    step = math.log(high / low) / bins
    edges = [low * math.exp(step * i) for i in range(bins + 1)]
    edges[0], edges[-1] = low, high
    bars = [0] * bins
    for bound, count in zip(bounds_ms, counts, strict=True):
        middle = bound / _HALF_BUCKET  # the middle of the bucket ending at `bound`, on the log scale
        index = int(math.log(middle / low) / step) if middle > low else 0
        bars[min(bins - 1, max(0, index))] += count
    return [(edges[i], edges[i + 1], bars[i]) for i in range(bins)]


def histogram_svg(
    function: str,
    bounds_ms: Sequence[float],
    counts: Sequence[int],
    *,
    markers: Mapping[str, float | None] | None = None,
) -> str:
    """An inline SVG bar chart: invocations per duration range, durations on a log scale.

    `markers` (e.g. p50 and p99 in ms) are drawn as labelled dashed lines.
    """
    bars = rebin(bounds_ms, counts)
    label = f"Latency histogram of {function}"
    if not bars:
        return f'<p class="empty">No completed invocation of {escape(function)} yet.</p>'
    low, high = bars[0][0], bars[-1][1]
    total = sum(count for _, _, count in bars)
    top = nice_ceil(max(count for _, _, count in bars) or 1)
    bottom = PLOT_TOP + PLOT_HEIGHT
    scale = PLOT_WIDTH / math.log(high / low)

    def x_of(ms: float) -> float:
        return PLOT_LEFT + scale * math.log(min(max(ms, low), high) / low)

    def y_of(count: float) -> float:
        return bottom - PLOT_HEIGHT * count / top

    parts = [
        (
            f'<svg class="histogram" role="img" aria-label="{escape(label)}" '
            f'viewBox="0 0 {CHART_WIDTH} {CHART_HEIGHT}" width="100%" preserveAspectRatio="xMidYMid meet">'
        ),
        f"<title>{escape(label)}</title>",
        f"<desc>{total:,} invocations between {format_ms(low)} and {format_ms(high)} ms, log scale</desc>",
    ]
    count_ticks = [0, top] if top < 2 or top % 2 else [0, top // 2, top]
    for count in count_ticks:
        y = y_of(count)
        parts.append(f'<line class="grid" x1="{PLOT_LEFT}" y1="{y:.1f}" x2="{PLOT_LEFT + PLOT_WIDTH}" y2="{y:.1f}"/>')
        parts.append(
            f'<text class="tick" x="{PLOT_LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">{format_count(count)}</text>'
        )
    for bar_low, bar_high, count in bars:
        x, width = x_of(bar_low), x_of(bar_high) - x_of(bar_low)
        height = 0 if count == 0 else max(2.0, PLOT_HEIGHT * count / top)
        parts.append(
            f'<rect class="bar" x="{x + 1:.1f}" y="{bottom - height:.1f}" width="{max(width - 2, 1):.1f}" '
            f'height="{height:.1f}"><title>{format_ms(bar_low)}–{format_ms(bar_high)} ms: '
            f"{count:,} invocations</title></rect>"
        )
    parts.append(f'<line class="axis" x1="{PLOT_LEFT}" y1="{bottom}" x2="{PLOT_LEFT + PLOT_WIDTH}" y2="{bottom}"/>')
    for value in log_ticks(low, high):
        x = x_of(value)
        anchor = "start" if x - PLOT_LEFT < 12 else "end" if PLOT_LEFT + PLOT_WIDTH - x < 12 else "middle"
        parts.append(f'<line class="axis" x1="{x:.1f}" y1="{bottom}" x2="{x:.1f}" y2="{bottom + 4}"/>')
        parts.append(
            f'<text class="tick" x="{x:.1f}" y="{bottom + 19}" text-anchor="{anchor}">{format_tick(value)}</text>'
        )
    parts.append(
        f'<text class="caption" x="{PLOT_LEFT + PLOT_WIDTH}" y="{bottom + 41}" text-anchor="end">'
        "duration, ms (log scale)</text>"
        f'<text class="caption" x="{PLOT_LEFT}" y="{bottom + 41}">invocations per bar</text>'
    )
    for index, (names, x) in enumerate(_group_markers(markers or {}, x_of)):
        parts.append(f'<line class="marker" x1="{x:.1f}" y1="{PLOT_TOP - 18}" x2="{x:.1f}" y2="{bottom}"/>')
        # Labels sit in a lane above the bars: the first to the left of its line, the others to
        # the right, so two close lines keep their labels apart.
        left = index == 0 and x - PLOT_LEFT > 40 or PLOT_LEFT + PLOT_WIDTH - x < 40
        dx, anchor = (-4, "end") if left else (4, "start")
        parts.append(
            f'<text class="marker-label" x="{x + dx:.1f}" y="{PLOT_TOP - 8}" text-anchor="{anchor}">'
            f"{escape(' = '.join(names))}</text>"
        )
    parts.append("</svg>")
    return "".join(parts)


def _group_markers(markers: Mapping[str, float | None], x_of: Any) -> list[tuple[list[str], float]]:
    """Markers with a value, by position; those closer than a few units share one line and label."""
    groups: list[tuple[list[str], float]] = []
    for name, value in sorted(
        ((name, value) for name, value in markers.items() if value is not None and value > 0), key=lambda item: item[1]
    ):
        x = x_of(value)
        if groups and x - groups[-1][1] < 3:
            groups[-1][0].append(name)
        else:
            groups.append(([name], x))
    return groups
