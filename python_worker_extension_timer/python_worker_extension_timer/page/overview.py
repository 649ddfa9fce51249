"""The page's first table: every function in one row each, the ones that need attention first.

An operator opening the page asks "which function is slow or failing, and is it now?": each
row answers it with the last 5 minutes (calls, errors, p50, p99), since start (calls, errors
and their rate) and the hour as a sparkline. Rows are sorted by errors in the last 5 minutes,
then since start, then by the p99 of the last 5 minutes; functions that serve the statistics
themselves (the page, the JSON, the Prometheus text) come last, apart. Each name links to the
function's details further down.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from html import escape
from typing import Any

from .scales import ms_or_dash
from .sparkline import sparkline_svg


def anchor(function: str) -> str:
    """The id of a function's details (an HTML id may hold any character but spaces)."""
    return "fn-" + "".join("_" if character.isspace() else character for character in function)


def attention_key(name: str, total: Mapping[str, Any], window: Mapping[str, Any]) -> tuple[Any, ...]:
    """Errors now, errors since start, then the slowest p99 now (then since start) first; names break ties."""
    return (
        -int(window.get("errors") or 0),
        -int(total.get("errors") or 0),
        -float(window.get("p99_ms") or -1.0),
        -float(total.get("p99_ms") or -1.0),
        name,
    )


def ordered(
    functions: Mapping[str, Mapping[str, Any]],
    window: Mapping[str, Mapping[str, Any]],
    own: Collection[str] = (),
) -> tuple[list[str], list[str]]:
    """The app's functions by attention, and the statistics endpoints' own functions (by name)."""
    app = [name for name in functions if name not in own]
    app.sort(key=lambda name: attention_key(name, functions[name], window.get(name) or {}))
    return app, sorted(name for name in functions if name in own)


def rate(errors: int, calls: int) -> str:
    """Errors as a share of the calls, e.g. ``(2.5 %)``; nothing without errors."""
    if not errors:
        return ""
    share = 100.0 * errors / max(calls, errors)
    return (
        f' <span class="rate">({share:.2g} %)</span>' if share < 10 else f' <span class="rate">({share:.0f} %)</span>'
    )


def overview_section(
    functions: Mapping[str, Mapping[str, Any]],
    window: Mapping[str, Mapping[str, Any]],
    app: Sequence[str],
    endpoints: Sequence[str],
) -> str:
    """The overview table of every function (see the module's docstring).

    `functions` and `window` are the statistics since start and of the last 5 minutes by name;
    `app` and `endpoints` the names in the order :func:`ordered` gives, which the page's details follow too.
    """
    triggers = any(functions[name].get("trigger") for name in functions)
    columns = 8 + triggers
    head = (
        '<thead><tr><th scope="col" rowspan="2">Function</th>'
        + ('<th scope="col" rowspan="2">Trigger</th>' if triggers else "")
        + '<th scope="colgroup" colspan="4">Last 5 minutes</th><th scope="colgroup" colspan="2">Since start</th>'
        + '<th scope="col" rowspan="2">Last hour <span class="key">p99 line, calls</span></th></tr><tr>'
        + "".join(f'<th scope="col">{label}</th>' for label in ("Calls", "Errors", "p50", "p99", "Calls", "Errors"))
        + "</tr></thead>"
    )
    body = "".join(_row(name, functions[name], window.get(name) or {}, triggers) for name in app)
    own_rows = "".join(_row(name, functions[name], window.get(name) or {}, triggers) for name in endpoints)
    own_body = (
        f'<tbody class="own"><tr class="group"><th scope="rowgroup" colspan="{columns}">'
        f"The statistics endpoints themselves</th></tr>{own_rows}</tbody>"
        if own_rows
        else ""
    )
    return (
        '<section class="overview" aria-labelledby="overview"><h2 id="overview">Functions</h2>'
        f'<div class="scroll" tabindex="0" role="region" aria-labelledby="overview">'
        f'<table class="overview-table">{head}<tbody>{body}</tbody>{own_body}</table></div>'
        "</section>"
    )


def _row(name: str, total: Mapping[str, Any], window: Mapping[str, Any], triggers: bool) -> str:
    slug = escape(name)
    calls_now, errors_now = int(window.get("count") or 0), int(window.get("errors") or 0)
    calls, errors = int(total.get("count") or 0), int(total.get("errors") or 0)
    flagged = " attention" if errors_now else ""
    cells = [f'<th scope="row"><a href="#{escape(anchor(name))}">{slug}</a></th>']
    if triggers:
        cells.append(f'<td data-label="Trigger">{escape(str(total.get("trigger") or "–"))}</td>')
    cells += [
        f'<td data-stat="calls-window" data-label="Calls, 5 min">{calls_now:,}</td>',
        f'<td data-stat="errors-window" data-label="Errors, 5 min">{errors_now:,}{rate(errors_now, calls_now)}</td>',
        f'<td data-stat="p50-window" data-label="p50, 5 min">{ms_or_dash(window.get("p50_ms"))}</td>',
        f'<td data-stat="p99-window" data-label="p99, 5 min">{ms_or_dash(window.get("p99_ms"))}</td>',
        f'<td data-stat="calls-total" data-label="Calls since start">{calls:,}</td>',
        f'<td data-stat="errors-total" data-label="Errors since start">{errors:,}{rate(errors, calls)}</td>',
        f'<td class="spark-cell" data-label="Last hour">{sparkline_svg(name, total.get("history") or [])}</td>',
    ]
    return f'<tr class="function-row{flagged}" data-function="{slug}">{"".join(cells)}</tr>'
