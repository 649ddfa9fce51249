"""A function that raises, served by the real runner in this process with the real timer extension.

The app here is a test-only FunctionApp (function_app.py has no failing function): `fail` (sync, run in the
thread pool), `fail_async` (on the event loop) and `ok`. `FaultTimer`, a subclass of the real TimerExtension,
registers with its own state and also records which of its hooks ran for which function.

The last tests read one run of many failures (after a warm-up; 10,000 in the full tier, 2,000 in the fast one)
against one server: all 500, each logged, resident memory flat, no thread left behind, every one counted
abandoned by the timer, still serving.
"""

from __future__ import annotations

import gc
import http.client
import logging
import os
import re
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import azure.functions as func
import httpx
import pytest

from container.loader import build_app
from container.settings import ServerSettings
from python_worker_extension_timer import TimerExtension
from python_worker_extension_timer.clock import ManualClock
from tests.support.extensions import isolated_extensions
from tests.support.leaks import leaks_in
from tests.support.servers import ThreadedServer
from tests.support.tiers import sized

FAILING = ["fail", "fail_async"]
SECRET = "secret detail from /srv/app/internal.py"
MAX_AGE_SECONDS = 1.0


def make_app() -> func.FunctionApp:
    app = func.FunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)

    @app.route(route="fail", methods=["GET", "POST"])
    def fail(req: func.HttpRequest) -> func.HttpResponse:
        raise RuntimeError(SECRET)

    @app.route(route="fail_async", methods=["GET", "POST"])
    async def fail_async(req: func.HttpRequest) -> func.HttpResponse:
        raise ValueError(SECRET)

    @app.route(route="ok", methods=["GET"])
    def ok(req: func.HttpRequest) -> func.HttpResponse:
        return func.HttpResponse("ok", mimetype="text/plain")

    return app


class Served:
    """The running server, its timer extension class, the hooks it saw (if recorded), and the timer's clock."""

    def __init__(
        self, server: ThreadedServer, timer: Any, hooks: list[tuple[str, str, str]], clock: ManualClock | None
    ):
        self.server = server
        self.timer = timer
        self.hooks = hooks
        self.clock = clock

    @property
    def base_url(self) -> str:
        return self.server.base_url

    def stats(self, function: str) -> dict[str, Any]:
        return self.timer.stats()["functions"][function]

    def hooks_for(self, function: str) -> list[str]:
        return [hook for hook, name, _ in self.hooks if name == function]


def fault_timer(hooks: list[tuple[str, str, str]] | None) -> type:
    """A TimerExtension subclass: defined with registrations isolated (the `clean_extensions` fixture, or
    `isolated_extensions()`), it is the only extension the runner calls, with statistics of its own.

    With `hooks`, it also records each hook call (which grows that list: not for the memory test).
    """
    if hooks is None:

        class FaultTimer(TimerExtension):
            pass

        return FaultTimer

    class RecordingFaultTimer(TimerExtension):
        @classmethod
        def pre_invocation_app_level(cls, logger, context, func_args=None, *args, **kwargs):
            hooks.append(("pre", context.function_name, context.invocation_id))
            super().pre_invocation_app_level(logger, context, func_args, *args, **kwargs)

        @classmethod
        def post_invocation_app_level(cls, logger, context, func_args=None, func_ret=None, *args, **kwargs):
            hooks.append(("post", context.function_name, context.invocation_id))
            super().post_invocation_app_level(logger, context, func_args, func_ret, *args, **kwargs)

    return RecordingFaultTimer


@pytest.fixture
def serve(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, clean_extensions: None) -> Iterator:
    """Start the runner on the test app with extensions on; `clock=None` gives the timer its real clock."""
    monkeypatch.setenv("PYTHON_ENABLE_WORKER_EXTENSIONS", "1")
    (tmp_path / "host.json").write_text('{"version": "2.0", "extensions": {"http": {"routePrefix": ""}}}')
    started: list[ThreadedServer] = []

    def start(clock: ManualClock | None, max_age_seconds: float = MAX_AGE_SECONDS) -> Served:
        hooks: list[tuple[str, str, str]] = []
        timer = fault_timer(hooks)
        timer.configure(max_age_seconds=max_age_seconds, clock=clock, server_timing=True)
        server = ThreadedServer(build_app(ServerSettings(), make_app(), script_root=tmp_path)).__enter__()
        started.append(server)
        return Served(server, timer, hooks, clock)

    yield start
    for server in started:
        server.__exit__()


@pytest.fixture
def served(serve) -> Served:
    return serve(ManualClock(start_ns=10**12))


@pytest.mark.parametrize("function", FAILING)
def test_a_raising_function_answers_500_with_a_json_error_and_an_error_id(served: Served, function: str) -> None:
    response = httpx.get(f"{served.base_url}/{function}")
    assert response.status_code == 500
    assert response.headers["content-type"] == "application/json"
    document = response.json()
    assert set(document) == {"error", "error_id"}
    assert isinstance(document["error"], str) and document["error"]
    assert re.fullmatch(r"[0-9a-f]{32}", document["error_id"])


@pytest.mark.parametrize("function", FAILING)
def test_the_500_tells_nothing_of_the_exception(served: Served, function: str) -> None:
    response = httpx.get(f"{served.base_url}/{function}")
    assert SECRET not in response.text
    assert "Error" not in response.text
    assert leaks_in(response.content, *response.headers.values()) == []


@pytest.mark.parametrize("function", FAILING)
def test_the_error_id_is_logged_with_the_traceback(
    served: Served, function: str, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR, logger="container.gateway"):
        error_id = httpx.get(f"{served.base_url}/{function}").json()["error_id"]
    logged = [record for record in caplog.records if record.name == "container.gateway"]
    assert len(logged) == 1
    assert error_id in logged[0].getMessage() and function in logged[0].getMessage()
    assert logged[0].exc_info is not None and SECRET in str(logged[0].exc_info[1])
    formatted = logging.Formatter().format(logged[0])
    assert "Traceback (most recent call last)" in formatted and SECRET in formatted


@pytest.mark.parametrize("function", FAILING)
def test_as_under_the_worker_no_post_hook_runs_for_a_raising_function(served: Served, function: str) -> None:
    httpx.get(f"{served.base_url}/{function}")
    assert served.hooks_for(function) == ["pre"]


def test_both_hooks_run_for_a_function_that_returns(served: Served) -> None:
    httpx.get(f"{served.base_url}/ok")
    assert served.hooks_for("ok") == ["pre", "post"]
    assert served.stats("ok")["count"] == 1


@pytest.mark.parametrize("function", FAILING)
def test_the_timer_sees_a_start_with_no_end(served: Served, function: str) -> None:
    httpx.get(f"{served.base_url}/{function}")
    assert served.timer.stats()["in_flight"] == 1
    assert (served.stats(function)["count"], served.stats(function)["abandoned"]) == (0, 0)


@pytest.mark.parametrize("function", FAILING)
def test_the_timer_counts_it_abandoned_once_the_eviction_age_passes(served: Served, function: str) -> None:
    httpx.get(f"{served.base_url}/{function}")
    served.clock.advance(seconds=MAX_AGE_SECONDS / 2)
    assert served.stats(function)["abandoned"] == 0
    served.clock.advance(seconds=MAX_AGE_SECONDS / 2 + 0.001)
    stats = served.timer.stats()
    assert stats["functions"][function]["abandoned"] == 1
    assert stats["functions"][function]["errors"] == 1
    assert stats["in_flight"] == 0


def test_with_the_real_clock_the_abandoned_start_is_counted_after_max_age(serve) -> None:
    served = serve(clock=None, max_age_seconds=0.2)
    httpx.get(f"{served.base_url}/fail")
    assert served.stats("fail")["abandoned"] == 0
    time.sleep(0.3)
    assert served.stats("fail")["abandoned"] == 1


@pytest.mark.parametrize("function", FAILING)
def test_the_server_keeps_serving_right_after_a_failure(served: Served, function: str) -> None:
    with httpx.Client(base_url=served.base_url) as client:  # the same kept-alive connection
        assert client.get(f"/{function}").status_code == 500
        after = client.get("/ok")
    assert (after.status_code, after.text) == (200, "ok")
    assert "func;dur=" in after.headers["server-timing"]


def resident_bytes() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


class CountingHandler(logging.Handler):
    """Formats every record, traceback included, as a log handler would, and keeps only a count."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.count = 0
        self.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        self.format(record)
        self.count += 1


def fail_many(port: int, times: int) -> list[int]:
    """`times` failing requests, alternating sync and async, on one kept-alive connection; their statuses."""
    statuses = []
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        for n in range(times):
            connection.request("GET", f"/{FAILING[n % 2]}")
            response = connection.getresponse()
            response.read()
            statuses.append(response.status)
    finally:
        connection.close()
    return statuses


WARM_UP = sized(fast=500, full=1_000)
FAILURES = sized(fast=2_000, full=10_000)
# Measured: about 0.3 MiB, then flat; a leak of 200 bytes per failure fails the full run, of 1 KB the fast one.
GROWTH_LIMIT = 2 * 1024 * 1024


@dataclass
class ManyFailures:
    served: Served
    statuses: list[int]
    logged: int
    threads_before: int
    threads_after: int
    rss_before: int
    rss_after: int
    took: float


@pytest.fixture(scope="module")
def many_failures(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ManyFailures]:
    """FAILURES failures after a warm-up of WARM_UP, on one server with the real clock and a 0.2 s eviction age."""
    script_root = tmp_path_factory.mktemp("faults")
    (script_root / "host.json").write_text('{"version": "2.0", "extensions": {"http": {"routePrefix": ""}}}')
    gateway_log = logging.getLogger("container.gateway")
    counting = CountingHandler()
    with pytest.MonkeyPatch.context() as patch, isolated_extensions():
        patch.setenv("PYTHON_ENABLE_WORKER_EXTENSIONS", "1")
        patch.setattr(gateway_log, "propagate", False)  # pytest's log capture keeps every record: not ours to measure
        gateway_log.addHandler(counting)
        timer = fault_timer(None)  # recording the hooks would itself grow memory
        timer.configure(max_age_seconds=0.2)
        with ThreadedServer(build_app(ServerSettings(), make_app(), script_root=script_root)) as server:
            try:
                started = time.monotonic()
                assert set(fail_many(server.port, WARM_UP)) == {500}
                gc.collect()
                rss_before, threads_before = resident_bytes(), threading.active_count()
                statuses = fail_many(server.port, FAILURES)
                gc.collect()
                rss_after, threads_after = resident_bytes(), threading.active_count()
                took = time.monotonic() - started
            finally:
                gateway_log.removeHandler(counting)
            yield ManyFailures(
                Served(server, timer, [], None),
                statuses,
                counting.count,
                threads_before,
                threads_after,
                rss_before,
                rss_after,
                took,
            )


def test_every_failure_answers_500(many_failures: ManyFailures) -> None:
    assert len(many_failures.statuses) == FAILURES and set(many_failures.statuses) == {500}


def test_each_of_them_is_logged_once(many_failures: ManyFailures) -> None:
    assert many_failures.logged == WARM_UP + FAILURES


def test_memory_stays_flat_over_the_failures(many_failures: ManyFailures) -> None:
    growth = many_failures.rss_after - many_failures.rss_before
    assert growth < GROWTH_LIMIT, f"grew {growth / 2**20:.1f} MiB over {FAILURES:,} failures"


def test_no_thread_is_left_behind_by_the_failures(many_failures: ManyFailures) -> None:
    assert many_failures.threads_after <= many_failures.threads_before


def test_the_server_still_serves_after_the_failures(many_failures: ManyFailures) -> None:
    response = httpx.get(f"{many_failures.served.base_url}/ok", timeout=5)
    assert (response.status_code, response.text) == (200, "ok")


def test_the_timer_counts_every_one_of_them_abandoned_and_keeps_none_in_flight(many_failures: ManyFailures) -> None:
    time.sleep(0.25)  # past the eviction age of the last ones
    stats = many_failures.served.timer.stats()
    assert stats["in_flight"] == 0
    assert sum(stats["functions"][name]["abandoned"] for name in FAILING) == WARM_UP + FAILURES
    assert sum(stats["functions"][name]["count"] for name in FAILING) == 0


def test_the_failures_took_bounded_time(many_failures: ManyFailures) -> None:
    assert many_failures.took < 60
