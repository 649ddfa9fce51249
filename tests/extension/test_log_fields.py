"""The cold-start line carries each figure as a log-record attribute of its own, so exporters make each a field."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from python_worker_extension_timer import TimerExtension
from python_worker_extension_timer.import_profile import ImportEntry, ImportProfile
from python_worker_extension_timer.log_fields import flat_fields
from python_worker_extension_timer.startup import FirstCall, StartupRecord

#: What every LogRecord has anyway: the rest of a record's attributes came as `extra`.
RECORD_ITSELF = set(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) | {"message", "asctime"}


@pytest.mark.parametrize(
    ("figures", "fields"),
    [
        ({"startup.init_s": 1.5}, {"startup.init_s": 1.5}),
        (
            {"startup.first_calls_ms": {"echo": 12.5, "ui": 3}},
            {"startup.first_calls_ms.echo": 12.5, "startup.first_calls_ms.ui": 3},
        ),
        ({"a": {"b": {"c": True}}}, {"a.b.c": True}),
        ({"startup.app_loaded_s": None, "event": "cold_start"}, {"event": "cold_start"}),
        ({"startup.first_calls_ms": {}}, {}),
        ({"modules": ["a", "b"]}, {"modules": "['a', 'b']"}),
    ],
    ids=[
        "a number stays a number",
        "a mapping, one key per entry",
        "nested twice",
        "None is left out",
        "an empty mapping, no key",
        "anything else, its str",
    ],
)
def test_figures_become_flat_fields(figures: dict[str, Any], fields: dict[str, Any]) -> None:
    assert flat_fields(figures) == fields


def a_start_up() -> StartupRecord:
    return StartupRecord(
        process_started=100.0,
        timer_imported=100.5,
        app_loaded=101.0,
        app_loaded_by="import",
        ready=101.25,
        first_call="echo",
        first_calls={"echo": FirstCall(101.0, 101.25, 250.0)},
        imports=ImportProfile("finished", [ImportEntry("echo_service.pages", 4.0, 6.0)], total_ms=6.0, modules=1),
    )


def test_the_cold_start_line_carries_each_figure_as_its_own_attribute(timer_log) -> None:
    TimerExtension._log_startup(a_start_up())
    [line] = [r for r in timer_log.records if r.getMessage().startswith("cold start: ready")]
    fields = {key: value for key, value in vars(line).items() if key not in RECORD_ITSELF}
    assert fields["event"] == "cold_start"
    assert fields["startup.init_s"] == pytest.approx(1.25)
    assert fields["startup.app_loaded_s"] == pytest.approx(1.0)
    assert fields["startup.first_calls_ms.echo"] == 250.0
    assert fields["startup.slowest_import"] == "echo_service.pages"
    assert fields["startup.slowest_import_ms"] == 4.0
    assert all(isinstance(value, (str, int, float, bool)) for value in fields.values()), fields
    assert "attributes" not in fields  # no nested dict: an exporter would send it as one repr
