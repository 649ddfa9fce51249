"""Where no hook runs, every call has a real id (the context's, or one we assign); reset() keeps every function."""

from __future__ import annotations

import asyncio
import re
from typing import Any

import azure.functions as func
import pytest

from python_worker_extension_timer import TimerExtension

UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-8[0-9a-f]{3}-[0-9a-f]{12}$")
REQUEST = func.HttpRequest("GET", "http://localhost/echo", body=b"")


def run(function: Any, **kwargs: Any) -> Any:
    result = function(**kwargs)
    return asyncio.run(result) if asyncio.iscoroutine(result) else result


def make_function(kind: str, with_context: bool, seen: list[list[object]]) -> Any:
    """`echo`, sync or async, with or without a `context` parameter; it notes the in-flight ids while it runs."""
    if kind == "sync" and with_context:

        def echo(req: func.HttpRequest, context: func.Context) -> func.HttpResponse:
            seen.append(TimerExtension._state.in_flight.ids())
            return func.HttpResponse("x")
    elif kind == "sync":

        def echo(req: func.HttpRequest) -> func.HttpResponse:  # type: ignore[misc]
            seen.append(TimerExtension._state.in_flight.ids())
            return func.HttpResponse("x")
    elif with_context:

        async def echo(req: func.HttpRequest, context: func.Context) -> func.HttpResponse:  # type: ignore[misc]
            seen.append(TimerExtension._state.in_flight.ids())
            return func.HttpResponse("x")
    else:

        async def echo(req: func.HttpRequest) -> func.HttpResponse:  # type: ignore[misc]
            seen.append(TimerExtension._state.in_flight.ids())
            return func.HttpResponse("x")

    return TimerExtension.timed(echo)


@pytest.mark.parametrize("kind", ["sync", "async"])
def test_a_function_taking_context_is_logged_and_in_flight_under_the_contexts_invocation_id(
    kind, timer_log, make_context
):
    seen: list[list[object]] = []
    context = make_context("0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0", "echo")
    run(make_function(kind, True, seen), req=REQUEST, context=context)
    assert seen == [[context.invocation_id]]
    assert f"echo invocation {context.invocation_id} took" in timer_log.text


@pytest.mark.parametrize("kind", ["sync", "async"])
def test_a_function_without_context_gets_an_id_of_the_same_kind_in_the_log_and_in_flight(kind, timer_log):
    seen: list[list[object]] = []
    function = make_function(kind, False, seen)
    run(function, req=REQUEST)
    run(function, req=REQUEST)
    ids = [ids[0] for ids in seen]
    assert all(len(ids) == 1 for ids in seen)
    assert all(isinstance(i, str) and UUID.match(i) for i in ids), ids
    assert ids[0] != ids[1]
    for invocation_id in ids:
        assert f"echo invocation {invocation_id} took" in timer_log.text
    assert "object at 0x" not in timer_log.text


def test_reset_keeps_decorated_functions_listed_where_no_hook_runs():
    seen: list[list[object]] = []
    run(make_function("sync", False, seen), req=REQUEST)
    TimerExtension.reset()
    assert TimerExtension.stats()["functions"]["echo"]["count"] == 0


def test_reset_keeps_loaded_and_decorated_functions_listed_where_hooks_run(worker):
    seen: list[list[object]] = []
    decorated = make_function("sync", False, seen)
    worker.load("echo")
    worker.load("plain")
    worker.invoke(decorated, "echo", func_args={"req": REQUEST})
    worker.invoke(lambda: func.HttpResponse("y"), "plain")
    TimerExtension.reset()
    functions = TimerExtension.stats()["functions"]
    assert {name: functions[name]["count"] for name in ("echo", "plain")} == {"echo": 0, "plain": 0}


def test_reset_keeps_the_start_up_record():
    seen: list[list[object]] = []
    run(make_function("sync", False, seen), req=REQUEST)
    before = TimerExtension.stats()["processes"][0]["startup"]
    TimerExtension.reset()
    assert TimerExtension.stats()["processes"][0]["startup"] == before


@pytest.mark.skipif(not hasattr(__import__("os"), "fork"), reason="fork")
def test_a_forked_child_never_repeats_its_parents_ids():
    import os

    from python_worker_extension_timer.recording import new_invocation_id

    reader, writer = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: its next id, then out without running the parent's clean-up
        os.write(writer, new_invocation_id().encode())
        os._exit(0)
    os.close(writer)
    os.waitpid(pid, 0)
    child = os.read(reader, 100).decode()
    parent = new_invocation_id()
    assert UUID.match(child) and UUID.match(parent)
    assert child[:24] != parent[:24]  # another random prefix, so the counters may overlap safely
