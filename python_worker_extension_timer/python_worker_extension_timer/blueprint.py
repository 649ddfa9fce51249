"""The timer's endpoints as an ``azure.functions.Blueprint``: one line makes an app serve them.

``TimerExtension.blueprint()`` calls :func:`make_blueprint`; the app registers the result with
``app.register_functions(...)``. Each endpoint is a function of its own, named ``timer_...`` so
that it cannot collide with the app's, behind a function key by default, and timed like any
other function (``@timed``, so on Python 3.13 too). Importing this module needs nothing of
``azure.functions`` but the module itself: the Blueprint (azure-functions 1.11.3 and later, the
v2 programming model) is only touched when one is made.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import azure.functions as func

from . import endpoints
from .settings import DEFAULT_JSON_ROUTE, DEFAULT_METRICS_ROUTE, DEFAULT_PAGE_ROUTE

if TYPE_CHECKING:
    from .extension import TimerExtension

#: The function names, which are also the names of their function keys in Azure.
JSON_FUNCTION, PAGE_FUNCTION, METRICS_FUNCTION = "timer_stats", "timer_page", "timer_metrics"
_Endpoint = Callable[[func.HttpRequest], func.HttpResponse]


def make_blueprint(
    extension: type[TimerExtension],
    *,
    json_route: str | None = DEFAULT_JSON_ROUTE,
    page_route: str | None = DEFAULT_PAGE_ROUTE,
    metrics_route: str | None = DEFAULT_METRICS_ROUTE,
    auth_level: func.AuthLevel | str,
    back_link: tuple[str, str] | None = None,
) -> func.Blueprint:
    """A Blueprint with a GET function per route that is not ``None``; see ``TimerExtension.blueprint``."""
    json_route, page_route, metrics_route = _checked_routes(json_route, page_route, metrics_route)
    if back_link is not None and not (
        isinstance(back_link, tuple) and len(back_link) == 2 and all(isinstance(part, str) for part in back_link)
    ):
        raise TypeError("back_link must be a (label, route) tuple of two strings")
    blueprint = func.Blueprint()  # type: ignore[no-untyped-call]

    def timed_as(name: str) -> Callable[[_Endpoint], _Endpoint]:
        """``@timed`` under the name the function is registered with, so that hooks and decorator agree."""
        decorate: Callable[[_Endpoint], _Endpoint] = extension.timed(name=name)
        return decorate

    # The page lists the statistics' own functions apart from the app's.
    own_functions = tuple(
        name
        for name, route in ((JSON_FUNCTION, json_route), (PAGE_FUNCTION, page_route), (METRICS_FUNCTION, metrics_route))
        if route is not None
    )

    if json_route is not None:

        @blueprint.function_name(name=JSON_FUNCTION)
        @blueprint.route(route=json_route, methods=["GET"], auth_level=auth_level)
        @timed_as(JSON_FUNCTION)
        def timer_stats(req: func.HttpRequest) -> func.HttpResponse:
            return endpoints.stats_response(extension)

    if page_route is not None:

        @blueprint.function_name(name=PAGE_FUNCTION)
        @blueprint.route(route=page_route, methods=["GET"], auth_level=auth_level)
        @timed_as(PAGE_FUNCTION)
        def timer_page(req: func.HttpRequest) -> func.HttpResponse:
            return endpoints.page_response(
                req,
                extension,
                page_route=page_route,
                json_route=json_route,
                metrics_route=metrics_route,
                back_link=back_link,
                own_functions=own_functions,
            )

    if metrics_route is not None:

        @blueprint.function_name(name=METRICS_FUNCTION)
        @blueprint.route(route=metrics_route, methods=["GET"], auth_level=auth_level)
        @timed_as(METRICS_FUNCTION)
        def timer_metrics(req: func.HttpRequest) -> func.HttpResponse:
            return endpoints.metrics_response(extension)

    return blueprint


def _checked_routes(*routes: str | None) -> tuple[str | None, ...]:
    """The routes without surrounding slashes; each a non-empty path or None, at least one given, no two the same."""
    names = ("json_route", "page_route", "metrics_route")
    checked: list[str | None] = []
    for name, route in zip(names, routes, strict=True):
        if route is not None and not isinstance(route, str):
            raise TypeError(f"{name} must be a str or None, not {type(route).__name__}")
        if route is not None and not route.strip("/"):
            raise ValueError(f"{name} must be a path such as 'timer/stats', not {route!r}")
        checked.append(None if route is None else route.strip("/"))
    chosen = [route for route in checked if route is not None]
    if not chosen:
        raise ValueError("json_route, page_route and metrics_route are all None: the Blueprint would be empty")
    if len(set(chosen)) < len(chosen):
        raise ValueError(f"two endpoints share one route: {', '.join(chosen)}")
    return tuple(checked)
