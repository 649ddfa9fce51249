"""Every recorded invocation also reaches OpenTelemetry instruments (API only; the SDK is the application's)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import azure.functions as func
import pytest
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader

from python_worker_extension_timer import TimerExtension
from python_worker_extension_timer.histogram import OTEL_BOUNDARIES_SECONDS
from python_worker_extension_timer.otel import OpenTelemetrySink
from tests.extension.conftest import KINDS

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def reader() -> InMemoryMetricReader:
    """The extension's instruments on an SDK provider with an in-memory reader."""
    memory = InMemoryMetricReader()
    state = TimerExtension._state
    state.sink = OpenTelemetrySink(state.local_totals, MeterProvider(metric_readers=[memory]))
    return memory


def points(reader: InMemoryMetricReader) -> dict[str, list]:
    found: dict[str, list] = {}
    data = reader.get_metrics_data()
    for resource_metrics in data.resource_metrics if data else ():
        for scope in resource_metrics.scope_metrics:
            for metric in scope.metrics:
                found.setdefault(metric.name, []).extend(metric.data.data_points)
    return found


def point_for(reader: InMemoryMetricReader, metric: str, name: str = "echo", cold: bool = False):
    """The one point of ``metric`` for function ``name``: that of its first (cold) call, or of the others."""
    matching = [
        p
        for p in points(reader).get(metric, [])
        if p.attributes.get("faas.name") == name and bool(p.attributes.get("faas.coldstart")) == cold
    ]
    assert len(matching) == 1, matching
    return matching[0]


def test_n_invocations_give_a_duration_histogram_of_count_n(reader, timed):
    for ms in (1, 2, 3, 4, 5):
        timed(ms, func.HttpResponse("x"))
    cold, warm = point_for(reader, "faas.invoke_duration", cold=True), point_for(reader, "faas.invoke_duration")
    assert (cold.count, warm.count) == (1, 4)
    assert cold.sum + warm.sum == pytest.approx(0.015)
    assert list(warm.explicit_bounds) == list(OTEL_BOUNDARIES_SECONDS)


def test_successes_and_errors_are_observed_from_the_totals(reader, timed):
    timed(1, func.HttpResponse("x"))
    timed(1, func.HttpResponse("x"))
    timed(1, func.HttpResponse("x", status_code=503))
    assert point_for(reader, "faas.invocations").value == 2
    assert point_for(reader, "faas.errors").value == 1


def test_the_attributes_follow_the_faas_conventions(reader, timed, app_with_triggers):
    timed(1, func.HttpResponse("x"))
    timed(1, None, function_name="nightly")
    timed(1, func.HttpResponse("x"))
    assert dict(point_for(reader, "faas.invoke_duration").attributes) == {"faas.trigger": "http", "faas.name": "echo"}
    assert point_for(reader, "faas.invoke_duration", "nightly", cold=True).attributes["faas.trigger"] == "timer"


@pytest.mark.parametrize("name, kind", sorted(KINDS.items()))
def test_each_function_carries_its_trigger_kind_from_the_apps_metadata(reader, timed, app_with_triggers, name, kind):
    timed(1, None, function_name=name)
    assert point_for(reader, "faas.invoke_duration", name, cold=True).attributes["faas.trigger"] == kind


@pytest.mark.parametrize("returned", [None, "text", func.HttpResponse("x")], ids=["None", "a string", "a response"])
def test_the_trigger_kind_does_not_depend_on_what_a_call_returned(reader, timed, app_with_triggers, returned):
    timed(1, func.HttpResponse("x"), function_name="nightly")
    timed(1, returned, function_name="nightly")
    [point] = [p for p in points(reader)["faas.invoke_duration"] if not p.attributes.get("faas.coldstart")]
    assert point.attributes["faas.trigger"] == "timer"


def test_an_http_function_that_raises_stays_http(reader, app_with_triggers):
    @TimerExtension.timed
    def echo(req: func.HttpRequest) -> func.HttpResponse:
        if req.params.get("fail"):
            raise RuntimeError("no")
        return func.HttpResponse("x")

    echo(req=func.HttpRequest("GET", "/", body=b""))
    with pytest.raises(RuntimeError):
        echo(req=func.HttpRequest("GET", "/", body=b"", params={"fail": "1"}))
    [series] = {p.attributes["faas.trigger"] for p in points(reader)["faas.invoke_duration"]}
    assert series == "http"
    assert point_for(reader, "faas.errors").attributes["faas.trigger"] == "http"


def test_functions_never_called_are_observed_with_their_kind_from_the_first_export(reader, worker, app_with_triggers):
    for name in KINDS:
        worker.load(name)
    observed = {p.attributes["faas.name"]: p.attributes["faas.trigger"] for p in points(reader)["faas.invocations"]}
    assert observed == KINDS


def test_a_raising_decorated_function_counts_as_an_error_at_once(reader):
    @TimerExtension.timed
    def echo(req: func.HttpRequest) -> func.HttpResponse:
        raise RuntimeError("no")

    with pytest.raises(RuntimeError):
        echo(req=func.HttpRequest("GET", "/", body=b""))
    assert point_for(reader, "faas.errors").value == 1
    assert point_for(reader, "faas.invoke_duration", cold=True).count == 1


def test_abandoned_invocations_count_as_errors(reader, worker, clock, make_context):
    worker.pre(make_context("never-finished"))
    clock.advance(seconds=400)
    TimerExtension.stats()
    assert point_for(reader, "faas.errors").value == 1


def run_python(code: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "python_worker_extension_timer"), str(ROOT)])}
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, env=env, cwd=ROOT, timeout=60
    )


def test_the_global_meter_provider_set_later_receives_the_invocations():
    done = run_python("""
        import azure.functions as func
        from python_worker_extension_timer import timed  # instruments made on the API's proxy provider
        from opentelemetry import metrics
        from opentelemetry.sdk.metrics import MeterProvider
        from opentelemetry.sdk.metrics.export import InMemoryMetricReader

        reader = InMemoryMetricReader()
        metrics.set_meter_provider(MeterProvider(metric_readers=[reader]))  # what the application does

        @timed
        def echo(req):
            return func.HttpResponse("x")

        for _ in range(7):
            echo(req=func.HttpRequest("GET", "/", body=b""))
        data = reader.get_metrics_data()
        counts = [p.count for rm in data.resource_metrics for sm in rm.scope_metrics for m in sm.metrics
                  if m.name == "faas.invoke_duration" for p in m.data.data_points]
        print(sum(counts))  # the first (cold) call is a point of its own
    """)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "7"


def test_without_opentelemetry_the_package_imports_and_times():
    done = run_python("""
        import sys
        class NoOpenTelemetry:
            def find_spec(self, name, path=None, target=None):
                if name == "opentelemetry" or name.startswith("opentelemetry."):
                    raise ModuleNotFoundError(name)
        sys.meta_path.insert(0, NoOpenTelemetry())

        import azure.functions as func
        from python_worker_extension_timer import TimerExtension, timed
        from python_worker_extension_timer.otel import available

        @timed
        def echo(req):
            return func.HttpResponse("x")

        response = echo(req=func.HttpRequest("GET", "/", body=b""))
        print(available(), TimerExtension._state.sink, TimerExtension.stats()["functions"]["echo"]["count"],
              "func;dur=" in response.headers["Server-Timing"])
    """)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["False", "None", "1", "True"]


def test_a_process_records_one_init_duration_and_one_cold_start_per_function():
    done = run_python("""
        import azure.functions as func
        from python_worker_extension_timer import timed
        from opentelemetry import metrics
        from opentelemetry.sdk.metrics import MeterProvider
        from opentelemetry.sdk.metrics.export import InMemoryMetricReader

        reader = InMemoryMetricReader()
        metrics.set_meter_provider(MeterProvider(metric_readers=[reader]))

        @timed
        def echo(req):
            return func.HttpResponse("x")

        @timed
        def ui(req):
            return func.HttpResponse("y")

        for function in (echo, ui, echo, ui, echo):
            function(req=func.HttpRequest("GET", "/", body=b""))
        found = {}
        for rm in reader.get_metrics_data().resource_metrics:
            for sm in rm.scope_metrics:
                for m in sm.metrics:
                    found[m.name] = [(dict(p.attributes), getattr(p, "count", None), getattr(p, "value", None))
                                     for p in m.data.data_points]
        print(repr(found))
    """)
    assert done.returncode == 0, done.stderr
    found = eval(done.stdout)  # a repr of plain dicts, lists and numbers
    [(attributes, count, _)] = found["faas.init_duration"]
    assert (attributes, count) == ({}, 1)
    assert sorted((a["faas.name"], v) for a, _, v in found["faas.coldstarts"]) == [("echo", 1), ("ui", 1)]
    durations = {(a["faas.name"], a.get("faas.coldstart", False)): c for a, c, _ in found["faas.invoke_duration"]}
    assert durations == {("echo", True): 1, ("echo", False): 2, ("ui", True): 1, ("ui", False): 1}
