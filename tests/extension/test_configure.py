"""TimerExtension.configure(): validation, defaults, re-configuration."""

from __future__ import annotations

import logging
import time

import pytest

from python_worker_extension_timer import TimerExtension
from python_worker_extension_timer.clock import ManualClock
from python_worker_extension_timer.settings import Settings


def test_defaults_without_configure():
    assert TimerExtension.settings() == Settings(
        append_to_http_response=False,
        server_timing=True,
        log_level=logging.DEBUG,
        logger_name="python_worker_extension_timer",
        max_age_seconds=300.0,
        max_in_flight=10_000,
        clock=time.perf_counter_ns,
        history_minutes=60,
    )


def test_configure_without_arguments_gives_the_defaults():
    TimerExtension.configure(server_timing=False, max_in_flight=5)
    TimerExtension.configure()
    assert TimerExtension.settings() == Settings()


@pytest.mark.parametrize(
    "kwargs, attribute, expected",
    [
        ({"append_to_http_response": True}, "append_to_http_response", True),
        ({"server_timing": False}, "server_timing", False),
        ({"log_level": "info"}, "log_level", logging.INFO),
        ({"log_level": " WARNING "}, "log_level", logging.WARNING),
        ({"log_level": 5}, "log_level", 5),
        ({"log_level": None}, "log_level", None),
        ({"logger_name": "app.timer"}, "logger_name", "app.timer"),
        ({"max_age_seconds": 2}, "max_age_seconds", 2.0),
        ({"max_age_seconds": 0.5}, "max_age_seconds", 0.5),
        ({"max_in_flight": 1}, "max_in_flight", 1),
        ({"history_minutes": 6}, "history_minutes", 6),
        ({"history_minutes": 1440}, "history_minutes", 1440),
    ],
)
def test_valid_values_are_accepted(kwargs, attribute, expected):
    TimerExtension.configure(**kwargs)
    assert getattr(TimerExtension.settings(), attribute) == expected


def test_a_clock_is_accepted():
    clock = ManualClock()
    TimerExtension.configure(clock=clock)
    assert TimerExtension.settings().clock is clock


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        ({"append_to_http_response": 1}, TypeError, "append_to_http_response must be a bool"),
        ({"append_to_http_response": "yes"}, TypeError, "append_to_http_response must be a bool"),
        ({"server_timing": None}, TypeError, "server_timing must be a bool"),
        ({"server_timing": 0}, TypeError, "server_timing must be a bool"),
        ({"log_level": True}, TypeError, "log_level must be an int"),
        ({"log_level": 10.0}, TypeError, "log_level must be an int"),
        ({"log_level": -1}, ValueError, "log_level must be >= 0"),
        ({"log_level": "LOUD"}, ValueError, "not a known logging level name"),
        ({"log_level": ""}, ValueError, "not a known logging level name"),
        ({"log_level": "10"}, ValueError, "not a known logging level name"),
        ({"logger_name": None}, TypeError, "logger_name must be a str"),
        ({"logger_name": b"x"}, TypeError, "logger_name must be a str"),
        ({"logger_name": ""}, ValueError, "logger_name must not be empty"),
        ({"logger_name": "  "}, ValueError, "logger_name must not be empty"),
        ({"max_age_seconds": True}, TypeError, "max_age_seconds must be an int or float"),
        ({"max_age_seconds": "300"}, TypeError, "max_age_seconds must be an int or float"),
        ({"max_age_seconds": None}, TypeError, "max_age_seconds must be an int or float"),
        ({"max_age_seconds": 0}, ValueError, "max_age_seconds must be a finite number > 0"),
        ({"max_age_seconds": -1.0}, ValueError, "max_age_seconds must be a finite number > 0"),
        ({"max_age_seconds": float("nan")}, ValueError, "max_age_seconds must be a finite number > 0"),
        ({"max_age_seconds": float("inf")}, ValueError, "max_age_seconds must be a finite number > 0"),
        ({"max_in_flight": True}, TypeError, "max_in_flight must be an int"),
        ({"max_in_flight": 10.0}, TypeError, "max_in_flight must be an int"),
        ({"max_in_flight": 0}, ValueError, "max_in_flight must be >= 1"),
        ({"max_in_flight": -5}, ValueError, "max_in_flight must be >= 1"),
        ({"history_minutes": True}, TypeError, "history_minutes must be an int"),
        ({"history_minutes": 60.0}, TypeError, "history_minutes must be an int"),
        ({"history_minutes": "60"}, TypeError, "history_minutes must be an int"),
        ({"history_minutes": 5}, ValueError, "history_minutes must be from 6"),
        ({"history_minutes": 1441}, ValueError, "history_minutes must be from 6 .* to 1440"),
        ({"clock": 123}, TypeError, "clock must be a callable"),
        ({"clock": time.perf_counter}, TypeError, "clock must return int nanoseconds"),
        ({"clock": lambda: True}, TypeError, "clock must return int nanoseconds"),
        ({"clock": lambda: "now"}, TypeError, "clock must return int nanoseconds"),
        ({"unknown_option": 1}, TypeError, "unknown_option"),
    ],
    # Stable ids (the same in every process that collects them): a callable by its name, not its address.
    ids=lambda v: (
        repr({k: getattr(x, "__name__", x) if callable(x) else x for k, x in v.items()})
        if isinstance(v, dict)
        else None
    ),
)
def test_invalid_arguments_raise_clear_errors(kwargs, error, message):
    with pytest.raises(error, match=message):
        TimerExtension.configure(**kwargs)


def test_a_rejected_configuration_changes_nothing():
    TimerExtension.configure(server_timing=False)
    before = TimerExtension.settings()
    with pytest.raises(ValueError):
        TimerExtension.configure(server_timing=True, max_in_flight=0)
    assert TimerExtension.settings() is before


def test_arguments_are_keyword_only():
    with pytest.raises(TypeError):
        TimerExtension.configure(True)  # type: ignore[misc]


def test_the_extension_cannot_be_instantiated():
    from azure.functions import FunctionExtensionException

    with pytest.raises(FunctionExtensionException):
        TimerExtension()


def test_changing_the_clock_forgets_invocations_timed_with_the_old_one(worker, make_context):
    first = ManualClock(start_ns=10**12)
    TimerExtension.configure(clock=first)
    context = make_context("old")
    worker.pre(context)
    TimerExtension.configure(clock=ManualClock(start_ns=5))
    worker.post(context, {}, None)
    stats = TimerExtension.stats()
    assert stats["in_flight"] == 0
    assert stats["functions"] == {}


def test_configure_with_the_same_clock_keeps_invocations_in_flight(worker, make_context):
    clock = ManualClock()
    TimerExtension.configure(clock=clock)
    context = make_context("kept")
    worker.pre(context)
    TimerExtension.configure(clock=clock, server_timing=False)
    clock.advance(ms=4)
    worker.post(context, {}, None)
    assert TimerExtension.stats()["functions"]["echo"]["max_ms"] == 4.0
