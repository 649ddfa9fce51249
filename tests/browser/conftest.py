"""Headless Chromium (Debian's package, driven by Playwright) against the local runner.

Chromium is never downloaded: Playwright launches the browser at `CHROMIUM_PATH`
(default `/usr/bin/chromium`). When it, or the `playwright` package, is missing the
tests are skipped with the reason, except under CI (`CI` set), where they fail:
CI installs Chromium so that these tests run.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.support.servers import ROOT, ServerProcess

CHROMIUM = Path(os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"))
ARTIFACTS = ROOT / "test-artifacts"
LOCAL_HOST = "127.0.0.1"
# Without the background-networking flags Chromium phones home at start-up (component updates,
# sync, variations); on a machine with no network those connections are refused.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
TIMEOUT_MS = 5_000  # every wait of a test; a page of this service loads in milliseconds
#: How long the other worker process's part of the figures may take to show: a few of its
#: publishing intervals (0.5 s), with room for a machine busy with other tests (the waits end as soon as
#: the figures are there).
SETTLE_TIMEOUT_S = 15.0
#: How often a wait for those figures reloads the page.
RELOAD_INTERVAL_S = 0.1


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def _unavailable(reason: str) -> None:
    if _in_ci():
        pytest.fail(f"{reason}; CI must run the browser tests (.ci/run installs chromium)", pytrace=False)
    pytest.skip(f"{reason}; install Debian's chromium (apt-get install chromium) to run the browser tests")


@pytest.fixture(scope="module")
def playwright() -> Iterator[Any]:
    if not CHROMIUM.exists():
        _unavailable(f"Chromium not found at {CHROMIUM}")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("the playwright package is not installed (pip install -r requirements-dev.txt)")
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="module")
def browser(playwright: Any) -> Iterator[Any]:
    chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
    yield chromium
    chromium.close()


@pytest.fixture(scope="module")
def ui_server(server: ServerProcess) -> ServerProcess:
    """The suite's server (`python -m container`, timer extension on), for the pages and the latency view."""
    return server


@dataclass
class Traffic:
    """What a page did: every request, the responses, dialogs and console errors."""

    requests: list[str] = field(default_factory=list)
    posts: list[str] = field(default_factory=list)
    blocked: list[str] = field(default_factory=list)
    server_errors: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)

    def foreign(self) -> list[str]:
        """Requests to anything but this machine (data: URLs never reach a network)."""
        return [url for url in self.requests if not is_local(url)]


def is_local(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in ("data", "about", "blob") or parts.hostname == LOCAL_HOST


@pytest.fixture
def traffic() -> Traffic:
    return Traffic()


@pytest.fixture
def page(browser: Any, ui_server: ServerProcess, traffic: Traffic) -> Iterator[Any]:
    """A fresh page in its own context, with the server as base URL and the network cut off.

    Any request that does not go to 127.0.0.1 is recorded and aborted, as where no CDN is
    reachable. Dialogs are recorded and dismissed. No response may be a 5xx.
    """
    context = browser.new_context(base_url=ui_server.base_url, viewport={"width": 1000, "height": 700})
    context.set_default_timeout(TIMEOUT_MS)

    def abort_foreign(route: Any) -> None:
        traffic.blocked.append(route.request.url)
        route.abort("internetdisconnected")

    context.route(lambda url: not is_local(url), abort_foreign)

    def on_request(request: Any) -> None:
        traffic.requests.append(request.url)
        if request.method == "POST":
            traffic.posts.append(request.url)

    context.on("request", on_request)
    context.on(
        "response",
        lambda response: response.status >= 500 and traffic.server_errors.append(f"{response.status} {response.url}"),
    )
    tab = context.new_page()

    def on_dialog(dialog: Any) -> None:
        traffic.dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    tab.on("dialog", on_dialog)
    tab.on("console", lambda message: message.type == "error" and traffic.console_errors.append(message.text))
    tab.on("pageerror", lambda error: traffic.console_errors.append(str(error)))
    yield tab
    context.close()
    assert not traffic.server_errors, f"the server answered with an error: {traffic.server_errors}"


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
