"""The last hour of one function, minute by minute, as an inline SVG chart.

p50 and p99 per minute are lines on a log scale; calls per minute are bars on an axis of
their own below them; minutes with errors are marked. A minute without calls draws nothing,
so the lines break there. The time axis is in UTC minutes. For screen readers the chart has a
summary (`<desc>`) and a table of the minutes with calls; each minute has a `<title>` too.
Drawn on the server from the `history` of the statistics: no script.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from html import escape
from typing import Any

from .scales import axis_range, format_count, format_tick, log_ticks, ms_or_dash, nice_ceil

WIDTH, HEIGHT = 600, 254
LEFT, RIGHT = 48, 8
PLOT_WIDTH = WIDTH - LEFT - RIGHT
LATENCY_TOP, LATENCY_HEIGHT = 30, 104
CALLS_TOP, CALLS_HEIGHT = 168, 44
LINES = (("p50", "p50_ms"), ("p99", "p99_ms"))
#: Minutes between time labels: the first that leaves at most this many labels.
_LABEL_STEPS = (1, 2, 5, 10, 15, 30, 60, 120, 180, 360, 720)
_MAX_LABELS = 7


def history_svg(function: str, stats: Mapping[str, Any]) -> str:
    """The chart and its table of a function's `history` (oldest minute first), or a short note.

    `stats` is the function's entry in the statistics; nothing is drawn for a function never
    called (the page says so already).
    """
    minutes: Sequence[Mapping[str, Any]] = stats.get("history") or []
    if not stats.get("count") and not stats.get("errors"):
        return ""
    if not any(m.get("calls") or m.get("errors") for m in minutes):
        span = f"{len(minutes)} minutes" if minutes else "hour"
        return f'<p class="empty history-empty">No calls of {escape(function)} in the last {span}.</p>'
    return _svg(function, minutes) + _table(function, minutes)


def _svg(function: str, minutes: Sequence[Mapping[str, Any]]) -> str:
    n = len(minutes)
    slot = PLOT_WIDTH / n
    label = f"Latency per minute of {function}, last {n} minutes"
    values = [float(m[key]) for m in minutes for _, key in LINES if m.get(key)]
    low, high = axis_range(values)
    scale = math.log(high / low)
    latency_bottom = LATENCY_TOP + LATENCY_HEIGHT
    calls_bottom = CALLS_TOP + CALLS_HEIGHT
    top_calls = nice_ceil(max(int(m.get("calls") or 0) for m in minutes) or 1)

    def x_of(index: int) -> float:
        return LEFT + slot * (index + 0.5)

    log_low, per_log = math.log(low), LATENCY_HEIGHT / scale

    def y_of(ms: float) -> float:
        return latency_bottom - per_log * (math.log(min(max(ms, low), high)) - log_low)

    parts = [
        (
            f'<svg class="history" role="img" aria-label="{escape(label)}" '
            f'viewBox="0 0 {WIDTH} {HEIGHT}" width="100%" preserveAspectRatio="xMidYMid meet">'
        ),
        f"<title>{escape(label)}</title>",
        f"<desc>{escape(_summary(minutes))}</desc>",
        _legend(),
    ]
    for value in log_ticks(low, high):
        y = y_of(value)
        parts.append(f'<line class="grid" x1="{LEFT}" y1="{y:.1f}" x2="{LEFT + PLOT_WIDTH}" y2="{y:.1f}"/>')
        parts.append(f'<text class="tick" x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">{format_tick(value)}</text>')
    parts.append(f'<text class="caption" x="{LEFT - 6}" y="{LATENCY_TOP - 14}" text-anchor="end">ms</text>')
    parts.append(f'<text class="caption" x="{LEFT - 6}" y="{CALLS_TOP - 15}" text-anchor="end">calls</text>')
    for count in (0, top_calls):
        y = calls_bottom - CALLS_HEIGHT * count / top_calls
        parts.append(f'<line class="grid" x1="{LEFT}" y1="{y:.1f}" x2="{LEFT + PLOT_WIDTH}" y2="{y:.1f}"/>')
        parts.append(
            f'<text class="tick" x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">{format_count(count)}</text>'
        )
    parts.append(f'<line class="axis" x1="{LEFT}" y1="{calls_bottom}" x2="{LEFT + PLOT_WIDTH}" y2="{calls_bottom}"/>')
    # One pass over the minutes: each one's bar, error mark, pointer target and points, its HH:MM read once.
    dots: dict[str, list[str]] = {name: [] for name, _ in LINES}
    runs: dict[str, list[list[str]]] = {name: [] for name, _ in LINES}
    last_with: dict[str, int] = {name: -2 for name, _ in LINES}
    for index, minute in enumerate(minutes):
        calls, errors = int(minute.get("calls") or 0), int(minute.get("errors") or 0)
        if not calls and not errors:
            continue
        at = escape(_hhmm(minute))
        x = x_of(index)
        if calls:
            height = max(1.5, CALLS_HEIGHT * calls / top_calls)
            parts.append(
                f'<rect class="calls" data-minute="{at}" x="{x - slot * 0.4:.1f}" y="{calls_bottom - height:.1f}" '
                f'width="{slot * 0.8:.1f}" height="{height:.1f}"/>'
            )
        if errors:
            y = CALLS_TOP - 4
            parts.append(f'<path class="error-mark" data-minute="{at}" d="M{x - 4:.1f},{y - 6:.1f}h8l-4,6z"/>')
        # The whole column answers a pointer with the minute's figures.
        parts.append(
            f'<rect class="hit" x="{x - slot / 2:.1f}" y="{LATENCY_TOP}" width="{slot:.1f}" '
            f'height="{calls_bottom - LATENCY_TOP}"><title>{_describe(minute, at)}</title></rect>'
        )
        for name, key in LINES:
            ms = minute.get(key)
            if not ms:
                continue
            point = f"{x:.1f},{y_of(float(ms)):.1f}"
            if last_with[name] == index - 1:
                runs[name][-1].append(point)
            else:  # a minute without a value before: the line breaks
                runs[name].append([point])
            last_with[name] = index
            cx, cy = point.split(",")
            dots[name].append(f'<circle class="dot {name}" data-minute="{at}" cx="{cx}" cy="{cy}" r="2.2"/>')
    for name, _ in LINES:
        parts.extend(f'<polyline class="line {name}" points="{" ".join(run)}"/>' for run in runs[name])
        parts.extend(dots[name])
    parts.extend(_time_axis(minutes, x_of, calls_bottom))
    parts.append("</svg>")
    return "".join(parts)


def _legend() -> str:
    """What the marks mean, in a row above the plot, spaced for the larger text of narrow screens."""
    y = 14
    items = [
        f'<line class="line p50" x1="{LEFT}" y1="{y - 5}" x2="{LEFT + 18}" y2="{y - 5}"/>'
        f'<text x="{LEFT + 22}" y="{y}">p50</text>',
        f'<line class="line p99" x1="{LEFT + 80}" y1="{y - 5}" x2="{LEFT + 98}" y2="{y - 5}"/>'
        f'<text x="{LEFT + 102}" y="{y}">p99</text>',
        f'<rect class="calls" x="{LEFT + 160}" y="{y - 10}" width="8" height="10"/>'
        f'<text x="{LEFT + 172}" y="{y}">calls/min</text>',
        f'<path class="error-mark" d="M{LEFT + 290},{y - 9}h8l-4,6z"/><text x="{LEFT + 302}" y="{y}">errors</text>',
    ]
    return f'<g class="legend">{"".join(items)}</g>'


def _time_axis(minutes: Sequence[Mapping[str, Any]], x_of: Any, bottom: float) -> list[str]:
    """Ticks and HH:MM labels at round minutes, and the axis caption."""
    step = next((s for s in _LABEL_STEPS if len(minutes) / s <= _MAX_LABELS), _LABEL_STEPS[-1])
    parts: list[str] = []
    first = _hhmm(minutes[0]) if minutes else ""
    known = first[:2].isdigit() and first[3:].isdigit()
    # The minutes follow one another: the first's time of day gives every other's.
    start = int(first[:2]) * 60 + int(first[3:]) if known else 0
    for index in range(-start % step, len(minutes) if known else 0, step):
        at = (start + index) % 1440
        hhmm = f"{at // 60:02d}:{at % 60:02d}"
        x = x_of(index)
        parts.append(f'<line class="axis" x1="{x:.1f}" y1="{bottom}" x2="{x:.1f}" y2="{bottom + 4}"/>')
        anchor = "start" if x - LEFT < 16 else "end" if LEFT + PLOT_WIDTH - x < 16 else "middle"
        parts.append(f'<text class="tick" x="{x:.1f}" y="{bottom + 18}" text-anchor="{anchor}">{hhmm}</text>')
    parts.append(
        f'<text class="caption" x="{LEFT + PLOT_WIDTH}" y="{bottom + 38}" text-anchor="end">'
        "time (UTC), one column per minute</text>"
    )
    return parts


def _hhmm(minute: Mapping[str, Any]) -> str:
    """`2026-12-01T12:05:00Z` as `12:05`."""
    start = str(minute.get("start") or "")
    return start[11:16] if len(start) >= 16 else ""


def _describe(minute: Mapping[str, Any], at: str) -> str:
    """A minute's figures in words; ``at`` is its HH:MM, already escaped (the rest is numbers)."""
    calls, errors = int(minute.get("calls") or 0), int(minute.get("errors") or 0)
    text = f"{at} UTC: {calls:,} call{'' if calls == 1 else 's'}, {errors:,} error{'' if errors == 1 else 's'}"
    if minute.get("p50_ms") is not None:
        p50, p99, slowest = (ms_or_dash(minute.get(key)) for key in ("p50_ms", "p99_ms", "max_ms"))
        text += f"; p50 {p50}, p99 {p99}, max {slowest}"
    return text


def _summary(minutes: Sequence[Mapping[str, Any]]) -> str:
    """One sentence for screen readers: the totals, the slowest minute, the quiet minutes."""
    busy = [m for m in minutes if m.get("calls")]
    calls = sum(int(m.get("calls") or 0) for m in minutes)
    errors = sum(int(m.get("errors") or 0) for m in minutes)
    text = (
        f"From {_hhmm(minutes[0])} to {_hhmm(minutes[-1])} UTC: {calls:,} calls in {len(busy)} of "
        f"{len(minutes)} minutes, {errors:,} errors."
    )
    if busy:
        slowest = max(busy, key=lambda m: float(m.get("p99_ms") or 0))
        text += f" Highest p99 {ms_or_dash(slowest.get('p99_ms'))} at {_hhmm(slowest)}."
    return text


def _table(function: str, minutes: Sequence[Mapping[str, Any]]) -> str:
    """The minutes with calls or errors as a table, folded away under the chart."""
    rows = "".join(
        f'<tr data-minute="{at}"><td>{at}</td><td>{int(m.get("calls") or 0):,}</td>'
        f"<td>{int(m.get('errors') or 0):,}</td>"
        f"<td>{ms_or_dash(m.get('p50_ms'))}</td><td>{ms_or_dash(m.get('p99_ms'))}</td></tr>"
        for m in minutes
        if m.get("calls") or m.get("errors")
        for at in (escape(_hhmm(m)),)
    )
    return (
        f'<details class="history-table"><summary>Minutes with calls of {escape(function)}</summary>'
        '<table><thead><tr><th scope="col">Minute (UTC)</th><th scope="col">Calls</th>'
        '<th scope="col">Errors</th><th scope="col">p50</th><th scope="col">p99</th></tr></thead>'
        f"<tbody>{rows}</tbody></table></details>"
    )
