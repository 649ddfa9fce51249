"""The server defends itself (issue 25): slow headers, too many connections, stalled uploads, a taken port.

Every test runs the real server with two worker processes, and talks to it over plain sockets where it must
control when bytes are sent. The server's own error answers are checked in `/metrics` (`http_server_errors_total`,
added up over both processes) and in the access log against what the clients received.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import re
import select
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from container.asgi import UPLOAD_SHARE
from container.port_guard import PortInUse, claim_port
from tests.support.fresh_python import run_python
from tests.support.polling import eventually
from tests.support.raw_http import open_connection, read_response, request_bytes
from tests.support.servers import ServerProcess, container_env, free_port, start_container
from tests.support.tiers import sized

HELD_APP = Path(__file__).resolve().parents[1] / "support" / "held_app"
ECHO = request_bytes("POST", "/echo", b'{"data": [[0, "hi"]]}', {"Content-Type": "application/json"})


def two_workers(tmp_path: Path, command: list[str] | None = None, **env: str) -> ServerProcess:
    return start_container(tmp_path, command, WEB_CONCURRENCY="2", PYTHON_ENABLE_WORKER_EXTENSIONS="1", **env)


def echo_on_a_new_connection(port: int) -> int:
    with open_connection(port, timeout=10) as sock:
        sock.sendall(ECHO)
        return read_response(sock)[0]


def server_errors(base_url: str) -> dict[int, float]:
    """`http_server_errors_total` by status, from /metrics."""
    text = httpx.get(f"{base_url}/metrics", timeout=10).text
    return {
        int(sample.labels["status"]): sample.value
        for family in text_string_to_metric_families(text)
        if family.name == "http_server_errors"
        for sample in family.samples
    }


def access_statuses(log: str) -> Counter[int]:
    return Counter(int(status) for status in re.findall(r" access \S+ \S+ (\d{3}) ", log))


# --- slow headers ---------------------------------------------------------------------------------------------

HEADER_TIMEOUT = 2
SLOW_CLIENTS = sized(fast=20, full=300)


def drip(sockets: list[socket.socket], seconds: float) -> dict[socket.socket, tuple[bytes, float | None]]:
    """Send each socket one more header byte a second; collect what comes back and when each was closed."""
    received = {sock: b"" for sock in sockets}
    closed_at: dict[socket.socket, float] = {}
    next_byte = time.monotonic()
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and len(closed_at) < len(sockets):
        if time.monotonic() >= next_byte:
            next_byte += 1.0
            for sock in sockets:
                if sock not in closed_at:
                    with contextlib.suppress(OSError):  # closed by the server: its answer, if any, is read below
                        sock.send(b"x")
        open_ones = [s for s in sockets if s not in closed_at]
        readable, _, _ = select.select(open_ones, [], [], 0.05)
        for sock in readable:
            try:
                data = sock.recv(65536)
            except OSError:
                data = b""
            if data:
                received[sock] += data
            else:
                closed_at[sock] = time.monotonic()
    return {sock: (received[sock], closed_at.get(sock)) for sock in sockets}


@pytest.fixture(scope="module")
def slow_headers(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[dict[socket.socket, tuple[bytes, float | None]], list[int], float, dict[int, float]]]:
    server = two_workers(tmp_path_factory.mktemp("slow"), SERVER_HEADER_TIMEOUT_SECONDS=str(HEADER_TIMEOUT))
    try:
        sockets = [open_connection(server.port) for _ in range(SLOW_CLIENTS)]
        started = time.monotonic()
        for sock in sockets:
            sock.sendall(b"GET /healthcheck HTTP/1.1\r\nX-Slow: ")
        with ThreadPoolExecutor(1) as pool:  # normal clients meanwhile
            others = pool.submit(lambda: [echo_on_a_new_connection(server.port) for _ in range(20)])
            outcome = drip(sockets, HEADER_TIMEOUT + 4)
            statuses = others.result()
        for sock in sockets:
            sock.close()
        yield outcome, statuses, started, server_errors(server.base_url)
    finally:
        server.stop()


def test_connections_sending_a_header_byte_a_second_get_408_and_are_closed_after_the_timeout(slow_headers) -> None:
    outcome, _, started, _ = slow_headers
    for received, closed_at in outcome.values():
        assert received.startswith(b"HTTP/1.1 408 "), received[:200]
        assert b'"error":"the request headers did not arrive within 2 s"' in received
        assert b"connection: close" in received.lower()
        assert closed_at is not None, "still open"
        assert HEADER_TIMEOUT - 0.2 <= closed_at - started <= HEADER_TIMEOUT + 2.5


def test_the_server_answers_others_while_slow_clients_hold_connections(slow_headers) -> None:
    _, statuses, _, _ = slow_headers
    assert statuses == [200] * 20


def test_every_header_timeout_is_counted_once_over_both_processes(slow_headers) -> None:
    _, _, _, counted = slow_headers
    assert counted[408] == SLOW_CLIENTS


# --- the connection limit under a low file-descriptor limit ---------------------------------------------------

NOFILE = 128  # each worker may then hold 64 connections (container.settings.fd_bound)
PER_WORKER_LIMIT = 64
HOLDERS = sized(fast=400, full=2_500)


def test_many_slow_connections_against_a_low_ulimit_keep_the_limit_and_the_server_answers(tmp_path: Path) -> None:
    command = ["sh", "-c", f'ulimit -n {NOFILE} && exec "$0" -m container', sys.executable]
    server = two_workers(tmp_path, command, SERVER_ACCESS_LOG="0")
    holders: list[socket.socket] = []
    try:
        for n in range(HOLDERS):  # each sends part of a request, then nothing (the header timeout is 30 s)
            try:
                sock = open_connection(server.port, timeout=5)
                sock.sendall(b"GET /healthcheck HTTP/1.1\r\n")
                holders.append(sock)
            except OSError:
                pass
            if n % 50 == 0:
                assert echo_on_a_new_connection(server.port) == 200
        statuses = [echo_on_a_new_connection(server.port) for _ in range(20)]
        time.sleep(0.5)
        still_open = sum(1 for sock in holders if not closed_by_peer(sock))
    finally:
        for sock in holders:
            sock.close()
        server.stop()
    log = server.output()
    assert statuses == [200] * 20
    assert still_open <= 2 * PER_WORKER_LIMIT
    assert f"connection limit of {PER_WORKER_LIMIT} reached" in log
    assert "Too many open files" not in log


def test_a_connection_over_the_limit_while_every_other_is_busy_gets_503_with_retry_after_and_is_closed(
    tmp_path: Path,
) -> None:
    server = start_container(
        tmp_path,
        SERVER_MAX_CONNECTIONS="2",
        SERVER_ACCESS_LOG="0",
        FUNCTION_APP="held_app:app",
        PYTHONPATH=str(HELD_APP),
    )
    busy = [open_connection(server.port) for _ in range(2)]
    try:
        for sock in busy:  # in progress, so none can make room
            sock.sendall(request_bytes("GET", "/hold?seconds=3"))
        time.sleep(0.5)
        with open_connection(server.port, timeout=10) as over:
            over.sendall(request_bytes("GET", "/healthcheck"))
            status, headers, body = read_response(over, "GET")
            select.select([over], [], [], 2)  # until the close arrives
            closed = closed_by_peer(over)
    finally:
        for sock in busy:
            sock.close()
        server.stop()
    assert (status, headers["retry-after"], headers["connection"]) == (503, "1", "close")
    assert (headers["content-type"], int(headers["content-length"])) == ("application/json", len(body))
    assert json.loads(body) == {"error": "the server holds all the connections it may; retry shortly"}
    assert closed


def closed_by_peer(sock: socket.socket) -> bool:
    """Whether the server closed `sock` (what it wrote before, a 408 say, is read and dropped)."""
    sock.setblocking(False)
    try:
        while sock.recv(65536):
            pass
        return True
    except BlockingIOError:
        return False
    except OSError:
        return True


# --- stalled uploads ------------------------------------------------------------------------------------------

STALLED = sized(fast=300, full=600)
STALLED_UPLOAD = b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 10000000\r\n\r\n"
#: Slots per process, well below STALLED over two processes: without the upload share the stalled uploads would
#: take them all.
STALLED_MAX_IN_FLIGHT = 64


def test_stalled_uploads_take_at_most_half_the_in_flight_slots(tmp_path: Path) -> None:
    server = two_workers(tmp_path, SERVER_ACCESS_LOG="0", SERVER_MAX_IN_FLIGHT=str(STALLED_MAX_IN_FLIGHT))
    stalled = []
    try:
        for _ in range(STALLED):  # 10 MB announced, nothing sent
            sock = open_connection(server.port, timeout=20)
            sock.sendall(STALLED_UPLOAD)
            stalled.append(sock)
        time.sleep(0.5)
        with ThreadPoolExecutor(8) as pool:
            statuses = list(pool.map(lambda _: echo_on_a_new_connection(server.port), range(100)))
        evicted = 0
        for sock in stalled:
            readable, _, _ = select.select([sock], [], [], 0)
            if readable:
                status, _, body = read_response(sock)
                assert status == 408
                assert "arrived too slowly while" in json.loads(body)["error"]
                evicted += 1
    finally:
        for sock in stalled:
            sock.close()
        server.stop()
    assert statuses == [200] * 100
    held_at_most = 2 * int(STALLED_MAX_IN_FLIGHT * UPLOAD_SHARE)  # 2 processes x half their slots
    assert evicted >= STALLED - held_at_most


# --- counted in /metrics and in the access log ----------------------------------------------------------------


def test_408_413_and_429_are_counted_in_metrics_and_logged_exactly_as_the_clients_saw_them(tmp_path: Path) -> None:
    server = two_workers(
        tmp_path,
        FUNCTION_APP="held_app:app",
        PYTHONPATH=str(HELD_APP),
        SERVER_MAX_IN_FLIGHT="2",
        SERVER_BODY_TIMEOUT_SECONDS="1",
        SERVER_HEADER_TIMEOUT_SECONDS="1",
        SERVER_MAX_BODY_BYTES="1024",
    )
    seen: Counter[int] = Counter()
    try:
        stalled = [open_connection(server.port) for _ in range(2)]
        for sock in stalled:  # a body announced and never sent: 408 after 1 s
            sock.sendall(b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n")
        slow = [open_connection(server.port) for _ in range(2)]
        for sock in slow:  # headers never finished: 408 after 1 s
            sock.sendall(b"GET /healthcheck HTTP/1.1\r\n")
        for _ in range(3):  # over the body limit: 413
            with open_connection(server.port) as sock:
                sock.sendall(request_bytes("POST", "/echo", b"x" * 2048, {"Content-Type": "application/json"}))
                seen[read_response(sock)[0]] += 1
        answer_all(stalled + slow, seen)
        holds = [open_connection(server.port) for _ in range(6)]  # 6 > 2 x 2 slots: some must get 429
        for sock in holds:
            sock.sendall(request_bytes("GET", "/hold?seconds=2"))
        answer_all(holds, seen)
        counted = server_errors(server.base_url)
    finally:
        server.stop()
    logged = access_statuses(server.output())
    assert (seen[408], seen[413], seen[429] >= 2, seen[0]) == (4, 3, True, 0), seen
    assert {status: counted[status] for status in (408, 413, 429)} == {s: seen[s] for s in (408, 413, 429)}
    assert {status: logged[status] for status in (408, 413, 429)} == {s: seen[s] for s in (408, 413, 429)}


def answer_all(sockets: list[socket.socket], seen: Counter[int]) -> None:
    """Read each socket's answer into `seen` by status (0: none), and close it."""
    for sock in sockets:
        try:
            seen[read_response(sock)[0]] += 1
        except (OSError, http.client.HTTPException):
            seen[0] += 1
        sock.close()


def test_the_counts_of_a_worker_killed_with_sigkill_stay_in_the_totals(tmp_path: Path) -> None:
    server = two_workers(tmp_path, SERVER_ACCESS_LOG="0", SERVER_MAX_BODY_BYTES="1024")
    try:
        too_large = request_bytes("POST", "/echo", b"x" * 2048, {"Content-Type": "application/json"})
        answered_by: Counter[int] = Counter()
        for _ in range(40):
            with open_connection(server.port) as sock:
                sock.sendall(too_large)
                status, _, _ = read_response(sock)
                answered_by[status] += 1
        processes = httpx.get(f"{server.base_url}/latency", timeout=10).json()["processes"]
        os.kill(processes[0]["pid"], signal.SIGKILL)
        counted = eventually(
            lambda: server_errors(server.base_url)[413] if echo_on_a_new_connection(server.port) == 200 else -1,
            lambda n: n == 40,
            10,
        )
    finally:
        server.stop()
    assert answered_by == {413: 40}
    assert counted == 40


# --- the port ---------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def first_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    server = two_workers(tmp_path_factory.mktemp("first"), SERVER_ACCESS_LOG="0")
    yield server
    server.stop()


@pytest.mark.parametrize("workers", ["1", "2"])
def test_a_second_server_on_a_served_port_exits_1_saying_so_and_the_first_keeps_all_traffic(
    first_server: ServerProcess, workers: str
) -> None:
    second = subprocess.run(
        [sys.executable, "-m", "container"],
        env=container_env(SERVER_PORT=str(first_server.port), WEB_CONCURRENCY=workers),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert second.returncode == 1
    assert f"error: 127.0.0.1:{first_server.port} is already served" in second.stderr
    assert "Traceback" not in second.stderr + second.stdout
    with ThreadPoolExecutor(8) as pool:
        statuses = list(pool.map(lambda _: echo_on_a_new_connection(first_server.port), range(40)))
    assert statuses == [200] * 40
    processes = httpx.get(f"{first_server.base_url}/latency", timeout=10).json()["processes"]
    assert len(processes) == 2


def test_a_port_another_program_listens_on_even_with_so_reuseport_is_refused_too() -> None:
    port = free_port()
    with socket.socket() as other:
        other.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        other.bind(("127.0.0.1", port))
        other.listen()
        second = subprocess.run(
            [sys.executable, "-m", "container"],
            env=container_env(SERVER_PORT=str(port), WEB_CONCURRENCY="2"),
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert second.returncode == 1
    assert f"error: 127.0.0.1:{port} is already in use" in second.stderr


#: `python -m container` whose listening sockets cannot bind although its claim on the port held (a program
#: took the port in between).
TAKEN_AFTER_THE_CLAIM = """
import sys
import container.server, container.supervisor
from container.port_guard import PortInUse

def taken(host, port, backlog, reuse_port):
    raise PortInUse(f"cannot listen on {host}:{port}: taken after the claim")

container.server.listening_socket = container.supervisor.listening_socket = taken
sys.exit(container.server.main())
"""


@pytest.mark.parametrize("workers", ["1", "2"])
def test_a_port_taken_after_the_claim_exits_1_saying_so(workers: str) -> None:
    port = free_port()
    done = run_python(TAKEN_AFTER_THE_CLAIM, env=container_env(SERVER_PORT=str(port), WEB_CONCURRENCY=workers))
    assert done.returncode == 1, done.stderr
    assert f"error: cannot listen on 127.0.0.1:{port}: taken after the claim" in done.stderr
    assert "Traceback" not in done.stderr + done.stdout


def test_the_claim_on_a_port_ends_with_its_holder_and_the_port_can_be_claimed_again() -> None:
    port = free_port()
    claim = claim_port("127.0.0.1", port)
    with pytest.raises(PortInUse, match="already served by another of these servers"):
        claim_port("127.0.0.1", port)
    assert claim is not None
    claim.close()
    again = claim_port("127.0.0.1", port)
    assert again is not None
    again.close()
