"""The last 5 minutes beside "since start", on an injected clock."""

from __future__ import annotations

import pytest

from python_worker_extension_timer import TimerExtension
from python_worker_extension_timer.clock import NS_PER_MINUTE, ManualClock, Timebase
from python_worker_extension_timer.function_stats import WINDOW_MINUTES, FunctionStats


def window_count(name: str = "echo") -> int:
    return TimerExtension.stats()["window"]["functions"][name]["count"]


def total_count(name: str = "echo") -> int:
    return TimerExtension.stats()["functions"][name]["count"]


def test_a_fresh_invocation_is_in_the_window_and_since_start(timed):
    timed(2)
    assert (window_count(), total_count()) == (1, 1)


@pytest.mark.parametrize("minutes_later, in_window", [(1, True), (4, True), (WINDOW_MINUTES + 1, False), (60, False)])
def test_an_invocation_leaves_the_window_once_older_than_it_and_stays_since_start(
    timed, clock, minutes_later, in_window
):
    timed(2)
    clock.advance(seconds=60 * minutes_later)
    assert window_count() == (1 if in_window else 0)
    assert total_count() == 1


def test_the_window_keeps_only_the_recent_minutes_of_a_steady_stream(timed, clock):
    for _ in range(20):  # one invocation per minute for 20 minutes
        timed(1)
        clock.advance(seconds=60)
    # the current minute (empty) and the 5 before it, each with one invocation
    assert window_count() == WINDOW_MINUTES
    assert total_count() == 20


def test_the_window_has_its_own_percentiles(timed, clock):
    for _ in range(10):
        timed(100)  # slow, long ago
    clock.advance(seconds=60 * 10)
    for _ in range(10):
        timed(1)
    stats = TimerExtension.stats()
    assert stats["window"]["functions"]["echo"]["p99_ms"] == pytest.approx(1, rel=0.01)
    assert stats["functions"]["echo"]["p99_ms"] == pytest.approx(100, rel=0.01)


def test_errors_and_abandoned_invocations_count_in_the_window_too(worker, clock, make_context):
    import azure.functions as func

    worker.invoke(lambda: func.HttpResponse("x", status_code=500))
    worker.pre(make_context("never-finished"))
    clock.advance(seconds=400)  # past max_age_seconds: abandoned now, 6+ minutes after the error
    window = TimerExtension.stats()["window"]["functions"]["echo"]
    assert (window["errors"], window["abandoned"]) == (1, 1)  # the abandonment is recent; the 500 is not


def test_the_window_states_the_time_it_covers(timed):
    timed(1)
    window = TimerExtension.stats()["window"]
    assert window["minutes"] == WINDOW_MINUTES
    assert window["from"] < window["to"]
    assert window["from"].endswith(":00Z")


def test_queued_durations_count_in_the_minute_they_ended_in():
    clock = ManualClock(start_ns=0)
    stats = FunctionStats("echo", Timebase(clock, wall_ns=lambda: 0))
    stats.record(5, end_ns=clock())  # minute 0, queued (not folded)
    clock.advance(seconds=61)
    stats.record(7, end_ns=clock())  # minute 1: the queue is folded into minute 0 first
    minutes = stats.read().minutes
    assert {m: t.count for m, t in minutes.items() if t.count} == {0: 1, 1: 1}


def test_minutes_follow_the_wall_clock_so_processes_line_up():
    first = Timebase(ManualClock(start_ns=0), wall_ns=lambda: 10 * NS_PER_MINUTE + 5)
    second = Timebase(ManualClock(start_ns=999_999), wall_ns=lambda: 10 * NS_PER_MINUTE + 5)
    assert first.minute_of(0) == second.minute_of(999_999) == 10
