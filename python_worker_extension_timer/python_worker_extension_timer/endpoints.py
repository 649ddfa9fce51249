"""The timer's three HTTP answers: its statistics as JSON, as the latency page, in the Prometheus text format.

Plain functions over ``azure.functions.HttpRequest`` and the extension class, so any function
of an app may return them; :mod:`.blueprint` registers them as functions of their own. The page
and the Prometheus module are imported at the first request that needs them, never with the
timer: an app that never serves them never loads them (``prometheus_client`` alone takes about a
tenth of a second to import). None of the answers may be cached: each is the state of now.
"""

from __future__ import annotations

import json
from collections.abc import Collection
from typing import TYPE_CHECKING

import azure.functions as func

if TYPE_CHECKING:
    from .extension import TimerExtension

#: What the 501 says when the Prometheus endpoint is asked for without its optional dependency.
PROMETHEUS_MISSING = (
    "the Prometheus text needs prometheus_client: install python_worker_extension_timer[prometheus] "
    "(e.g. in requirements.txt) and deploy again"
)
_NO_STORE = {"Cache-Control": "no-store"}


def stats_response(extension: type[TimerExtension]) -> func.HttpResponse:
    """``extension.stats()`` as JSON."""
    body = json.dumps(extension.stats(), separators=(",", ":"))
    return func.HttpResponse(body, mimetype="application/json", charset="utf-8", headers=_NO_STORE)


def page_response(
    req: func.HttpRequest,
    extension: type[TimerExtension],
    *,
    page_route: str,
    json_route: str | None = None,
    metrics_route: str | None = None,
    back_link: tuple[str, str] | None = None,
    own_functions: Collection[str] = (),
) -> func.HttpResponse:
    """The latency page; ``?refresh=5`` makes it refresh itself, ``?code=`` is kept in its links.

    The routes are those the functions were registered with (no prefix): the page's links are
    written relative to `page_route`. `back_link` is (label, route) of a page of the app.
    `own_functions` names the functions serving the statistics: the page lists them apart.
    """
    from .page import PageLinks, render_page

    links = PageLinks.for_routes(
        page_route,
        json_route=json_route,
        metrics_route=metrics_route,
        back=back_link,
        key=req.params.get("code"),
    )
    auto_refresh = req.params.get("refresh", "") not in ("", "0")
    page = render_page(extension.stats(), auto_refresh=auto_refresh, links=links, own_functions=own_functions)
    return func.HttpResponse(page, mimetype="text/html", charset="utf-8", headers=_NO_STORE)


def metrics_response(extension: type[TimerExtension]) -> func.HttpResponse:
    """The Prometheus text; a 501 naming the ``[prometheus]`` extra when ``prometheus_client`` is missing."""
    try:
        from .prometheus import exposition
    except ImportError as error:
        if (error.name or "").partition(".")[0] != "prometheus_client":
            raise
        body = json.dumps({"error": PROMETHEUS_MISSING})
        return func.HttpResponse(body, status_code=501, mimetype="application/json", charset="utf-8", headers=_NO_STORE)
    text, content_type = exposition(extension)
    return func.HttpResponse(text, headers={"Content-Type": content_type, **_NO_STORE})
