"""Drives an app's functions of every trigger as Azure's Python worker does, in a fresh process; prints the result.

Run as `python -m tests.support.worker_driver` in the app's folder (so `function_app` is the app's). The worker's
steps: import `function_app`, index it once (`get_functions()`), the function-load hooks for every function, then
per invocation the app-level pre hooks, the function (sync ones on a pool thread, with the hooks around them on
that thread; async ones on the event loop), the post hooks, none of which run when the function raised. The
invocations are real `azure.functions` inputs: a `TimerRequest`, `QueueMessage`s, a blob `InputStream`,
`EventHubEvent`s and `HttpRequest`s. An OpenTelemetry SDK with an in-memory reader is the global provider, as
the worker's `configure_azure_monitor()` would set one. Prints one JSON object: the statistics, the Prometheus
samples and the OpenTelemetry points per function.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import sys
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from opentelemetry import metrics
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader

READER = InMemoryMetricReader()
metrics.set_meter_provider(MeterProvider(metric_readers=[READER]))

import azure.functions as func  # noqa: E402
from azure.functions.blob import InputStream  # noqa: E402
from azure.functions.timer import TimerRequest  # noqa: E402
from prometheus_client.parser import text_string_to_metric_families  # noqa: E402

import function_app  # noqa: E402  (the app's: the driver runs in its folder)
from container.invocation import ExtensionHooks, InvocationContext  # noqa: E402

INDEXED = {function.get_function_name(): function for function in function_app.app.get_functions()}
HOOKS = ExtensionHooks()
POOL = ThreadPoolExecutor(max_workers=2, thread_name_prefix="function")


def http(path: str, **route_params: str) -> func.HttpRequest:
    return func.HttpRequest("GET", f"http://localhost/{path}", body=b"", route_params=route_params)


#: Each invocation: the function, and its one argument (named as its trigger binding names it).
INVOCATIONS: list[tuple[str, Any]] = [
    ("tick", TimerRequest(past_due=False)),
    ("tick", TimerRequest(past_due=True)),
    ("order_queued", func.QueueMessage(id="1", body=b"order 1")),
    ("order_queued", func.QueueMessage(id="2", body=b"order 2")),
    ("order_queued", func.QueueMessage(id="3", body=b"poison")),
    ("receipt_uploaded", InputStream(data=b"%PDF-1.7 receipt", name="receipts/r1.pdf", uri="/receipts/r1.pdf")),
    ("order_event", func.EventHubEvent(body=b'{"order": 1, "state": "paid"}')),
    ("order_event", func.EventHubEvent(body=b'{"order": 2, "state": "shipped"}')),
    ("greet", http("greet/ada", name="ada")),
    ("square", http("square/7", n="7")),
    ("fail", http("fail")),
    ("fail", http("fail")),
    ("order", http("orders/42", order_id="42")),
]


def call(name: str, argument: Any) -> str:
    """One invocation in the worker's order; what it ended with: `returned` or `raised`."""
    function = INDEXED[name]
    args = {function.get_trigger().name: argument}
    context = InvocationContext(name, str(function_app.__file__), str(uuid.uuid4()))
    found = HOOKS.registered(name) if HOOKS.enabled else None
    user_function = function.get_user_function()

    def around() -> Any:
        if found:
            HOOKS.before(found, context, args)
        returned = user_function(**args)
        if found:
            HOOKS.after(found, context, args, returned)
        return returned

    async def around_async() -> Any:
        if found:
            HOOKS.before(found, context, args)
        returned = await user_function(**args)
        if found:
            HOOKS.after(found, context, args, returned)
        return returned

    try:
        if inspect.iscoroutinefunction(user_function):
            asyncio.run(around_async())
        else:
            POOL.submit(around).result()
    except Exception:  # the worker reports the failure to the host; no post hook ran
        return "raised"
    return "returned"


def otel_points() -> dict[str, dict[str, list[str]]]:
    """Per instrument, per function, the `faas.trigger` of each of its points."""
    found: dict[str, dict[str, list[str]]] = {}
    data = READER.get_metrics_data()
    for resource in data.resource_metrics if data else ():
        for scope in resource.scope_metrics:
            for metric in scope.metrics:
                for point in metric.data.data_points:
                    name = point.attributes.get("faas.name")
                    if name is not None:
                        found.setdefault(metric.name, {}).setdefault(str(name), []).append(
                            str(point.attributes["faas.trigger"])
                        )
    return found


def main() -> None:
    for name in INDEXED:
        HOOKS.function_loaded(name, str(function_app.__file__))
    outcomes = [call(name, argument) for name, argument in INVOCATIONS]
    from python_worker_extension_timer import TimerExtension
    from python_worker_extension_timer.prometheus import exposition

    body, _ = exposition(TimerExtension)
    samples = [
        [sample.name, sample.labels, sample.value]
        for family in text_string_to_metric_families(body.decode())
        for sample in family.samples
        if sample.name in ("faas_invocations_total", "faas_errors_total")
    ]
    stats = TimerExtension.stats()
    json.dump(
        {
            "hooks": HOOKS.enabled,
            "outcomes": outcomes,
            "received": function_app.bp_orders.RECEIVED,
            "ticks": function_app.TICKS,
            "stats": stats,
            "prometheus": samples,
            "opentelemetry": otel_points(),
        },
        sys.stdout,
    )


if __name__ == "__main__":
    main()
