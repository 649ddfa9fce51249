"""HTML pages of the web UI, rendered on the server with every user value escaped.

No script and no asset from the network: the pages work wherever the service runs.
"""

from __future__ import annotations

from html import escape
from string import Template
from typing import Any, Mapping

from . import latency_view

TITLE = "Welcome to echo service!"
LATENCY_TITLE = "Latency of each function"
AUTO_REFRESH_SECONDS = 5

_LAYOUT = Template(
    """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
$head<title>$title</title>
<style>
  :root { color-scheme: light dark; --accent: #2563eb; --muted: #6b7280; --error: #b91c1c;
          --panel: color-mix(in srgb, currentColor 5%, transparent); }
  body { font: 16px/1.5 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 0;
         display: flex; justify-content: center; padding: 3rem 1rem; }
  main { width: 100%; max-width: 40rem; }
  h1 { font-size: 1.6rem; margin: 0 0 1.5rem; }
  h2 { font-size: 1.15rem; margin: 0 0 .5rem; font-family: ui-monospace, monospace; }
  form { display: flex; flex-wrap: wrap; gap: .5rem; align-items: end; }
  label { flex-basis: 100%; font-weight: 600; }
  input[type=text] { flex: 1; min-width: 12rem; font: inherit; padding: .5rem .75rem;
                     border: 1px solid var(--muted); border-radius: .375rem; }
  input[type=text]:focus { outline: 3px solid color-mix(in srgb, var(--accent) 40%, transparent);
                           border-color: var(--accent); }
  button, .button { font: inherit; padding: .5rem 1.25rem; border: 0; border-radius: .375rem;
           background: var(--accent); color: white; cursor: pointer; text-decoration: none; display: inline-block; }
  button:focus-visible, a:focus-visible { outline: 3px solid color-mix(in srgb, var(--accent) 50%, transparent);
                                          outline-offset: 2px; }
  dl { margin: 2rem 0 0; display: grid; grid-template-columns: max-content 1fr; gap: .5rem 1rem;
       padding: 1rem; border-radius: .5rem; background: var(--panel); }
  dt { color: var(--muted); }
  dd { margin: 0; white-space: pre-wrap; overflow-wrap: anywhere; }
  .error { color: var(--error); margin: 1rem 0 0; }
  nav { margin-top: 2.5rem; font-size: .9rem; display: flex; gap: 1.25rem; align-items: center; flex-wrap: wrap; }
  nav a { color: var(--accent); }
  .function { margin: 0 0 2rem; padding: 1rem; border-radius: .5rem; background: var(--panel); }
  table { border-collapse: collapse; width: 100%; margin-bottom: .75rem; font-variant-numeric: tabular-nums; }
  th { text-align: left; color: var(--muted); font-weight: 500; font-size: .85rem; }
  td, th { padding: .2rem .5rem .2rem 0; }
  .histogram { display: block; }
  .histogram .bar { fill: var(--accent); }
  .histogram .axis { stroke: var(--muted); }
  .histogram text { fill: var(--muted); font-size: 12px; }
  .empty { color: var(--muted); }
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
  <input type="text" id="input" name="input" value="$input" autofocus autocomplete="off" required>
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
    message = f'<p class="error" role="alert">{escape(error)}</p>' if error else ""
    content = _ECHO_FORM.substitute(
        action=escape(action),
        input=escape(typed),
        message=message,
        result=result,
        latency_link=escape(latency_link),
        latency_title=escape(LATENCY_TITLE),
    )
    return _LAYOUT.substitute(title=escape(TITLE), head="", content=content)


def latency_page(snapshot: Mapping[str, Any], *, auto_refresh: bool = False) -> str:
    """Count, errors, p50/p90/p99/max and a histogram per function; optionally refreshing itself."""
    head = f'<meta http-equiv="refresh" content="{AUTO_REFRESH_SECONDS}">\n' if auto_refresh else ""
    toggle = (
        '<a href="latency">Stop auto-refresh</a>'
        if auto_refresh
        else f'<a href="latency?refresh={AUTO_REFRESH_SECONDS}">Auto-refresh every {AUTO_REFRESH_SECONDS} s</a>'
    )
    process = escape(str(snapshot.get("pid", "")))
    content = (
        latency_view.sections(snapshot)
        + f'<nav><a class="button" href="latency{"?refresh=5" if auto_refresh else ""}">Refresh</a>{toggle}'
        + f'<a href="../ui">Back to the echo form</a><span class="empty">worker process {process}</span></nav>'
    )
    return _LAYOUT.substitute(title=escape(LATENCY_TITLE), head=head, content=content)
