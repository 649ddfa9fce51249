"""Hooks run concurrently on the worker's thread pool."""

from __future__ import annotations

import logging
import threading

import azure.functions as func
from azure.functions.extension import ExtensionMeta

from python_worker_extension_timer import TimerExtension
from tests.support.tiers import sized

THREADS = 8
PER_THREAD = sized(fast=2_000, full=20_000)  # with a 100 µs switch interval (fast_switching)


def test_concurrent_invocations_are_counted_exactly(worker, make_context, fast_switching):
    TimerExtension.configure(log_level=None)
    worker.load("echo")
    # The registered hooks, called as the worker calls them (looked up once:
    # the worker's per-call logging.getLogger() would serialise the threads).
    hooks = ExtensionMeta.get_application_hooks()
    [pre] = [h.ext_impl for h in hooks.pre_invocation_app_level]
    [post] = [h.ext_impl for h in hooks.post_invocation_app_level]
    logger = logging.getLogger("azure_functions_worker.extension.TimerExtension")
    error_response = func.HttpResponse("busy", status_code=503)
    barrier = threading.Barrier(THREADS)
    failures = []

    def run(thread: int) -> None:
        try:
            barrier.wait()
            for i in range(PER_THREAD):
                context = make_context(f"{thread}-{i}", "echo" if i % 2 else "orders")
                pre(logger, context, None)
                post(logger, context, None, error_response if i % 10 == 0 else None)
        except BaseException as exc:  # pragma: no cover - reported below
            failures.append(exc)

    threads = [threading.Thread(target=run, args=(t,)) for t in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert failures == []
    stats = TimerExtension.stats()
    assert stats["in_flight"] == 0
    echo, orders = stats["functions"]["echo"], stats["functions"]["orders"]
    assert echo["count"] == orders["count"] == THREADS * PER_THREAD // 2
    assert orders["errors"] == THREADS * PER_THREAD // 10  # i % 10 == 0 are all even
    assert echo["errors"] == 0
    assert echo["abandoned"] == orders["abandoned"] == 0
    assert sum(echo["histogram"]["counts"]) == echo["count"]


def test_stats_and_configure_can_run_while_invocations_do(worker, make_context):
    stop = threading.Event()
    failures = []

    def invocations():
        i = 0
        while not stop.is_set():
            context = make_context(f"c-{i}")
            worker.pre(context)
            worker.post(context, None, None)
            i += 1

    def readers():
        try:
            for n in range(200):
                TimerExtension.stats()
                TimerExtension.configure(server_timing=bool(n % 2), log_level=None)
        except BaseException as exc:  # pragma: no cover - reported below
            failures.append(exc)
        finally:
            stop.set()

    threads = [threading.Thread(target=invocations) for _ in range(3)] + [threading.Thread(target=readers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert failures == []
    assert TimerExtension.stats()["in_flight"] == 0
