"""The event-table query for cold starts reads exactly the attributes the start-up log lines write."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from python_worker_extension_timer.import_profile import ImportEntry, ImportProfile
from python_worker_extension_timer.log_fields import flat_fields
from python_worker_extension_timer.startup import FirstCall, StartupRecord, summary_attributes

SQL_DIR = Path(__file__).resolve().parents[2] / "container" / "sql"
LISTENING_SOURCE = Path(__file__).resolve().parents[2] / "container" / "listening.py"


def metrics_sql() -> str:
    [path] = SQL_DIR.glob("*_latency_metrics.sql")
    return "\n".join(line for line in path.read_text().splitlines() if not line.lstrip().startswith("--"))


def attributes_read(sql: str, alias: str) -> set[str]:
    return set(re.findall(alias + r'\.attributes:"([^"]+)"', sql))


def fields_logged() -> set[str]:
    """The attributes of the timer's cold-start line, for a start-up where every figure is known."""
    record = StartupRecord(
        process_started=1.0,
        timer_imported=2.0,
        app_loaded=3.0,
        app_loaded_by="import",
        ready=3.25,
        ready_by="listening",
        first_call="echo",
        first_calls={"echo": FirstCall(3.5, 4.0, 500.0)},
        imports=ImportProfile("finished", [ImportEntry("echo_service", 2.0, 3.0)], total_ms=3.0, modules=1),
        modules_before_timer=40,
    )
    return set(flat_fields(summary_attributes(record)))


def test_the_cold_start_query_reads_only_attributes_the_timer_writes() -> None:
    read = attributes_read(metrics_sql(), "ready")
    assert read and read <= fields_logged(), read - fields_logged()


def test_the_first_calls_are_gathered_from_the_attributes_the_timer_writes() -> None:
    [prefix] = set(re.findall(r"STARTSWITH\(field\.key, '([^']+)'\)", metrics_sql()))
    assert prefix + "echo" in fields_logged()
    assert f"LENGTH('{prefix}')" in metrics_sql()


def test_the_cold_start_query_reads_only_attributes_the_server_writes() -> None:
    written = set(re.findall(r'"(startup\.[a-z_]+|event|process\.pid)"', LISTENING_SOURCE.read_text()))
    read = attributes_read(metrics_sql(), "listening")
    assert read and read <= written, read - written


@pytest.mark.parametrize("event", ["listening", "cold_start"])
def test_the_cold_start_query_selects_both_start_up_lines(event: str) -> None:
    assert f"'{event}'" in metrics_sql()
