"""Every recorded invocation also goes to OpenTelemetry instruments (optional extra ``[opentelemetry]``).

When ``opentelemetry-api`` is importable, :class:`OpenTelemetrySink` creates,
through the **global** ``MeterProvider``, the instruments of OpenTelemetry's
FaaS semantic conventions and the extension feeds them every invocation it
records (hooks or ``@timed``):

========================  ==================  ====================================
``faas.invoke_duration``  histogram           seconds, OpenTelemetry's advised
                                              boundaries
``faas.invocations``      observable counter  invocations that succeeded
``faas.errors``           observable counter  failed invocations (5xx, raised,
                                              abandoned)
``faas.coldstarts``       counter             first calls of a function in a
                                              worker process
``faas.init_duration``    histogram           seconds from a worker process's
                                              start to the end of its first call,
                                              once per process
========================  ==================  ====================================

The first call of each function in a process also carries the attribute
``faas.coldstart=true`` on its ``faas.invoke_duration`` record.

The counters are observed from the extension's own totals when the SDK
collects (no cost per invocation); only the duration is recorded per
invocation, since a histogram can only be fed one value at a time. With the
attributes ``faas.trigger`` (the function's trigger kind from the app's own
metadata, see :mod:`.triggers`: ``http``, ``timer``, ``pubsub``,
``datasource`` or ``other``, the same for every call of a function however it
ended) and ``faas.name`` (the function name).

A library uses the API only: this module never configures an SDK, a reader
or an exporter. Until the application (or the Azure Functions worker, with
``PYTHON_APPLICATIONINSIGHTS_ENABLE_TELEMETRY=true``) sets a real provider,
the instruments are the API's no-op proxies and cost next to nothing; once it
does, the proxies forward to it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from ._version import __version__
from .clock import NS_PER_SECOND
from .histogram import OTEL_BOUNDARIES_SECONDS
from .startup import StartupRecord
from .tally import Tally
from .triggers import APP_TRIGGERS

try:
    from opentelemetry import metrics as _metrics
except ImportError:  # the extra is not installed: the extension works without it
    _metrics = None  # type: ignore[assignment]

__all__ = ["OpenTelemetrySink", "available", "make_sink"]

INSTRUMENTATION_SCOPE = "python_worker_extension_timer"


def available() -> bool:
    """Whether ``opentelemetry-api`` can be imported."""
    return _metrics is not None


class OpenTelemetrySink:
    """The FaaS instruments, fed by the extension.

    Parameters
    ----------
    totals: Callable[[], Mapping[str, Tally]]
        This process's totals per function name, read when the counters are
        observed.
    meter_provider: opentelemetry.metrics.MeterProvider, optional
        Where the instruments come from; ``None`` (the default, and what
        the extension uses) means the global provider.
    trigger_of: Callable[[str], str], optional
        A function's ``faas.trigger``; by default read from the app's own
        metadata (:data:`.triggers.APP_TRIGGERS`).
    """

    __slots__ = (
        "duration",
        "invocations",
        "errors",
        "coldstarts",
        "init_duration",
        "_attributes",
        "_trigger_of",
        "_totals",
    )

    def __init__(
        self,
        totals: Callable[[], Mapping[str, Tally]],
        meter_provider: Any = None,
        trigger_of: Callable[[str], str] = APP_TRIGGERS.of,
    ) -> None:
        if _metrics is None:
            raise RuntimeError(
                "opentelemetry-api is not installed: pip install python_worker_extension_timer[opentelemetry]"
            )
        meter = _metrics.get_meter(INSTRUMENTATION_SCOPE, __version__, meter_provider=meter_provider)
        self.duration = meter.create_histogram(
            "faas.invoke_duration",
            unit="s",
            description="Duration of function invocations.",
            explicit_bucket_boundaries_advisory=list(OTEL_BOUNDARIES_SECONDS),
        )
        self._totals = totals
        self._attributes: dict[tuple[str, str], dict[str, str]] = {}
        self._trigger_of = trigger_of
        self.invocations = meter.create_observable_counter(
            "faas.invocations",
            callbacks=[self._observe_successes],
            unit="{invocation}",
            description="Number of successful invocations.",
        )
        self.errors = meter.create_observable_counter(
            "faas.errors", callbacks=[self._observe_errors], unit="{error}", description="Number of invocation errors."
        )
        self.coldstarts = meter.create_counter(
            "faas.coldstarts", unit="{coldstart}", description="Number of invocation cold starts."
        )
        self.init_duration = meter.create_histogram(
            "faas.init_duration",
            unit="s",
            description="Duration of the function's initialization, such as a cold start.",
            explicit_bucket_boundaries_advisory=list(OTEL_BOUNDARIES_SECONDS),
        )

    def _observe_successes(self, options: Any) -> Iterable[Any]:
        assert _metrics is not None
        for name, tally in self._totals().items():
            completed_errors = tally.errors - tally.abandoned
            yield _metrics.Observation(tally.count - completed_errors, self._attributes_of(name))

    def _observe_errors(self, options: Any) -> Iterable[Any]:
        assert _metrics is not None
        for name, tally in self._totals().items():
            yield _metrics.Observation(tally.errors, self._attributes_of(name))

    def _attributes_of(self, name: str) -> dict[str, str]:
        trigger = self._trigger_of(name)
        attributes = self._attributes.get((name, trigger))
        if attributes is None:
            attributes = self._attributes.setdefault((name, trigger), {"faas.trigger": trigger, "faas.name": name})
        return attributes

    def record(self, name: str, duration_ns: int, cold: bool = False) -> None:
        """The duration of one completed invocation of ``name``, labelled with the function's trigger kind.

        ``cold``: the first call of ``name`` in this process, which also counts one cold start.
        """
        attributes = self._attributes_of(name)
        if cold:
            self.coldstarts.add(1, attributes)
            self.duration.record(duration_ns / NS_PER_SECOND, {**attributes, "faas.coldstart": True})
            return
        self.duration.record(duration_ns / NS_PER_SECOND, attributes)

    def record_startup(self, record: StartupRecord) -> None:
        """The process's start-up is over: its duration, once per process."""
        seconds = record.init_seconds
        if seconds is not None:
            self.init_duration.record(seconds)


def make_sink(totals: Callable[[], Mapping[str, Tally]]) -> OpenTelemetrySink | None:
    """The sink on the global provider, or ``None`` when ``opentelemetry-api`` is not installed."""
    return OpenTelemetrySink(totals) if _metrics is not None else None
