"""The runner drives worker extensions exactly as the Azure Functions Python worker does."""

from __future__ import annotations

import logging
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import azure.functions as func
import httpx
import pytest

from container.loader import build_app
from container.settings import ServerSettings
from tests.support.servers import ThreadedServer

CALLS: list[tuple[Any, ...]] = []

#: Azure's worker for Python 3.13+ runs no extension hooks, and neither does our server there.
needs_hooks = pytest.mark.skipif(sys.version_info >= (3, 13), reason="the Python 3.13+ worker runs no extension hooks")


def make_app() -> func.FunctionApp:
    app = func.FunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)

    @app.route(route="hello", methods=["GET"])
    def hello(req: func.HttpRequest) -> func.HttpResponse:
        CALLS.append(("function", "hello", threading.current_thread().name))
        return func.HttpResponse("hi", mimetype="text/plain")

    @app.route(route="hello_async", methods=["GET"])
    async def hello_async(req: func.HttpRequest) -> func.HttpResponse:
        CALLS.append(("function", "hello_async", threading.current_thread().name))
        return func.HttpResponse("hi async")

    @app.route(route="with_context", methods=["GET"])
    def with_context(req: func.HttpRequest, context: func.Context) -> func.HttpResponse:
        CALLS.append(("function", "with_context", context.invocation_id))
        return func.HttpResponse(context.function_name)

    @app.route(route="boom", methods=["GET"])
    def boom(req: func.HttpRequest) -> func.HttpResponse:
        CALLS.append(("function", "boom"))
        raise RuntimeError("secret detail in /srv/app/function_app.py")

    return app


@pytest.fixture
def recorder(clean_extensions: None) -> Iterator[type]:
    """An app-level extension defined here, recording every hook call with its arguments."""
    CALLS.clear()

    class Recorder(func.AppExtensionBase):
        @classmethod
        def post_function_load_app_level(cls, function_name, function_directory, *args, **kwargs):
            CALLS.append(("load", function_name, function_directory))

        @classmethod
        def pre_invocation_app_level(cls, logger, context, func_args=None, *args, **kwargs):
            CALLS.append(("app-pre", logger, context, func_args))

        @classmethod
        def post_invocation_app_level(cls, logger, context, func_args=None, func_ret=None, *args, **kwargs):
            CALLS.append(("app-post", logger, context, func_args, func_ret))
            if isinstance(func_ret, func.HttpResponse):
                func_ret.headers["X-Seen-By"] = "Recorder"

    yield Recorder
    CALLS.clear()


@pytest.fixture
def serve(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """Start the runner on the test app, in this process, with the flag set as asked."""
    servers: list[ThreadedServer] = []
    (tmp_path / "host.json").write_text('{"version": "2.0", "extensions": {"http": {"routePrefix": ""}}}')

    def start(flag: str | None = "1") -> ThreadedServer:
        if flag is None:
            monkeypatch.delenv("PYTHON_ENABLE_WORKER_EXTENSIONS", raising=False)
        else:
            monkeypatch.setenv("PYTHON_ENABLE_WORKER_EXTENSIONS", flag)
        asgi = build_app(ServerSettings(), make_app(), script_root=tmp_path)
        server = ThreadedServer(asgi).__enter__()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.__exit__()


def kinds() -> list[str]:
    return [call[0] for call in CALLS]


@needs_hooks
def test_hooks_run_around_the_function_in_the_workers_order(recorder, serve) -> None:
    server = serve("1")
    CALLS.clear()
    response = httpx.get(f"{server.base_url}/hello")
    assert response.text == "hi"
    assert kinds() == ["app-pre", "function", "app-post"]


@needs_hooks
def test_post_function_load_runs_once_per_function_at_start(recorder, serve, tmp_path: Path) -> None:
    serve("1")
    loads = [call[1:] for call in CALLS if call[0] == "load"]
    assert sorted(loads) == sorted((name, str(tmp_path)) for name in ("hello", "hello_async", "with_context", "boom"))


@needs_hooks
@pytest.mark.parametrize("flag", ["1", "true", "True", "t", "yes", "Y"])
def test_hooks_run_when_the_flag_is_true(recorder, serve, flag: str) -> None:
    server = serve(flag)
    httpx.get(f"{server.base_url}/hello")
    assert "app-pre" in kinds() and "app-post" in kinds()


@pytest.mark.parametrize("flag", [None, "", "0", "false", "no", "off", "enabled"])
def test_no_hook_runs_when_the_flag_is_off(recorder, serve, flag: str | None) -> None:
    server = serve(flag)
    response = httpx.get(f"{server.base_url}/hello")
    assert response.text == "hi"
    assert kinds() == ["function"]
    assert "x-seen-by" not in response.headers


@needs_hooks
def test_the_flag_is_read_once_when_the_server_starts(recorder, serve, monkeypatch: pytest.MonkeyPatch) -> None:
    on_at_start = serve("1")
    off_at_start = serve("0")
    monkeypatch.setenv("PYTHON_ENABLE_WORKER_EXTENSIONS", "0")
    CALLS.clear()
    httpx.get(f"{on_at_start.base_url}/hello")
    assert kinds() == ["app-pre", "function", "app-post"]
    monkeypatch.setenv("PYTHON_ENABLE_WORKER_EXTENSIONS", "1")
    CALLS.clear()
    httpx.get(f"{off_at_start.base_url}/hello")
    assert kinds() == ["function"]


@needs_hooks
def test_hooks_get_the_workers_logger_a_context_and_the_arguments(recorder, serve, tmp_path: Path) -> None:
    server = serve("1")
    CALLS.clear()
    httpx.get(f"{server.base_url}/hello?x=1")
    (_, pre_logger, pre_context, pre_args), (_, _, _), post = CALLS[0], CALLS[1][:3], CALLS[2]
    _, post_logger, post_context, post_args, returned = post
    assert pre_logger is post_logger
    assert pre_logger.name == "azure_functions_worker.extension.Recorder"
    assert pre_context is post_context and isinstance(pre_context, func.Context)
    assert pre_context.function_name == "hello"
    assert pre_context.function_directory == str(tmp_path)
    assert len(pre_context.invocation_id) == 36
    assert set(pre_args) == {"req"} and isinstance(pre_args["req"], func.HttpRequest)
    assert pre_args["req"].params == {"x": "1"}
    assert post_args is pre_args
    assert isinstance(returned, func.HttpResponse) and returned.get_body() == b"hi"


@needs_hooks
def test_each_invocation_gets_a_fresh_invocation_id(recorder, serve) -> None:
    server = serve("1")
    CALLS.clear()
    for _ in range(3):
        httpx.get(f"{server.base_url}/hello")
    ids = [call[2].invocation_id for call in CALLS if call[0] == "app-pre"]
    assert len(set(ids)) == 3


@needs_hooks
def test_a_function_asking_for_context_gets_the_hooks_context(recorder, serve) -> None:
    server = serve("1")
    CALLS.clear()
    response = httpx.get(f"{server.base_url}/with_context")
    pre = CALLS[0]
    assert response.text == "with_context"
    assert pre[3]["context"] is pre[2]
    assert CALLS[1] == ("function", "with_context", pre[2].invocation_id)


@needs_hooks
def test_headers_set_in_a_post_hook_reach_the_client(recorder, serve) -> None:
    server = serve("1")
    assert httpx.get(f"{server.base_url}/hello").headers["x-seen-by"] == "Recorder"


@needs_hooks
def test_sync_functions_run_in_the_thread_pool_and_async_ones_on_the_loop(recorder, serve) -> None:
    server = serve("1")
    CALLS.clear()
    httpx.get(f"{server.base_url}/hello")
    httpx.get(f"{server.base_url}/hello_async")
    threads = {call[1]: call[2] for call in CALLS if call[0] == "function"}
    assert threads["hello"].startswith("function")
    assert not threads["hello_async"].startswith("function")
    assert kinds() == ["app-pre", "function", "app-post"] * 2


@needs_hooks
def test_no_post_hook_runs_when_the_function_raises(recorder, serve, caplog: pytest.LogCaptureFixture) -> None:
    server = serve("1")
    CALLS.clear()
    with caplog.at_level(logging.ERROR, logger="container.gateway"):
        response = httpx.get(f"{server.base_url}/boom")
    assert kinds() == ["app-pre", "function"]
    assert response.status_code == 500
    error_id = response.json()["error_id"]
    assert "secret detail" not in response.text and "Traceback" not in response.text
    logged = [r for r in caplog.records if r.name == "container.gateway"]
    assert error_id in logged[0].getMessage()
    assert logged[0].exc_info is not None


@needs_hooks
def test_a_hook_that_raises_is_logged_and_swallowed(clean_extensions, serve, caplog: pytest.LogCaptureFixture) -> None:
    CALLS.clear()

    class Broken(func.AppExtensionBase):
        @classmethod
        def pre_invocation_app_level(cls, logger, context, func_args=None, *args, **kwargs):
            raise ValueError("pre hook broke")

    class AfterBroken(func.AppExtensionBase):
        @classmethod
        def pre_invocation_app_level(cls, logger, context, func_args=None, *args, **kwargs):
            CALLS.append(("after-broken-pre",))

        @classmethod
        def post_invocation_app_level(cls, logger, context, func_args=None, func_ret=None, *args, **kwargs):
            CALLS.append(("after-broken-post",))

    server = serve("1")
    with caplog.at_level(logging.ERROR):
        response = httpx.get(f"{server.base_url}/hello")
    assert response.status_code == 200 and response.text == "hi"
    assert kinds() == ["after-broken-pre", "function", "after-broken-post"]
    broken = [r for r in caplog.records if r.name == "azure_functions_worker.extension.Broken"]
    assert broken and "pre hook broke" in broken[0].getMessage() and broken[0].exc_info


@needs_hooks
def test_function_level_extensions_run_inside_the_app_level_ones(
    recorder, serve, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AzureWebJobsScriptRoot", str(tmp_path))

    class PerFunction(func.FuncExtensionBase):
        def __init__(self, file_path: str) -> None:
            super().__init__(file_path)

        def post_function_load(self, function_name, function_directory, *args, **kwargs):
            CALLS.append(("func-load", function_name))

        def pre_invocation(self, logger, context, func_args=None, *args, **kwargs):
            CALLS.append(("func-pre", logger.name))

        def post_invocation(self, logger, context, func_args=None, func_ret=None, *args, **kwargs):
            CALLS.append(("func-post", logger.name))

    PerFunction(str(tmp_path / "hello" / "__init__.py"))  # binds to the function named "hello"
    server = serve("1")
    assert ("func-load", "hello") in CALLS
    CALLS.clear()
    httpx.get(f"{server.base_url}/hello")
    assert kinds() == ["app-pre", "func-pre", "function", "func-post", "app-post"]
    assert CALLS[1][1] == "azure_functions_worker.extension.PerFunction"
    CALLS.clear()
    httpx.get(f"{server.base_url}/hello_async")
    assert kinds() == ["app-pre", "function", "app-post"]


def test_invocation_ids_are_version_4_uuids() -> None:
    import uuid

    from container.invocation import InvocationIds

    new_id = InvocationIds()
    ids = {new_id() for _ in range(1000)}
    assert len(ids) == 1000
    assert all(uuid.UUID(i).version == 4 and str(uuid.UUID(i)) == i for i in ids)


def test_invocation_ids_of_two_processes_differ() -> None:
    from container.invocation import InvocationIds

    first, second = InvocationIds(), InvocationIds()
    assert {first() for _ in range(1000)}.isdisjoint({second() for _ in range(1000)})


def test_invocation_ids_stay_unique_across_threads() -> None:
    from concurrent.futures import ThreadPoolExecutor

    from container.invocation import InvocationIds

    new_id = InvocationIds()
    with ThreadPoolExecutor(8) as pool:
        batches = list(pool.map(lambda _: [new_id() for _ in range(5000)], range(8)))
    assert len({i for batch in batches for i in batch}) == 8 * 5000
