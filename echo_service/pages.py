"""The echo form's HTML, rendered on the server with every user value escaped.

No script and no asset from the network: the form works wherever the service runs. Its link
leads to the timer's latency page, which the timer's Blueprint serves (see function_app.py).
"""

from __future__ import annotations

from html import escape
from string import Template

TITLE = "Welcome to echo service!"
LATENCY_TITLE = "Latency of each function"  # the link's text: the page's own title
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
<title>$title</title>
<link rel="icon" href="$icon">
<style>
  :root { color-scheme: light dark;
          --bg: #ffffff; --fg: #111827; --muted: #4b5563; --line: #9ca3af; --panel: #f3f4f6; --field: #ffffff;
          --link: #1d4ed8; --fill: #2563eb; --on-fill: #ffffff; --error: #b91c1c; --error-panel: #fef2f2;
          --focus: #2563eb; }
  @media (prefers-color-scheme: dark) {
    :root { --bg: #111318; --fg: #e5e7eb; --muted: #a1a7b3; --line: #6b7280; --panel: #1c1f26; --field: #0b0d11;
            --link: #93c5fd; --fill: #2563eb; --on-fill: #ffffff; --error: #fca5a5; --error-panel: #2a1416;
            --focus: #93c5fd; }
  }
  * { box-sizing: border-box; }
  body { font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 0;
         background: var(--bg); color: var(--fg); display: flex; justify-content: center; padding: 3rem 1rem; }
  main { width: 100%; max-width: 42rem; }
  h1 { font-size: 1.6rem; line-height: 1.25; margin: 0 0 1.5rem; }
  a { color: var(--link); text-underline-offset: .15em; }
  form { display: flex; flex-wrap: wrap; gap: .5rem; align-items: stretch; }
  label { flex-basis: 100%; font-weight: 600; }
  input[type=text] { flex: 1; min-width: 0; font: inherit; padding: .5rem .75rem; color: var(--fg);
                     background: var(--field); border: 1px solid var(--line); border-radius: .375rem; }
  input[type=text]:focus { outline: 3px solid color-mix(in srgb, var(--focus) 45%, transparent); outline-offset: 0;
                           border-color: var(--focus); }
  button { font: inherit; font-weight: 600; padding: .5rem 1.25rem; border: 0; border-radius: .375rem;
           background: var(--fill); color: var(--on-fill); cursor: pointer; }
  button:hover { background: color-mix(in srgb, var(--fill) 85%, black); }
  button:focus-visible, a:focus-visible { outline: 3px solid var(--focus); outline-offset: 2px; }
  dl { margin: 1.5rem 0 0; display: grid; grid-template-columns: max-content 1fr; gap: .5rem 1rem;
       padding: 1rem 1.25rem; border-radius: .5rem; background: var(--panel); }
  dt { color: var(--muted); }
  dd { margin: 0; white-space: pre-wrap; overflow-wrap: anywhere; }
  #echo-output { font-weight: 600; }
  .error { color: var(--error); background: var(--error-panel); margin: 1rem 0 0; padding: .5rem .75rem;
           border-left: 4px solid var(--error); border-radius: .25rem; }
  nav { margin-top: 2rem; font-size: .95rem; }
  @media (max-width: 32rem) {
    body { padding: 1.5rem .75rem; }
    h1 { font-size: 1.35rem; }
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
    return _LAYOUT.substitute(title=escape(TITLE), icon=_ICON, content=content)
