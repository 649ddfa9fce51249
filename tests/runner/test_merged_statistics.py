"""One truth per server: /latency and /metrics add up every worker process of `python -m container`."""

from __future__ import annotations

import http.client
import json
import os
import signal
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.support.cases import TUTORIAL_REQUEST
from tests.support.servers import ServerProcess, start_container
from tests.support.tiers import sized

REQUESTS = sized(fast=400, full=2_000)
#: The other processes' part of a read is at most one publishing interval (0.5 s) old. A read that already counts
#: everything says nothing of the other process's reads (it may not have published yet): wait, do not poll.
SETTLE_SECONDS = 1.0


def two_process_server(tmp_path: Path) -> ServerProcess:
    return start_container(
        tmp_path,
        WEB_CONCURRENCY="2",
        PYTHON_ENABLE_WORKER_EXTENSIONS="1",
        SERVER_ACCESS_LOG="0",
        TMPDIR=str(tmp_path),
    )


def send_echoes(base_url: str, n: int) -> None:
    """n POST /echo, each on a connection of its own, so the kernel spreads them over the processes."""

    host, port = base_url.removeprefix("http://").split(":")
    body = json.dumps(TUTORIAL_REQUEST).encode()

    def one(_: int) -> int:
        connection = http.client.HTTPConnection(host, int(port), timeout=30)
        try:
            connection.request("POST", "/echo", body, {"Content-Type": "application/json", "Connection": "close"})
            response = connection.getresponse()
            response.read()
            return response.status
        finally:
            connection.close()

    with ThreadPoolExecutor(8) as pool:
        statuses = list(pool.map(one, range(n)))
    assert statuses == [200] * n


def latency(base_url: str) -> dict[str, Any]:
    return httpx.get(f"{base_url}/latency", timeout=30).json()


def echo_processes(stats: dict[str, Any]) -> dict[int, int]:
    return {p["pid"]: p["functions"].get("echo", 0) for p in stats["processes"]}


@pytest.fixture(scope="module")
def loaded_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """Two worker processes that served REQUESTS echoes, settled."""
    server = two_process_server(tmp_path_factory.mktemp("merged"))
    send_echoes(server.base_url, REQUESTS)
    time.sleep(SETTLE_SECONDS)
    yield server
    server.stop()


def test_every_read_of_latency_counts_every_request_of_both_processes(loaded_server: ServerProcess) -> None:
    counts = [latency(loaded_server.base_url)["functions"]["echo"]["count"] for _ in range(10)]
    assert counts == [REQUESTS] * 10


def test_the_per_process_counts_add_up_to_the_total(loaded_server: ServerProcess) -> None:
    per_process = echo_processes(latency(loaded_server.base_url))
    assert len(per_process) == 2
    assert all(count > 0 for count in per_process.values()), per_process
    assert sum(per_process.values()) == REQUESTS


def test_the_window_and_the_histogram_hold_every_request(loaded_server: ServerProcess) -> None:
    stats = latency(loaded_server.base_url)
    assert stats["window"]["functions"]["echo"]["count"] == REQUESTS
    assert sum(stats["functions"]["echo"]["histogram"]["counts"]) == REQUESTS
    assert stats["coverage"].startswith("2 worker processes, since ")


def test_the_history_of_both_processes_adds_up_to_every_request_and_ends_with_the_window(
    loaded_server: ServerProcess,
) -> None:
    stats = latency(loaded_server.base_url)
    history = stats["functions"]["echo"]["history"]
    assert len(history) == stats["history"]["minutes"] == 60
    assert sum(minute["calls"] for minute in history) == REQUESTS
    assert sum(minute["calls"] for minute in history[-6:]) == stats["window"]["functions"]["echo"]["count"]
    assert max(minute["max_ms"] or 0 for minute in history) == stats["functions"]["echo"]["max_ms"]


def metric_samples(base_url: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    response = httpx.get(f"{base_url}/metrics", timeout=30)
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/plain; version=0.0.4; charset=utf-8"
    return {  # the trigger label left out: what it says is not tested here
        (sample.name, tuple(sorted((k, v) for k, v in sample.labels.items() if k != "trigger"))): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def echo_labels(**extra: str) -> tuple[tuple[str, str], ...]:
    return tuple(sorted({"function": "echo", **extra}.items()))


def test_metrics_count_every_request_of_both_processes(loaded_server: ServerProcess) -> None:
    samples = metric_samples(loaded_server.base_url)
    assert samples[("faas_invocations_total", echo_labels())] == REQUESTS
    assert samples[("faas_invoke_duration_seconds_count", echo_labels())] == REQUESTS
    assert samples[("faas_invoke_duration_seconds_bucket", echo_labels(le="+Inf"))] == REQUESTS
    assert samples[("faas_errors_total", echo_labels())] == 0


def test_metric_buckets_are_cumulative_over_the_opentelemetry_boundaries(loaded_server: ServerProcess) -> None:
    samples = metric_samples(loaded_server.base_url)
    buckets = sorted(
        (float(dict(labels)["le"]), value)
        for (name, labels), value in samples.items()
        if name == "faas_invoke_duration_seconds_bucket" and dict(labels)["function"] == "echo"
    )
    assert [le for le, _ in buckets] == [
        0.005,
        0.01,
        0.025,
        0.05,
        0.075,
        0.1,
        0.25,
        0.5,
        0.75,
        1,
        2.5,
        5,
        7.5,
        10,
        float("inf"),
    ]
    values = [value for _, value in buckets]
    assert values == sorted(values)


def test_a_worker_killed_with_sigkill_keeps_what_it_recorded(tmp_path: Path) -> None:
    server = two_process_server(tmp_path)
    try:
        send_echoes(server.base_url, 300)
        time.sleep(SETTLE_SECONDS)
        before = echo_processes(latency(server.base_url))
        victim = max(before, key=before.get)
        assert before[victim] > 0
        os.kill(victim, signal.SIGKILL)
        deadline = time.monotonic() + 15  # the supervisor looks twice a second
        while time.monotonic() < deadline:
            pids = set(echo_processes(latency(server.base_url)))
            if len(pids - set(before)) == 1:
                break
            time.sleep(0.05)
        else:
            pytest.fail(f"no worker replaced {victim}:\n{server.output()}")
        send_echoes(server.base_url, 100)
        time.sleep(SETTLE_SECONDS)
        stats = latency(server.base_url)
        assert stats["functions"]["echo"]["count"] == 400
        assert echo_processes(stats)[victim] == before[victim]
    finally:
        server.stop()


def test_the_shared_directory_is_removed_when_the_server_stops(tmp_path: Path) -> None:
    server = two_process_server(tmp_path)
    assert len(list(tmp_path.glob("timer-statistics-*"))) == 1
    assert server.stop() == 0
    assert list(tmp_path.glob("timer-statistics-*")) == []


def test_with_merging_off_each_process_answers_for_itself(tmp_path: Path) -> None:
    server = start_container(
        tmp_path,
        WEB_CONCURRENCY="2",
        PYTHON_ENABLE_WORKER_EXTENSIONS="1",
        SERVER_ACCESS_LOG="0",
        SERVER_MERGE_LATENCY="0",
    )
    try:
        assert len(latency(server.base_url)["processes"]) == 1
    finally:
        server.stop()
