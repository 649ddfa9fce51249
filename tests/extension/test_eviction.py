"""Invocations that start but never finish (the function raised) do not leak."""

from __future__ import annotations

import azure.functions as func
import pytest

from python_worker_extension_timer import TimerExtension
from python_worker_extension_timer.in_flight import InFlight


def raising():
    raise RuntimeError("user code failed")


def test_post_hooks_do_not_run_when_the_function_raises(worker):
    with pytest.raises(RuntimeError):
        worker.invoke(raising)
    assert TimerExtension.stats()["in_flight"] == 1


def test_a_start_older_than_max_age_is_evicted_and_counted_as_abandoned(worker, clock):
    TimerExtension.configure(clock=clock, max_age_seconds=10)
    with pytest.raises(RuntimeError):
        worker.invoke(raising)
    clock.advance(seconds=10)
    assert TimerExtension.stats()["in_flight"] == 1  # exactly max_age old: kept
    clock.advance(ns=1)
    stats = TimerExtension.stats()
    assert stats["in_flight"] == 0
    echo = stats["functions"]["echo"]
    assert (echo["count"], echo["abandoned"], echo["errors"]) == (0, 1, 1)


def test_abandoned_starts_are_evicted_by_later_invocations_too(worker, clock):
    TimerExtension.configure(clock=clock, max_age_seconds=8)
    with pytest.raises(RuntimeError):
        worker.invoke(raising)
    clock.advance(seconds=8 * 1.25 + 1)
    worker.invoke(lambda: None)  # the pre hook sweeps (at least every max_age / 4)
    assert len(TimerExtension._state.in_flight) == 0


def test_over_max_in_flight_the_oldest_are_evicted_as_abandoned(worker, clock):
    TimerExtension.configure(clock=clock, max_in_flight=100)
    for _ in range(101):
        with pytest.raises(RuntimeError):
            worker.invoke(raising, "failing")
        clock.advance(ms=1)
    stats = TimerExtension.stats()
    assert stats["in_flight"] <= 100
    failing = stats["functions"]["failing"]
    assert failing["abandoned"] == 101 - stats["in_flight"]
    assert failing["errors"] == failing["abandoned"]


def test_count_eviction_keeps_the_newest_invocations(worker, clock, make_context):
    TimerExtension.configure(clock=clock, max_in_flight=10)
    contexts = [make_context(f"id-{i}") for i in range(11)]
    for context in contexts:
        worker.pre(context)
        clock.advance(ms=1)
    newest = contexts[-1]
    worker.post(newest, {}, None)
    stats = TimerExtension.stats()["functions"]["echo"]
    assert stats["count"] == 1
    assert stats["max_ms"] == 1.0
    worker.post(contexts[0], {}, None)  # evicted long ago: ignored
    assert TimerExtension.stats()["functions"]["echo"]["count"] == 1


def test_abandoned_and_5xx_errors_add_up(worker, clock):
    TimerExtension.configure(clock=clock, max_age_seconds=1)
    worker.invoke(lambda: func.HttpResponse("x", status_code=500))
    worker.invoke(lambda: func.HttpResponse("x", status_code=200))
    with pytest.raises(RuntimeError):
        worker.invoke(raising)
    clock.advance(seconds=2)
    echo = TimerExtension.stats()["functions"]["echo"]
    assert (echo["count"], echo["errors"], echo["abandoned"]) == (2, 2, 1)


# --- InFlight on its own -------------------------------------------------------


class Recorder:
    def __init__(self):
        self.evicted = {}

    def __call__(self, evicted):
        for name, n in evicted.items():
            self.evicted[name] = self.evicted.get(name, 0) + n


@pytest.mark.parametrize("max_count, low_water", [(1, 1), (10, 9), (100, 90), (10_000, 9_000)])
def test_count_eviction_goes_down_to_ninety_percent(max_count, low_water):
    recorder = Recorder()
    table = InFlight(max_age_ns=10**15, max_count=max_count, on_evict=recorder)
    for i in range(max_count + 1):
        table.start(i, "f", now_ns=i)
    assert len(table) == low_water
    assert recorder.evicted == {"f": max_count + 1 - low_water}


def test_age_eviction_by_explicit_sweep_reports_per_function():
    recorder = Recorder()
    table = InFlight(max_age_ns=100, max_count=1000, on_evict=recorder)
    table.start("a1", "a", 0)
    table.start("b1", "b", 10)
    table.start("a2", "a", 20)
    assert table.sweep(now_ns=115) == 2  # older than 100 ns: a1, b1
    assert recorder.evicted == {"a": 1, "b": 1}
    assert table.finish("a2") == (20, "a")
    assert table.finish("a1") is None


def test_a_start_sweeps_once_a_quarter_of_max_age_has_passed():
    recorder = Recorder()
    table = InFlight(max_age_ns=100, max_count=1000, on_evict=recorder)
    table.start("old", "f", 0)  # first start sweeps; next sweep due at 25
    table.start("young", "f", 24)
    assert recorder.evicted == {}
    table.start("late", "f", 101)  # due: "old" is 101 ns old
    assert recorder.evicted == {"f": 1}
    assert len(table) == 2


def test_finish_returns_start_and_name_once():
    table = InFlight(max_age_ns=100, max_count=10)
    table.start("x", "f", 5)
    assert table.finish("x") == (5, "f")
    assert table.finish("x") is None


def test_clear_does_not_count_as_abandoned():
    recorder = Recorder()
    table = InFlight(max_age_ns=100, max_count=10, on_evict=recorder)
    table.start("x", "f", 0)
    table.clear()
    assert table.sweep(now_ns=10**9) == 0
    assert recorder.evicted == {}


@pytest.mark.parametrize("max_age_ns, max_count", [(0, 1), (-1, 1), (1, 0)])
def test_invalid_limits_are_rejected(max_age_ns, max_count):
    with pytest.raises(ValueError):
        InFlight(max_age_ns=max_age_ns, max_count=max_count)
