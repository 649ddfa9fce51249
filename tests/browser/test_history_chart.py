"""The last hour on the latency page: lines, bars and gaps per minute, in light and dark mode, in Chromium.

The server runs the real app on a timer clock the test moves forward (tests/support/shifted_clock_app),
so its calls land in minutes the test chooses: three in a row, then a gap, then one more.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.servers import ROOT, ServerProcess, start_container

pytestmark = pytest.mark.browser

APP_DIR = ROOT / "tests" / "support" / "shifted_clock_app"
#: Seconds the timer's clock is moved forward before each batch of calls: minutes m, m+1, m+2, then m+5.
#: A real minute passing between two batches moves one of them a minute later; the checks read which
#: minutes got calls from /latency, and the gap of two minutes before the last batch stays.
SHIFTS = (0, 60, 120, 300)
CALLS_PER_BATCH = (3, 6, 2, 4)


def expect(target: Any) -> Any:
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(target)


@pytest.fixture(scope="module")
def ui_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """The app on a shifted clock, with calls of /echo in four minutes of its history."""
    tmp_path = tmp_path_factory.mktemp("shifted")
    shift_file = tmp_path / "shift"
    shift_file.write_text("0")
    server = start_container(
        tmp_path,
        PYTHON_ENABLE_WORKER_EXTENSIONS="1",
        FUNCTION_APP="shifted_clock_app:app",
        PYTHONPATH=f"{APP_DIR}:{ROOT}",
        TIMER_TEST_CLOCK_SHIFT_FILE=str(shift_file),
    )
    body = json.dumps({"data": [[0, "tick"]]})
    with httpx.Client(base_url=server.base_url, timeout=10) as client:
        for shift, calls in zip(SHIFTS, CALLS_PER_BATCH, strict=True):
            shift_file.write_text(str(shift))
            for _ in range(calls):
                assert client.post("/echo", content=body, headers={"Content-Type": "application/json"}).is_success
    yield server
    server.stop()


def busy_minutes(base_url: str) -> list[str]:
    """The HH:MM of each minute of echo's history with calls, as /latency reports them."""
    history = httpx.get(f"{base_url}/latency", timeout=10).json()["functions"]["echo"]["history"]
    return [entry["start"][11:16] for entry in history if entry["calls"]]


def test_the_history_has_calls_in_four_minutes_with_a_gap(ui_server: ServerProcess) -> None:
    history = httpx.get(f"{ui_server.base_url}/latency", timeout=10).json()["functions"]["echo"]["history"]
    calls = [entry["calls"] for entry in history]
    assert len(calls) == 60 and sum(calls) == sum(CALLS_PER_BATCH)
    busy = [i for i, n in enumerate(calls) if n]
    assert len(busy) >= 3 and busy[-1] - busy[-2] >= 2  # an empty minute before the last batch


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_chart_draws_lines_and_bars_for_the_minutes_with_calls_and_a_gap_between(
    page: Any, ui_server: ServerProcess, artifacts: Path, scheme: str
) -> None:
    busy = busy_minutes(ui_server.base_url)
    page.emulate_media(color_scheme=scheme)
    page.goto("/ui/latency?refresh=5")
    echo = page.locator('section[data-function="echo"]')
    chart = echo.get_by_role("img", name="Latency per minute of echo, last 60 minutes")
    expect(chart).to_be_visible()
    box = chart.bounding_box()
    assert box is not None and box["width"] > 400 and box["height"] > 150

    # One bar per minute with calls, and dots of both lines on it; nothing on an empty minute.
    bars = chart.locator("rect.calls[data-minute]")
    assert bars.evaluate_all("bars => bars.map(b => b.dataset.minute)") == busy
    assert all(h > 0 for h in bars.evaluate_all("bars => bars.map(b => b.getBBox().height)"))
    for line in ("p50", "p99"):
        dots = chart.locator(f"circle.dot.{line}")
        assert dots.evaluate_all("dots => dots.map(d => d.dataset.minute)") == busy
    # Lines join neighbouring minutes and break at the empty minute before the last batch.
    xs = {
        m: x
        for m, x in zip(
            busy, chart.locator("circle.dot.p50").evaluate_all("ds => ds.map(d => d.cx.baseVal.value)"), strict=True
        )
    }
    segments = chart.locator("polyline.line.p50").evaluate_all(
        "lines => lines.map(l => Array.from(l.points).map(p => p.x))"
    )
    assert any(len(points) >= 2 for points in segments)
    before_gap, after_gap = xs[busy[-2]], xs[busy[-1]]
    assert not any(min(points) <= before_gap and max(points) >= after_gap for points in segments)
    assert chart.locator("polyline.line.p99").count() == len(segments)

    # The time axis: UTC minutes, labelled; a text alternative for screen readers.
    labels = chart.locator("text.tick").all_text_contents()
    assert sum(1 for label in labels if re.fullmatch(r"\d\d:\d\d", label)) >= 4
    expect(chart.locator("text.caption").last).to_have_text(re.compile("UTC"))
    assert f"{sum(CALLS_PER_BATCH)} calls in {len(busy)} of 60 minutes" in chart.locator("desc").text_content()
    table = echo.locator("details.history-table")
    table.locator("summary").click()
    expect(table.get_by_role("row")).to_have_count(len(busy) + 1)

    # Auto-refresh still reloads the page.
    expect(page.locator('meta[http-equiv="refresh"]')).to_have_attribute("content", "5")

    shot = artifacts / f"latency-history{'' if scheme == 'light' else '-dark'}.png"
    chart.screenshot(path=shot)
    assert shot.stat().st_size > 1000
