"""The route table built from a FunctionApp: templates, prefix, 404 and 405."""

from __future__ import annotations

from pathlib import Path

import azure.functions as func
import pytest

from container.errors import MethodNotAllowed, NotFound
from container.routing import RouteTable, route_prefix_from_host_json


def make_app() -> func.FunctionApp:
    app = func.FunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)

    @app.route(route="items/{id:int}", methods=["GET"])
    def item(req: func.HttpRequest) -> func.HttpResponse: ...

    @app.route(route="files/{*path}", methods=["GET"])
    def files(req: func.HttpRequest) -> func.HttpResponse: ...

    @app.route(route="greet/{name?}", methods=["GET", "POST"])
    def greet(req: func.HttpRequest) -> func.HttpResponse: ...

    @app.route(methods=["GET"])
    def unnamed_route(req: func.HttpRequest) -> func.HttpResponse: ...

    @app.route(route="anything")
    def any_method(req: func.HttpRequest, context: func.Context) -> func.HttpResponse: ...

    @app.route(route="slow")
    async def slow(req: func.HttpRequest) -> func.HttpResponse: ...

    @app.timer_trigger(schedule="0 */5 * * * *", arg_name="timer")
    def not_http(timer: func.TimerRequest) -> None: ...

    return app


@pytest.fixture(scope="module")
def table() -> RouteTable:
    return RouteTable.from_function_app(make_app(), prefix="")


@pytest.mark.parametrize(
    "method, path, function, params",
    [
        ("GET", "/items/42", "item", {"id": "42"}),
        ("GET", "/ITEMS/-7", "item", {"id": "-7"}),
        ("GET", "/files/a/b/c.txt", "files", {"path": "a/b/c.txt"}),
        ("GET", "/files", "files", {}),
        ("GET", "/greet", "greet", {}),
        ("POST", "/greet/ann", "greet", {"name": "ann"}),
        ("GET", "/unnamed_route", "unnamed_route", {}),
        ("PATCH", "/anything", "any_method", {}),
        ("GET", "/anything/", "any_method", {}),
    ],
)
def test_a_path_and_method_find_their_function(table: RouteTable, method, path, function, params) -> None:
    route, found = table.match(method, path)
    assert (route.function_name, found) == (function, params)


@pytest.mark.parametrize("path", ["/items/abc", "/items", "/greet/a/b", "/not_http", "/"])
def test_an_unknown_path_is_not_found(table: RouteTable, path: str) -> None:
    with pytest.raises(NotFound):
        table.match("GET", path)


def test_a_wrong_method_is_not_allowed_and_lists_the_allowed_ones(table: RouteTable) -> None:
    with pytest.raises(MethodNotAllowed) as raised:
        table.match("DELETE", "/greet/x")
    assert raised.value.headers == {"Allow": "GET, POST"}


def test_a_route_knows_whether_the_function_wants_a_context_or_is_async(table: RouteTable) -> None:
    assert table.match("GET", "/anything")[0].wants_context
    assert not table.match("GET", "/items/1")[0].wants_context
    assert table.match("GET", "/slow")[0].is_async
    assert table.match("GET", "/slow")[0].trigger_arg == "req"


def test_the_default_prefix_is_api_as_in_the_functions_host() -> None:
    table = RouteTable.from_function_app(make_app())
    assert table.match("GET", "/api/items/1")[0].function_name == "item"
    with pytest.raises(NotFound):
        table.match("GET", "/items/1")


@pytest.mark.parametrize(
    "host_json, prefix",
    [
        (None, "api"),
        ('{"version": "2.0"}', "api"),
        ('{"version": "2.0", "extensions": {"http": {"routePrefix": ""}}}', ""),
        ('{"version": "2.0", "extensions": {"http": {"routePrefix": "v1"}}}', "v1"),
    ],
)
def test_the_route_prefix_comes_from_host_json(tmp_path: Path, host_json: str | None, prefix: str) -> None:
    if host_json is not None:
        (tmp_path / "host.json").write_text(host_json)
    assert route_prefix_from_host_json(tmp_path) == prefix


def test_the_projects_host_json_serves_the_container_paths() -> None:
    assert route_prefix_from_host_json(Path(__file__).resolve().parents[2]) == ""


def test_two_functions_on_one_method_and_path_are_refused() -> None:
    app = func.FunctionApp()

    @app.route(route="x", methods=["GET"])
    def first(req: func.HttpRequest) -> func.HttpResponse: ...

    @app.route(route="X", methods=["GET"])
    def second(req: func.HttpRequest) -> func.HttpResponse: ...

    with pytest.raises(ValueError, match="two functions serve GET"):
        RouteTable.from_function_app(app, prefix="")
