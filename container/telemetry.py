"""OpenTelemetry metrics pushed over OTLP from each worker process, on request.

With `SERVER_OTLP_METRICS=1`, each worker process sets the global
`MeterProvider` to the SDK's, exporting every `OTEL_METRIC_EXPORT_INTERVAL`
(60 s by default) to `OTEL_EXPORTER_OTLP_METRICS_ENDPOINT` over gRPC, which
Snowflake sets inside a service. The timer extension's instruments (created
on the API's proxy provider) forward to it from then on. Each process is one
resource (`service.name`, `service.instance.id`), so a collector adds the
processes up; the last figures are exported at graceful shutdown.

The exporter reads the standard variables itself: `..._METRICS_ENDPOINT`,
`..._METRICS_INSECURE` (an `http://` endpoint is plain text, as Snowflake's
collector is), `..._METRICS_HEADERS`, `..._METRICS_TIMEOUT`.
"""

from __future__ import annotations

import logging
import os
import socket
import uuid
from collections.abc import Callable, Mapping

ENDPOINT_VARIABLE = "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT"
DEFAULT_SERVICE_NAME = "echo-service"

logger = logging.getLogger("container.telemetry")


def start_otlp_metrics(environ: Mapping[str, str] = os.environ) -> Callable[[], None]:
    """Install the SDK's MeterProvider with an OTLP gRPC exporter; returns what flushes and stops it.

    Imports the SDK here, so a server without `SERVER_OTLP_METRICS` never loads it.
    """
    from opentelemetry import metrics
    from opentelemetry.exporter.otlp.proto.grpc.metric_exporter import OTLPMetricExporter
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.metrics.export import PeriodicExportingMetricReader
    from opentelemetry.sdk.resources import SERVICE_INSTANCE_ID, SERVICE_NAME, Resource

    instance = f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    resource = Resource.create(
        {SERVICE_NAME: environ.get("OTEL_SERVICE_NAME") or DEFAULT_SERVICE_NAME, SERVICE_INSTANCE_ID: instance}
    )
    provider = MeterProvider(metric_readers=[PeriodicExportingMetricReader(OTLPMetricExporter())], resource=resource)
    metrics.set_meter_provider(provider)
    logger.info("OpenTelemetry metrics to %s over OTLP/gRPC as %s", environ.get(ENDPOINT_VARIABLE), instance)

    def stop() -> None:
        provider.shutdown()  # exports what is left, then stops the reader

    return stop
