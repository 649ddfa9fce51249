"""The latency page: the timer extension's statistics as a table and inline SVG histograms.

Drawn on the server with no script or asset from the network, so it works
behind Snowflake's public endpoint and offline alike.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from html import escape
from typing import Any

from .startup_view import startup_section

# The chart's frame in SVG units: a gutter for the count axis on the left, room for the
# percentile labels on top and for the duration axis below the plot.
CHART_WIDTH, CHART_HEIGHT = 600, 196
PLOT_LEFT, PLOT_TOP, PLOT_WIDTH, PLOT_HEIGHT = 44, 26, 548, 122
DISPLAY_BINS = 24
_NICE_STEPS = (1.0, 2.0, 5.0)
MARKERS = ("p50", "p99")
# The extension's buckets grow by 2 % (python_worker_extension_timer.histogram.RATIO): a bucket
# reported by its upper bound b holds durations from b / 1.02 to b.
_HALF_BUCKET = math.sqrt(1.02)


def nice_floor(value: float) -> float:
    """The largest 1, 2 or 5 times a power of ten that is <= value (value > 0)."""
    exponent = math.floor(math.log10(value))
    for step in reversed(_NICE_STEPS):
        candidate = step * 10.0**exponent
        if candidate <= value * (1 + 1e-9):
            return candidate
    return 10.0 ** (exponent - 1) * 5


def nice_ceil(value: float) -> float:
    """The smallest 1, 2 or 5 times a power of ten that is >= value (value > 0)."""
    exponent = math.floor(math.log10(value))
    for step in (*_NICE_STEPS, 10.0):
        candidate = step * 10.0**exponent
        if candidate >= value * (1 - 1e-9):
            return candidate
    return 10.0 ** (exponent + 1)


def _next_nice(value: float) -> float:
    return nice_ceil(value * 1.5)


def axis_range(bounds_ms: Sequence[float]) -> tuple[float, float]:
    """A log-scale range from a round number below the fastest to one above the slowest bucket."""
    positive = [bound for bound in bounds_ms if bound > 0] or [1e-4]
    low, high = nice_floor(min(positive)), nice_ceil(max(positive))
    if high <= low:
        high = _next_nice(low)
    return low, high


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


def _ticks(low: float, high: float) -> list[float]:
    """Round durations to label on a log axis from low to high: every 1-2-5 step, or decades if crowded."""
    steps = _NICE_STEPS if math.log10(high / low) <= 3 else (1.0,)
    ticks = []
    for exponent in range(math.floor(math.log10(low)), math.ceil(math.log10(high)) + 1):
        for step in steps:
            value = step * 10.0**exponent
            if low * (1 - 1e-9) <= value <= high * (1 + 1e-9):
                ticks.append(value)
    return ticks


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
        f"<desc>{total:,} invocations between {_ms(low)} and {_ms(high)} ms, log scale</desc>",
    ]
    count_ticks = [0, top] if top < 2 or top % 2 else [0, top // 2, top]
    for count in count_ticks:
        y = y_of(count)
        parts.append(f'<line class="grid" x1="{PLOT_LEFT}" y1="{y:.1f}" x2="{PLOT_LEFT + PLOT_WIDTH}" y2="{y:.1f}"/>')
        parts.append(f'<text class="tick" x="{PLOT_LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">{_count(count)}</text>')
    for bar_low, bar_high, count in bars:
        x, width = x_of(bar_low), x_of(bar_high) - x_of(bar_low)
        height = 0 if count == 0 else max(2.0, PLOT_HEIGHT * count / top)
        parts.append(
            f'<rect class="bar" x="{x + 1:.1f}" y="{bottom - height:.1f}" width="{max(width - 2, 1):.1f}" '
            f'height="{height:.1f}"><title>{_ms(bar_low)}–{_ms(bar_high)} ms: {count:,} invocations</title></rect>'
        )
    parts.append(f'<line class="axis" x1="{PLOT_LEFT}" y1="{bottom}" x2="{PLOT_LEFT + PLOT_WIDTH}" y2="{bottom}"/>')
    for value in _ticks(low, high):
        x = x_of(value)
        anchor = "start" if x - PLOT_LEFT < 12 else "end" if PLOT_LEFT + PLOT_WIDTH - x < 12 else "middle"
        parts.append(f'<line class="axis" x1="{x:.1f}" y1="{bottom}" x2="{x:.1f}" y2="{bottom + 4}"/>')
        parts.append(f'<text class="tick" x="{x:.1f}" y="{bottom + 19}" text-anchor="{anchor}">{_tick(value)}</text>')
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


PERIODS = (("window", "Last 5 minutes"), ("total", "Since start"))


def figures_table(period: str, caption: str, stats: Mapping[str, Any]) -> str:
    """Count, errors, p50/p90/p99 and max of one period, as a one-row table."""
    cells = [
        ("Count", f"{stats.get('count', 0):,}"),
        ("Errors", f"{stats.get('errors', 0):,}"),
        ("p50", _ms_or_dash(stats.get("p50_ms"))),
        ("p90", _ms_or_dash(stats.get("p90_ms"))),
        ("p99", _ms_or_dash(stats.get("p99_ms"))),
        ("Max", _ms_or_dash(stats.get("max_ms"))),
    ]
    head = "".join(f'<th scope="col">{label}</th>' for label, _ in cells)
    row = "".join(f'<td data-stat="{label.lower()}">{value}</td>' for label, value in cells)
    return (
        f'<div class="stats" data-period="{period}"><table><caption>{escape(caption)}</caption>'
        f"<thead><tr>{head}</tr></thead><tbody><tr>{row}</tr></tbody></table></div>"
    )


def function_section(name: str, total: Mapping[str, Any], window: Mapping[str, Any] | None = None) -> str:
    """One function: its figures for the last minutes and since start, the last hour per minute, the histogram."""
    slug = escape(name)
    periods = {"window": window if window is not None else {}, "total": total}
    tables = "".join(figures_table(period, caption, periods[period]) for period, caption in PERIODS)
    histogram = total.get("histogram") or {}
    markers = {marker: total.get(f"{marker}_ms") for marker in MARKERS}
    chart = histogram_svg(name, histogram.get("bounds_ms", []), histogram.get("counts", []), markers=markers)
    from .history_chart import history_svg  # here: the chart module draws with this one's helpers

    return (
        f'<section class="function" data-function="{slug}" aria-labelledby="fn-{slug}">'
        f'<h2 id="fn-{slug}">{slug}</h2>{tables}{history_svg(name, total)}{chart}</section>'
    )


def processes_section(processes: Sequence[Mapping[str, Any]]) -> str:
    """Which worker processes the figures come from, and how many invocations each recorded."""
    if not processes:
        return ""
    rows = "".join(
        f'<tr data-pid="{escape(str(p.get("pid", "")))}"><td>{escape(str(p.get("pid", "")))}</td>'
        f'<td data-stat="count">{p.get("count", 0):,}</td><td data-stat="errors">{p.get("errors", 0):,}</td>'
        f"<td>{'running' if p.get('alive', True) else 'exited'}</td>"
        f'<td><time datetime="{escape(str(p.get("since", "")))}">'
        f"{escape(_clock_time(str(p.get('since', ''))))}</time></td></tr>"
        for p in processes
    )
    return (
        '<section class="processes" aria-labelledby="processes"><h2 id="processes">Worker processes</h2>'
        '<table><thead><tr><th scope="col">pid</th><th scope="col">Invocations</th><th scope="col">Errors</th>'
        f'<th scope="col">State</th><th scope="col">Since (UTC)</th></tr></thead><tbody>{rows}</tbody></table>'
        "</section>"
    )


def sections(snapshot: Mapping[str, Any]) -> str:
    functions = snapshot.get("functions") or {}
    if snapshot.get("enabled") is False:
        reason = str(snapshot.get("reason") or "nothing is being recorded")
        return f'<p class="empty" id="not-recording">Not recording: {escape(reason)}.</p>'
    if not functions:
        return (
            '<p class="empty">No statistics yet: the timer extension records invocations when '
            "<code>PYTHON_ENABLE_WORKER_EXTENSIONS</code> is <code>1</code> (Python 3.10 to 3.12) "
            "or when functions are decorated with <code>@timed</code>.</p>"
        )
    window = (snapshot.get("window") or {}).get("functions") or {}
    return (
        "".join(function_section(name, functions[name], window.get(name)) for name in sorted(functions))
        + startup_section(snapshot)
        + processes_section(snapshot.get("processes") or [])
    )


def _clock_time(iso: str) -> str:
    """`2026-12-01T03:14:51Z` as `03:14:51`: the day is the same for every process of a server, mostly."""
    return iso[11:19] if len(iso) >= 19 and iso[10] == "T" else iso


def _ms(value: float) -> str:
    if value >= 100:
        return f"{value:,.0f}"
    if value >= 1:
        return f"{value:.1f}"
    return f"{value:.3g}"


def _count(value: float) -> str:
    """A count axis label of at most four characters: 500, 1k, 20k, 1M."""
    for divisor, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if value >= divisor:
            return f"{value / divisor:g}{suffix}"
    return f"{value:g}"


def _tick(value: float) -> str:
    return f"{value:,.0f}" if value >= 1 else f"{value:g}"


def _ms_or_dash(value: float | None) -> str:
    return "–" if value is None else f"{_ms(value)} ms"
