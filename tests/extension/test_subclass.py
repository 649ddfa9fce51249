"""Subclasses of TimerExtension register again, run too and keep their own state."""

from __future__ import annotations

import azure.functions as func
from azure.functions.extension import ExtensionMeta

from python_worker_extension_timer import TimerExtension


def registered_names():
    return [hook.ext_name for hook in ExtensionMeta.get_application_hooks().pre_invocation_app_level]


def test_the_registry_fixture_starts_with_only_timer_extension():
    assert registered_names() == ["TimerExtension"]
    assert ExtensionMeta._info == {"AppExtension": ["TimerExtension"]}


def test_init_runs_for_a_subclass_before_its_name_is_bound():
    class LateBound(TimerExtension):
        pass

    assert LateBound._state is not TimerExtension._state
    assert registered_names() == ["TimerExtension", "LateBound"]


def test_a_subclass_has_its_own_statistics_and_settings(worker):
    class SecondTimer(TimerExtension):
        server_timing_metric = "second"

    SecondTimer.configure(server_timing=False)
    response = worker.invoke(lambda: func.HttpResponse("x"))
    assert response.headers["Server-Timing"].startswith("func;dur=")
    assert "second" not in response.headers["Server-Timing"]
    assert TimerExtension.stats()["functions"]["echo"]["count"] == 1
    assert SecondTimer.stats()["functions"]["echo"]["count"] == 1
    assert SecondTimer.stats()["extension"] == "SecondTimer"
    TimerExtension.reset()
    assert SecondTimer.stats()["functions"]["echo"]["count"] == 1


def test_a_subclass_with_its_own_metric_adds_a_second_metric(worker):
    class DbTimer(TimerExtension):
        server_timing_metric = "db"

    response = worker.invoke(lambda: func.HttpResponse("x"))
    metrics = [part.split(";")[0] for part in response.headers["Server-Timing"].split(", ")]
    assert metrics == ["func", "db"]


def test_a_subclass_with_the_same_metric_replaces_ours(worker):
    class SameMetric(TimerExtension):
        pass

    response = worker.invoke(lambda: func.HttpResponse("x"))
    assert response.headers["Server-Timing"].count("func;dur=") == 1


def test_classes_defined_in_a_test_do_not_leak_into_the_next_one():
    assert registered_names() == ["TimerExtension"]
