"""@timed functions behind our server over real HTTP: failures counted at once, the 500 still carries an error id."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import azure.functions as func
import httpx
import pytest
from azure.functions import ExtensionMeta

from container.loader import build_app
from container.settings import ServerSettings
from python_worker_extension_timer import TimerExtension
from tests.support.servers import ThreadedServer

HOOKS_RUN_HERE = sys.version_info < (3, 13)


def make_app() -> func.FunctionApp:
    app = func.FunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)

    @app.route(route="boom_sync", methods=["GET"])
    @TimerExtension.timed
    def boom_sync(req: func.HttpRequest) -> func.HttpResponse:
        raise RuntimeError("secret detail")

    @app.route(route="boom_async", methods=["GET"])
    @TimerExtension.timed
    async def boom_async(req: func.HttpRequest) -> func.HttpResponse:
        raise RuntimeError("secret detail")

    @app.route(route="fine", methods=["GET"])
    @TimerExtension.timed
    async def fine(req: func.HttpRequest) -> func.HttpResponse:
        return func.HttpResponse("fine")

    return app


@pytest.fixture(params=["1", "0"], ids=["extensions on", "extensions off"])
def server(
    request, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, clean_extensions: None
) -> Iterator[ThreadedServer]:
    monkeypatch.setenv("PYTHON_ENABLE_WORKER_EXTENSIONS", request.param)
    ExtensionMeta._register_application_extension(TimerExtension)  # registered alone, with a fresh state
    (tmp_path / "host.json").write_text('{"version": "2.0", "extensions": {"http": {"routePrefix": ""}}}')
    with ThreadedServer(build_app(ServerSettings(), make_app(), script_root=tmp_path)) as running:
        running.flag = request.param
        yield running
    TimerExtension.init()


@pytest.mark.parametrize("path", ["/boom_sync", "/boom_async"])
def test_a_raising_function_answers_500_with_an_error_id(server: ThreadedServer, path: str) -> None:
    response = httpx.get(server.base_url + path)
    assert response.status_code == 500
    assert set(response.json()) == {"error", "error_id"}
    assert "secret" not in response.text


@pytest.mark.parametrize("name", ["boom_sync", "boom_async"])
def test_a_raising_function_is_an_error_at_once_and_not_in_flight(server: ThreadedServer, name: str) -> None:
    httpx.get(f"{server.base_url}/{name}")
    stats = TimerExtension.stats()
    assert (stats["functions"][name]["count"], stats["functions"][name]["errors"]) == (1, 1)
    assert stats["in_flight"] == 0


def test_the_mode_follows_the_worker_of_this_python(server: ThreadedServer) -> None:
    httpx.get(f"{server.base_url}/fine")
    hooks = HOOKS_RUN_HERE and server.flag == "1"
    assert TimerExtension.stats()["mode"] == ("hooks and decorator" if hooks else "decorator")
    assert TimerExtension.stats()["functions"]["fine"]["count"] == 1
