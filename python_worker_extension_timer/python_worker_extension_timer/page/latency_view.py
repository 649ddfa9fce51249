"""The latency page's body: the overview of every function, the cold starts in a line, then the details.

Each function's details are its figures, the hour's chart and its histogram; then come the
cold-start panel and the processes. Drawn on the server from the ``stats()`` dict alone, with
no asset from the network, so it works behind any gateway and offline alike.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from html import escape
from typing import Any

from .histogram_chart import histogram_svg
from .history_chart import history_svg
from .overview import anchor, ordered, overview_section
from .scales import ms_or_dash
from .startup_view import startup_section, summary_line

MARKERS = ("p50", "p99")
PERIODS = (("window", "Last 5 minutes"), ("total", "Since start"))


def figures_table(period: str, caption: str, stats: Mapping[str, Any]) -> str:
    """Count, errors, p50/p90/p99 and max of one period, as a one-row table."""
    cells = [
        ("Count", f"{stats.get('count', 0):,}"),
        ("Errors", f"{stats.get('errors', 0):,}"),
        ("p50", ms_or_dash(stats.get("p50_ms"))),
        ("p90", ms_or_dash(stats.get("p90_ms"))),
        ("p99", ms_or_dash(stats.get("p99_ms"))),
        ("Max", ms_or_dash(stats.get("max_ms"))),
    ]
    head = "".join(f'<th scope="col">{label}</th>' for label, _ in cells)
    row = "".join(f'<td data-stat="{label.lower()}">{value}</td>' for label, value in cells)
    return (
        f'<div class="stats" data-period="{period}"><table><caption>{escape(caption)}</caption>'
        f"<thead><tr>{head}</tr></thead><tbody><tr>{row}</tr></tbody></table></div>"
    )


def function_section(name: str, total: Mapping[str, Any], window: Mapping[str, Any] | None = None) -> str:
    """One function: its figures for the last minutes and since start, the last hour per minute, the histogram.

    A function never called takes one line: there is nothing to chart.
    """
    slug = escape(name)
    if not total.get("count") and not total.get("errors"):
        return (
            f'<section class="function idle" data-function="{slug}" aria-labelledby="{escape(anchor(name))}">'
            f'<h3 id="{escape(anchor(name))}">{slug}</h3><p class="empty">No calls since start.</p></section>'
        )
    periods = {"window": window if window is not None else {}, "total": total}
    tables = "".join(figures_table(period, caption, periods[period]) for period, caption in PERIODS)
    histogram = total.get("histogram") or {}
    markers = {marker: total.get(f"{marker}_ms") for marker in MARKERS}
    chart = histogram_svg(name, histogram.get("bounds_ms", []), histogram.get("counts", []), markers=markers)
    return (
        f'<section class="function" data-function="{slug}" aria-labelledby="{escape(anchor(name))}">'
        f'<h3 id="{escape(anchor(name))}">{slug}</h3>{tables}{history_svg(name, total)}{chart}</section>'
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


def sections(snapshot: Mapping[str, Any], own: Collection[str] = (), *, note: str = "") -> str:
    """Everything below the toolbar, or why there is none.

    The overview of every function and the cold starts in one line come first (the first
    screen); then each function's details in the overview's order, the cold-start panel and
    the processes. ``own`` names the functions that serve the statistics themselves; ``note``
    (what the figures cover) goes under the first screen's part.
    """
    functions = snapshot.get("functions") or {}
    if snapshot.get("enabled") is False:
        reason = str(snapshot.get("reason") or "nothing is being recorded")
        return note + f'<p class="empty" id="not-recording">Not recording: {escape(reason)}.</p>'
    if not functions:
        return note + (
            '<p class="empty">No statistics yet: the timer extension records invocations when '
            "<code>PYTHON_ENABLE_WORKER_EXTENSIONS</code> is <code>1</code> (Python 3.10 to 3.12) "
            "or when functions are decorated with <code>@timed</code>.</p>"
        )
    window = (snapshot.get("window") or {}).get("functions") or {}
    app, endpoints = ordered(functions, window, own)
    details = "".join(function_section(name, functions[name], window.get(name)) for name in [*app, *endpoints])
    return (
        overview_section(functions, window, app, endpoints)
        + summary_line(snapshot)
        + note
        + '<section class="details" aria-labelledby="details"><h2 id="details">Each function</h2>'
        + f'<div class="columns">{details}</div></section>'
        + startup_section(snapshot)
        + processes_section(snapshot.get("processes") or [])
    )


def _clock_time(iso: str) -> str:
    """`2026-12-01T03:14:51Z` as `03:14:51`: the day is the same for every process of a server, mostly."""
    return iso[11:19] if len(iso) >= 19 and iso[10] == "T" else iso
