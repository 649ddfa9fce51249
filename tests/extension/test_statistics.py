"""The statistics TimerExtension keeps, read through stats()."""

from __future__ import annotations

import json
import logging
import math

import azure.functions as func
import pytest

from python_worker_extension_timer import TimerExtension, __version__
from python_worker_extension_timer.function_stats import PENDING_LIMIT, FunctionStats
from python_worker_extension_timer.histogram import RELATIVE_ERROR, nearest_rank

FUNCTION_KEYS = {
    "trigger",
    "count",
    "errors",
    "abandoned",
    "min_ms",
    "mean_ms",
    "max_ms",
    "p50_ms",
    "p90_ms",
    "p99_ms",
    "histogram",
    "history",
}


def echo_stats():
    return TimerExtension.stats()["functions"]["echo"]


def test_stats_has_the_documented_shape_and_is_json_ready(timed):
    timed(1.5, func.HttpResponse("x"))
    stats = TimerExtension.stats()
    assert stats["extension"] == "TimerExtension"
    assert stats["version"] == __version__
    assert stats["in_flight"] == 0
    assert set(stats["functions"]["echo"]) == FUNCTION_KEYS
    assert set(stats["functions"]["echo"]["histogram"]) == {"bounds_ms", "counts"}
    assert json.loads(json.dumps(stats, allow_nan=False)) == stats


def test_a_loaded_function_is_listed_with_count_zero(worker):
    worker.load("echo")
    echo = TimerExtension.stats()["functions"]["echo"]
    assert [minute["calls"] for minute in echo.pop("history")] == [0] * 60
    assert echo == {
        "trigger": "other",  # no app here says what triggers it
        "count": 0,
        "errors": 0,
        "abandoned": 0,
        "min_ms": None,
        "mean_ms": None,
        "max_ms": None,
        "p50_ms": None,
        "p90_ms": None,
        "p99_ms": None,
        "histogram": {"bounds_ms": [], "counts": []},
    }


def test_min_mean_max_are_exact_with_a_fake_clock(timed):
    for ms in (4, 1, 2, 8, 5):
        timed(ms)
    stats = echo_stats()
    assert (stats["count"], stats["min_ms"], stats["mean_ms"], stats["max_ms"]) == (5, 1.0, 4.0, 8.0)


def test_sub_millisecond_durations_keep_nanosecond_precision(timed):
    timed(0.000123)  # 123 ns
    timed(0.250001)  # 250001 ns
    stats = echo_stats()
    assert stats["min_ms"] == 0.000123
    assert stats["max_ms"] == 0.250001
    assert stats["mean_ms"] == 0.125062


def test_percentiles_are_within_the_documented_error(timed):
    durations = [float(ms) for ms in range(1, 201)]  # 1..200 ms
    for ms in durations:
        timed(ms)
    stats = echo_stats()
    for key, q in (("p50_ms", 0.5), ("p90_ms", 0.9), ("p99_ms", 0.99)):
        exact = sorted(durations)[nearest_rank(q, len(durations)) - 1]
        assert math.isclose(stats[key], exact, rel_tol=RELATIVE_ERROR), (key, stats[key], exact)


def test_histogram_lists_nonempty_buckets_in_ascending_order(timed):
    for ms in (1, 1, 1, 10, 100, 100):
        timed(ms)
    histogram = echo_stats()["histogram"]
    assert histogram["counts"] == [3, 1, 2]
    bounds = histogram["bounds_ms"]
    assert bounds == sorted(bounds)
    for upper, value in zip(bounds, (1, 10, 100), strict=True):
        assert value < upper <= value * 1.02 + 1e-9


@pytest.mark.parametrize(
    "status, is_error",
    [
        (200, False),
        (204, False),
        (301, False),
        (404, False),
        (429, False),
        (499, False),
        (500, True),
        (502, True),
        (503, True),
        (504, True),
    ],
)
def test_responses_with_status_500_and_above_count_as_errors(timed, status, is_error):
    timed(1, func.HttpResponse("x", status_code=status))
    stats = echo_stats()
    assert stats["count"] == 1
    assert stats["errors"] == int(is_error)


def test_functions_are_counted_separately(timed):
    timed(1, function_name="echo")
    timed(2, function_name="echo")
    timed(3, function_name="healthcheck")
    functions = TimerExtension.stats()["functions"]
    assert {name: s["count"] for name, s in functions.items()} == {"echo": 2, "healthcheck": 1}


def test_a_post_for_an_unknown_invocation_is_ignored(worker, make_context):
    worker.post(make_context("never-started"), {}, func.HttpResponse("x"))
    assert TimerExtension.stats()["functions"] == {}


def test_the_same_context_object_is_used_for_pre_and_post(worker, clock, make_context):
    a, b = make_context("a"), make_context("b")
    worker.pre(a)
    clock.advance(ms=1)
    worker.pre(b)
    clock.advance(ms=1)
    worker.post(a, {}, None)  # 2 ms
    clock.advance(ms=5)
    worker.post(b, {}, None)  # 6 ms
    stats = echo_stats()
    assert (stats["min_ms"], stats["max_ms"]) == (2.0, 6.0)


def test_reset_clears_stats_and_in_flight_but_keeps_loaded_functions(worker, timed, clock, make_context):
    worker.load("echo")
    timed(3)
    worker.pre(make_context("open"))
    TimerExtension.reset()
    stats = TimerExtension.stats()
    assert stats["in_flight"] == 0
    assert stats["functions"]["echo"]["count"] == 0
    worker.post(make_context("open"), {}, None)
    assert TimerExtension.stats()["functions"]["echo"]["count"] == 0


def test_configure_again_keeps_statistics(timed, clock):
    timed(3)
    TimerExtension.configure(clock=clock, server_timing=False, log_level=None)
    timed(5)
    assert echo_stats()["count"] == 2


def test_defaults_work_without_configure(worker):
    response = worker.invoke(lambda: func.HttpResponse("x"))
    assert response.headers["Server-Timing"].startswith("func;dur=")
    stats = echo_stats()
    assert stats["count"] == 1
    assert stats["min_ms"] >= 0


# --- the log line -------------------------------------------------------------


def test_the_line_is_logged_at_debug_by_default_on_the_extension_logger(timed, timer_log):
    timed(2.5)
    records = [r for r in timer_log.records if r.name == "python_worker_extension_timer"]
    assert len(records) == 1
    assert records[0].levelno == logging.DEBUG
    assert records[0].getMessage().startswith("echo invocation ")
    assert records[0].getMessage().endswith(" took 2.500 ms")


def test_the_line_is_not_written_to_the_worker_system_logger(timed, caplog):
    caplog.set_level(logging.DEBUG)
    timed(1)
    assert not [r for r in caplog.records if r.name.startswith("azure_functions_worker")]


@pytest.mark.parametrize("level, expected", [("INFO", logging.INFO), ("warning", logging.WARNING), (15, 15)])
def test_the_line_uses_the_configured_level(timed, clock, timer_log, level, expected):
    TimerExtension.configure(clock=clock, log_level=level)
    timed(1)
    assert [r.levelno for r in timer_log.records if r.name == "python_worker_extension_timer"] == [expected]


def test_log_level_none_disables_the_line(timed, clock, timer_log):
    TimerExtension.configure(clock=clock, log_level=None)
    timed(1)
    assert timer_log.records == []


def test_the_line_goes_to_the_configured_logger_name(timed, clock, caplog):
    caplog.set_level(logging.DEBUG, logger="my.app.timing")
    TimerExtension.configure(clock=clock, logger_name="my.app.timing", log_level="INFO")
    timed(1)
    assert [r.name for r in caplog.records] == ["my.app.timing"]


def test_the_line_carries_function_invocation_id_and_ms(worker, clock, timer_log, make_context):
    context = make_context("11111111-2222-3333-4444-555555555555", "orders")
    worker.pre(context)
    clock.advance(ms=7.25)
    worker.post(context, {}, None)
    [record] = timer_log.records
    assert record.getMessage() == "orders invocation 11111111-2222-3333-4444-555555555555 took 7.250 ms"


def test_the_message_is_not_formatted_when_the_level_is_disabled(timed, clock, caplog):
    caplog.set_level(logging.INFO, logger="python_worker_extension_timer")
    logger = logging.getLogger("python_worker_extension_timer")
    calls = []
    original = logger.makeRecord

    def spy(*args, **kwargs):
        calls.append(args)
        return original(*args, **kwargs)

    logger.makeRecord = spy
    try:
        timed(1)  # default level DEBUG < INFO: no record is made at all
    finally:
        del logger.makeRecord
    assert calls == []


@pytest.mark.parametrize("invocations", [1, PENDING_LIMIT - 1, PENDING_LIMIT, 3 * PENDING_LIMIT + 7])
def test_every_recorded_invocation_is_read_at_once(invocations: int) -> None:
    stats = FunctionStats("echo")
    for n in range(invocations):
        stats.record(1_000_000 + n)
    snapshot = stats.snapshot()
    assert (stats.count, snapshot["count"]) == (invocations, invocations)
    assert snapshot["mean_ms"] == pytest.approx(1.0 + (invocations - 1) / 2 / 1e6)
    assert (snapshot["min_ms"], snapshot["max_ms"]) == (1.0, round((1_000_000 + invocations - 1) / 1e6, 6))


def test_an_error_is_counted_with_its_duration() -> None:
    stats = FunctionStats("echo")
    stats.record(2_000_000)
    stats.record(5_000_000, error=True)
    snapshot = stats.snapshot()
    assert (snapshot["count"], snapshot["errors"], snapshot["max_ms"]) == (2, 1, 5.0)
