"""The latency page as one HTML document: head, toolbar, what the figures cover, then the sections.

Every value from the statistics is escaped; the page holds no script, and refreshes itself
(when asked) with a ``<meta http-equiv="refresh">``.
"""

from __future__ import annotations

from collections.abc import Mapping
from html import escape
from string import Template
from typing import Any

from .latency_view import sections
from .links import AUTO_REFRESH_SECONDS, PageLinks
from .style import CSS, ICON

TITLE = "Latency of each function"

_DOCUMENT = Template(
    """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
$head<title>$title</title>
<link rel="icon" href="$icon">
<style>$css</style>
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


def render_page(stats: Mapping[str, Any], *, auto_refresh: bool = False, links: PageLinks | None = None) -> str:
    """The whole page from a ``TimerExtension.stats()`` dict; `links` say where its toolbar points."""
    links = links or PageLinks()
    head = f'<meta http-equiv="refresh" content="{AUTO_REFRESH_SECONDS}">\n' if auto_refresh else ""
    coverage = escape(str(stats.get("coverage") or "this worker process"))
    content = (
        _toolbar(links, auto_refresh)
        + f'<p class="note" id="coverage">Covers {coverage}. Times are per invocation, measured by the timer '
        "extension inside the workers; the last 5 minutes are the current minute and the 5 before it; "
        "the chart shows the last hour minute by minute; dashed lines mark p50 and p99 since start.</p>"
        + sections(stats)
    )
    return _DOCUMENT.substitute(title=escape(TITLE), icon=ICON, css=CSS, head=head, content=content)


def _toolbar(links: PageLinks, auto_refresh: bool) -> str:
    items = [f'<a class="button" href="{escape(links.to_page(refresh=auto_refresh))}">Refresh</a>']
    if auto_refresh:
        items.append(f'<a href="{escape(links.to_page())}">Stop auto-refresh</a>')
    else:
        items.append(f'<a href="{escape(links.to_page(refresh=True))}">Auto-refresh every {AUTO_REFRESH_SECONDS} s</a>')
    for href, label in ((links.to_json(), "JSON"), (links.to_metrics(), "Prometheus text")):
        if href is not None:
            items.append(f'<a href="{escape(href)}">{label}</a>')
    if links.back is not None:
        label, href = links.back
        items.append(f'<a href="{escape(href)}">{escape(label)}</a>')
    return f'<nav class="toolbar" aria-label="Latency view">{"".join(items)}</nav>'
