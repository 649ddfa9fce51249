"""The production behaviour of the container's server: saturation, shutdown, logs, settings."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from container.server import shared_directory
from container.settings import ServerSettings, default_workers, fd_bound
from tests.support.asgi import http_scope
from tests.support.raw_http import open_connection, read_response, request_bytes
from tests.support.servers import container_env, start_container
from tests.support.tiers import sized


def big_batch(rows: int, tag: str) -> dict:
    return {"data": [[n, f"{tag}-{n}"] for n in range(rows)]}


@pytest.mark.parametrize("workers", ["1", "2"])
def test_sigterm_lets_in_flight_requests_finish_and_exits_0(tmp_path: Path, workers: str) -> None:
    server = start_container(tmp_path, WEB_CONCURRENCY=workers, SERVER_ACCESS_LOG="0")
    rows, count = sized(fast=(10_000, 8), full=(60_000, 12))
    sockets = []
    for i in range(count):  # every request is wholly sent before the signal
        sock = open_connection(server.port)
        payload = json.dumps(big_batch(rows, f"r{i}")).encode()
        sock.sendall(request_bytes("POST", "/echo", payload, {"Content-Type": "application/json"}))
        sockets.append(sock)
    signalled = time.monotonic()
    server.signal(signal.SIGTERM)
    answers = [read_response(sock) for sock in sockets]
    exit_code = server.process.wait(timeout=25)
    took = time.monotonic() - signalled
    for sock in sockets:
        sock.close()
    assert [status for status, _, _ in answers] == [200] * count
    for i, (_, _, body) in enumerate(answers):
        assert json.loads(body)["data"] == [[n, f"I said r{i}-{n}"] for n in range(rows)]
    assert exit_code == 0, server.output()
    assert took < 25


def test_after_sigterm_new_connections_are_refused(tmp_path: Path) -> None:
    server = start_container(tmp_path)
    server.signal(signal.SIGTERM)
    server.process.wait(timeout=25)
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{server.base_url}/healthcheck", timeout=2)


HELD_REQUEST = request_bytes("POST", "/echo", b'{"data": [[0, "held"]]}', {"Content-Type": "application/json"})
HELD_APP = Path(__file__).resolve().parents[1] / "support" / "held_app"


def test_a_saturated_server_answers_429_with_retry_after(tmp_path: Path) -> None:
    server = start_container(
        tmp_path, SERVER_MAX_IN_FLIGHT="2", SERVER_ACCESS_LOG="0", FUNCTION_APP="held_app:app", PYTHONPATH=str(HELD_APP)
    )
    held = []
    try:
        for _ in range(2):  # two requests in flight, each held by its function for 3 s
            sock = open_connection(server.port)
            sock.sendall(request_bytes("GET", "/hold?seconds=3"))
            held.append(sock)
        time.sleep(0.5)
        busy = httpx.post(f"{server.base_url}/echo", json={"data": [[0, "x"]]}, timeout=5)
        probe = httpx.get(f"{server.base_url}/healthcheck", timeout=5)
        answers = [read_response(sock, "GET") for sock in held]  # the held requests are answered in full
        after = httpx.post(f"{server.base_url}/echo", json={"data": [[0, "x"]]}, timeout=5)
    finally:
        for sock in held:
            sock.close()
        server.stop()
    assert busy.status_code == 429
    assert busy.headers["retry-after"] == "1"
    assert "busy" in busy.json()["error"]
    assert probe.status_code == 200, "the readiness probe must never be refused"
    assert [(status, body) for status, _, body in answers] == [(200, b"held")] * 2
    assert after.status_code == 200


def test_json_log_lines_have_a_body_for_snowflake(tmp_path: Path) -> None:
    server = start_container(tmp_path, SERVER_LOG_FORMAT="json")
    httpx.get(f"{server.base_url}/healthcheck")
    server.stop()
    lines = [json.loads(line) for line in server.output().splitlines() if line.startswith("{")]
    assert lines, server.output()
    assert all(set(line) == {"timestamp", "severity_text", "body", "attributes"} for line in lines)
    assert any("GET /healthcheck" in line["body"] for line in lines)


@pytest.mark.parametrize(
    "name, value",
    [
        ("SERVER_PORT", "eighty"),
        ("SERVER_PORT", "70000"),
        ("WEB_CONCURRENCY", "0"),
        ("SERVER_ACCESS_LOG", "maybe"),
        ("SERVER_LOG_FORMAT", "xml"),
        ("SERVER_GRACEFUL_TIMEOUT_SECONDS", "60"),
        ("SERVER_HEADER_TIMEOUT_SECONDS", "0"),
        ("SERVER_MAX_CONNECTIONS", "100000000"),  # above the file-descriptor limit
    ],
)
def test_a_bad_setting_stops_the_server_with_a_clear_message(name: str, value: str) -> None:
    env = container_env(**{name: value})
    done = subprocess.run(
        [sys.executable, "-m", "container"],
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert done.returncode == 2
    assert name in done.stderr and "Traceback" not in done.stderr


def test_settings_default_to_local_use() -> None:
    settings = ServerSettings.from_environ({})
    assert (settings.host, settings.port, settings.app) == ("127.0.0.1", 8080, "function_app:app")
    assert settings.graceful_timeout_seconds < 30


@pytest.mark.parametrize(
    "nofile, bound",
    [(128, 64), (256, 192), (1024, 896), (65536, 57344), (1, 1)],
)
def test_the_connection_limit_stays_below_the_file_descriptor_limit(nofile: int, bound: int) -> None:
    assert fd_bound(nofile) == bound


def test_the_connection_limit_is_the_setting_or_else_from_the_file_descriptor_limit() -> None:
    assert ServerSettings.from_environ({"SERVER_MAX_CONNECTIONS": "100"}).connection_limit == 100
    assert ServerSettings.from_environ({}).connection_limit == fd_bound()
    assert ServerSettings.from_environ({}).header_timeout_seconds == 30


def cgroup_files(root: Path, files: dict[str, str]) -> tuple[str, tuple[str, ...]]:
    """A cgroup tree in a temporary folder: (the v2 cpu.max path, the v1 CPU controller folders)."""
    for name, content in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(content)
    return str(root / "cpu.max"), (str(root / "cpu,cpuacct"), str(root / "cpu"))


@pytest.mark.parametrize(
    "files, cap",
    [
        # cgroup v2: cpu.max is "<quota> <period>" or "max <period>"
        ({"cpu.max": "max 100000"}, None),
        ({"cpu.max": "150000 100000"}, 2),
        ({"cpu.max": "100000 100000"}, 1),
        ({"cpu.max": "50000 100000"}, 1),
        ({"cpu.max": "garbage"}, None),
        # cgroup v1: the CFS quota and period, in the cpu,cpuacct controller (or cpu alone); -1 is no limit
        ({"cpu,cpuacct/cpu.cfs_quota_us": "200000", "cpu,cpuacct/cpu.cfs_period_us": "100000"}, 2),
        ({"cpu,cpuacct/cpu.cfs_quota_us": "50000", "cpu,cpuacct/cpu.cfs_period_us": "100000"}, 1),
        ({"cpu/cpu.cfs_quota_us": "300000", "cpu/cpu.cfs_period_us": "100000"}, 3),
        ({"cpu,cpuacct/cpu.cfs_quota_us": "-1", "cpu,cpuacct/cpu.cfs_period_us": "100000"}, None),
        ({"cpu,cpuacct/cpu.cfs_quota_us": "100000"}, None),  # no period: no limit read
        # both (a hybrid host): v2's cpu.max is the one the kernel enforces for this cgroup
        ({"cpu.max": "100000 100000", "cpu/cpu.cfs_quota_us": "400000", "cpu/cpu.cfs_period_us": "100000"}, 1),
        ({}, None),
    ],
)
def test_default_workers_follow_the_cgroup_cpu_limit(tmp_path: Path, files: dict[str, str], cap: int | None) -> None:
    unlimited = default_workers(*cgroup_files(tmp_path / "none", {}))
    workers = default_workers(*cgroup_files(tmp_path / "cgroup", files))
    assert workers == (unlimited if cap is None else min(unlimited, cap))


def test_default_workers_are_at_least_one_and_the_cpus_there_are(tmp_path: Path) -> None:
    unlimited = default_workers(*cgroup_files(tmp_path, {}))
    assert unlimited == len(os.sched_getaffinity(0)) >= 1


@pytest.mark.parametrize("path, status", [("/healthcheck", 200), ("/HEALTHCHECK", 200), ("/echo", 429), ("/ui", 429)])
def test_when_saturated_only_the_readiness_probe_is_still_answered(path: str, status: int) -> None:
    import asyncio

    from container.loader import build_app

    app = build_app(ServerSettings(max_in_flight=1, access_log="off"))  # no line left for atexit to print
    app.in_flight = 1  # as if one request were being served
    sent: list[dict] = []

    async def receive() -> dict:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict) -> None:
        sent.append(message)

    asyncio.run(app(http_scope("GET", path, [(b"host", b"127.0.0.1")]), receive, send))
    assert sent[0]["status"] == status


def test_a_stalled_upload_is_answered_408_and_closed(tmp_path: Path) -> None:
    server = start_container(tmp_path, SERVER_BODY_TIMEOUT_SECONDS="1", SERVER_ACCESS_LOG="0")
    sock = open_connection(server.port)
    try:
        started = time.monotonic()
        sock.sendall(HELD_REQUEST[:-10])
        status, headers, body = read_response(sock)
        waited = time.monotonic() - started
        closed = sock.recv(1) == b""
    finally:
        sock.close()
        server.stop()
    assert status == 408
    assert "within 1 s" in json.loads(body)["error"]
    assert 0.9 < waited < 5
    assert closed


def test_headers_over_the_limit_are_431(tmp_path: Path) -> None:
    server = start_container(tmp_path, SERVER_MAX_HEADER_BYTES="4096")
    try:
        small = httpx.get(f"{server.base_url}/healthcheck", headers={"X-Pad": "a" * 3000})
        large = httpx.get(f"{server.base_url}/healthcheck", headers={"X-Pad": "a" * 5000})
    finally:
        server.stop()
    assert small.status_code == 200
    assert large.status_code == 431 and "4,096 bytes" in large.json()["error"]


@pytest.mark.parametrize("previous", [None, "a value from before"])
def test_a_shared_directory_lives_while_the_workers_run_then_the_variables_have_their_previous_values(
    monkeypatch: pytest.MonkeyPatch, previous: str | None
) -> None:
    for name in ("SHARED_TEST_DIR", "SHARED_TEST_ALSO"):
        if previous is None:
            monkeypatch.delenv(name, raising=False)
        else:
            monkeypatch.setenv(name, previous)
    with shared_directory("test-shared-", "SHARED_TEST_DIR", {"SHARED_TEST_ALSO": "also"}) as directory:
        assert (os.environ["SHARED_TEST_DIR"], os.environ["SHARED_TEST_ALSO"]) == (directory, "also")
        assert Path(directory).is_dir()
    after = (os.environ.get("SHARED_TEST_DIR"), os.environ.get("SHARED_TEST_ALSO"), Path(directory).exists())
    assert after == (previous, previous, False)
