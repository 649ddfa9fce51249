"""The last hour minute by minute: exact per-minute counts, a bounded history, the window as a view over it."""

from __future__ import annotations

import math
from datetime import datetime, timezone
from typing import Any

import azure.functions as func
import pytest

from python_worker_extension_timer import TimerExtension
from python_worker_extension_timer.checks import check_record
from python_worker_extension_timer.clock import NS_PER_MINUTE, NS_PER_MS, ManualClock, Timebase
from python_worker_extension_timer.function_stats import WINDOW_MINUTES, FunctionStats
from python_worker_extension_timer.histogram import RELATIVE_ERROR, nearest_rank
from python_worker_extension_timer.run import Run
from python_worker_extension_timer.snapshot import MergedView, ProcessRecord

MINUTES = 70


def calls_in(minute: int) -> int:
    """A different number of calls per minute, and none in every 9th minute (an empty one)."""
    return 0 if minute % 9 == 4 else 1 + minute % 7


def errors_in(minute: int) -> int:
    return 1 if calls_in(minute) and minute % 3 == 0 else 0


def to_minute_start(clock: ManualClock) -> None:
    """Move the manual clock to 1 s past the start of the next wall-clock minute."""
    wall = TimerExtension._state.timebase.wall_ns(clock.now_ns)
    clock.advance(ns=NS_PER_MINUTE - wall % NS_PER_MINUTE + 1_000_000_000)


def history(name: str = "echo") -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = TimerExtension.stats()["functions"][name]["history"]
    return entries


@pytest.fixture
def seventy_minutes(timed, clock) -> None:
    """Calls over 70 wall-clock minutes (minute 0 the oldest); the read happens in minute 69."""
    to_minute_start(clock)
    for minute in range(MINUTES):
        for call in range(calls_in(minute)):
            timed(1 + call, func.HttpResponse(status_code=500 if call < errors_in(minute) else 200))
        if minute < MINUTES - 1:
            clock.advance(seconds=60 - 0.001 * (calls_in(minute) * (calls_in(minute) + 1) // 2))


def test_the_history_has_exact_counts_and_errors_for_each_of_the_last_60_minutes(seventy_minutes):
    got = [(entry["calls"], entry["errors"]) for entry in history()]
    assert got == [(calls_in(m), errors_in(m)) for m in range(MINUTES - 60, MINUTES)]


def test_minutes_older_than_the_history_are_gone_but_still_count_since_start(seventy_minutes):
    stats = TimerExtension.stats()
    assert len(stats["functions"]["echo"]["history"]) == stats["history"]["minutes"] == 60
    assert stats["functions"]["echo"]["count"] == sum(calls_in(m) for m in range(MINUTES))
    assert len(TimerExtension._state.functions["echo"].read().minutes) <= 60


def test_empty_minutes_are_present_with_zero_calls_and_no_durations(seventy_minutes):
    empty = [
        entry for minute, entry in zip(range(MINUTES - 60, MINUTES), history(), strict=True) if not calls_in(minute)
    ]
    assert len(empty) == 7
    assert all(
        (e["calls"], e["errors"], e["p50_ms"], e["p90_ms"], e["p99_ms"], e["max_ms"]) == (0, 0, None, None, None, None)
        for e in empty
    )


def test_each_minute_states_its_utc_start_one_minute_apart(seventy_minutes):
    starts = [datetime.strptime(e["start"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc) for e in history()]
    assert all(s.second == 0 for s in starts)
    assert [(b - a).total_seconds() for a, b in zip(starts, starts[1:], strict=False)] == [60.0] * 59
    assert TimerExtension.stats()["history"]["from"] == history()[0]["start"]


def test_each_minute_has_its_own_percentiles_and_max(seventy_minutes):
    last = history()[-1]  # minute 69: calls of 1..7 ms
    n = calls_in(MINUTES - 1)
    exact = list(range(1, n + 1))
    assert last["max_ms"] == pytest.approx(n)
    for key, q in (("p50_ms", 0.5), ("p90_ms", 0.9), ("p99_ms", 0.99)):
        assert last[key] == pytest.approx(exact[nearest_rank(q, n) - 1], rel=RELATIVE_ERROR)


@pytest.mark.parametrize("minutes_later", [0, 1, 3, 5, 6, 30])
def test_the_window_is_the_sum_of_the_last_minutes_of_the_history(seventy_minutes, clock, timed, minutes_later):
    clock.advance(seconds=60 * minutes_later)
    timed(3)
    stats = TimerExtension.stats()
    recent = stats["functions"]["echo"]["history"][-(WINDOW_MINUTES + 1) :]  # the last 5 minutes and the current one
    window = stats["window"]["functions"]["echo"]
    assert (window["count"], window["errors"]) == (sum(e["calls"] for e in recent), sum(e["errors"] for e in recent))
    assert window["max_ms"] == max(e["max_ms"] or 0 for e in recent)
    assert stats["window"]["from"] == recent[0]["start"]


@pytest.mark.parametrize("minutes", [6, 10, 120])
def test_the_length_of_the_history_is_configurable(timed, clock, minutes):
    TimerExtension.configure(clock=clock, history_minutes=minutes)
    for _ in range(minutes + 5):
        timed(1)
        clock.advance(seconds=60)
    timed(1)
    entries = history()
    assert len(entries) == minutes
    assert [e["calls"] for e in entries] == [1] * minutes


@pytest.mark.parametrize("seconds_into_the_minute", [0.0, 59.95, 59.999])
def test_an_injected_clocks_minutes_do_not_depend_on_when_the_test_runs(timed, monkeypatch, seconds_into_the_minute):
    real_now = (29_000_000 * 60 + seconds_into_the_minute) * NS_PER_MS * 1000
    monkeypatch.setattr("time.time_ns", lambda: int(real_now))
    monkeypatch.setattr("time.time", lambda: real_now / 1e9)
    clock = ManualClock(start_ns=1_000_000_000)
    TimerExtension.configure(clock=clock, history_minutes=120)
    for _ in range(125):
        timed(1)
        clock.advance(seconds=60)
    timed(1)
    assert [e["calls"] for e in history()] == [1] * 120
    assert history()[-1]["start"] == "2026-01-01T02:05:00Z"  # the clock's own wall clock: 1 s + 125 minutes


def test_a_shorter_history_drops_the_older_minutes_at_once(timed, clock):
    for _ in range(20):
        timed(1)
        clock.advance(seconds=60)
    TimerExtension.configure(clock=clock, history_minutes=6)
    assert len(TimerExtension._state.functions["echo"].read().minutes) <= 6


# --- across processes ---------------------------------------------------------

#: The run the processes below belong to: begun at wall-clock 0, like their manual clocks.
AT_THE_EPOCH = Run("0" * 32, 0, 0)
#: Per process, per minute: durations in ms and errors. In minute 2 the processes are slow and fast:
#: the merged median is a fast call, the average of the two medians is not.
PROCESSES: list[dict[int, tuple[list[float], int]]] = [
    {0: ([5.0] * 3, 1), 2: ([1.0] * 60, 0), 3: ([2.0, 4.0], 2)},
    {1: ([7.0], 0), 2: ([100.0] * 40, 3), 3: ([8.0] * 5, 0)},
]


def process_record(pid: int, minutes: dict[int, tuple[list[float], int]]) -> ProcessRecord:
    """What one worker process publishes, through its JSON form, after calls in the given wall-clock minutes."""
    clock = ManualClock(start_ns=0)
    stats = FunctionStats("echo", Timebase(clock, wall_ns=lambda: 0))
    for minute, (durations, errors) in sorted(minutes.items()):
        clock.advance(ns=minute * NS_PER_MINUTE + 1 - clock.now_ns)
        for i, ms in enumerate(durations):
            stats.record(round(ms * NS_PER_MS), error=i < errors, end_ns=clock())
    clock.advance(ns=4 * NS_PER_MINUTE - clock.now_ns)
    record = ProcessRecord(pid=pid, started=0.0, updated=0.0, in_flight=0, functions={"echo": stats.read()})
    return check_record(record.to_json(), AT_THE_EPOCH, now=4 * 60 + 1)


@pytest.fixture
def merged() -> list[dict[str, Any]]:
    view = MergedView(
        [process_record(pid, m) for pid, m in enumerate(PROCESSES, start=1)], now=4 * 60 + 1, history_minutes=6
    )
    return view.history()["echo"][-5:]  # minutes 0..4


def test_the_merged_history_is_the_exact_sum_of_the_processes(merged):
    expected = [
        (sum(len(p.get(m, ([], 0))[0]) for p in PROCESSES), sum(p.get(m, ([], 0))[1] for p in PROCESSES))
        for m in range(5)
    ]
    assert [(e["calls"], e["errors"]) for e in merged] == expected == [(3, 1), (1, 0), (100, 3), (7, 2), (0, 0)]


@pytest.mark.parametrize("key, q", [("p50_ms", 0.5), ("p90_ms", 0.9), ("p99_ms", 0.99)])
def test_merged_percentiles_come_from_the_merged_histogram_not_an_average(merged, key, q):
    for minute, entry in enumerate(merged[:4]):
        durations = sorted(d for p in PROCESSES for d in p.get(minute, ([], 0))[0])
        exact = durations[nearest_rank(q, len(durations)) - 1]
        assert entry[key] == pytest.approx(exact, rel=RELATIVE_ERROR)
    assert merged[2]["p50_ms"] == pytest.approx(1.0, rel=RELATIVE_ERROR)  # the average of the medians: 50.5 ms
    assert not math.isclose(merged[2]["p50_ms"], (1.0 + 100.0) / 2, rel_tol=0.1)
    assert merged[2]["max_ms"] == 100.0
