"""TimerExtension.blueprint(): the statistics as functions an app registers in one line.

Read through the real azure.functions objects, as the host's indexer reads them: each function's
name, route, methods and authLevel; then the registered functions called with real HttpRequests.
"""

from __future__ import annotations

import json
import re
from typing import Any

import azure.functions as func
import pytest

from python_worker_extension_timer import TimerExtension
from tests.support.fresh_python import run_python

DEFAULTS = {"timer_stats": "timer/stats", "timer_page": "timer/ui", "timer_metrics": "timer/metrics"}


def app_with(**kwargs: Any) -> dict[str, func.Function]:
    """The functions of an app (anonymous by default) that registers the timer's Blueprint, by name."""
    app = func.FunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)
    app.register_functions(TimerExtension.blueprint(**kwargs))
    return {function.get_function_name(): function for function in app.get_functions()}


def http_triggers(functions: dict[str, func.Function]) -> dict[str, dict[str, Any]]:
    """Each function's HTTP trigger binding, as the host gets it."""
    return {
        name: binding
        for name, function in functions.items()
        for binding in function.get_bindings_dict()["bindings"]
        if binding["type"] == "httpTrigger"
    }


def call(
    functions: dict[str, func.Function], name: str, path: str, params: dict[str, str] | None = None
) -> func.HttpResponse:
    function = functions[name]
    request = func.HttpRequest(method="GET", url=f"http://localhost/{path}", body=b"", params=params or {})
    response = function.get_user_function()(request)
    assert isinstance(response, func.HttpResponse)
    return response


@pytest.mark.parametrize(
    "kwargs, routes",
    [
        ({}, DEFAULTS),
        ({"json_route": None}, {"timer_page": "timer/ui", "timer_metrics": "timer/metrics"}),
        ({"page_route": None}, {"timer_stats": "timer/stats", "timer_metrics": "timer/metrics"}),
        ({"metrics_route": None}, {"timer_stats": "timer/stats", "timer_page": "timer/ui"}),
        ({"page_route": None, "metrics_route": None}, {"timer_stats": "timer/stats"}),
        (
            {"json_route": "latency", "page_route": "ui/latency", "metrics_route": "metrics"},
            {"timer_stats": "latency", "timer_page": "ui/latency", "timer_metrics": "metrics"},
        ),
        ({"json_route": "/ops/timer/", "page_route": None, "metrics_route": None}, {"timer_stats": "ops/timer"}),
    ],
    ids=["defaults", "no JSON", "no page", "no metrics", "JSON only", "the echo app's paths", "slashes trimmed"],
)
def test_each_route_given_is_a_get_function_and_none_leaves_it_out(kwargs: dict, routes: dict[str, str]) -> None:
    triggers = http_triggers(app_with(**kwargs))
    assert {name: binding["route"] for name, binding in triggers.items()} == routes
    assert all([getattr(m, "value", m) for m in binding["methods"]] == ["GET"] for binding in triggers.values())


@pytest.mark.parametrize(
    "auth_level, declared",
    [
        (None, "function"),
        (func.AuthLevel.FUNCTION, "function"),
        (func.AuthLevel.ANONYMOUS, "anonymous"),
        (func.AuthLevel.ADMIN, "admin"),
        ("anonymous", "anonymous"),
    ],
    ids=["default", "FUNCTION", "ANONYMOUS", "ADMIN", "a string"],
)
def test_every_endpoint_declares_the_auth_level_whatever_the_app_s_default(auth_level: Any, declared: str) -> None:
    functions = app_with() if auth_level is None else app_with(auth_level=auth_level)
    levels = {name: str(binding["authLevel"].value).lower() for name, binding in http_triggers(functions).items()}
    assert levels == dict.fromkeys(DEFAULTS, declared)


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        ({"json_route": None, "page_route": None, "metrics_route": None}, ValueError, "all None"),
        ({"json_route": ""}, ValueError, "json_route must be a path"),
        ({"page_route": "/"}, ValueError, "page_route must be a path"),
        ({"metrics_route": 7}, TypeError, "metrics_route must be a str or None, not int"),
        ({"json_route": "stats", "page_route": "/stats/"}, ValueError, "two endpoints share one route"),
        ({"back_link": "ui"}, TypeError, "back_link must be a (label, route)"),
        ({"back_link": ("Back", None)}, TypeError, "back_link must be a (label, route)"),
    ],
    ids=["nothing left", "empty route", "only a slash", "not a str", "one route twice", "not a tuple", "no route"],
)
def test_wrong_arguments_are_refused_by_name(kwargs: dict, error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=re.escape(message)):
        TimerExtension.blueprint(**kwargs)


def test_function_names_cannot_collide_with_an_app_function_of_the_usual_names() -> None:
    app = func.FunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)

    @app.route(route="stats", methods=["GET"])
    def stats(req: func.HttpRequest) -> func.HttpResponse:
        return func.HttpResponse("the app's own")

    app.register_functions(TimerExtension.blueprint())
    names = [function.get_function_name() for function in app.get_functions()]
    assert sorted(names) == sorted(["stats", *DEFAULTS])


def test_the_json_answers_stats_and_is_never_cached() -> None:
    functions = app_with()
    call(functions, "timer_stats", "timer/stats")
    response = call(functions, "timer_stats", "timer/stats")
    assert response.status_code == 200 and response.mimetype == "application/json"
    assert response.headers["Cache-Control"] == "no-store"
    assert json.loads(response.get_body())["extension"] == "TimerExtension"


def test_each_endpoint_is_timed_like_the_app_s_own_functions() -> None:
    functions = app_with()
    for name, route in DEFAULTS.items():
        call(functions, name, route)
    functions = TimerExtension.stats()["functions"]
    assert {name: functions[name]["count"] for name in DEFAULTS} == dict.fromkeys(DEFAULTS, 1)


def test_the_page_is_html_never_cached_and_links_relative_to_its_route() -> None:
    functions = app_with(json_route="ops/latency.json", page_route="ops/ui/latency", metrics_route="metrics")
    response = call(functions, "timer_page", "ops/ui/latency")
    page = response.get_body().decode()
    assert response.status_code == 200 and response.mimetype == "text/html"
    assert response.headers["Cache-Control"] == "no-store"
    assert '<a href="../latency.json">JSON</a>' in page
    assert '<a href="../../metrics">Prometheus text</a>' in page
    assert '<a class="button" href="latency">Refresh</a>' in page


def test_the_page_keeps_the_function_key_in_the_links_to_the_timer_s_endpoints() -> None:
    functions = app_with(back_link=("Back to the app", "home"))
    page = call(functions, "timer_page", "timer/ui", params={"code": "k3y/+=", "refresh": "5"}).get_body().decode()
    assert '<a class="button" href="ui?code=k3y%2F%2B%3D&amp;refresh=5">Refresh</a>' in page
    assert '<a href="stats?code=k3y%2F%2B%3D">JSON</a>' in page
    assert '<a href="metrics?code=k3y%2F%2B%3D">Prometheus text</a>' in page
    assert '<a href="../home">Back to the app</a>' in page  # the app's own page: no key of ours


def test_the_metrics_are_the_prometheus_text_and_never_cached() -> None:
    response = call(app_with(), "timer_metrics", "timer/metrics")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/plain; version=0.0.4; charset=utf-8"
    assert response.headers["Cache-Control"] == "no-store"
    assert b"# TYPE faas_invocations_total counter" in response.get_body()


def answer_of(script: str) -> dict[str, Any]:
    """Run `script` in a fresh interpreter on this source; the JSON it printed last."""
    done = run_python(script)
    assert done.returncode == 0, done.stderr
    answer: dict[str, Any] = json.loads(done.stdout.splitlines()[-1])
    return answer


def test_without_prometheus_client_the_metrics_answer_501_naming_the_extra() -> None:
    answer = answer_of(
        """
        import json, sys
        sys.modules["prometheus_client"] = None  # as if it were not installed: importing it fails
        import azure.functions as func
        from python_worker_extension_timer import TimerExtension
        app = func.FunctionApp()
        app.register_functions(TimerExtension.blueprint())
        [metrics] = [f for f in app.get_functions() if f.get_function_name() == "timer_metrics"]
        request = func.HttpRequest(method="GET", url="http://localhost/timer/metrics", body=b"")
        response = metrics.get_user_function()(request)
        print(json.dumps({"status": response.status_code, "type": response.mimetype,
                          "cache": response.headers.get("Cache-Control"), "body": json.loads(response.get_body())}))
        """
    )
    assert answer["status"] == 501 and answer["type"] == "application/json" and answer["cache"] == "no-store"
    assert "python_worker_extension_timer[prometheus]" in answer["body"]["error"]
