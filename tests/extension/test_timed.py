"""@timed: every invocation recorded exactly once, with hooks, without them, and when the function raises."""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import sys
import threading
import traceback
import typing
from collections.abc import Callable
from typing import Any

import azure.functions as func
import pytest

from container.invocation import ExtensionHooks, Invoker, extensions_enabled
from container.routing import Route, RouteTable
from python_worker_extension_timer import TimerExtension, timed
from tests.support.tiers import sized

BOOM = "boom"
RAISED: list[BaseException] = []

#: mode -> (the worker runs the hooks, the functions are decorated)
MODES = {
    "hooks and decorator": (True, True),
    "decorator only": (False, True),
    "hooks only": (True, False),
}
DECORATED_MODES = [mode for mode, (_, decorated) in MODES.items() if decorated]


def make_app(decorated: bool) -> func.FunctionApp:
    wrap: Callable[[Any], Any] = TimerExtension.timed if decorated else (lambda function: function)
    app = func.FunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)

    @app.route(route="ok_sync")
    @wrap
    def ok_sync(req: func.HttpRequest) -> func.HttpResponse:
        return func.HttpResponse("sync", mimetype="text/plain")

    @app.route(route="ok_async")
    @wrap
    async def ok_async(req: func.HttpRequest) -> func.HttpResponse:
        return func.HttpResponse("async", mimetype="text/plain")

    @app.route(route="boom_sync")
    @wrap
    def boom_sync(req: func.HttpRequest) -> func.HttpResponse:
        error = ValueError(BOOM)
        RAISED.append(error)
        raise error

    @app.route(route="boom_async")
    @wrap
    async def boom_async(req: func.HttpRequest) -> func.HttpResponse:
        error = ValueError(BOOM)
        RAISED.append(error)
        raise error

    return app


class Runtime:
    """The app's functions behind our worker-style invoker, hooks on or off."""

    def __init__(self, mode: str, max_threads: int | None = None) -> None:
        hooks_on, decorated = MODES[mode]
        self.routes: dict[str, Route] = {
            route.function_name: route for route in RouteTable.from_function_app(make_app(decorated), "").routes
        }
        self.invoker = Invoker("/app", hooks=ExtensionHooks(enabled=hooks_on), max_threads=max_threads)
        self.invoker.load(route.function_name for route in self.routes.values())

    async def call(self, name: str) -> Any:
        request = func.HttpRequest("GET", f"http://localhost/{name}", body=b"")
        return await self.invoker.invoke(self.routes[name], request)

    def run(self, name: str) -> Any:
        return asyncio.run(self.call(name))

    def close(self) -> None:
        self.invoker.shutdown()


@pytest.fixture
def runtime():
    made: list[Runtime] = []

    def make(mode: str, max_threads: int | None = None) -> Runtime:
        made.append(Runtime(mode, max_threads))
        return made[-1]

    RAISED.clear()
    yield make
    for each in made:
        each.close()


def function_stats(name: str) -> dict[str, Any]:
    return TimerExtension.stats()["functions"][name]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("name", ["ok_sync", "ok_async"])
def test_an_invocation_is_recorded_once(runtime, mode, name):
    response = runtime(mode).run(name)
    assert function_stats(name)["count"] == 1
    assert TimerExtension.stats()["in_flight"] == 0
    assert response.headers["Server-Timing"].count("func;dur=") == 1


@pytest.mark.parametrize("mode", DECORATED_MODES)
@pytest.mark.parametrize("name", ["boom_sync", "boom_async"])
def test_a_raising_function_is_one_error_with_its_duration_at_once(runtime, mode, name):
    with pytest.raises(ValueError):
        runtime(mode).run(name)
    stats = function_stats(name)
    assert (stats["count"], stats["errors"], stats["abandoned"]) == (1, 1, 0)
    assert stats["max_ms"] is not None and stats["max_ms"] >= 0
    assert TimerExtension.stats()["in_flight"] == 0


@pytest.mark.parametrize("mode", DECORATED_MODES)
@pytest.mark.parametrize("name", ["boom_sync", "boom_async"])
def test_the_exception_propagates_unchanged(runtime, mode, name):
    with pytest.raises(ValueError) as caught:
        runtime(mode).run(name)
    assert caught.value is RAISED[-1]
    innermost = traceback.extract_tb(caught.value.__traceback__)[-1]
    assert (innermost.name, innermost.line) == (name, "raise error")


@pytest.mark.parametrize("name", ["boom_sync", "boom_async"])
def test_without_the_decorator_a_raising_function_stays_in_flight_as_the_worker_leaves_it(runtime, name):
    with pytest.raises(ValueError):
        runtime("hooks only").run(name)
    assert function_stats(name)["count"] == 0
    assert TimerExtension.stats()["in_flight"] == 1


THREADS, PER_THREAD = 8, sized(fast=1_000, full=10_000)


@pytest.mark.parametrize("mode", MODES)
def test_8_threads_of_mixed_sync_and_async_invocations_count_exactly(runtime, mode, fast_switching):
    TimerExtension.configure(log_level=None)
    rt = runtime(mode)
    failures: list[BaseException] = []
    barrier = threading.Barrier(THREADS)

    async def loop_body() -> None:
        for i in range(PER_THREAD):
            await rt.call("ok_sync" if i % 2 else "ok_async")

    def thread_body() -> None:
        try:
            barrier.wait()
            asyncio.run(loop_body())
        except BaseException as error:  # pragma: no cover - reported below
            failures.append(error)

    threads = [threading.Thread(target=thread_body) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    stats = TimerExtension.stats()
    assert stats["functions"]["ok_sync"]["count"] == THREADS * PER_THREAD // 2
    assert stats["functions"]["ok_async"]["count"] == THREADS * PER_THREAD // 2
    assert stats["in_flight"] == 0


def claims_on_the_pool_thread(rt: Runtime) -> Any:
    return rt.invoker._pool.submit(TimerExtension._state.claim.get).result()


@pytest.mark.parametrize("name", ["ok_sync", "boom_sync"])
def test_no_claim_is_left_on_a_reused_thread(runtime, name):
    rt = runtime("hooks and decorator", max_threads=1)
    for _ in range(3):
        with contextlib.suppress(ValueError):
            rt.run(name)
    assert claims_on_the_pool_thread(rt) is None


def test_a_claim_left_by_an_undecorated_raising_function_is_not_taken_by_the_next_call(runtime):
    decorated = make_app(decorated=True)  # the process has decorated functions: the hooks leave claims
    undecorated = runtime("hooks only", max_threads=1)
    with pytest.raises(ValueError):
        undecorated.run("boom_sync")
    assert claims_on_the_pool_thread(undecorated) is not None  # the worker gives no hook a chance to clear it
    # The same thread, now without hooks, runs a decorated function: it must time the call itself.
    route = {r.function_name: r for r in RouteTable.from_function_app(decorated, "").routes}["ok_sync"]
    request = func.HttpRequest("GET", "http://localhost/ok_sync", body=b"")
    response = undecorated.invoker._pool.submit(route.user_function, req=request).result()
    assert function_stats("ok_sync")["count"] == 1
    assert "func;dur=" in response.headers["Server-Timing"]


def bindings(app: func.FunctionApp) -> dict[str, Any]:
    return {f.get_function_name(): f.get_bindings_dict() for f in app.get_functions()}


def test_decorated_functions_index_to_the_same_bindings():
    assert bindings(make_app(decorated=True)) == bindings(make_app(decorated=False))


@pytest.mark.parametrize("name", ["ok_sync", "ok_async", "boom_sync", "boom_async"])
def test_the_decorated_function_keeps_what_the_worker_reads(name):
    def user_function(decorated: bool) -> Any:
        return {f.get_function_name(): f for f in make_app(decorated).get_functions()}[name].get_user_function()

    bare, wrapped = user_function(False), user_function(True)
    assert inspect.signature(wrapped) == inspect.signature(bare)
    assert typing.get_type_hints(wrapped) == typing.get_type_hints(bare)
    assert inspect.iscoroutinefunction(wrapped) == inspect.iscoroutinefunction(bare)
    assert wrapped.__name__ == bare.__name__


def test_string_annotations_resolve_in_the_users_module():
    namespace: dict[str, Any] = {}
    exec(
        "from __future__ import annotations\n"
        "import azure.functions as func\n"
        "def f(req: func.HttpRequest) -> func.HttpResponse: ...\n",
        namespace,
    )
    wrapped = timed(namespace["f"])
    assert typing.get_type_hints(wrapped) == {"req": func.HttpRequest, "return": func.HttpResponse}


def test_a_name_can_be_given_for_a_function_registered_under_another():
    @TimerExtension.timed(name="renamed")
    def original() -> str:
        return "x"

    original()
    assert function_stats("renamed")["count"] == 1


def test_the_decorator_appends_the_suffix_like_the_hooks(runtime):
    TimerExtension.configure(append_to_http_response=True)
    response = runtime("decorator only").run("ok_sync")
    assert response.get_body().decode().startswith("sync (TimeElapsed: ")


@pytest.mark.parametrize(
    "mode, expected",
    [
        ("hooks and decorator", "hooks and decorator"),
        ("decorator only", "decorator"),
        ("hooks only", "hooks"),
    ],
)
def test_stats_say_how_invocations_are_recorded(runtime, mode, expected):
    runtime(mode)
    stats = TimerExtension.stats()
    assert (stats["enabled"], stats["mode"], stats["reason"]) == (True, expected, None)


def test_stats_say_when_nothing_is_recorded():
    stats = TimerExtension.stats()
    assert (stats["enabled"], stats["mode"]) == (False, "off")
    assert "PYTHON_ENABLE_WORKER_EXTENSIONS" in stats["reason"] and "@timed" in stats["reason"]


@pytest.mark.parametrize(
    "version, flag, runs",
    [
        ((3, 10, 13), "1", True),
        ((3, 12, 1), "true", True),
        ((3, 12, 1), "", False),
        ((3, 13, 0), "1", False),
        ((3, 14, 0), "1", False),
    ],
)
def test_our_server_runs_hooks_as_the_worker_of_its_python_does(version, flag, runs):
    assert extensions_enabled({"PYTHON_ENABLE_WORKER_EXTENSIONS": flag}, version) is runs


@pytest.mark.skipif(sys.version_info < (3, 13), reason="the 3.13+ worker")
def test_on_this_python_the_default_hooks_are_off_even_with_the_flag(monkeypatch):
    monkeypatch.setenv("PYTHON_ENABLE_WORKER_EXTENSIONS", "1")
    assert ExtensionHooks().enabled is False
