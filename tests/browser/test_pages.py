"""The echo form and the latency view as a person uses them: in headless Chromium, by keyboard."""

from __future__ import annotations

import json
import re
import struct
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest

from tests.browser.conftest import RELOAD_INTERVAL_S, SETTLE_TIMEOUT_S
from tests.support.echoes import send_echoes
from tests.support.polling import eventually
from tests.support.servers import ServerProcess, start_container

pytestmark = pytest.mark.browser

FORM_TITLE = "Welcome to echo service!"
LATENCY_TITLE = "Latency of each function"
LABEL = "Text to echo"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def expect(target: Any) -> Any:
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(target)


def submit_with_enter(page: Any, text: str) -> Any:
    """Type into the (focused) box, press Enter and return the response of the form's POST."""
    box = page.get_by_label(LABEL)
    box.fill(text)
    with page.expect_navigation() as navigation:
        box.press("Enter")
    return navigation.value


def stat(page: Any, function: str, name: str, period: str = "total") -> int:
    """A figure of one function's table: `period` "total" (since start) or "window" (last 5 minutes)."""
    cell = page.locator(f'section[data-function="{function}"] [data-period="{period}"] td[data-stat="{name}"]')
    return int(cell.inner_text().replace(",", ""))


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == PNG_SIGNATURE, f"{path} is not a PNG"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def test_the_form_has_focus_and_echoes_on_enter(page: Any) -> None:
    page.goto("/ui")
    expect(page).to_have_title(FORM_TITLE)
    expect(page.get_by_role("heading", level=1)).to_have_text(FORM_TITLE)
    box = page.get_by_label(LABEL)
    expect(box).to_have_attribute("name", "input")
    expect(box).to_be_focused()

    page.keyboard.type("Hello")  # no click: the focus was already in the box
    with page.expect_navigation() as navigation:
        page.keyboard.press("Enter")

    assert navigation.value.status == 200
    assert navigation.value.request.method == "POST"
    expect(page.locator("#echo-output")).to_have_text("I said Hello")
    expect(page.locator("#echo-input")).to_have_text("Hello")
    expect(box).to_have_value("Hello")
    expect(box).to_be_focused()  # ready for the next line


@pytest.mark.parametrize(
    "typed",
    [
        "<img src=x onerror=alert(1)>",
        "<script>alert(1)</script>",
        '" autofocus onfocus="alert(1)',
        "</dd><svg onload=alert(1)>",
    ],
)
def test_markup_typed_into_the_form_shows_literally_and_never_runs(page: Any, traffic: Any, typed: str) -> None:
    page.goto("/ui")
    response = submit_with_enter(page, typed)
    page.wait_for_load_state("load")  # an injected <img> would have failed and fired onerror by now

    assert response.status == 200
    assert traffic.dialogs == []
    output = page.locator("#echo-output")
    expect(output).to_have_text(f"I said {typed}")
    assert output.evaluate("node => node.textContent") == f"I said {typed}"
    assert output.locator("*").count() == 0  # text only: no img, script or svg element
    assert page.locator("img, script, svg").count() == 0
    expect(page.get_by_label(LABEL)).to_have_value(typed)
    assert not [url for url in traffic.requests if url.endswith("/x")]  # the browser never fetched src=x
    assert traffic.console_errors == []


def test_the_form_works_with_the_keyboard_alone(page: Any) -> None:
    page.goto("/ui")
    box = page.get_by_label(LABEL)
    button = page.get_by_role("button", name="Echo")
    link = page.get_by_role("link", name=LATENCY_TITLE)
    expect(box).to_be_focused()

    page.keyboard.type("Tabbed")
    page.keyboard.press("Tab")
    expect(button).to_be_focused()
    assert button.evaluate("node => getComputedStyle(node).outlineStyle") != "none"  # the focus is visible
    page.keyboard.press("Tab")
    expect(link).to_be_focused()
    page.keyboard.press("Shift+Tab")
    expect(button).to_be_focused()
    with page.expect_navigation():
        page.keyboard.press("Space")
    expect(page.locator("#echo-output")).to_have_text("I said Tabbed")

    box.press("Control+a")
    page.keyboard.type("Entered")
    page.keyboard.press("Tab")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page.locator("#echo-output")).to_have_text("I said Entered")


def test_an_empty_box_never_reaches_a_server_error(page: Any, traffic: Any, ui_server: Any) -> None:
    page.goto("/ui")
    box = page.get_by_label(LABEL)
    box.press("Enter")  # `required`: the browser keeps the form and says why
    assert box.evaluate("node => node.validity.valueMissing")
    assert box.evaluate("node => node.validationMessage")
    expect(page.locator("#echo-output")).to_have_count(0)
    assert traffic.posts == []  # nothing was sent

    direct = page.request.post("/ui", form={"input": ""})
    assert direct.status == 400
    assert 'role="alert"' in direct.text()

    page.locator("form").evaluate("form => { form.noValidate = true; }")
    with page.expect_navigation() as navigation:
        box.press("Enter")
    assert navigation.value.status == 400
    expect(page.get_by_role("alert")).to_contain_text("type some text")
    box = page.get_by_label(LABEL)
    expect(box).to_be_focused()  # the form is back, ready to type into
    expect(box).to_have_attribute("aria-invalid", "true")
    expect(box).to_have_accessible_description(re.compile("type some text"))
    assert traffic.server_errors == []


def test_the_latency_view_charts_and_counts_the_requests(page: Any) -> None:
    batch = {"data": [[0, "Hello"], [1, "World"]]}
    requests = 5
    for _ in range(requests):
        answer = page.request.post("/echo", data=json.dumps(batch), headers={"Content-Type": "application/json"})
        assert answer.json() == {"data": [[0, "I said Hello"], [1, "I said World"]]}

    page.goto("/ui")
    page.get_by_role("link", name=LATENCY_TITLE).click()
    expect(page).to_have_url(re.compile(r"/ui/latency$"))
    expect(page).to_have_title(LATENCY_TITLE)

    echo = page.locator('section[data-function="echo"]')
    expect(echo.get_by_role("heading")).to_have_text("echo")
    chart = echo.get_by_role("img", name="Latency histogram of echo")
    expect(chart).to_be_visible()
    assert chart.evaluate("node => node.matches('svg.histogram')")
    box = chart.bounding_box()
    assert box is not None and box["width"] > 200 and box["height"] > 50
    heights = echo.locator("svg.histogram rect.bar").evaluate_all("bars => bars.map(b => b.getBBox().height)")
    assert sum(1 for height in heights if height > 0) >= 1
    assert stat(page, "echo", "count") >= requests
    assert stat(page, "echo", "errors") == 0
    for percentile in ("p50", "p90", "p99", "max"):
        expect(echo.locator(f'[data-period="total"] td[data-stat="{percentile}"]')).to_have_text(
            re.compile(r"^[\d.,]+ ms$")
        )

    ui_count = stat(page, "ui", "count")
    page.get_by_role("link", name="Refresh", exact=True).click()
    expect(page).to_have_url(re.compile(r"/ui/latency$"))
    expect(page.get_by_role("img", name="Latency histogram of echo")).to_be_visible()
    assert stat(page, "echo", "count") >= requests
    assert stat(page, "ui", "count") >= ui_count
    assert page.locator('meta[http-equiv="refresh"]').count() == 0

    page.get_by_role("link", name=re.compile("^Auto-refresh")).click()
    expect(page).to_have_url(re.compile(r"/ui/latency\?refresh=5$"))
    expect(page.locator('meta[http-equiv="refresh"]')).to_have_attribute("content", "5")
    page.get_by_role("link", name="Stop auto-refresh").click()
    expect(page).to_have_url(re.compile(r"/ui/latency$"))
    assert page.locator('meta[http-equiv="refresh"]').count() == 0

    page.get_by_role("link", name="Back to the echo form").click()
    expect(page).to_have_title(FORM_TITLE)


@pytest.mark.parametrize("key", ["", "s3cr/t+key"], ids=["no key", "a function key"])
def test_the_latency_view_links_to_the_json_and_the_prometheus_text_keeping_its_key(page: Any, key: str) -> None:
    query = f"?code={quote(key, safe='')}" if key else ""
    page.goto(f"/ui/latency{query}")
    with page.expect_navigation() as navigation:
        page.get_by_role("link", name="JSON", exact=True).click()
    expect(page).to_have_url(re.compile(rf"/latency{re.escape(query)}$"))
    assert navigation.value.headers["cache-control"] == "no-store"
    assert json.loads(page.locator("body").inner_text())["extension"] == "TimerExtension"
    page.go_back()
    expect(page).to_have_url(re.compile(rf"/ui/latency{re.escape(query)}$"))
    with page.expect_navigation() as navigation:
        page.get_by_role("link", name="Prometheus text", exact=True).click()
    expect(page).to_have_url(re.compile(rf"/metrics{re.escape(query)}$"))
    assert navigation.value.headers["content-type"].startswith("text/plain; version=0.0.4")
    assert 'faas_invocations_total{function="timer_page"' in page.locator("body").inner_text()


def test_the_pages_need_no_network_but_this_server(page: Any, traffic: Any, ui_server: Any) -> None:
    page.goto("/ui")
    submit_with_enter(page, "offline")
    expect(page.locator("#echo-output")).to_have_text("I said offline")
    page.get_by_role("link", name=LATENCY_TITLE).click()
    expect(page.locator("svg.histogram").first).to_be_visible()
    page.wait_for_load_state("networkidle")

    assert traffic.requests, "no request was recorded"
    assert traffic.foreign() == [] and traffic.blocked == []
    assert all(url.startswith(ui_server.base_url + "/") for url in traffic.requests if not url.startswith("data:"))
    assert page.locator("script[src], link[rel=stylesheet], iframe, object, embed").count() == 0
    assert page.locator("script").count() <= 1  # the latency page's own inline one, which keeps its state
    assert traffic.console_errors == []


# Text and its background, as the browser computed them. The colour of SVG text is its fill.
CONTRAST_SCRIPT = """
nodes => nodes.map(node => {
  const style = getComputedStyle(node);
  const fg = node instanceof SVGElement ? style.fill : style.color;
  let bg = "rgba(0, 0, 0, 0)";
  for (let at = node; at && at.nodeType === 1; at = at.parentElement) {
    const colour = getComputedStyle(at).backgroundColor;
    if (!/^rgba\\(.*, 0\\)$/.test(colour) && colour !== "transparent") { bg = colour; break; }
  }
  return [node.tagName + "." + (node.getAttribute("class") || node.id || ""), fg, bg];
})
"""


def luminance(colour: str) -> float:
    """WCAG relative luminance of an opaque `rgb(r, g, b)`."""
    match = re.fullmatch(r"rgba?\((\d+), (\d+), (\d+)(?:, 1)?\)", colour)
    assert match, f"not an opaque rgb() colour: {colour}"
    channels = [int(value) / 255 for value in match.groups()]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(foreground: str, background: str) -> float:
    light, dark = sorted((luminance(foreground), luminance(background)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_text_is_readable_in_light_and_dark_mode(page: Any, scheme: str) -> None:
    """Every kind of text on both pages has at least the WCAG AA contrast of 4.5:1 with its background."""
    page.emulate_media(color_scheme=scheme)
    page.request.post("/echo", data=json.dumps({"data": [[0, "x"]]}), headers={"Content-Type": "application/json"})
    page.goto("/ui")
    submit_with_enter(page, "Hello")
    text = "h1, label, #input, button, dt, dd, nav a"
    found = page.locator(text).evaluate_all(CONTRAST_SCRIPT)
    page.locator("form").evaluate("form => { form.noValidate = true; }")
    page.get_by_label(LABEL).fill("")
    with page.expect_navigation():
        page.get_by_label(LABEL).press("Enter")
    found += page.locator(".error").evaluate_all(CONTRAST_SCRIPT)
    page.goto("/ui/latency")
    found += page.locator("h1, h2, nav a, .note, th, td, .empty, svg.histogram text").evaluate_all(CONTRAST_SCRIPT)

    kinds = {(name, fg, bg) for name, fg, bg in found}
    assert {name.split(".")[0] for name, _, _ in kinds} >= {"H1", "LABEL", "BUTTON", "DD", "A", "P", "TH", "TD", "text"}
    poor = sorted((round(contrast(fg, bg), 2), name, fg, bg) for name, fg, bg in kinds if contrast(fg, bg) < 4.5)
    assert poor == [], f"text below 4.5:1 in {scheme} mode"


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_screenshots_of_both_pages(page: Any, artifacts: Path, scheme: str) -> None:
    suffix = "" if scheme == "light" else "-dark"
    page.emulate_media(color_scheme=scheme)
    page.request.post("/echo", data=json.dumps({"data": [[0, "shot"]]}), headers={"Content-Type": "application/json"})
    shots = {}

    page.goto("/ui")
    shots["ui"] = artifacts / f"ui{suffix}.png"
    page.screenshot(path=shots["ui"], full_page=True)

    submit_with_enter(page, "Hello")
    expect(page.locator("#echo-output")).to_have_text("I said Hello")
    shots["ui-echoed"] = artifacts / f"ui-echoed{suffix}.png"
    page.screenshot(path=shots["ui-echoed"], full_page=True)

    page.goto("/ui/latency")
    expect(page.get_by_role("img", name="Latency histogram of echo")).to_be_visible()
    shots["latency"] = artifacts / f"latency{suffix}.png"
    page.screenshot(path=shots["latency"], full_page=True)

    if scheme == "light":
        page.set_viewport_size({"width": 375, "height": 700})
        page.goto("/ui/latency")
        shots["latency-narrow"] = artifacts / "latency-narrow.png"
        page.screenshot(path=shots["latency-narrow"], full_page=True)
        assert page.evaluate("document.documentElement.scrollWidth") <= 375  # no sideways scrolling
        # The figures wrap into two rows of three there, and are still a table to a screen reader.
        echo = page.locator('section[data-function="echo"]')
        for period in ("window", "total"):
            figures = echo.locator(f'[data-period="{period}"]')
            expect(figures.get_by_role("columnheader", name="p50")).to_be_visible()
            expect(figures.get_by_role("cell")).to_have_count(6)

        page.set_viewport_size({"width": 1000, "height": 700})
        page.goto("/ui")
        page.locator("form").evaluate("form => { form.noValidate = true; }")
        with page.expect_navigation():
            page.get_by_label(LABEL).press("Enter")
        expect(page.get_by_role("alert")).to_be_visible()
        shots["ui-error"] = artifacts / "ui-error.png"
        page.screenshot(path=shots["ui-error"], full_page=True)

    for name, path in shots.items():
        assert path.is_file() and path.stat().st_size > 1000, name
        width, height = png_size(path)
        assert width >= 375 and height >= 300, (name, width, height)


ECHOES = 200


@pytest.fixture
def two_process_server(tmp_path: Path) -> Iterator[ServerProcess]:
    """Its own `python -m container` with two worker processes and the timer extension on."""
    server = start_container(
        tmp_path,
        WEB_CONCURRENCY="2",
        PYTHON_ENABLE_WORKER_EXTENSIONS="1",
        SERVER_ACCESS_LOG="0",
        TMPDIR=str(tmp_path),  # the shared statistics directory goes here, not into /tmp
    )
    yield server
    server.stop()


def open_when_counted(page: Any, url: str, function: str, expected: int) -> None:
    """Open `url`, reloading until `function` has `expected` invocations since start or the time is up.

    The process that draws the page reads the other one's figures from its last published file.
    """

    def reload_and_count() -> int:
        page.goto(url)
        return stat(page, function, "count")

    counted = eventually(reload_and_count, lambda n: n >= expected, SETTLE_TIMEOUT_S, RELOAD_INTERVAL_S)
    assert counted >= expected, f"{function}: {counted} of {expected} invocations after {SETTLE_TIMEOUT_S} s"


def test_the_latency_view_adds_up_both_worker_processes(
    page: Any, artifacts: Path, two_process_server: ServerProcess
) -> None:
    base_url = two_process_server.base_url
    send_echoes(base_url, ECHOES)

    open_when_counted(page, f"{base_url}/ui/latency", "echo", ECHOES)
    echo = page.locator('section[data-function="echo"]')
    expect(echo.locator('[data-period="total"] caption')).to_have_text("Since start")
    expect(echo.locator('[data-period="total"] td[data-stat="count"]')).to_have_text(str(ECHOES))
    expect(echo.locator('[data-period="window"] caption')).to_have_text("Last 5 minutes")
    expect(echo.locator('[data-period="window"] td[data-stat="count"]')).to_have_text(str(ECHOES))
    expect(page.locator("#coverage")).to_contain_text("Covers 2 worker processes, since ")
    rows = page.locator("section.processes tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.get_by_role("cell", name="running", exact=True)).to_have_count(2)
    shot = artifacts / "latency-two-processes.png"
    page.screenshot(path=shot, full_page=True)
    shown = {
        row.get_attribute("data-pid"): int(row.locator('td[data-stat="count"]').inner_text().replace(",", ""))
        for row in rows.all()
    }

    stats = httpx.get(f"{base_url}/latency", timeout=30).json()
    echoes_of = {str(process["pid"]): process["functions"].get("echo", 0) for process in stats["processes"]}
    assert sum(echoes_of.values()) == ECHOES
    assert all(count > 0 for count in echoes_of.values()), f"one process served every echo: {echoes_of}"
    assert shown.keys() == echoes_of.keys()
    # A row counts every invocation of its process: the echoes, and the health checks and pages too.
    assert all(shown[pid] >= echoes_of[pid] for pid in shown), (shown, echoes_of)
    assert png_size(shot)[0] == 1000


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_start_up_panel_draws_each_processs_cold_start_and_the_slowest_imports(
    page: Any, artifacts: Path, two_process_server: ServerProcess, scheme: str
) -> None:
    base_url = two_process_server.base_url
    send_echoes(base_url, 40)  # both processes serve some, so both finish their start-up
    page.emulate_media(color_scheme=scheme)
    bars = page.locator("section.startup svg.timeline rect.phase-ready")
    echo_first_calls = page.locator('section.startup table.first-calls tr[data-function="echo"] td').nth(1)

    def reload_and_settled() -> bool:  # both processes ready (and the legend), both past their first echo
        page.goto(f"{base_url}/ui/latency")
        settled = bars.count() >= 2 + 1 and echo_first_calls.count() == 1 and echo_first_calls.inner_text() == "2"
        if not settled:
            send_echoes(base_url, 10)  # the kernel may have handed every echo so far to one process
        return settled

    assert eventually(reload_and_settled, bool, SETTLE_TIMEOUT_S, RELOAD_INTERVAL_S), (
        f"both processes not ready and past a first echo after {SETTLE_TIMEOUT_S} s"
    )
    panel = page.locator("section.startup")
    expect(panel.locator("h2")).to_have_text("Cold starts")
    expect(panel.locator('[data-stat="startup"]')).to_contain_text("2 process starts, time to ready p50 ")
    # Our server imports the timer first: interpreter start, server imports, app import, until ready (listening).
    for phase in ("phase-boot", "phase-server", "phase-app", "phase-ready"):
        expect(panel.locator(f"svg.timeline rect.{phase}")).to_have_count(2 + 1)  # one per process, one in the legend
    server_imports = panel.locator("svg.timeline rect.phase-server title").first.text_content() or ""
    assert "server imports" in server_imports and "azure.functions" in server_imports, server_imports
    expect(panel.locator("#startup-figures tbody tr")).to_have_count(2)
    expect(panel.locator("#startup-figures tbody tr").first).to_contain_text("server imports")
    expect(panel.locator("svg.imports rect.import")).to_have_count(10)
    expect(panel.locator('table.first-calls tr[data-function="echo"] td').nth(1)).to_have_text("2")
    widths = [float(bar.get_attribute("width") or 0) for bar in panel.locator("svg.imports rect.import").all()]
    assert widths == sorted(widths, reverse=True) and widths[0] > widths[-1] > 0
    fill = panel.locator("svg.timeline rect.phase-ready").first.evaluate("e => getComputedStyle(e).fill")
    background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert fill != background
    panel.screenshot(path=artifacts / f"startup-panel-{scheme}.png")
