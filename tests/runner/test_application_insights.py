"""What Application Insights receives from a worker with the app settings of the Azure template.

The real ``azure-monitor-opentelemetry`` exporter, configured as Azure's Python worker configures it
(``tests/support/azure_worker.py``), sends to a stand-in for the ingestion API on 127.0.0.1
(``tests/support/ingestion.py``); the tests read what arrived, envelope by envelope: the metric series
and their dimensions, the cold-start trace's properties, and no trace about the upload itself. The KQL
of the readmes is checked against the same capture.
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.azure_worker import start_worker, template_app_settings
from tests.support.ingestion import Capture, ingestion_stand_in

ROOT = Path(__file__).resolve().parents[2]
CALLS = [("GET", "/healthcheck"), ("POST", "/echo"), ("POST", "/echo"), ("GET", "/healthcheck")]
CALLED = {"healthcheck", "echo"}
NEVER_CALLED = {"ui", "timer_stats", "timer_page", "timer_metrics"}
#: Export every 300 ms, so an idle second holds several exports (and would hold their upload logs).
FAST_EXPORT = {"OTEL_METRIC_EXPORT_INTERVAL": "300", "OTEL_BLRP_SCHEDULE_DELAY": "100"}


def run_worker(worker: str, settings: dict[str, str], temp_dir: Path, idle: float = 1.5) -> Capture:
    with ingestion_stand_in() as stand_in:
        process = start_worker(stand_in.connection_string, {**settings, **FAST_EXPORT}, CALLS, temp_dir, idle, worker)
        try:
            out, err = process.communicate(timeout=90)
        except subprocess.TimeoutExpired:
            process.kill()
            raise
        assert process.returncode == 0, err
    return stand_in.capture


@pytest.fixture(scope="module", params=["current", "4.34"], ids=["current worker", "worker 4.34"])
def shipped(request, tmp_path_factory) -> Iterator[Capture]:
    """A worker process with the template's app settings: four calls, then idle, then its normal exit."""
    yield run_worker(request.param, template_app_settings(), tmp_path_factory.mktemp("worker"))


def series(capture: Capture, name: str) -> list[dict[str, Any]]:
    return [point for point in capture.metrics() if point["name"] == name]


# --- the metrics ----------------------------------------------------------------------------------


def test_each_call_is_a_duration_with_the_function_and_its_trigger(shipped: Capture) -> None:
    points = series(shipped, "faas.invoke_duration")
    calls = sum(p["count"] for p in points)
    assert calls == len(CALLS)
    assert {p["properties"]["faas.name"] for p in points} == CALLED
    assert all(p["properties"]["faas.trigger"] == "http" for p in points)


def test_a_histogram_arrives_as_sum_count_min_and_max(shipped: Capture) -> None:
    [point, *_] = series(shipped, "faas.invoke_duration")
    assert {"value", "count", "min", "max"} <= point.keys()
    assert "buckets" not in point and "bucketCounts" not in point


def test_the_first_call_of_each_function_is_a_series_of_its_own_marked_as_a_string(shipped: Capture) -> None:
    cold = [p for p in series(shipped, "faas.invoke_duration") if "faas.coldstart" in p["properties"]]
    assert sorted(p["properties"]["faas.name"] for p in cold) == sorted(CALLED)
    assert {p["properties"]["faas.coldstart"] for p in cold} == {"True"}
    assert all(p["count"] == 1 for p in cold)


def test_cold_starts_per_function_and_the_init_duration_once_per_process(shipped: Capture) -> None:
    coldstarts = series(shipped, "faas.coldstarts")
    assert {p["properties"]["faas.name"]: p["value"] for p in coldstarts if p["value"]} == dict.fromkeys(CALLED, 1)
    [init] = [p for p in series(shipped, "faas.init_duration") if p["count"]]
    assert init["properties"] == {} and init["count"] == 1 and init["value"] > 0


def test_the_counters_are_deltas_with_rows_of_zero_for_quiet_intervals(shipped: Capture) -> None:
    echo = [p for p in series(shipped, "faas.invocations") if p["properties"]["faas.name"] == "echo"]
    assert sum(p["value"] for p in echo) == 2  # a delta per export, not the total again each time
    assert any(p["value"] == 0 for p in echo)
    never = {p["properties"]["faas.name"] for p in series(shipped, "faas.invocations") if p["value"] == 0}
    assert never >= NEVER_CALLED  # every function the worker loaded has its rows


def test_functions_never_called_are_labelled_http_from_the_first_export(shipped: Capture) -> None:
    first = {}
    for point in series(shipped, "faas.invocations"):
        first.setdefault(point["properties"]["faas.name"], point["properties"]["faas.trigger"])
    assert {name: first[name] for name in NEVER_CALLED} == dict.fromkeys(NEVER_CALLED, "http")


# --- the traces -----------------------------------------------------------------------------------


def cold_start_trace(capture: Capture) -> dict[str, Any]:
    [trace] = [t for t in capture.traces() if t["message"].startswith("cold start: ready")]
    return trace


def test_the_cold_start_trace_has_each_figure_as_a_property_of_its_own(shipped: Capture) -> None:
    properties = cold_start_trace(shipped)["properties"]
    assert properties["event"] == "cold_start"
    assert properties["startup.measured_from"] == "process start"
    assert float(properties["startup.init_s"]) >= float(properties["startup.app_loaded_s"]) > 0
    assert float(properties["startup.first_calls_ms.healthcheck"]) >= 0  # the first call, one key per function
    assert properties["startup.slowest_import"]
    assert "attributes" not in properties  # no Python repr of a dict


def test_only_the_apps_own_lines_become_traces(shipped: Capture) -> None:
    loggers = {trace["properties"].get("logger_name") for trace in shipped.traces()}
    assert loggers == {"python_worker_extension_timer"}, loggers
    assert [t["message"][:17] for t in shipped.traces()] == ["cold start: ready"]


def test_the_uploads_log_nothing_that_is_uploaded(shipped: Capture) -> None:
    uploads = [t for t in shipped.traces() if "/v2.1/track" in t["message"] or "Transmission" in t["message"]]
    assert uploads == []
    assert len(series(shipped, "faas.invocations")) > 6 * 2  # several exports did happen meanwhile


def test_live_metrics_is_on_by_default(shipped: Capture) -> None:
    assert shipped.live_metrics_requests >= 1


@pytest.mark.heavy  # a third worker process; `make bench` (benchmarks/app_insights_traces.py) shows the same
def test_the_root_logger_as_the_workers_default_uploads_its_own_upload_logs(tmp_path: Path) -> None:
    """What the app settings avoid: the worker's default collects every logger, the exporter's own too."""
    settings = {"PYTHON_APPLICATIONINSIGHTS_ENABLE_TELEMETRY": "true", "PYTHON_ENABLE_WORKER_EXTENSIONS": "1"}
    capture = run_worker("current", settings, tmp_path, idle=1.0)
    loggers = {trace["properties"].get("logger_name") for trace in capture.traces()}
    assert "azure.core.pipeline.policies.http_logging_policy" in loggers
    assert "azure_functions_worker" in loggers
    assert cold_start_trace(capture)["properties"]["event"] == "cold_start"


# --- the readmes' queries -------------------------------------------------------------------------


def kusto_blocks() -> str:
    texts = [(ROOT / "README.md").read_text(), (ROOT / "python_worker_extension_timer" / "readme.md").read_text()]
    return "\n".join(block for text in texts for block in re.findall(r"```kusto\n(.*?)```", text, re.DOTALL))


def test_the_readmes_query_only_dimensions_that_arrive(shipped: Capture) -> None:
    queried = set(re.findall(r'customDimensions\["([^"]+)"\]', kusto_blocks()))
    sent = {key for item in shipped.traces() + shipped.metrics() for key in item["properties"]}
    assert queried, "no KQL reads a dimension"
    assert queried <= sent, queried - sent


def test_the_readmes_query_only_metrics_and_messages_that_arrive(shipped: Capture) -> None:
    kql = kusto_blocks()
    names = set(re.findall(r'name == "([^"]+)"', kql))
    assert names and names <= {p["name"] for p in shipped.metrics()}, names
    for start in re.findall(r'message startswith "([^"]+)"', kql):
        assert any(t["message"].startswith(start) for t in shipped.traces()), start
    for event in re.findall(r'\["event"\] == "([^"]+)"', kql):
        assert any(t["properties"].get("event") == event for t in shipped.traces()), event
