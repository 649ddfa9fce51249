#!/usr/bin/env python3
"""The timer's cost per invocation in each way it can time, with and without OpenTelemetry, in one run.

Ways: the worker's hook pair around an undecorated function ("hooks only"), the
`@timed` wrapper alone ("decorator only": Python 3.13+, or the setting off), and
both ("hooks and decorator": Python 3.10-3.12 with the setting on). Each with no
OpenTelemetry sink, with the API's instruments before any SDK is set (the no-op
proxies every install with `opentelemetry-api` has), and with an SDK
MeterProvider (an in-memory reader) behind them. A plain call of the same
function is the baseline; "added µs" is the cost over it. Best of the rounds,
rounds interleaved.

Goals: the decorator adds at most 3 µs to the hooks' cost; OpenTelemetry with an
SDK adds at most 10 µs.

    python benchmarks/timing_modes.py [--n 20000] [--rounds 5]
"""

from __future__ import annotations

import argparse
import gc
import logging
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import azure.functions as func  # noqa: E402
from opentelemetry.sdk.metrics import MeterProvider  # noqa: E402
from opentelemetry.sdk.metrics.export import InMemoryMetricReader  # noqa: E402

from benchmarks.harness import table  # noqa: E402
from container.invocation import InvocationContext  # noqa: E402
from python_worker_extension_timer import TimerExtension  # noqa: E402
from python_worker_extension_timer.otel import OpenTelemetrySink  # noqa: E402

RESPONSE = func.HttpResponse("Bob said hello!")


def function(req: func.HttpRequest) -> func.HttpResponse:
    return RESPONSE


DECORATED = TimerExtension.timed(function)
LOGGER = logging.getLogger("azure_functions_worker.extension.TimerExtension")


def loop(way: str, n: int) -> float:
    """ns per invocation of `way`."""
    request = func.HttpRequest("POST", "/echo", body=b"")
    contexts = [InvocationContext("function", "/app", f"id-{i}") for i in range(n)]
    pre, post = TimerExtension.pre_invocation_app_level, TimerExtension.post_invocation_app_level
    gc.collect()
    gc.disable()
    try:
        t0 = time.perf_counter_ns()
        if way == "plain call":
            for _ in contexts:
                function(req=request)
        elif way == "hooks only":
            for context in contexts:
                args = {"req": request}
                pre(LOGGER, context, args)
                returned = function(**args)
                post(LOGGER, context, args, returned)
        elif way == "decorator only":
            for _ in contexts:
                DECORATED(req=request)
        else:  # hooks and decorator
            for context in contexts:
                args = {"req": request}
                pre(LOGGER, context, args)
                returned = DECORATED(**args)
                post(LOGGER, context, args, returned)
        elapsed = time.perf_counter_ns() - t0
    finally:
        gc.enable()
    return elapsed / n


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    TimerExtension.configure(log_level=None)
    TimerExtension._state.opentelemetry_totals = None  # the sink is the benchmark's choice, never attached by itself
    sinks: dict[str, Callable[[], OpenTelemetrySink | None]] = {}
    totals = TimerExtension._state.local_totals
    api_sink = OpenTelemetrySink(totals)  # the global provider is still the API's proxy: no SDK
    sdk_sink = OpenTelemetrySink(totals, MeterProvider(metric_readers=[InMemoryMetricReader()]))
    sinks = {
        "no OpenTelemetry": lambda: None,
        "OpenTelemetry API, no SDK": lambda: api_sink,
        "OpenTelemetry SDK": lambda: sdk_sink,
    }
    ways = ["plain call", "hooks only", "decorator only", "hooks and decorator"]
    best: dict[tuple[str, str], float] = {}
    for _ in range(args.rounds):
        for otel, sink in sinks.items():
            TimerExtension._state.sink = sink()
            for way in ways:
                key = (otel, way)
                best[key] = min(best.get(key, float("inf")), loop(way, args.n))
    rows = []
    for otel in sinks:
        baseline = best[(otel, "plain call")]
        for way in ways[1:]:
            value = best[(otel, way)]
            rows.append([otel, way, f"{value:,.0f}", f"{(value - baseline) / 1000:.2f}"])
    print(
        table(
            "The timer's cost per invocation, by way of timing (ns per call; added µs over a plain call)",
            ["OpenTelemetry", "way", "ns per invocation", "added µs"],
            rows,
        )
    )
    decorator_adds = (
        best[("no OpenTelemetry", "hooks and decorator")] - best[("no OpenTelemetry", "hooks only")]
    ) / 1000
    sdk_adds = max((best[("OpenTelemetry SDK", way)] - best[("no OpenTelemetry", way)]) / 1000 for way in ways[1:])
    print(
        f"\nthe decorator adds {decorator_adds:.2f} µs to the hooks (goal: at most 3): "
        f"{'met' if decorator_adds <= 3 else 'NOT met'}"
    )
    print(
        f"OpenTelemetry with an SDK adds at most {sdk_adds:.2f} µs (goal: at most 10): "
        f"{'met' if sdk_adds <= 10 else 'NOT met'}"
    )


if __name__ == "__main__":
    main()
