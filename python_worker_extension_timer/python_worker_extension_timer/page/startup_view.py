"""The latency page's start-up panel: per worker process a timeline of its cold start, the slowest imports, first calls.

Read at a glance: one bar per process from its start to the moment it could serve (ready), cut
at the moments the timer saw. Where the server imported the timer first (ours), the bar reads
interpreter start → server imports → the app's import → until ready; under Azure's worker, the
app imports the timer, so everything before it is one segment, "worker start, before the app
was imported", with the number of modules loaded by then. The first call comes after ready and
is written beside the bar (its duration and its wait), not drawn to scale: an idle wait would
squash every bar. Then the slowest imports as horizontal bars, and a table of the same start-ups
for screen readers. Inline SVG, colours from the page's CSS variables (light and dark mode).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from html import escape
from typing import Any

WIDTH = 600
LABEL_WIDTH = 92
BAR_LEFT, BAR_WIDTH = LABEL_WIDTH, WIDTH - LABEL_WIDTH - 262
ROW_HEIGHT, BAR_HEIGHT = 30, 16

#: The phases a bar may have, in order: (CSS class, legend); the legend names those drawn.
LEGEND = (
    ("phase-boot", "start, before the timer"),
    ("phase-server", "server imports"),
    ("phase-app", "app import"),
    ("phase-ready", "until ready"),
)
#: How many package imports a segment's description names.
NAMED_PACKAGES = 4


def _seconds(value: float) -> str:
    return f"{value * 1000:,.0f} ms" if value < 10 else f"{value:,.1f} s"


def _ms(value: object) -> str:
    return f"{float(value):,.1f} ms"  # type: ignore[arg-type]


def packages_between(record: Mapping[str, Any], start: float, end: float) -> list[tuple[Mapping[str, Any], list[Any]]]:
    """The outermost package imports whose middle lies between two moments, longest first, each with the
    package imports inside it (longest first).

    Their times count from the timer's import (the profiler's start); the middle, not the
    start, decides, so an import that began as the segment began is not put in the one before.
    """
    timer = record.get("timer_imported")
    entries = ((record.get("imports") or {}).get("packages")) or []
    if timer is None:
        return []
    spans = [(float(e["started_ms"]), float(e["started_ms"]) + float(e["cumulative_ms"]), e) for e in entries]
    found = []
    for s, f, entry in spans:
        if not start <= timer + (s + f) / 2000 < end:
            continue
        if any(s2 <= s and f <= f2 and e2 is not entry for s2, f2, e2 in spans):
            continue
        inner = [e2 for s2, f2, e2 in spans if s <= s2 and f2 <= f and e2 is not entry]
        found.append((entry, sorted(inner, key=lambda e: -float(e["cumulative_ms"]))))
    return sorted(found, key=lambda pair: -float(pair[0]["cumulative_ms"]))


def phases(record: Mapping[str, Any]) -> list[tuple[str, str, float, float]]:
    """The segments of one start-up: (CSS class, what it was, start, end), in order, from its origin to ready."""
    origin = record.get("origin")
    timer, app_start = record.get("timer_imported"), record.get("app_import_started")
    app_loaded, ready = record.get("app_loaded"), record.get("ready")
    if origin is None:
        return []
    found: list[tuple[str, str, float, float]] = []
    if timer is not None and timer > origin:
        if app_start is not None:
            found.append(("phase-boot", "interpreter start, until the server's first import", origin, timer))
        else:
            modules = record.get("modules_before_timer")
            count = "" if modules is None else f", {modules:,} modules loaded"
            found.append(("phase-boot", f"worker start, before the app was imported{count}", origin, timer))
    if app_start is not None and timer is not None and app_loaded is not None:
        found.append(("phase-server", _named("server imports", record, timer, app_start), timer, app_start))
        found.append(("phase-app", _named("app import", record, app_start, app_loaded), app_start, app_loaded))
    elif timer is not None and app_loaded is not None:
        found.append(("phase-app", _named("app import, after the timer", record, timer, app_loaded), timer, app_loaded))
    if ready is not None and app_loaded is not None:
        found.append(("phase-ready", f"until ready ({record.get('ready_by') or 'ready'})", app_loaded, ready))
    return [(css, what, start, end) for css, what, start, end in found if end >= start]


def _named(what: str, record: Mapping[str, Any], start: float, end: float) -> str:
    """``server imports: container.loader 80 ms (azure.functions 60 ms), uvicorn 40 ms``."""
    named = packages_between(record, start, end)[:NAMED_PACKAGES]
    if not named:
        return what

    def one(entry: Mapping[str, Any], inner: list[Any]) -> str:
        text = f"{entry['module']} {_seconds(float(entry['cumulative_ms']) / 1000)}"
        if inner:
            text += " (" + ", ".join(f"{e['module']} {_seconds(float(e['cumulative_ms']) / 1000)}" for e in inner[:2])
            text += ")"
        return text

    return what + ": " + ", ".join(one(entry, inner) for entry, inner in named)


def first_call_text(record: Mapping[str, Any]) -> str:
    """first call echo 0.2 ms, 4.8 s after ready, or why there is none yet."""
    name = record.get("first_call")
    call = (record.get("first_calls") or {}).get(name) if name else None
    if call is None:
        return "no call yet"
    wait = record.get("first_call_wait_ms")
    after = "" if wait is None else f", {_seconds(float(wait) / 1000)} after ready"
    return f"first call {name} {_ms(call['duration_ms'])}{after}"


def _call_after(record: Mapping[str, Any]) -> str:
    """``" · 1st call +4.8 s"``: when the first call came after ready (its duration is in the table)."""
    wait = record.get("first_call_wait_ms")
    return "" if wait is None else f" · 1st call +{_seconds(float(wait) / 1000)}"


def timeline_svg(processes: Sequence[Mapping[str, Any]]) -> str:
    """One bar per process, from its start to ready, on a shared scale; the first call written after it."""
    rows = [(p, p["startup"]) for p in processes if p.get("startup")]
    # Every bar starts at its origin: the longest is the slowest time to ready (init_ms).
    ready_after = [float(record["init_ms"]) / 1000 for _, record in rows if record.get("init_ms") is not None]
    longest = max(ready_after, default=0.0) or 1.0
    height = ROW_HEIGHT * len(rows) + 30
    label = "Cold start of each worker process, from its start to ready (the table below gives the figures)"
    parts = [
        f'<svg class="timeline" role="img" aria-label="{label}" viewBox="0 0 {WIDTH} {height}" width="100%">',
        f"<title>{label}</title>",
    ]
    drawn: set[str] = set()
    for index, (process, record) in enumerate(rows):
        y = index * ROW_HEIGHT + 4
        origin = record.get("origin")
        pid = escape(str(process.get("pid", "")))
        parts.append(f'<text class="row-label" x="0" y="{y + 12}">pid {pid}</text>')
        if origin is None:
            continue
        end_x = float(BAR_LEFT)
        for css, what, start, end in phases(record):
            drawn.add(css)
            x = BAR_LEFT + BAR_WIDTH * (start - origin) / longest
            width = max(BAR_WIDTH * (end - start) / longest, 1.0)
            parts.append(
                f'<rect class="{css}" x="{x:.1f}" y="{y}" width="{width:.1f}" height="{BAR_HEIGHT}">'
                f"<title>pid {pid}: {escape(what)}, {_seconds(end - start)}</title></rect>"
            )
            end_x = max(end_x, x + width)
        init = record.get("init_ms")
        text = "not ready yet" if init is None else f"ready {_seconds(float(init) / 1000)}{_call_after(record)}"
        parts.append(f'<text class="value" x="{end_x + 6:.1f}" y="{y + 12}">{escape(text)}</text>')
    legend_y = height - 8
    x = BAR_LEFT - 92
    for css, name in (entry for entry in LEGEND if entry[0] in drawn):
        parts.append(f'<rect class="{css}" x="{x}" y="{legend_y - 9}" width="10" height="10"/>')
        parts.append(f'<text class="legend" x="{x + 14}" y="{legend_y}">{escape(name)}</text>')
        x += 14 + 8 * len(name) + 18
    parts.append("</svg>")
    return "".join(parts)


def startup_table(processes: Sequence[Mapping[str, Any]]) -> str:
    """The timeline's figures as a table: each process's phases, ready and its first call."""
    rows = []
    for process in processes:
        record = process.get("startup")
        if not record:
            continue
        phase_text = "; ".join(f"{what} {_seconds(end - start)}" for _, what, start, end in phases(record))
        init = record.get("init_ms")
        rows.append(
            f'<tr data-pid="{escape(str(process.get("pid", "")))}"><td>{escape(str(process.get("pid", "")))}</td>'
            f"<td>{escape(str(record.get('measured_from') or 'process start'))}</td>"
            f"<td>{'–' if init is None else _seconds(float(init) / 1000)}</td>"
            f'<td class="phases">{escape(phase_text) or "–"}</td><td>{escape(first_call_text(record))}</td></tr>'
        )
    return (
        '<details class="startup-table" id="startup-figures"><summary>The start-ups as a table</summary>'
        '<div class="scroll" tabindex="0" role="region" aria-label="The start-ups as a table"><table>'
        '<thead><tr><th scope="col">pid</th><th scope="col">Measured from</th>'
        '<th scope="col">Ready after</th><th scope="col">Phases</th><th scope="col">First call</th></tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table></div></details>"
    )


def summary_line(snapshot: Mapping[str, Any]) -> str:
    """The cold starts in one line for the first screen, linking to the panel; empty without start-ups."""
    summary = snapshot.get("startup") or {}
    starts = int(summary.get("process_starts") or 0)
    if not starts:
        return ""
    hour = summary.get("process_starts_last_hour")
    ready = summary.get("time_to_ready_ms") or {}
    recent = starts if hour is None else int(hour)
    parts = [
        f"{recent} process start{'' if recent == 1 else 's'}"
        + ("" if hour is None else " in the last hour")
        + f" ({starts} since start)"
    ]
    if ready.get("p50") is not None:
        parts.append(f"time to ready p50 {_seconds(ready['p50'] / 1000)}, max {_seconds(ready['max'] / 1000)}")
    slowest = summary.get("slowest_imports") or []
    if slowest:
        parts.append(f"slowest import {slowest[0]['module']} {_ms(slowest[0]['self_ms'])}")
    return (
        '<p class="startup-summary" data-stat="startup-summary"><a href="#startup">Cold starts</a>: '
        f"{escape(' · '.join(parts))}</p>"
    )


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
    starts = summary.get("process_starts", len(processes))
    figures = (
        f"{starts} process start"
        + ("" if starts == 1 else "s")
        + (
            f", time to ready p50 {_seconds(ready['p50'] / 1000)}, max {_seconds(ready['max'] / 1000)}"
            if ready.get("p50") is not None
            else ""
        )
        + ". Ready is when a process could serve; its first call comes after, apart."
    )
    return (
        '<section class="startup" aria-labelledby="startup"><h2 id="startup">Cold starts</h2>'
        f'<p class="note" data-stat="startup">{escape(figures)}</p>'
        f"{timeline_svg(processes)}{startup_table(processes)}"
        "<h3>Slowest imports</h3>"
        f"{imports_svg(summary.get('slowest_imports') or [])}"
        f"{first_calls_table(summary.get('first_calls') or {})}"
        "</section>"
    )
