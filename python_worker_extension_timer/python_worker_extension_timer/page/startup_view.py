"""The latency page's start-up panel: per worker process a timeline of its cold start, the slowest imports, first calls.

Read at a glance: one bar per process from its start to the end of its first
call, cut at the moments the timer saw (timer imported, app loaded,
listening), then the slowest imports as horizontal bars. Inline SVG, colours
from the page's CSS variables, so light and dark mode both work.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from html import escape
from typing import Any

WIDTH = 600
LABEL_WIDTH = 92
BAR_LEFT, BAR_WIDTH = LABEL_WIDTH, WIDTH - LABEL_WIDTH - 80
ROW_HEIGHT, BAR_HEIGHT = 30, 16

#: The phases of a cold start, in order: (key of the moment that ends it, label, CSS class).
PHASES = (
    ("timer_imported", "process start → timer imported", "phase-boot"),
    ("app_loaded", "timer imported → app loaded", "phase-app"),
    ("ready", "app loaded → first call done", "phase-first"),
)


def _seconds(value: float) -> str:
    return f"{value * 1000:,.0f} ms" if value < 10 else f"{value:,.1f} s"


def _ms(value: object) -> str:
    return f"{float(value):,.1f} ms"  # type: ignore[arg-type]


def timeline_svg(processes: Sequence[Mapping[str, Any]]) -> str:
    """One bar per process, from its start to its first answer, on a shared scale."""
    rows = [(p, p["startup"]) for p in processes if p.get("startup")]
    spans = []
    for _, record in rows:
        origin = record.get("process_started") or record.get("timer_imported")
        end = record.get("ready") or record.get("listening") or record.get("app_loaded")
        if origin is not None and end is not None:
            spans.append(end - origin)
    longest = max(spans, default=0.0) or 1.0
    height = ROW_HEIGHT * len(rows) + 30
    label = "Cold start of each worker process"
    parts = [
        f'<svg class="timeline" role="img" aria-label="{label}" viewBox="0 0 {WIDTH} {height}" width="100%">',
        f"<title>{label}</title>",
    ]
    for index, (process, record) in enumerate(rows):
        y = index * ROW_HEIGHT + 4
        origin = record.get("process_started") or record.get("timer_imported")
        parts.append(f'<text class="row-label" x="0" y="{y + 12}">pid {escape(str(process.get("pid", "")))}</text>')
        if origin is None:
            continue
        previous = origin
        for key, phase, css in PHASES:
            moment = record.get(key)
            if moment is None or moment < previous:
                continue
            x = BAR_LEFT + BAR_WIDTH * (previous - origin) / longest
            width = max(BAR_WIDTH * (moment - previous) / longest, 1.0)
            parts.append(
                f'<rect class="{css}" x="{x:.1f}" y="{y}" width="{width:.1f}" height="{BAR_HEIGHT}">'
                f"<title>pid {process.get('pid')}: {phase}, {_seconds(moment - previous)}</title></rect>"
            )
            previous = moment
        if record.get("listening") is not None:
            x = BAR_LEFT + BAR_WIDTH * (record["listening"] - origin) / longest
            parts.append(
                f'<line class="listening" x1="{x:.1f}" y1="{y - 2}" x2="{x:.1f}" y2="{y + BAR_HEIGHT + 2}">'
                f"<title>pid {process.get('pid')}: listening after {_seconds(record['listening'] - origin)}</title>"
                "</line>"
            )
        total = record.get("init_ms")
        text = "not ready yet" if total is None else _seconds(total / 1000)
        end_x = BAR_LEFT + BAR_WIDTH * (previous - origin) / longest
        parts.append(f'<text class="value" x="{end_x + 6:.1f}" y="{y + 12}">{text}</text>')
    legend_y = height - 8
    x = BAR_LEFT
    for _, phase, css in PHASES:
        parts.append(f'<rect class="{css}" x="{x}" y="{legend_y - 9}" width="10" height="10"/>')
        parts.append(f'<text class="legend" x="{x + 14}" y="{legend_y}">{escape(phase.split(" → ")[1])}</text>')
        x += 150
    parts.append("</svg>")
    return "".join(parts)


def imports_svg(imports: Sequence[Mapping[str, Any]], limit: int = 10) -> str:
    """The slowest imports (self time) as horizontal bars, with their cumulative time in the tooltip."""
    shown = list(imports)[:limit]
    if not shown:
        return '<p class="empty">No import profile: the timer was imported after the app\'s imports.</p>'
    slowest = max(float(entry["self_ms"]) for entry in shown) or 1.0
    height = ROW_HEIGHT * len(shown)
    label = "Slowest imports during start-up, self time"
    parts = [
        f'<svg class="imports" role="img" aria-label="{label}" viewBox="0 0 {WIDTH} {height}" width="100%">',
        f"<title>{label}</title>",
    ]
    for index, entry in enumerate(shown):
        y = index * ROW_HEIGHT + 4
        name = str(entry["module"])
        module = escape(name if len(name) <= 34 else "…" + name[-33:])
        processes = int(entry.get("processes", 1))
        width = max(BAR_WIDTH * 0.8 * float(entry["self_ms"]) / slowest, 1.0)
        left = 230
        parts.append(f'<text class="row-label" x="{left - 6}" y="{y + 12}" text-anchor="end">{module}</text>')
        parts.append(
            f'<rect class="import" x="{left}" y="{y}" width="{width * (WIDTH - left - 70) / BAR_WIDTH:.1f}" '
            f'height="{BAR_HEIGHT}"><title>{escape(name)} ({processes} process{"" if processes == 1 else "es"}): '
            f"{float(entry['self_ms']):.1f} ms self, {float(entry['cumulative_ms']):.1f} ms cumulative</title></rect>"
        )
        parts.append(
            f'<text class="value" x="{left + width * (WIDTH - left - 70) / BAR_WIDTH + 6:.1f}" y="{y + 12}">'
            f"{float(entry['self_ms']):,.1f} ms</text>"
        )
    parts.append("</svg>")
    return "".join(parts)


def first_calls_table(first_calls: Mapping[str, Sequence[Mapping[str, Any]]]) -> str:
    """Each function's cold first calls, one per process, apart from its warm latency."""
    if not first_calls:
        return ""
    rows = "".join(
        f'<tr data-function="{escape(name)}"><td>{escape(name)}</td><td>{len(calls)}</td>'
        f"<td>{', '.join(_ms(call['duration_ms']) for call in calls)}</td></tr>"
        for name, calls in first_calls.items()
    )
    return (
        '<table class="first-calls"><caption>First calls (cold), one per worker process</caption>'
        '<thead><tr><th scope="col">Function</th><th scope="col">Cold starts</th><th scope="col">Durations</th>'
        f"</tr></thead><tbody>{rows}</tbody></table>"
    )


def startup_section(snapshot: Mapping[str, Any]) -> str:
    """The whole panel, or nothing when no process has a start-up record."""
    summary = snapshot.get("startup") or {}
    processes = [p for p in snapshot.get("processes") or [] if p.get("startup")]
    if not processes:
        return ""
    ready = summary.get("time_to_ready_ms") or {}
    figures = (
        f"{summary.get('process_starts', len(processes))} process start"
        + ("" if summary.get("process_starts", len(processes)) == 1 else "s")
        + (
            f", time to ready p50 {_seconds(ready['p50'] / 1000)}, max {_seconds(ready['max'] / 1000)}"
            if ready.get("p50") is not None
            else ""
        )
    )
    return (
        '<section class="startup" aria-labelledby="startup"><h2 id="startup">Cold starts</h2>'
        f'<p class="note" data-stat="startup">{escape(figures)}</p>'
        f"{timeline_svg(processes)}"
        "<h3>Slowest imports</h3>"
        f"{imports_svg(summary.get('slowest_imports') or [])}"
        f"{first_calls_table(summary.get('first_calls') or {})}"
        "</section>"
    )
