"""The latency page: the timer's statistics drawn as HTML with inline SVG charts, from ``stats()`` alone.

Imported at the first request for the page (by the Blueprint's page function), never when the
timer is imported: an app that never shows the page never loads it.
"""

from __future__ import annotations

from .document import TITLE, render_page
from .links import PageLinks

__all__ = ["TITLE", "PageLinks", "render_page"]
