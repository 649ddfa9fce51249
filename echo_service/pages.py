"""HTML pages of the web UI, rendered on the server with every user value escaped.

No script and no asset from the network: the pages work wherever the service runs.
"""

from __future__ import annotations

from collections.abc import Mapping
from html import escape
from string import Template
from typing import Any

TITLE = "Welcome to echo service!"
LATENCY_TITLE = "Latency of each function"
AUTO_REFRESH_SECONDS = 5
# The tab's icon, inline so that the browser asks the server for no /favicon.ico.
_ICON = (
    "data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 16 16'%3E"
    "%3Crect width='16' height='16' rx='3' fill='%232563eb'/%3E"
    "%3Cpath d='M4 5h8M4 8h6M4 11h8' stroke='white' stroke-width='1.6'/%3E%3C/svg%3E"
)

_LAYOUT = Template(
    """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
$head<title>$title</title>
<link rel="icon" href="$icon">
<style>
  :root { color-scheme: light dark;
          --bg: #ffffff; --fg: #111827; --muted: #4b5563; --line: #9ca3af; --panel: #f3f4f6; --field: #ffffff;
          --link: #1d4ed8; --fill: #2563eb; --on-fill: #ffffff; --bar: #2563eb; --marker: #92400e;
          --error: #b91c1c; --error-panel: #fef2f2; --focus: #2563eb; }
  @media (prefers-color-scheme: dark) {
    :root { --bg: #111318; --fg: #e5e7eb; --muted: #a1a7b3; --line: #6b7280; --panel: #1c1f26; --field: #0b0d11;
            --link: #93c5fd; --fill: #2563eb; --on-fill: #ffffff; --bar: #60a5fa; --marker: #fbbf24;
            --error: #fca5a5; --error-panel: #2a1416; --focus: #93c5fd; }
  }
  * { box-sizing: border-box; }
  body { font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 0;
         background: var(--bg); color: var(--fg); display: flex; justify-content: center; padding: 3rem 1rem; }
  main { width: 100%; max-width: 42rem; }
  h1 { font-size: 1.6rem; line-height: 1.25; margin: 0 0 1.5rem; }
  h2 { font-size: 1.1rem; margin: 0 0 .5rem; font-family: ui-monospace, "DejaVu Sans Mono", monospace; }
  a { color: var(--link); text-underline-offset: .15em; }
  form { display: flex; flex-wrap: wrap; gap: .5rem; align-items: stretch; }
  label { flex-basis: 100%; font-weight: 600; }
  input[type=text] { flex: 1; min-width: 0; font: inherit; padding: .5rem .75rem; color: var(--fg);
                     background: var(--field); border: 1px solid var(--line); border-radius: .375rem; }
  input[type=text]:focus { outline: 3px solid color-mix(in srgb, var(--focus) 45%, transparent); outline-offset: 0;
                           border-color: var(--focus); }
  button, .button { font: inherit; font-weight: 600; padding: .5rem 1.25rem; border: 0; border-radius: .375rem;
                    background: var(--fill); color: var(--on-fill); cursor: pointer; text-decoration: none;
                    display: inline-block; }
  button:hover, .button:hover { background: color-mix(in srgb, var(--fill) 85%, black); }
  button:focus-visible, a:focus-visible { outline: 3px solid var(--focus); outline-offset: 2px; }
  dl { margin: 1.5rem 0 0; display: grid; grid-template-columns: max-content 1fr; gap: .5rem 1rem;
       padding: 1rem 1.25rem; border-radius: .5rem; background: var(--panel); }
  dt { color: var(--muted); }
  dd { margin: 0; white-space: pre-wrap; overflow-wrap: anywhere; }
  #echo-output { font-weight: 600; }
  .error { color: var(--error); background: var(--error-panel); margin: 1rem 0 0; padding: .5rem .75rem;
           border-left: 4px solid var(--error); border-radius: .25rem; }
  nav { margin-top: 2rem; font-size: .95rem; display: flex; gap: .75rem 1.25rem; align-items: center;
        flex-wrap: wrap; }
  .toolbar { margin: -0.5rem 0 1.5rem; }
  .note { color: var(--muted); font-size: .9rem; margin: 0 0 1.25rem; }
  .function { margin: 0 0 1.25rem; padding: 1rem 1.25rem; border-radius: .5rem; background: var(--panel); }
  .stats { overflow-x: auto; }
  caption { text-align: left; font-size: .8rem; font-weight: 600; padding: .25rem 0 0; }
  .processes { margin: 0 0 1.25rem; padding: 1rem 1.25rem; border-radius: .5rem; background: var(--panel);
               overflow-x: auto; }
  /* Columns as wide as their content; the start time wraps rather than leave the panel. */
  .processes table { table-layout: auto; }
  .processes td:last-child { white-space: normal; overflow-wrap: anywhere; }
  table { border-collapse: collapse; width: 100%; table-layout: fixed; margin-bottom: .5rem;
          font-variant-numeric: tabular-nums; }
  th { text-align: left; color: var(--muted); font-weight: 500; font-size: .8rem; }
  td { white-space: nowrap; }
  td, th { padding: .15rem .5rem .15rem 0; }
  .histogram { display: block; max-width: 100%; height: auto; }
  .histogram .bar { fill: var(--bar); }
  .histogram .axis { stroke: var(--line); stroke-width: 1; }
  .histogram .grid { stroke: var(--line); stroke-opacity: .35; stroke-dasharray: 2 3; }
  .histogram .marker { stroke: var(--marker); stroke-width: 1.5; stroke-dasharray: 4 3; }
  .histogram text { fill: var(--muted); font-size: 12px; font-family: inherit; }
  .histogram .caption { font-size: 11px; }
  .histogram .marker-label { fill: var(--marker); font-weight: 600; }
  .history { display: block; max-width: 100%; height: auto; margin: .25rem 0 .5rem; }
  .history text { fill: var(--muted); font-size: 12px; font-family: inherit; }
  .history .caption { font-size: 11px; }
  .history .axis { stroke: var(--line); stroke-width: 1; }
  .history .grid { stroke: var(--line); stroke-opacity: .35; stroke-dasharray: 2 3; }
  .history .line { fill: none; stroke-width: 2; stroke-linejoin: round; }
  .history .p50 { stroke: var(--bar); } .history .dot.p50 { fill: var(--bar); stroke: none; }
  .history .p99 { stroke: var(--marker); } .history .dot.p99 { fill: var(--marker); stroke: none; }
  .history .calls { fill: var(--line); fill-opacity: .7; }
  .history .error-mark { fill: var(--error); }
  .history .hit { fill: transparent; }
  .history-table { font-size: .85rem; margin: 0 0 .5rem; }
  .history-table summary { color: var(--muted); cursor: pointer; }
  .empty { color: var(--muted); }
  .startup { margin: 0 0 1.25rem; padding: 1rem 1.25rem; border-radius: .5rem; background: var(--panel);
             overflow-x: auto; }
  .startup h3 { font-size: .9rem; margin: 1rem 0 .25rem; }
  .timeline, .imports { display: block; max-width: 100%; height: auto; }
  :is(.timeline, .imports) text { fill: var(--muted); font-size: 12px; font-family: inherit; }
  :is(.timeline, .imports) .value { fill: var(--fg); }
  .phase-boot { fill: var(--line); }
  .phase-app { fill: var(--marker); }
  .phase-first, .import { fill: var(--bar); }
  .listening { stroke: var(--fg); stroke-width: 2; }
  @media (max-width: 32rem) {
    body { padding: 1.5rem .75rem; }
    h1 { font-size: 1.35rem; }
    .function, .processes, .startup { padding: .75rem; }
    /* The six figures as two rows of three, each value under its heading. */
    .stats table { display: grid; grid-template-columns: repeat(3, minmax(0, 1fr)); column-gap: .5rem; }
    .stats thead, .stats tbody, .stats tr { display: contents; }
    .stats caption { grid-row: 1; grid-column: 1 / -1; }
    .stats th:nth-child(-n+3) { grid-row: 2; }
    .stats td:nth-child(-n+3) { grid-row: 3; }
    .stats th:nth-child(n+4) { grid-row: 4; padding-top: .5rem; }
    .stats td:nth-child(n+4) { grid-row: 5; }
    .stats :is(th, td):nth-child(3n+1) { grid-column: 1; }
    .stats :is(th, td):nth-child(3n+2) { grid-column: 2; }
    .stats :is(th, td):nth-child(3n) { grid-column: 3; }
    .histogram text, .history text { font-size: 20px; }
    .histogram .caption, .history .caption { font-size: 18px; }
  }
</style>
</head>
<body>
<main>
<h1>$title</h1>
$content
</main>
</body>
</html>
"""
)

_ECHO_FORM = Template(
    """<form method="post" action="$action">
  <label for="input">Text to echo</label>
  <input type="text" id="input" name="input" value="$input" autofocus autocomplete="off" required$invalid>
  <button type="submit">Echo</button>
</form>
$message
$result
<nav><a href="$latency_link">$latency_title</a></nav>"""
)

_RESULT = Template(
    """<dl aria-live="polite">
  <dt>Input</dt><dd id="echo-input">$input</dd>
  <dt>Output</dt><dd id="echo-output">$output</dd>
</dl>"""
)


def echo_form(
    *,
    action: str = "ui",
    typed: str = "",
    output: str | None = None,
    error: str | None = None,
    latency_link: str = "ui/latency",
) -> str:
    """The tutorial's form; with `output`, also what was typed and its echo."""
    result = ""
    if output is not None:
        result = _RESULT.substitute(input=escape(typed), output=escape(output))
    message = f'<p class="error" id="input-error" role="alert">{escape(error)}</p>' if error else ""
    invalid = ' aria-invalid="true" aria-describedby="input-error"' if error else ""
    content = _ECHO_FORM.substitute(
        action=escape(action),
        input=escape(typed),
        message=message,
        invalid=invalid,
        result=result,
        latency_link=escape(latency_link),
        latency_title=escape(LATENCY_TITLE),
    )
    return _LAYOUT.substitute(title=escape(TITLE), icon=_ICON, head="", content=content)


def latency_page(snapshot: Mapping[str, Any], *, auto_refresh: bool = False) -> str:
    """Count, errors, p50/p90/p99/max and a histogram per function; optionally refreshing itself."""
    head = f'<meta http-equiv="refresh" content="{AUTO_REFRESH_SECONDS}">\n' if auto_refresh else ""
    toggle = (
        '<a href="latency">Stop auto-refresh</a>'
        if auto_refresh
        else f'<a href="latency?refresh={AUTO_REFRESH_SECONDS}">Auto-refresh every {AUTO_REFRESH_SECONDS} s</a>'
    )
    coverage = escape(str(snapshot.get("coverage") or "this worker process"))
    refresh = f"latency?refresh={AUTO_REFRESH_SECONDS}" if auto_refresh else "latency"
    content = (
        f'<nav class="toolbar" aria-label="Latency view"><a class="button" href="{refresh}">Refresh</a>{toggle}'
        '<a href="../ui">Back to the echo form</a></nav>'
        f'<p class="note" id="coverage">Covers {coverage}. Times are per invocation, measured by the timer '
        "extension inside the workers; the last 5 minutes are the current minute and the 5 before it; "
        "the chart shows the last hour minute by minute; dashed lines mark p50 and p99 since start.</p>"
        + _latency_sections(snapshot)
    )
    return _LAYOUT.substitute(title=escape(LATENCY_TITLE), icon=_ICON, head=head, content=content)


def _latency_sections(snapshot: Mapping[str, Any]) -> str:
    """The latency page's sections; their modules are imported at the first page request, not at start-up."""
    from . import latency_view

    return latency_view.sections(snapshot)
