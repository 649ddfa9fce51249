"""The statistics in the Prometheus text format, read back with prometheus_client's own parser."""

from __future__ import annotations

import pytest
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from python_worker_extension_timer import TimerExtension
from python_worker_extension_timer.histogram import OTEL_BOUNDARIES_SECONDS
from python_worker_extension_timer.prometheus import CONTENT_TYPE, TimerCollector, exposition
from tests.extension.conftest import KINDS
from tests.support.fresh_python import run_python


def samples(triggers="http") -> dict[tuple[str, frozenset], float]:
    body, content_type = exposition(TimerExtension, triggers)
    assert content_type == CONTENT_TYPE
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(body.decode())
        for s in family.samples
    }


def labels(function="echo", trigger="http", **extra) -> frozenset:
    return frozenset({"function": function, "trigger": trigger, **extra}.items())


def test_families_follow_prometheus_and_opentelemetry_naming(timed):
    timed(1)
    body, _ = exposition(TimerExtension, "http")
    families = {f.name: f.type for f in text_string_to_metric_families(body.decode())}
    assert families == {
        "faas_invoke_duration_seconds": "histogram",
        "faas_invocations": "counter",
        "faas_errors": "counter",
        "faas_abandoned": "counter",
        "faas_coldstarts": "counter",
        "faas_init_duration_seconds": "histogram",
    }
    assert b"faas_invocations_total{" in body


@pytest.mark.parametrize("boundary", OTEL_BOUNDARIES_SECONDS)
def test_a_duration_on_a_boundary_counts_in_its_bucket_and_one_just_above_does_not(timed, boundary):
    timed(boundary * 1000)  # exactly on the boundary
    timed(boundary * 1000 + 0.000001)  # one nanosecond more
    found = samples()
    assert found[("faas_invoke_duration_seconds_bucket", labels(le=str(float(boundary))))] == 1
    assert found[("faas_invoke_duration_seconds_bucket", labels(le="+Inf"))] == 2


def test_counters_and_sum_match_the_statistics(timed, worker, clock, make_context):
    import azure.functions as func

    timed(2)
    timed(3, func.HttpResponse("x", status_code=500))
    worker.pre(make_context("never-finished"))
    clock.advance(seconds=400)
    found = samples()
    assert found[("faas_invocations_total", labels())] == 2
    assert found[("faas_errors_total", labels())] == 2  # the 500 and the abandoned one
    assert found[("faas_abandoned_total", labels())] == 1
    assert found[("faas_invoke_duration_seconds_sum", labels())] == pytest.approx(0.005)


def test_the_trigger_label_is_each_functions_kind_from_the_apps_metadata(worker, app_with_triggers):
    for name in KINDS:
        worker.load(name)
    found = samples(None)
    series = {dict(key[1])["function"]: dict(key[1])["trigger"] for key in found if key[0] == "faas_invocations_total"}
    assert series == KINDS


def test_without_an_app_that_names_it_a_function_is_other(timed):
    timed(1, function_name="nightly")
    assert ("faas_invocations_total", labels("nightly", "other")) in samples(None)


def test_the_trigger_label_does_not_depend_on_the_calls_outcome(timed, worker, app_with_triggers):
    import azure.functions as func

    timed(1, func.HttpResponse("x"))
    timed(1, func.HttpResponse("x", status_code=500))
    timed(1, None, function_name="orders")
    timed(1, func.HttpResponse("x"), function_name="orders")
    found = samples(None)
    assert found[("faas_invocations_total", labels("echo", "http"))] == 2
    assert found[("faas_invocations_total", labels("orders", "pubsub"))] == 2
    assert [key for key in found if key[0] == "faas_invocations_total"] == [
        ("faas_invocations_total", labels("echo", "http")),
        ("faas_invocations_total", labels("orders", "pubsub")),
    ]


@pytest.mark.parametrize(
    "override, echo, orders",
    [("http", "http", "http"), ({"echo": "other"}, "other", "pubsub"), ({}, "http", "pubsub")],
    ids=["one for all", "one function named", "an empty mapping"],
)
def test_triggers_overrides_the_apps_kinds(timed, app_with_triggers, override, echo, orders):
    timed(1, function_name="echo")
    timed(1, function_name="orders")
    found = samples(override)
    assert ("faas_invocations_total", labels("echo", echo)) in found
    assert ("faas_invocations_total", labels("orders", orders)) in found


def test_the_kind_is_in_stats_too(worker, app_with_triggers):
    for name in KINDS:
        worker.load(name)
    assert {name: f["trigger"] for name, f in TimerExtension.stats()["functions"].items()} == KINDS


def test_the_collector_serves_beside_other_metrics_in_a_registry(timed):
    timed(1)
    registry = CollectorRegistry()
    registry.register(TimerCollector(TimerExtension.view, "http"))
    assert b'faas_invocations_total{function="echo",trigger="http"} 1.0' in generate_latest(registry)


class CountingCollector:
    """A collector of one family, `host_things_total`, as a host process (our server, say) would register."""

    def collect(self):
        from prometheus_client.core import CounterMetricFamily

        family = CounterMetricFamily("host_things", "Things the host counted.", labels=["kind"])
        family.add_metric(["a"], 3)
        yield family


@pytest.fixture
def registered():
    from python_worker_extension_timer.collectors import register_collector, unregister_collector

    made = []

    def factory():
        made.append(CountingCollector())
        return made[-1]

    register_collector(factory)
    yield made
    unregister_collector(factory)


def test_a_registered_collector_follows_the_timer_families_in_every_exposition(timed, registered):
    timed(1)
    for _ in range(3):
        body, _ = exposition(TimerExtension, "http")
        families = [f.name for f in text_string_to_metric_families(body.decode())]
        assert families[-1] == "host_things" and families[0] == "faas_invoke_duration_seconds"
        assert b'host_things_total{kind="a"} 3.0' in body
    assert len(registered) == 1, "the factory runs once, at the first exposition"


def test_an_unregistered_collector_is_gone_from_the_exposition(timed):
    from python_worker_extension_timer.collectors import register_collector, unregister_collector

    def factory():
        return CountingCollector()

    register_collector(factory)
    assert b"host_things_total" in exposition(TimerExtension, "http")[0]
    unregister_collector(factory)
    assert b"host_things_total" not in exposition(TimerExtension, "http")[0]


def test_registering_a_collector_does_not_import_prometheus_client():
    code = (
        "import sys\n"
        "from python_worker_extension_timer.collectors import register_collector\n"
        "register_collector(lambda: None)\n"
        "assert 'prometheus_client' not in sys.modules, 'imported'\n"
    )
    done = run_python(code)
    assert done.returncode == 0, done.stderr
