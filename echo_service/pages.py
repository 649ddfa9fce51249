"""HTML pages of the web UI, rendered on the server with every user value escaped."""

from __future__ import annotations

from html import escape
from string import Template

TITLE = "Welcome to echo service!"

_PAGE = Template(
    """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>$title</title>
<style>
  :root { color-scheme: light dark; --accent: #2563eb; --muted: #6b7280; --error: #b91c1c; }
  body { font: 16px/1.5 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 0;
         display: flex; justify-content: center; padding: 3rem 1rem; }
  main { width: 100%; max-width: 36rem; }
  h1 { font-size: 1.6rem; margin: 0 0 1.5rem; }
  form { display: flex; flex-wrap: wrap; gap: .5rem; align-items: end; }
  label { flex-basis: 100%; font-weight: 600; }
  input[type=text] { flex: 1; min-width: 12rem; font: inherit; padding: .5rem .75rem;
                     border: 1px solid var(--muted); border-radius: .375rem; }
  input[type=text]:focus { outline: 3px solid color-mix(in srgb, var(--accent) 40%, transparent);
                           border-color: var(--accent); }
  button { font: inherit; padding: .5rem 1.25rem; border: 0; border-radius: .375rem;
           background: var(--accent); color: white; cursor: pointer; }
  button:focus-visible { outline: 3px solid color-mix(in srgb, var(--accent) 50%, transparent);
                         outline-offset: 2px; }
  dl { margin: 2rem 0 0; display: grid; grid-template-columns: max-content 1fr; gap: .5rem 1rem; }
  dt { color: var(--muted); }
  dd { margin: 0; white-space: pre-wrap; overflow-wrap: anywhere; }
  .error { color: var(--error); margin: 1rem 0 0; }
  nav { margin-top: 2.5rem; font-size: .9rem; }
  nav a { color: var(--accent); }
</style>
</head>
<body>
<main>
<h1>$title</h1>
<form method="post" action="$action">
  <label for="input">Text to echo</label>
  <input type="text" id="input" name="input" value="$input" autofocus autocomplete="off" required>
  <button type="submit">Echo</button>
</form>
$message
$result
<nav><a href="$latency_link">Latency of each function</a></nav>
</main>
</body>
</html>
"""
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
    return _PAGE.substitute(
        title=escape(TITLE),
        action=escape(action),
        input=escape(typed),
        message=message,
        result=result,
        latency_link=escape(latency_link),
    )
