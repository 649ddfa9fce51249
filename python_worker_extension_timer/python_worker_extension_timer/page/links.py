"""The page's links, relative to where the page is served, so they work under any route and prefix.

An app chooses the routes (and Azure adds its ``routePrefix``, ``api`` by default); a link
written relative to the page's own URL needs neither. The function key a visitor opened the
page with (``?code=``) is carried to the timer's own endpoints, which sit behind the same key.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass
from urllib.parse import urlencode

AUTO_REFRESH_SECONDS = 5


def relative(route: str, *, from_route: str) -> str:
    """The href that leads from the page at `from_route` to `route` (both routes without the prefix).

    A route that is one of the page's folders would come out as ``..`` (a folder, with a slash
    the app does not serve): that one climbs to the root and names the route whole.
    """
    folder = posixpath.dirname(from_route.strip("/"))
    target = route.strip("/")
    href = posixpath.relpath(target, folder or ".")
    if posixpath.basename(href) in (".", ".."):
        href = "../" * len(folder.split("/")) + target
    return href


@dataclass(frozen=True)
class PageLinks:
    """Where the page's toolbar points: itself, the JSON and the Prometheus text, a way back into the app."""

    page: str = "latency"
    json: str | None = None
    metrics: str | None = None
    back: tuple[str, str] | None = None  # (label, href)
    key: str | None = None

    @classmethod
    def for_routes(
        cls,
        page_route: str,
        *,
        json_route: str | None = None,
        metrics_route: str | None = None,
        back: tuple[str, str] | None = None,
        key: str | None = None,
    ) -> PageLinks:
        """The links of a page served at `page_route`; `back` is (label, route) of a page of the app."""

        def href(route: str | None) -> str | None:
            return None if route is None else relative(route, from_route=page_route)

        return cls(
            page=relative(page_route, from_route=page_route),
            json=href(json_route),
            metrics=href(metrics_route),
            back=None if back is None else (back[0], relative(back[1], from_route=page_route)),
            key=key or None,
        )

    def to_page(self, *, refresh: bool = False) -> str:
        return self._with_key(self.page, {"refresh": str(AUTO_REFRESH_SECONDS)} if refresh else {})

    def to_json(self) -> str | None:
        return None if self.json is None else self._with_key(self.json, {})

    def to_metrics(self) -> str | None:
        return None if self.metrics is None else self._with_key(self.metrics, {})

    def _with_key(self, href: str, query: dict[str, str]) -> str:
        params = ({"code": self.key} if self.key else {}) | query
        return f"{href}?{urlencode(params)}" if params else href
