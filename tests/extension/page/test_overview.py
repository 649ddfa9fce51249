"""The overview of the latency page: one row per function, the ones needing attention first; cold starts in a line."""

from __future__ import annotations

import re
from typing import Any

import pytest

from python_worker_extension_timer.page import render_page
from python_worker_extension_timer.page.overview import ordered, overview_section
from python_worker_extension_timer.page.sparkline import describe, sparkline_svg
from python_worker_extension_timer.page.startup_view import phases, summary_line


def function(count: int, errors: int = 0, p99: float | None = None, **extra: object) -> dict[str, object]:
    return {"count": count, "errors": errors, "p50_ms": p99, "p99_ms": p99, "history": [], **extra}


@pytest.mark.parametrize(
    "functions, window, own, app_order, endpoints",
    [
        (  # errors now first, then errors since start, then the slowest p99 now
            {"fast": function(9, p99=1.0), "slow": function(9, p99=50.0), "failed": function(9, 1, 1.0)},
            {"fast": function(9, p99=1.0), "slow": function(9, p99=50.0), "failed": function(9, p99=1.0)},
            (),
            ["failed", "slow", "fast"],
            [],
        ),
        (
            {"ok": function(5, p99=2.0), "failing": function(5, 2, 2.0), "quiet": function(0)},
            {"ok": function(5, p99=2.0), "failing": function(5, 2, 2.0)},
            (),
            ["failing", "ok", "quiet"],
            [],
        ),
        (  # the statistics endpoints come last, apart, however slow
            {"echo": function(3, p99=1.0), "latency_page": function(1, p99=90.0), "metrics": function(1, 1, 9.0)},
            {},
            ("latency_page", "metrics"),
            ["echo"],
            ["latency_page", "metrics"],
        ),
    ],
    ids=["errors now, then p99", "errors since start", "own endpoints apart"],
)
def test_functions_are_ordered_by_what_needs_attention(functions, window, own, app_order, endpoints) -> None:
    assert ordered(functions, window, own) == (app_order, endpoints)


def overview_of(stats: dict[str, Any]) -> str:
    """The overview table of a statistics dict, its functions in the page's order."""
    functions, window = stats["functions"], stats.get("window", {}).get("functions", {})
    return overview_section(functions, window, *ordered(functions, window))


def test_each_row_links_to_the_functions_details_and_gives_its_figures() -> None:
    stats = {
        "functions": {"echo": function(40, 2, 3.5), "<b>x</b>": function(0)},
        "window": {"functions": {"echo": function(10, 1, 3.5)}},
    }
    html = overview_of(stats)
    row = re.search(r'<tr class="function-row attention" data-function="echo">.*?</tr>', html).group(0)
    assert '<a href="#fn-echo">echo</a>' in row
    assert '<td data-stat="calls-window" data-label="Calls, 5 min">10</td>' in row
    assert 'data-stat="errors-window" data-label="Errors, 5 min">1 <span class="rate">(10 %)</span>' in row
    assert '<td data-stat="p99-window" data-label="p99, 5 min">3.5 ms</td>' in row
    assert 'data-stat="errors-total" data-label="Errors since start">2 <span class="rate">(5 %)</span>' in row
    assert "&lt;b&gt;x&lt;/b&gt;" in html and "<b>x</b>" not in html


def test_the_trigger_column_shows_only_when_the_statistics_give_triggers() -> None:
    without = overview_of({"functions": {"echo": function(1, p99=1.0)}})
    with_trigger = overview_of({"functions": {"echo": function(1, p99=1.0, trigger="http")}})
    assert "Trigger" not in without
    assert '<td data-label="Trigger">http</td>' in with_trigger


def test_a_function_never_called_takes_one_line_in_the_details() -> None:
    page = render_page({"enabled": True, "functions": {"idle": function(0), "echo": function(2, p99=1.0)}})
    idle = re.search(r'<section class="function idle" data-function="idle".*?</section>', page, re.S).group(0)
    assert "No calls since start." in idle and "<svg" not in idle


def test_the_sparkline_has_its_figures_in_words() -> None:
    minutes = [{"calls": 0}] * 57 + [
        {"calls": 10, "errors": 0, "p99_ms": 2.0},
        {"calls": 0},
        {"calls": 30, "errors": 2, "p99_ms": 8.0},
    ]
    assert (
        describe("echo", minutes)
        == "Last 60 minutes of echo: 40 calls, p99 from 2.0 to 8.0 ms per minute, errors in 1 minute."
    )
    svg = sparkline_svg("echo", minutes)
    assert 'role="img"' in svg and "<title>Last 60 minutes of echo: 40 calls" in svg
    calls = re.search(r'<path class="spark-calls" d="([^"]*)"', svg).group(1)
    failing = re.search(r'<path class="spark-error" d="([^"]*)"', svg).group(1)
    assert calls.count("M") == 1 and failing.count("M") == 1  # one bar each: the minute of 10 calls, the one of 30
    assert sparkline_svg("idle", [{"calls": 0}] * 60) == '<span class="muted">–</span>'


def test_the_cold_starts_line_gives_the_starts_the_time_to_ready_and_the_slowest_import() -> None:
    stats = {
        "startup": {
            "process_starts": 3,
            "process_starts_last_hour": 2,
            "time_to_ready_ms": {"p50": 240.0, "max": 1500.0},
            "slowest_imports": [{"module": "numpy", "self_ms": 80.0, "cumulative_ms": 120.0}],
        }
    }
    line = summary_line(stats)
    assert '<a href="#startup">Cold starts</a>' in line
    assert "2 process starts in the last hour (3 since start)" in line
    assert "time to ready p50 240 ms, max 1,500 ms" in line and "slowest import numpy 80.0 ms" in line
    assert summary_line({"startup": {"process_starts": 0}}) == ""


def test_our_servers_start_up_reads_interpreter_server_imports_app_import_until_ready() -> None:
    record = {
        "process_started": 100.0,
        "origin": 100.0,
        "timer_imported": 100.05,
        "app_import_started": 100.30,
        "app_loaded": 100.40,
        "ready": 100.41,
        "ready_by": "listening",
        "imports": {
            "packages": [
                {"module": "container.server", "started_ms": 1.0, "cumulative_ms": 120.0},
                {"module": "container.loader", "started_ms": 130.0, "cumulative_ms": 110.0},
                {"module": "azure.functions", "started_ms": 131.0, "cumulative_ms": 100.0},
                {"module": "function_app", "started_ms": 250.0, "cumulative_ms": 100.0},
            ]
        },
    }
    found = [(css, what) for css, what, _, _ in phases(record)]
    assert [css for css, _ in found] == ["phase-boot", "phase-server", "phase-app", "phase-ready"]
    server = found[1][1]
    assert server.startswith(
        "server imports: container.server 120 ms, container.loader 110 ms (azure.functions 100 ms)"
    )
    assert found[2][1] == "app import: function_app 100 ms"
    assert found[3][1] == "until ready (listening)"
