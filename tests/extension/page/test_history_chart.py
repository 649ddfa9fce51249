"""The last hour of a function as a chart: lines and bars per minute, error marks, gaps, escaping."""

from __future__ import annotations

import re
from typing import Any

import pytest

from python_worker_extension_timer.page import render_page
from python_worker_extension_timer.page.history_chart import history_svg


def minute(hhmm: str, calls: int = 0, errors: int = 0, p50: float | None = None, p99: float | None = None) -> dict:
    return {
        "start": f"2026-12-01T{hhmm}:00Z",
        "calls": calls,
        "errors": errors,
        "p50_ms": p50,
        "p90_ms": p99,
        "p99_ms": p99,
        "max_ms": p99,
    }


#: 12:00 to 12:09: calls at 12:01, 12:02 and 12:05; errors at 12:02 and at 12:07 (an abandoned call: no duration).
HISTORY = [minute(f"12:0{i}") for i in range(10)]
HISTORY[1] = minute("12:01", 4, 0, 1.0, 3.0)
HISTORY[2] = minute("12:02", 9, 2, 1.5, 40.0)
HISTORY[5] = minute("12:05", 1, 0, 2.0, 2.0)
HISTORY[7] = minute("12:07", 0, 1)
STATS = {"count": 14, "errors": 3, "history": HISTORY}


def marks(svg: str, element: str, cls: str) -> list[str]:
    return re.findall(rf'<{element} class="{cls}" data-minute="([^"]+)"', svg)


def polylines(svg: str, cls: str) -> list[int]:
    """The number of points of each line of the class."""
    return [len(points.split()) for points in re.findall(rf'<polyline class="line {cls}" points="([^"]+)"', svg)]


@pytest.mark.parametrize("line", ["p50", "p99"])
def test_each_line_joins_neighbouring_minutes_and_breaks_at_an_empty_one(line: str) -> None:
    svg = history_svg("echo", STATS)
    assert polylines(svg, line) == [2, 1]
    assert marks(svg, "circle", f"dot {line}") == ["12:01", "12:02", "12:05"]


def test_a_bar_per_minute_with_calls_and_a_mark_per_minute_with_errors() -> None:
    svg = history_svg("echo", STATS)
    assert marks(svg, "rect", "calls") == ["12:01", "12:02", "12:05"]
    assert marks(svg, "path", "error-mark") == ["12:02", "12:07"]


def test_the_time_axis_labels_utc_minutes() -> None:
    svg = history_svg("echo", STATS)
    assert re.findall(r'<text class="tick"[^>]*>(\d\d:\d\d)</text>', svg) == [
        "12:00",
        "12:02",
        "12:04",
        "12:06",
        "12:08",
    ]
    assert "time (UTC)" in svg


def test_each_minute_and_the_whole_chart_have_a_text_alternative() -> None:
    svg = history_svg("echo", STATS)
    assert 'role="img" aria-label="Latency per minute of echo, last 10 minutes"' in svg
    assert (
        "<desc>From 12:00 to 12:09 UTC: 14 calls in 3 of 10 minutes, 3 errors. Highest p99 40.0 ms at 12:02.</desc>"
        in svg
    )
    assert "<title>12:02 UTC: 9 calls, 2 errors; p50 1.5 ms, p99 40.0 ms, max 40.0 ms</title>" in svg
    rows = re.findall(r'<tr data-minute="([^"]+)">', svg)
    assert rows == ["12:01", "12:02", "12:05", "12:07"]


@pytest.mark.parametrize("history", [[], [minute("12:00"), minute("12:01")]], ids=["no history", "no calls"])
def test_a_quiet_hour_is_a_sentence_not_an_empty_chart(history: list[dict[str, Any]]) -> None:
    html = history_svg("echo", {"count": 5, "errors": 0, "history": history})
    assert "<svg" not in html and "No calls of echo in the last" in html


def test_a_function_never_called_has_no_chart_nor_sentence() -> None:
    assert history_svg("echo", {"count": 0, "errors": 0, "history": [minute("12:00")]}) == ""


def test_the_function_name_is_escaped() -> None:
    html = history_svg("<b>x</b>", STATS)
    assert "<b>" not in html and "&lt;b&gt;x&lt;/b&gt;" in html


def test_the_latency_page_draws_the_history_of_each_function() -> None:
    total = {
        "count": 14,
        "errors": 3,
        "abandoned": 1,
        "history": HISTORY,
        "histogram": {"bounds_ms": [1.0], "counts": [14]},
    }
    page = render_page({"functions": {"echo": total}, "window": {"functions": {}}}, auto_refresh=True)
    section = page[page.index('data-function="echo"') :]
    assert section.index('<svg class="history"') < section.index('<svg class="histogram"')
    assert '<meta http-equiv="refresh" content="5">' in page
