"""The statistics in the Prometheus text format (optional: ``pip install python_worker_extension_timer[prometheus]``).

Metric names follow Prometheus naming (base unit seconds, ``_total`` for
counters) and OpenTelemetry's FaaS semantic conventions
(``faas.invoke_duration``, ``faas.invocations``, ``faas.errors``), with two
labels of low cardinality, ``function`` and ``trigger`` (the function's
trigger kind from the app's own metadata, as OpenTelemetry's
``faas.trigger``: see :mod:`.triggers`)::

    faas_invoke_duration_seconds_bucket{function="echo",trigger="http",le="0.005"} 1520.0
    faas_invocations_total{function="echo",trigger="http"} 1523.0
    faas_errors_total{function="echo",trigger="http"} 3.0
    faas_abandoned_total{function="echo",trigger="http"} 1.0
    faas_coldstarts_total{function="echo",trigger="http"} 2.0
    faas_init_duration_seconds_bucket{le="2.5"} 2.0

Cold starts follow OpenTelemetry's ``faas.coldstarts`` and
``faas.init_duration``: ``faas_coldstarts_total`` counts, per function, the
worker processes that ran its first call; ``faas_init_duration_seconds`` has
one observation per worker process that got ready (its start to the end of
its first call, see :mod:`.startup`), so its ``_count`` is the number of
process starts that completed.

The histogram's buckets are OpenTelemetry's advised boundaries for durations
(5 ms to 10 s). They are bucket edges of the extension's own histogram, so
the counts are exact, not interpolated. Everything is merged across the
worker processes of the server, like ``TimerExtension.stats()``.

Usage, in ``function_app.py``::

    from python_worker_extension_timer.prometheus import exposition

    @app.route(route="metrics", methods=["GET"])
    def metrics(req: func.HttpRequest) -> func.HttpResponse:
        body, content_type = exposition(TimerExtension)
        return func.HttpResponse(body, headers={"Content-Type": content_type})
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, HistogramMetricFamily, Metric

from .clock import NS_PER_SECOND
from .histogram import OTEL_BOUNDARIES_NS, OTEL_BOUNDARIES_SECONDS
from .snapshot import MergedView

__all__ = ["CONTENT_TYPE", "LABELS", "TimerCollector", "exposition", "metric_families"]

#: The classic Prometheus text format, understood by every scraper (Snowflake's sidecar included).
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
LABELS = ("function", "trigger")

#: An override of the trigger labels: one for every function, or one per function name (the names it leaves out
#: keep the kind the app's metadata gives).
Triggers = str | Mapping[str, str]


def _trigger_of(view: MergedView, triggers: Triggers | None) -> Callable[[str], str]:
    if triggers is None:
        return view.trigger_of
    if isinstance(triggers, str):
        return lambda name: triggers
    return lambda name: triggers.get(name) or view.trigger_of(name)


def metric_families(view: MergedView, triggers: Triggers | None = None) -> list[Metric]:
    """The metric families of a merged view, one series per function.

    ``triggers`` overrides the ``trigger`` label, which by default is each
    function's trigger kind from the app's own metadata.
    """
    trigger_of = _trigger_of(view, triggers)
    duration = HistogramMetricFamily(
        "faas_invoke_duration",
        "Duration of completed invocations (OpenTelemetry faas.invoke_duration).",
        labels=LABELS,
        unit="seconds",
    )
    invocations = CounterMetricFamily(
        "faas_invocations", "Completed invocations, with or without an error.", labels=LABELS
    )
    errors = CounterMetricFamily(
        "faas_errors", "Invocations that failed: a 5xx response, an exception, or abandoned.", labels=LABELS
    )
    abandoned = CounterMetricFamily(
        "faas_abandoned", "Invocations that started and were never seen to finish.", labels=LABELS
    )
    coldstarts = CounterMetricFamily(
        "faas_coldstarts",
        "First calls of a function in a new worker process (OpenTelemetry faas.coldstarts).",
        labels=LABELS,
    )
    for name, count in view.coldstarts().items():
        coldstarts.add_metric([name, trigger_of(name)], count)
    init = sorted(view.init_seconds())
    init_duration = HistogramMetricFamily(
        "faas_init_duration",
        "Worker process start to the end of its first call, once per process (OpenTelemetry faas.init_duration).",
        unit="seconds",
    )
    init_buckets = [(repr(bound), float(bisect.bisect_right(init, bound))) for bound in OTEL_BOUNDARIES_SECONDS]
    init_buckets.append(("+Inf", float(len(init))))
    init_duration.add_metric([], init_buckets, sum_value=sum(init))
    for name, record in view.functions.items():
        total = record.total
        labels = [name, trigger_of(name)]
        buckets: list[tuple[str, float]] = [
            (repr(seconds), float(total.hist.count_at_or_below(bound_ns)))
            for seconds, bound_ns in zip(OTEL_BOUNDARIES_SECONDS, OTEL_BOUNDARIES_NS, strict=True)
        ]
        buckets.append(("+Inf", float(total.count)))
        duration.add_metric(labels, buckets, sum_value=total.sum_ns / NS_PER_SECOND)
        invocations.add_metric(labels, total.count)
        errors.add_metric(labels, total.errors)
        abandoned.add_metric(labels, total.abandoned)
    return [duration, invocations, errors, abandoned, coldstarts, init_duration]


class TimerCollector:
    """A ``prometheus_client`` collector reading a timer extension at every scrape.

    Register it with your own registry to serve the metrics beside others::

        REGISTRY.register(TimerCollector(TimerExtension.view))

    Parameters
    ----------
    view: Callable[[], MergedView]
        Usually ``TimerExtension.view`` (or that of a subclass).
    triggers: str | Mapping[str, str] | None
        By default (``None``) each function's trigger kind from the app's
        own metadata. Else an override: the ``faas.trigger`` of every
        function (``"http"``, ``"timer"``, ``"pubsub"``, ``"datasource"`` or
        ``"other"``), or one per function name.
    """

    def __init__(self, view: Callable[[], MergedView], triggers: Triggers | None = None) -> None:
        self._view = view
        self._triggers = triggers

    def collect(self) -> Iterator[Metric]:
        yield from metric_families(self._view(), self._triggers)


def exposition(extension: Any, triggers: Triggers | None = None) -> tuple[bytes, str]:
    """The metrics of ``extension`` (``TimerExtension`` or a subclass) as ``(body, content_type)``.

    ``triggers`` overrides the ``trigger`` labels (see :func:`metric_families`).
    """
    registry = CollectorRegistry(auto_describe=False)
    registry.register(TimerCollector(extension.view, triggers))
    return generate_latest(registry), CONTENT_TYPE
