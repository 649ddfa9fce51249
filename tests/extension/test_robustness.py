"""Nothing raised inside the extension reaches the user's function."""

from __future__ import annotations

import json
import logging

import azure.functions as func
import pytest

from python_worker_extension_timer import TimerExtension
from python_worker_extension_timer.clock import ManualClock


class BrokenStatus(func.HttpResponse):
    @property
    def status_code(self):
        raise RuntimeError("status exploded")


class BrokenHeaders(func.HttpResponse):
    @property
    def headers(self):
        raise KeyError("headers exploded")


class BrokenMimetype(func.HttpResponse):
    @property
    def mimetype(self):
        raise ValueError("mimetype exploded")


class ReadOnlyHeaders(func.HttpResponse):
    @property
    def headers(self):
        return {"Server-Timing": "app;dur=1"}  # a plain dict has no getlist/add


class FlakyClock(ManualClock):
    """Works for configure(), then raises while ``failing`` is set."""

    failing = False

    def __call__(self):
        if self.failing:
            raise OSError("clock unavailable")
        return super().__call__()


def worker_errors(caplog):
    return [r for r in caplog.records if r.name.startswith("azure_functions_worker") and r.levelno >= logging.ERROR]


@pytest.mark.parametrize(
    "response",
    [BrokenStatus("x"), BrokenHeaders("x"), BrokenMimetype("x"), ReadOnlyHeaders("x")],
    ids=["status_code", "headers", "mimetype", "read-only-headers"],
)
def test_a_broken_return_value_does_not_propagate(worker, clock, caplog, response):
    TimerExtension.configure(clock=clock, append_to_http_response=True)
    result = worker.invoke(lambda: response)
    assert result is response
    assert worker_errors(caplog) == []
    assert TimerExtension.stats()["functions"]["echo"]["count"] == 1


def test_a_clock_that_raises_does_not_propagate(worker, caplog):
    clock = FlakyClock()
    TimerExtension.configure(clock=clock)
    clock.failing = True
    assert worker.invoke(lambda: "ran") == "ran"
    assert TimerExtension.stats()["in_flight"] == 0
    assert worker_errors(caplog) == []


def test_a_context_without_invocation_id_does_not_propagate(caplog):
    logger = logging.getLogger("azure_functions_worker.extension.TimerExtension")
    TimerExtension.pre_invocation_app_level(logger, object(), {})
    TimerExtension.post_invocation_app_level(logger, object(), {}, func.HttpResponse("x"))
    TimerExtension.post_function_load_app_level(None, None)
    assert json.loads(json.dumps(TimerExtension.stats()))["in_flight"] == 0


def test_each_kind_of_problem_is_logged_once_at_warning(worker, clock, timer_log):
    TimerExtension.configure(clock=clock)
    for _ in range(3):
        worker.invoke(lambda: BrokenStatus("x"))
    for _ in range(2):
        worker.invoke(lambda: BrokenHeaders("x"))
    warnings = [r for r in timer_log.records if r.levelno == logging.WARNING]
    assert len(warnings) == 2
    assert {r.name for r in warnings} == {"python_worker_extension_timer"}
    assert "status_code raised RuntimeError" in warnings[0].getMessage()
    assert "server_timing raised KeyError" in warnings[1].getMessage()


def test_problems_are_logged_again_after_reset(worker, clock, timer_log):
    TimerExtension.configure(clock=clock)
    worker.invoke(lambda: BrokenStatus("x"))
    TimerExtension.reset()
    worker.invoke(lambda: BrokenStatus("x"))
    assert len([r for r in timer_log.records if r.levelno == logging.WARNING]) == 2


def test_a_failing_log_handler_does_not_propagate(worker, clock):
    class Exploding(logging.Handler):
        def emit(self, record):
            raise RuntimeError("handler exploded")

        def handleError(self, record):
            raise RuntimeError("handleError exploded")

    logger = logging.getLogger("python_worker_extension_timer")
    handler = Exploding()
    logger.addHandler(handler)
    try:
        TimerExtension.configure(clock=clock, log_level="WARNING")
        assert worker.invoke(lambda: "ok") == "ok"
    finally:
        logger.removeHandler(handler)
    assert TimerExtension.stats()["functions"]["echo"]["count"] == 1
