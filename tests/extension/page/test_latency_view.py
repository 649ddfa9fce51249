"""The latency page's pieces: re-binning the extension's buckets and drawing them."""

from __future__ import annotations

import re

import pytest

from python_worker_extension_timer.page import render_page
from python_worker_extension_timer.page.histogram_chart import DISPLAY_BINS, histogram_svg, rebin

NO_TIMES = {"min_ms": None, "mean_ms": None, "max_ms": None, "p50_ms": None, "p90_ms": None, "p99_ms": None}
SNAPSHOT = {
    "extension": "TimerExtension",
    "version": "1.3.0",
    "in_flight": 0,
    "functions": {
        "echo": {
            "count": 3,
            "errors": 1,
            "abandoned": 0,
            "min_ms": 0.5,
            "mean_ms": 1.0,
            "p50_ms": 0.5,
            "p90_ms": 2.0,
            "p99_ms": 2.0,
            "max_ms": 2.0,
            "histogram": {"bounds_ms": [0.5, 0.51, 2.0], "counts": [1, 1, 1]},
        },
        "<b>ui</b>": {
            "count": 0,
            "errors": 0,
            "abandoned": 0,
            **NO_TIMES,
            "histogram": {"bounds_ms": [], "counts": []},
        },
    },
    "window": {
        "minutes": 5,
        "from": "2024-05-01T03:00:00Z",
        "to": "2024-05-01T03:05:30Z",
        "functions": {
            "echo": {
                "count": 2,
                "errors": 0,
                "abandoned": 0,
                "min_ms": 0.5,
                "mean_ms": 1.25,
                "p50_ms": 0.5,
                "p90_ms": 2.0,
                "p99_ms": 2.0,
                "max_ms": 2.0,
                "histogram": {"bounds_ms": [0.5, 2.0], "counts": [1, 1]},
            },
            "<b>ui</b>": {
                "count": 0,
                "errors": 0,
                "abandoned": 0,
                **NO_TIMES,
                "histogram": {"bounds_ms": [], "counts": []},
            },
        },
    },
    "since": "2024-05-01T03:05:00Z",
    "coverage": "1 worker process (and 1 that exited, whose counts are kept), since 03:05:00 UTC",
    "processes": [
        {
            "pid": 4101,
            "alive": True,
            "since": "2024-05-01T03:05:00Z",
            "count": 2,
            "errors": 1,
            "in_flight": 0,
            "functions": {"<b>ui</b>": 0, "echo": 2},
        },
        {
            "pid": 4102,
            "alive": False,
            "since": "2024-05-01T03:05:01Z",
            "count": 1,
            "errors": 0,
            "in_flight": 0,
            "functions": {"<b>ui</b>": 0, "echo": 1},
        },
    ],
}


def figures(page: str, function: str, period: str) -> str:
    """The markup of one function's table for one period ("window" or "total")."""
    section = re.search(rf'<section class="function" data-function="{re.escape(function)}".*?</section>', page, re.S)
    assert section, f"no section for {function}"
    table = re.search(rf'<div class="stats" data-period="{period}">.*?</div>', section.group(0), re.S)
    assert table, f"no {period} table for {function}"
    return table.group(0)


def process_row(page: str, pid: str) -> str:
    row = re.search(rf'<tr data-pid="{re.escape(pid)}">.*?</tr>', page, re.S)
    assert row, f"no row for process {pid}"
    return row.group(0)


@pytest.mark.parametrize(
    "bounds, counts",
    [([1.0], [5]), ([0.1, 0.2, 50.0], [1, 2, 3]), ([0.01 * 1.02**i for i in range(500)], list(range(500)))],
)
def test_rebinning_keeps_every_count_in_at_most_the_display_bins(bounds, counts) -> None:
    bars = rebin(bounds, counts)
    assert sum(count for _, _, count in bars) == sum(counts)
    assert len(bars) <= DISPLAY_BINS
    assert all(low <= high for low, high, _ in bars)


def test_no_buckets_no_bars() -> None:
    assert rebin([], []) == []


def test_the_histogram_is_an_accessible_inline_svg_with_a_bar_per_bin() -> None:
    svg = histogram_svg("echo", [0.5, 2.0], [3, 1])
    assert svg.startswith('<svg class="histogram" role="img" aria-label="Latency histogram of echo"')
    assert svg.count('<rect class="bar"') == DISPLAY_BINS
    assert "3 invocations" in svg


def test_the_latency_page_lists_each_function_with_its_figures_escaped() -> None:
    page = render_page(SNAPSHOT)
    assert '<td data-stat="count">3</td>' in page and '<td data-stat="errors">1</td>' in page
    assert '<td data-stat="p50">0.5 ms</td>' in page
    assert "&lt;b&gt;ui&lt;/b&gt;" in page and "<b>ui</b>" not in page
    assert "No completed invocation" in page


def test_the_latency_page_explains_when_there_are_no_statistics() -> None:
    assert "PYTHON_ENABLE_WORKER_EXTENSIONS" in render_page({"functions": {}})


def test_the_latency_page_states_which_processes_and_time_it_covers() -> None:
    page = render_page(SNAPSHOT)
    assert (
        '<p class="note" id="coverage">Covers 1 worker process (and 1 that exited, whose counts are kept), '
        "since 03:05:00 UTC." in page
    )


def test_each_function_shows_the_last_minutes_and_since_start_with_their_own_counts() -> None:
    page = render_page(SNAPSHOT)
    window, total = figures(page, "echo", "window"), figures(page, "echo", "total")
    assert "<caption>Last 5 minutes</caption>" in window and '<td data-stat="count">2</td>' in window
    assert '<td data-stat="errors">0</td>' in window
    assert "<caption>Since start</caption>" in total and '<td data-stat="count">3</td>' in total
    assert '<td data-stat="errors">1</td>' in total


def test_the_processes_table_lists_each_pid_with_its_invocations() -> None:
    page = render_page(SNAPSHOT)
    assert re.findall(r'<tr data-pid="([^"]*)">', page) == ["4101", "4102"]
    assert '<td>4101</td><td data-stat="count">2</td><td data-stat="errors">1</td>' in process_row(page, "4101")
    assert '<td>4102</td><td data-stat="count">1</td><td data-stat="errors">0</td>' in process_row(page, "4102")


def test_the_processes_table_says_which_processes_exited() -> None:
    page = render_page(SNAPSHOT)
    assert "<td>running</td>" in process_row(page, "4101")
    assert "<td>exited</td>" in process_row(page, "4102") and "running" not in process_row(page, "4102")


def test_coverage_and_process_values_are_escaped() -> None:
    hostile = {
        **SNAPSHOT,
        "coverage": "<script>alert(1)</script>",
        "processes": [{"pid": '7" onclick="alert(1)', "alive": True, "since": "<img src=x>", "count": 1, "errors": 0}],
    }
    page = render_page(hostile)
    assert "Covers &lt;script&gt;alert(1)&lt;/script&gt;." in page and "<script>" not in page
    assert '<tr data-pid="7&quot; onclick=&quot;alert(1)">' in page and 'onclick="' not in page
    assert '">&lt;img src=x&gt;</time>' in page and "<img" not in page


def test_the_latency_page_says_when_nothing_is_recorded_and_why() -> None:
    page = render_page({"enabled": False, "reason": "no hooks <here>", "functions": {"echo": {"count": 0}}})
    assert 'id="not-recording">Not recording: no hooks &lt;here&gt;.' in page
    assert 'data-function="echo"' not in page
