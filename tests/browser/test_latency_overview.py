"""The latency page read at a glance: the overview on every screen, the cold starts on the first, accessible.

One server with two worker processes, traffic on three functions (echo, ui, healthcheck), and
the page in headless Chromium at a laptop's, a phone's and a wide screen's size, in light and
dark mode. axe-core (installed by `.ci/run` with npm into tests/browser/axe) is injected into the
page: no serious or critical violation may remain.
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.browser.conftest import RELOAD_INTERVAL_S, SETTLE_TIMEOUT_S, _unavailable
from tests.support.cases import TUTORIAL_ANSWER, TUTORIAL_REQUEST
from tests.support.polling import eventually
from tests.support.servers import ServerProcess, start_container

pytestmark = pytest.mark.browser

AXE = Path(__file__).resolve().parent / "axe" / "node_modules" / "axe-core" / "axe.min.js"
TRAFFIC = {"/echo": 60, "/ui": 20, "/healthcheck": 20}
FUNCTIONS = ("echo", "ui", "healthcheck", "timer_stats", "timer_page", "timer_metrics")
SCREENS = {"laptop": (1280, 800), "phone": (390, 844), "wide": (1920, 1080)}


def expect(target: Any) -> Any:
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(target)


@pytest.fixture(scope="module")
def busy_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """`python -m container` with two worker processes, each having served the three functions."""
    folder = tmp_path_factory.mktemp("overview")
    server = start_container(
        folder, WEB_CONCURRENCY="2", PYTHON_ENABLE_WORKER_EXTENSIONS="1", SERVER_ACCESS_LOG="0", TMPDIR=str(folder)
    )
    fresh = httpx.Limits(max_keepalive_connections=0)  # a connection each, so both processes take some
    with httpx.Client(base_url=server.base_url, limits=fresh, timeout=30) as client, ThreadPoolExecutor(8) as pool:

        def call(path: str) -> None:
            if path == "/echo":
                assert client.post(path, json=TUTORIAL_REQUEST).json() == TUTORIAL_ANSWER
            else:
                assert client.get(path).status_code == 200

        list(pool.map(call, [path for path, n in TRAFFIC.items() for _ in range(n)]))
        client.get("/latency")
        client.get("/metrics")
    yield server
    server.stop()


@pytest.fixture
def page_of(browser: Any, busy_server: ServerProcess) -> Iterator[Any]:
    """A function opening the page on a screen (name in SCREENS) and colour scheme; the contexts are closed after."""
    contexts: list[Any] = []

    def open_page(screen: str, scheme: str = "light") -> Any:
        width, height = SCREENS[screen]
        context = browser.new_context(
            base_url=busy_server.base_url,
            viewport={"width": width, "height": height},
            color_scheme=scheme,
            is_mobile=screen == "phone",
        )
        contexts.append(context)
        page = context.new_page()
        ready_bars = page.locator("section.startup svg.timeline rect.phase-ready")

        def reload_and_count() -> int:
            page.goto("/ui/latency")
            return ready_bars.count()

        bars = eventually(reload_and_count, lambda n: n >= 2 + 1, SETTLE_TIMEOUT_S, RELOAD_INTERVAL_S)
        assert bars >= 2 + 1, f"{bars} ready bars (one per process, one in the legend) after {SETTLE_TIMEOUT_S} s"
        return page

    yield open_page
    for context in contexts:
        context.close()


def inside_viewport(page: Any, selector: str) -> bool:
    box = page.locator(selector).bounding_box()
    size = page.viewport_size
    return (
        box is not None
        and box["x"] >= 0
        and box["y"] >= 0
        and box["x"] + box["width"] <= size["width"]
        and (box["y"] + box["height"] <= size["height"])
    )


def test_at_1280x800_every_function_and_its_p99_and_the_cold_starts_are_on_the_first_screen(page_of: Any) -> None:
    page = page_of("laptop")
    for function in FUNCTIONS:
        row = f'table.overview-table tr[data-function="{function}"]'
        assert inside_viewport(page, f"{row} th a"), function
        assert inside_viewport(page, f'{row} td[data-stat="p99-window"]'), function
    assert inside_viewport(page, "p.startup-summary")
    expect(page.locator("p.startup-summary")).to_contain_text("2 process starts in the last hour (2 since start)")


def test_the_overview_puts_the_apps_functions_first_and_the_statistics_endpoints_apart(page_of: Any) -> None:
    page = page_of("laptop")
    app = page.locator("table.overview-table > tbody:not(.own) tr[data-function]")
    own = page.locator("table.overview-table > tbody.own tr[data-function]")
    assert sorted(app.evaluate_all("rows => rows.map(r => r.dataset.function)")) == ["echo", "healthcheck", "ui"]
    assert sorted(own.evaluate_all("rows => rows.map(r => r.dataset.function)")) == [
        "timer_metrics",
        "timer_page",
        "timer_stats",
    ]
    echo = page.locator('tr[data-function="echo"]')
    expect(echo.locator('td[data-stat="calls-total"]')).to_have_text(str(TRAFFIC["/echo"]))
    label = echo.locator("svg.spark").get_attribute("aria-label") or ""
    assert label.startswith(f"Last 60 minutes of echo: {TRAFFIC['/echo']} calls, p99 ")


def test_a_function_name_leads_to_its_details_by_keyboard(page_of: Any) -> None:
    page = page_of("laptop")
    link = page.locator('tr[data-function="ui"] th a')
    link.focus()
    page.keyboard.press("Enter")
    assert page.evaluate("location.hash") == "#fn-ui"
    expect(page.locator("#fn-ui")).to_be_in_viewport()


def test_at_390_wide_the_page_is_no_wider_than_the_screen(page_of: Any, artifacts: Path) -> None:
    page = page_of("phone")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=artifacts / "latency-390.png", full_page=True)


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_screenshots_at_1280_and_1920(page_of: Any, artifacts: Path, scheme: str) -> None:
    for screen in ("laptop", "wide"):
        page = page_of(screen, scheme)
        width = SCREENS[screen][0]
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        path = artifacts / f"latency-{width}-{scheme}.png"
        page.screenshot(path=path)
        assert path.stat().st_size > 1000


def test_a_reload_keeps_the_scroll_position_and_what_was_unfolded(page_of: Any) -> None:
    page = page_of("laptop")
    page.locator("#startup-figures summary").click()
    page.evaluate("window.scrollTo(0, 900)")
    page.wait_for_function("window.scrollY >= 899")
    page.reload()
    page.wait_for_function("window.scrollY >= 899")
    assert page.locator("#startup-figures").evaluate("details => details.open")


def axe_violations(page: Any) -> list[dict[str, Any]]:
    if not AXE.is_file():
        _unavailable(f"axe-core not found at {AXE} (npm ci --prefix tests/browser/axe)")
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("async () => (await axe.run(document)).violations")
    return [v for v in result if v.get("impact") in ("serious", "critical")]


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("screen", ["laptop", pytest.param("phone", marks=pytest.mark.heavy)])  # phone: full tier
def test_axe_finds_no_serious_or_critical_violation(page_of: Any, scheme: str, screen: str) -> None:
    page = page_of(screen, scheme)
    page.locator("#startup-figures summary").click()  # the folded tables count too
    found = axe_violations(page)
    assert not found, [(v["id"], v["impact"], [n["target"] for n in v["nodes"]][:5], v["help"]) for v in found]


def test_every_chart_has_a_text_alternative(page_of: Any) -> None:
    page = page_of("laptop")
    unnamed = page.locator("svg").evaluate_all(
        "svgs => svgs.filter(s => !(s.getAttribute('aria-label') || s.querySelector(':scope > title')))"
        ".map(s => s.outerHTML.slice(0, 80))"
    )
    assert not unnamed
