"""Cold starts through real server processes: one start-up record per worker process, the import profile, first calls.

Each test starts its own server (`python -m container`), so every worker process is a new process
with a cold start of its own, as in a new Azure instance or a new Snowflake service instance.
"""

from __future__ import annotations

import os
import signal
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.support.servers import ServerProcess, container_process, start_container

COLD_APP = Path(__file__).resolve().parents[1] / "support" / "cold_app"
HOOKS_RUN_HERE = sys.version_info < (3, 13)


def wait_for(check: Callable[[], Any], timeout: float = 20.0, interval: float = 0.1) -> Any:
    """Poll until `check()` returns something truthy; return it."""
    deadline = time.monotonic() + timeout
    while True:
        found = check()
        if found or time.monotonic() > deadline:
            return found
        time.sleep(interval)


def each_process_served(base_url: str, path: str, processes: int, stats_path: str = "/latency") -> dict[str, Any]:
    """Send `path` on fresh connections until `processes` worker processes (exited ones too) have run it."""

    def served() -> dict[str, Any] | None:
        for _ in range(8):
            httpx.get(base_url + path, timeout=10)
        stats = httpx.get(base_url + stats_path, timeout=10).json()
        callers = [p for p in stats["processes"] if path.strip("/") in p["startup"]["first_calls"]]
        return stats if len(callers) >= processes else None

    stats = wait_for(served)
    assert stats, f"{processes} worker processes did not all serve {path}"
    return stats


@pytest.fixture(params=[1, 2], ids=["1 worker", "2 workers"])
def echo_server(request, tmp_path: Path) -> Iterator[ServerProcess]:
    server = start_container(tmp_path, PYTHON_ENABLE_WORKER_EXTENSIONS="1", WEB_CONCURRENCY=str(request.param))
    server.workers = request.param
    yield server
    server.stop()


@pytest.fixture(params=["1", "0"], ids=["hooks where they run", "decorator only"])
def cold_server(request, tmp_path: Path) -> Iterator[ServerProcess]:
    server = start_container(
        tmp_path,
        PYTHON_ENABLE_WORKER_EXTENSIONS=request.param,
        FUNCTION_APP="cold_app:app",
        PYTHONPATH=str(COLD_APP),
    )
    yield server
    server.stop()


def test_every_worker_process_has_one_start_up_record_in_order(echo_server: ServerProcess) -> None:
    stats = each_process_served(echo_server.base_url, "/healthcheck", echo_server.workers)
    records = [p["startup"] for p in stats["processes"]]
    assert len(records) == echo_server.workers == stats["startup"]["process_starts"]
    for record in records:
        call = record["first_calls"][record["first_call"]]
        assert record["process_started"] is not None, record["process_started_note"]
        assert record["process_started"] <= record["timer_imported"] <= record["app_import_started"]
        assert record["app_import_started"] <= record["app_loaded"] <= record["listening"]
        assert record["ready"] == record["listening"] <= call["started"] < call["ended"]
        assert record["ready_by"] == "listening"
        assert record["init_ms"] == pytest.approx((record["ready"] - record["process_started"]) * 1000)
        assert record["first_call_wait_ms"] == pytest.approx((call["started"] - record["ready"]) * 1000)


def test_the_import_profile_starts_at_the_servers_first_import(echo_server: ServerProcess) -> None:
    stats = each_process_served(echo_server.base_url, "/healthcheck", echo_server.workers)
    for process in stats["processes"]:
        imports = process["startup"]["imports"]
        assert imports["state"] == "finished"
        packages = [entry["module"] for entry in imports["packages"]]
        assert {"azure.functions", "function_app"} <= set(packages), packages
        assert any(name.startswith(("container.", "uvicorn")) for name in packages), packages
        starts = [entry["started_ms"] for entry in imports["packages"]]
        assert starts == sorted(starts)  # in the order they began, for the timeline
        for entry in imports["slowest"]:
            assert entry["cumulative_ms"] >= entry["self_ms"] >= 0
        total = sum(e["self_ms"] for e in imports["slowest"]) + imports["rest"]["self_ms"]
        assert total == pytest.approx(imports["total_ms"], rel=1e-6)


def test_the_app_is_loaded_when_its_module_finished_importing(echo_server: ServerProcess) -> None:
    stats = each_process_served(echo_server.base_url, "/healthcheck", echo_server.workers)
    assert {p["startup"]["app_loaded_by"] for p in stats["processes"]} == {"import of function_app finished"}


def test_the_slowest_import_and_the_cold_first_call_are_shown(cold_server: ServerProcess) -> None:
    base = cold_server.base_url
    first, second = httpx.get(base + "/lazy", timeout=10), httpx.get(base + "/lazy", timeout=10)
    assert first.status_code == second.status_code == 200
    stats = httpx.get(base + "/latency").json()
    [process] = stats["processes"]
    startup = process["startup"]
    # The profile holds the server's imports too; on a loaded machine one of them may take as long as the app's.
    slowest = {entry["module"]: entry for entry in startup["imports"]["slowest"][:3]}
    assert "slow_import" in slowest, sorted(slowest)
    assert slowest["slow_import"]["self_ms"] >= 300
    cold = startup["first_calls"]["lazy"]
    assert cold["duration_ms"] >= 200
    assert stats["functions"]["lazy"]["count"] == 2  # the cold call counts like every other
    assert stats["functions"]["lazy"]["min_ms"] < 200  # the second call was not cold
    assert stats["startup"]["first_calls"]["lazy"] == [{"pid": process["pid"], "duration_ms": cold["duration_ms"]}]


def test_the_server_names_the_module_it_loads_as_the_workers_script(cold_server: ServerProcess) -> None:
    httpx.get(cold_server.base_url + "/lazy", timeout=10)
    [process] = httpx.get(cold_server.base_url + "/latency", timeout=10).json()["processes"]
    assert process["startup"]["app_loaded_by"] == "import of cold_app finished"  # FUNCTION_APP=cold_app:app


def metric_samples(base_url: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    """Each sample by name and labels, the trigger label left out (what it says is not tested here)."""
    text = httpx.get(base_url + "/metrics", timeout=10).text
    return {
        (sample.name, frozenset((k, v) for k, v in sample.labels.items() if k != "trigger")): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def test_metrics_count_one_init_duration_per_process_and_cold_starts_per_function(echo_server: ServerProcess) -> None:
    stats = each_process_served(echo_server.base_url, "/ui", echo_server.workers)
    samples = metric_samples(echo_server.base_url)
    assert samples[("faas_init_duration_seconds_count", frozenset())] == echo_server.workers
    ui = frozenset({"function": "ui"}.items())
    assert samples[("faas_coldstarts_total", ui)] == echo_server.workers
    healthcheck = frozenset({"function": "healthcheck"}.items())
    expected = sum("healthcheck" in p["startup"]["first_calls"] for p in stats["processes"])
    assert samples[("faas_coldstarts_total", healthcheck)] == expected >= 1
    init_sum = sum(p["startup"]["init_ms"] for p in stats["processes"]) / 1000
    assert samples[("faas_init_duration_seconds_sum", frozenset())] == pytest.approx(init_sum)


def test_a_worker_killed_and_replaced_is_a_new_cold_start(tmp_path: Path) -> None:
    server = start_container(tmp_path, PYTHON_ENABLE_WORKER_EXTENSIONS="1", WEB_CONCURRENCY="2")
    try:
        before = each_process_served(server.base_url, "/ui", 2)
        victim = before["processes"][0]["pid"]
        os.kill(victim, signal.SIGKILL)
        after = each_process_served(server.base_url, "/ui", 3)  # the replacement served it too
        assert after["startup"]["process_starts"] == 3
        assert victim in {p["pid"] for p in after["processes"]}
        assert len(after["startup"]["first_calls"]["ui"]) == 3
        ui = ("faas_coldstarts_total", frozenset({"function": "ui"}.items()))
        # Another process may answer the scrape: it sees the replacement's file, at most half a second old.
        samples = wait_for(lambda: (found := metric_samples(server.base_url))[ui] == 3 and found)
        assert samples and samples[ui] == 3
        assert samples[("faas_init_duration_seconds_count", frozenset())] == 3
    finally:
        server.stop()


def test_the_start_up_log_lines_give_listening_and_ready(tmp_path: Path) -> None:
    server = start_container(tmp_path, PYTHON_ENABLE_WORKER_EXTENSIONS="1", SERVER_LOG_FORMAT="json")
    try:
        httpx.get(server.base_url + "/ui", timeout=10)
    finally:
        server.stop()
    import json

    lines = [json.loads(line) for line in server.output().splitlines() if line.startswith("{")]
    events = {line["attributes"].get("event"): line for line in lines}
    listening, cold = events["listening"]["attributes"], events["cold_start"]["attributes"]
    assert listening["startup.measured_from"] == cold["startup.measured_from"] == "process start"
    assert 0 < listening["startup.app_loaded_s"] <= listening["startup.listening_s"]
    assert listening["startup.listening_s"] == pytest.approx(cold["startup.init_s"], abs=1e-5)  # ready: listening
    first_calls = {key for key in cold if key.startswith("startup.first_calls_ms.")}
    assert first_calls == {"startup.first_calls_ms.healthcheck"}  # the readiness probe came first, one key each
    assert "cold start: ready" in events["cold_start"]["body"]


def test_a_server_left_idle_before_its_first_request_reports_its_init_and_the_wait_apart(tmp_path: Path) -> None:
    import json

    idle_seconds = 5.0
    server = container_process(PYTHON_ENABLE_WORKER_EXTENSIONS="1", SERVER_LOG_FORMAT="json")
    server.launch(tmp_path / "idle-server.log")
    try:
        assert wait_for(lambda: '"event":"listening"' in server.output()), server.output()
        time.sleep(idle_seconds)  # no request at all: an instance kept ready, waiting for traffic
        assert httpx.get(server.base_url + "/ui", timeout=10).status_code == 200
        stats = httpx.get(server.base_url + "/latency", timeout=10).json()
    finally:
        server.stop()
    [process] = stats["processes"]
    record = process["startup"]
    assert record["first_call"] == "ui"
    assert record["init_ms"] < 2000
    assert record["first_call_wait_ms"] >= idle_seconds * 1000 - 100
    lines = [json.loads(line) for line in server.output().splitlines() if line.startswith("{")]
    [cold] = [line["attributes"] for line in lines if line["attributes"].get("event") == "cold_start"]
    assert cold["startup.init_s"] == pytest.approx(record["init_ms"] / 1000)
    assert cold["startup.first_call_wait_s"] >= idle_seconds - 0.1
