"""A clean drain (issue 25): SIGTERM while clients send back to back on kept-alive connections, and a hung worker.

What "clean" can mean for HTTP/1.1 keep-alive: a client may send a request at the very moment the server
closes the idle connection, and no server can answer a request that was still on the wire when it closed
(RFC 9112, 9.3.1: a client must be ready to retry such a request). What the server can and does promise:

- every request it reads is answered in full, and from the signal on with `Connection: close`;
- a connection it closes ends with a FIN (a clean end of stream), never a reset, whether the client sees it
  before it sends (it then sends nothing there) or only after (its request was never read: no access line,
  not counted, so resending it is safe).

The clients below check for the server's FIN before each send, as urllib3 does before it reuses a connection;
the test checks that no connection was reset, every answer is correct, and the access log has exactly one
line per answered request (so no request was processed without its answer reaching the client).
"""

from __future__ import annotations

import http.client
import json
import os
import re
import select
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.support.polling import eventually
from tests.support.raw_http import open_connection, read_response, request_bytes
from tests.support.servers import ServerProcess, start_container
from tests.support.tiers import sized

CONNECTIONS = sized(fast=16, full=64)
ANSWERS_BEFORE_THE_SIGNAL = sized(fast=3, full=40)  # per connection
EXIT_WITHIN = 25.0


@dataclass
class KeptAlive:
    """One client on one kept-alive connection: what it sent, what came back, and how the connection ended."""

    index: int
    answered: int = 0
    sent_after_signal: int = 0
    wrong: list[str] = field(default_factory=list)
    ended: str = ""

    def run(self, port: int, signalled: threading.Event) -> None:
        sock = open_connection(port, timeout=30)
        try:
            self.ended = self._send_until_closed(sock, signalled)
        except OSError as error:
            self.ended = f"reset: {type(error).__name__}: {error}"
        finally:
            sock.close()

    def _send_until_closed(self, sock: socket.socket, signalled: threading.Event) -> str:
        for n in range(1_000_000):
            if server_closed(sock):
                return "closed before the client sent"
            text = f"c{self.index}-{n}"
            sock.sendall(
                request_bytes(
                    "POST", "/echo", json.dumps({"data": [[n, text]]}).encode(), {"Content-Type": "application/json"}
                )
            )
            self.sent_after_signal += signalled.is_set()
            try:
                status, headers, body = read_response(sock)
            except http.client.RemoteDisconnected:
                return "a clean end of stream after the client sent"
            self.answered += 1
            if (status, body) != (200, json.dumps({"data": [[n, f"I said {text}"]]}, separators=(",", ":")).encode()):
                self.wrong.append(f"{status} {body[:100]!r}")
            if headers.get("connection") == "close":
                return "answered with Connection: close"
        return "never closed"


def server_closed(sock: socket.socket) -> bool:
    """Whether the server's FIN has arrived (a reset raises)."""
    readable, _, _ = select.select([sock], [], [], 0)
    return bool(readable) and sock.recv(1, socket.MSG_PEEK) == b""


@dataclass
class Drain:
    clients: list[KeptAlive]
    exit_code: int | None
    took: float
    log: str


@pytest.fixture(scope="module")
def drain(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Drain]:
    server = start_container(tmp_path_factory.mktemp("drain"), WEB_CONCURRENCY="2")
    clients = [KeptAlive(n) for n in range(CONNECTIONS)]
    signalled = threading.Event()
    threads = [threading.Thread(target=c.run, args=(server.port, signalled), daemon=True) for c in clients]
    try:
        for thread in threads:
            thread.start()
        eventually(lambda: min(c.answered for c in clients), lambda n: n >= ANSWERS_BEFORE_THE_SIGNAL, 30)
        started = time.monotonic()
        signalled.set()
        server.signal(signal.SIGTERM)
        try:
            exit_code: int | None = server.process.wait(timeout=EXIT_WITHIN + 5)
        except subprocess.TimeoutExpired:
            exit_code = None
        took = time.monotonic() - started
        for thread in threads:
            thread.join(10)
        yield Drain(clients, exit_code, took, server.output())
    finally:
        server.stop()


def test_the_server_ends_every_connection_cleanly_and_resets_none(drain: Drain) -> None:
    endings = {c.ended for c in drain.clients}
    assert endings <= {
        "closed before the client sent",
        "answered with Connection: close",
        "a clean end of stream after the client sent",
    }, f"a connection was reset, or ended otherwise than cleanly, during the drain: {sorted(endings)}"


def test_every_answer_is_the_right_one(drain: Drain) -> None:
    assert [w for c in drain.clients for w in c.wrong] == []


def test_no_request_was_processed_without_its_answer_reaching_the_client(drain: Drain) -> None:
    processed = len(re.findall(r" access POST /echo 200 ", drain.log))
    assert processed == sum(c.answered for c in drain.clients)


def test_clients_kept_sending_after_the_signal(drain: Drain) -> None:
    assert sum(c.sent_after_signal for c in drain.clients) > 0


def test_the_server_exits_0_within_25_s(drain: Drain) -> None:
    assert drain.exit_code == 0, drain.log[-3000:]
    assert drain.took < EXIT_WITHIN


def test_a_client_still_sending_its_headers_gets_408_and_does_not_hold_up_the_shutdown(tmp_path: Path) -> None:
    server = start_container(tmp_path, WEB_CONCURRENCY="2")
    with open_connection(server.port, timeout=10) as sock:
        sock.sendall(b"GET /healthcheck HTTP/1.1\r\nX-Slow: ")
        time.sleep(0.3)
        started = time.monotonic()
        server.signal(signal.SIGTERM)
        assert server.process is not None
        exit_code = server.process.wait(timeout=EXIT_WITHIN)
        took = time.monotonic() - started
        status, _, body = read_response(sock, "GET")
    assert (exit_code, status) == (0, 408)
    assert "before the server stopped" in json.loads(body)["error"]
    assert took < 5


# --- a hung worker ----------------------------------------------------------------------------------------------


def worker_pids(server: ServerProcess) -> list[int]:
    """The supervisor's worker processes (multiprocessing's spawned children)."""
    assert server.process is not None
    pid = server.process.pid
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    return [int(child) for child in children if b"spawn_main" in Path(f"/proc/{child}/cmdline").read_bytes()]


def test_a_hung_worker_is_killed_after_the_join_timeout_and_the_server_exits_1(tmp_path: Path) -> None:
    server = start_container(tmp_path, WEB_CONCURRENCY="2", SERVER_GRACEFUL_TIMEOUT_SECONDS="1")
    try:
        workers = eventually(lambda: worker_pids(server), lambda pids: len(pids) == 2, 10)
        os.kill(workers[0], signal.SIGSTOP)  # hung: it will not handle SIGTERM
        assert server.process is not None
        started = time.monotonic()
        os.kill(server.process.pid, signal.SIGTERM)  # the supervisor alone; it passes SIGTERM on
        exit_code = server.process.wait(timeout=20)
        took = time.monotonic() - started
    finally:
        server.stop()
    assert exit_code == 1
    assert 4.5 - 0.1 <= took < 10  # the drain (0.5 s) + the graceful timeout (1 s) + the margin (3 s), then the kill
    assert f"worker {workers[0]} did not stop within 4.5 s of the signal; killing it" in server.output()
    assert not Path(f"/proc/{workers[0]}").exists()
