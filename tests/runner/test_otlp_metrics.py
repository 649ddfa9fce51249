"""SERVER_OTLP_METRICS=1: each worker process pushes the timer's metrics to an OTLP/gRPC collector."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from concurrent import futures
from pathlib import Path

import grpc
import httpx
import pytest
from opentelemetry.proto.collector.metrics.v1 import metrics_service_pb2, metrics_service_pb2_grpc

from container.settings import ServerSettings, SettingsError
from tests.support.cases import TUTORIAL_REQUEST
from tests.support.servers import free_port, start_container


class Collector(metrics_service_pb2_grpc.MetricsServiceServicer):
    """An OTLP metrics receiver keeping, per service instance, the latest cumulative value of each series."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        #: (instance, metric, function, first call or not) -> value: the cold first call is a series of its own.
        self.latest: dict[tuple[str, str, str, bool], float] = {}
        self.services: set[str] = set()

    def Export(self, request, context):  # noqa: N802 - the gRPC method's name
        with self.lock:
            for resource_metrics in request.resource_metrics:
                attributes = {a.key: a.value.string_value for a in resource_metrics.resource.attributes}
                instance = attributes["service.instance.id"]
                self.services.add(attributes["service.name"])
                for scope in resource_metrics.scope_metrics:
                    for metric in scope.metrics:
                        kind = metric.WhichOneof("data")
                        for point in getattr(metric, kind).data_points:
                            function = {a.key: a.value.string_value for a in point.attributes}.get("faas.name", "")
                            cold = any(a.key == "faas.coldstart" for a in point.attributes)
                            value = point.count if kind == "histogram" else point.as_int or point.as_double
                            self.latest[(instance, metric.name, function, cold)] = value
        return metrics_service_pb2.ExportMetricsServiceResponse()

    def total(self, metric: str, function: str = "echo") -> float:
        with self.lock:
            return sum(v for (_, m, f, _), v in self.latest.items() if m == metric and f == function)

    def instances(self) -> set[str]:
        with self.lock:
            return {instance for instance, _, _, _ in self.latest}


@pytest.fixture
def collector() -> Iterator[tuple[Collector, int]]:
    receiver = Collector()
    port = free_port()
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
    metrics_service_pb2_grpc.add_MetricsServiceServicer_to_server(receiver, server)
    server.add_insecure_port(f"127.0.0.1:{port}")
    server.start()
    yield receiver, port
    server.stop(grace=None)


def wait_for(condition, timeout: float = 20.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return condition()


def send_echoes(base_url: str, n: int) -> None:
    for _ in range(n):  # a fresh connection each, so both processes serve some
        with httpx.Client(base_url=base_url, timeout=30) as client:
            assert client.post("/echo", json=TUTORIAL_REQUEST).status_code == 200


ECHOES = 60  # each on a fresh connection, so both processes serve some


def test_both_processes_deliver_their_counts_before_and_at_shutdown(tmp_path: Path, collector) -> None:
    receiver, port = collector
    server = start_container(
        tmp_path,
        WEB_CONCURRENCY="2",
        PYTHON_ENABLE_WORKER_EXTENSIONS="1",
        SERVER_ACCESS_LOG="0",
        SERVER_OTLP_METRICS="1",
        OTEL_EXPORTER_OTLP_METRICS_ENDPOINT=f"http://127.0.0.1:{port}",
        OTEL_METRIC_EXPORT_INTERVAL="250",
        OTEL_SERVICE_NAME="echo-test",
    )
    try:
        send_echoes(server.base_url, ECHOES)
        assert wait_for(lambda: receiver.total("faas.invoke_duration") == ECHOES), receiver.latest
        assert receiver.total("faas.invocations") == ECHOES
        assert len(receiver.instances()) == 2  # one resource per worker process
        assert receiver.services == {"echo-test"}
        assert receiver.total("faas.init_duration", "") == 2  # one start-up per worker process
        assert receiver.total("faas.coldstarts") == 2  # each process's first echo
        # Sent just before SIGTERM: only the export at shutdown can deliver these.
        send_echoes(server.base_url, 10)
    finally:
        assert server.stop() == 0
    assert receiver.total("faas.invoke_duration") == ECHOES + 10
    assert receiver.total("faas.invocations") == ECHOES + 10


def test_without_the_setting_no_sdk_is_configured(tmp_path: Path, collector) -> None:
    receiver, port = collector
    server = start_container(
        tmp_path,
        PYTHON_ENABLE_WORKER_EXTENSIONS="1",
        OTEL_EXPORTER_OTLP_METRICS_ENDPOINT=f"http://127.0.0.1:{port}",
        OTEL_METRIC_EXPORT_INTERVAL="200",
    )
    try:
        send_echoes(server.base_url, 5)
        time.sleep(0.6)  # three export intervals: an SDK, had one been configured, would have exported
    finally:
        server.stop()
    assert receiver.latest == {}


def test_the_setting_without_an_endpoint_is_refused_at_start() -> None:
    with pytest.raises(SettingsError, match="OTEL_EXPORTER_OTLP_METRICS_ENDPOINT"):
        ServerSettings.from_environ({"SERVER_OTLP_METRICS": "1"})
