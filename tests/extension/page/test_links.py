"""The page's links: relative to the route it is served at, so they hold under any route and routePrefix."""

from __future__ import annotations

import posixpath

import pytest

from python_worker_extension_timer.page import PageLinks
from python_worker_extension_timer.page.links import relative


@pytest.mark.parametrize(
    "page_route, route, href",
    [
        ("timer/ui", "timer/stats", "stats"),
        ("timer/ui", "timer/ui", "ui"),
        ("ui/latency", "latency", "../latency"),
        ("ui/latency", "ui", "../ui"),
        ("ops/ui/latency", "ops", "../../ops"),
        ("ops/ui/latency", "ops/ui", "../../ops/ui"),
        ("latency-page", "metrics", "metrics"),
        ("a/b/c", "x/y", "../../x/y"),
        ("/timer/ui/", "/timer/metrics/", "metrics"),
    ],
)
def test_a_link_is_the_route_relative_to_the_page_s_folder(page_route: str, route: str, href: str) -> None:
    assert relative(route, from_route=page_route) == href


@pytest.mark.parametrize("prefix", ["", "api", "tenant/api"])
@pytest.mark.parametrize("page_route, route", [("timer/ui", "timer/stats"), ("ui/latency", "metrics")])
def test_the_browser_resolves_each_link_to_the_route_under_any_prefix(prefix: str, page_route: str, route: str) -> None:
    page_url = posixpath.join("/", prefix, page_route)
    resolved = posixpath.normpath(posixpath.join(posixpath.dirname(page_url), relative(route, from_route=page_route)))
    assert resolved == posixpath.join("/", prefix, route)


def test_without_a_key_the_links_carry_no_query() -> None:
    links = PageLinks.for_routes("timer/ui", json_route="timer/stats", metrics_route=None)
    assert (links.to_page(), links.to_page(refresh=True), links.to_json(), links.to_metrics()) == (
        "ui",
        "ui?refresh=5",
        "stats",
        None,
    )


def test_the_key_goes_to_the_timer_s_links_and_is_url_encoded() -> None:
    links = PageLinks.for_routes("timer/ui", json_route="timer/stats", metrics_route="timer/metrics", key="a&b=c")
    assert links.to_page(refresh=True) == "ui?code=a%26b%3Dc&refresh=5"
    assert links.to_json() == "stats?code=a%26b%3Dc"
    assert links.to_metrics() == "metrics?code=a%26b%3Dc"
