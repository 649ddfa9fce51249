"""SIGTERM while the container server (two worker processes) is under load.

Eight client threads send the mixed traffic of `tests.support.traffic` (for 2 s in the full tier; in the fast
tier until PROOF requests were answered, at most 2 s), each request on a plain
socket so that the moment its last byte was written is known; then eight large batches are written whole on
their own connections and SIGTERM goes to the process group at once. Every request written before the signal
must get its full, correct answer; a request written after it may be refused or reset, but any answer it
gets must be correct too; the process exits 0 within 25 s.

The scenario runs once per way of connecting (a new connection per request, or kept-alive connections).
"""

from __future__ import annotations

import http.client
import json
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from tests.support.leaks import alarms_in
from tests.support.polling import eventually
from tests.support.raw_http import open_connection, read_response, request_bytes
from tests.support.servers import start_container
from tests.support.tiers import sized
from tests.support.traffic import PlannedRequest, planned_requests

LOAD_THREADS = 8
LOAD_SECONDS = 2.0
PROOF = sized(fast=150, full=None)  # answered requests after which the fast tier's load has shown what it must
IN_FLIGHT = 8
IN_FLIGHT_ROWS = 20_000
EXIT_WITHIN = 25.0


@dataclass
class Attempt:
    planned: PlannedRequest
    sent_at: float | None = None  # time.monotonic() once the whole request was written
    answer: tuple[int, dict[str, str], bytes] | None = None
    error: str = ""

    def problem(self) -> str | None:
        if self.answer is None:
            return f"no answer: {self.error}"
        return self.planned.problem(*self.answer)


def client_thread(port: int, stream: int, keep_alive: bool, stop: threading.Event, attempts: list[Attempt]) -> None:
    """Send planned requests back to back until `stop`, recording when each was written and what came back."""
    plans = planned_requests(stream)
    sock: socket.socket | None = None
    while not stop.is_set():
        attempt = Attempt(next(plans))
        try:
            if sock is None:
                sock = open_connection(port, timeout=30)
            sock.sendall(attempt.planned.raw())
            attempt.sent_at = time.monotonic()
            attempt.answer = read_response(sock, attempt.planned.method)
        except (OSError, http.client.HTTPException) as error:
            attempt.error = f"{type(error).__name__}: {error}"
            if sock is not None:
                sock.close()
                sock = None
            time.sleep(0.02)  # refused after the shutdown: do not spin
        if sock is not None and not keep_alive:
            sock.close()
            sock = None
        attempts.append(attempt)
    if sock is not None:
        sock.close()


def big_batch(tag: str) -> tuple[bytes, dict]:
    rows = [[n, f"{tag}-{n}"] for n in range(IN_FLIGHT_ROWS)]
    answer = {"data": [[n, f"I said {tag}-{n}"] for n in range(IN_FLIGHT_ROWS)]}
    return json.dumps({"data": rows}).encode(), answer


@dataclass
class Shutdown:
    attempts: list[Attempt]
    in_flight: list[tuple[int, bytes, dict]]  # status, body, expected answer document
    signalled_at: float
    exit_code: int | None
    exit_took: float
    log: str

    def written_before(self, attempt: Attempt) -> bool:
        return attempt.sent_at is not None and attempt.sent_at < self.signalled_at

    def sent_before_the_signal(self) -> list[Attempt]:
        return [a for a in self.attempts if self.written_before(a)]


@pytest.fixture(scope="module", params=["new-connection-per-request", "kept-alive-connections"])
def shutdown(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Shutdown]:
    keep_alive = request.param == "kept-alive-connections"
    server = start_container(tmp_path_factory.mktemp("shutdown"), WEB_CONCURRENCY="2", SERVER_ACCESS_LOG="0")
    stop = threading.Event()
    attempts: list[Attempt] = []
    threads = [
        threading.Thread(target=client_thread, args=(server.port, n, keep_alive, stop, attempts), daemon=True)
        for n in range(LOAD_THREADS)
    ]
    sockets: list[socket.socket] = []
    try:
        for thread in threads:
            thread.start()
        if PROOF is None:
            time.sleep(LOAD_SECONDS)
        else:
            eventually(lambda: sum(a.answer is not None for a in attempts), lambda n: n >= PROOF, LOAD_SECONDS)
        expected = []
        for n in range(IN_FLIGHT):  # each wholly written before the signal
            body, answer = big_batch(f"inflight{n}")
            sock = open_connection(server.port, timeout=30)
            sock.sendall(request_bytes("POST", "/echo", body, {"Content-Type": "application/json"}))
            sockets.append(sock)
            expected.append(answer)
        signalled_at = time.monotonic()
        server.signal(signal.SIGTERM)
        in_flight = []
        for sock, answer in zip(sockets, expected, strict=True):
            try:
                status, _, body = read_response(sock)
            except (OSError, http.client.HTTPException) as error:
                status, body = 0, f"{type(error).__name__}: {error}".encode()
            in_flight.append((status, body, answer))
        try:
            exit_code: int | None = server.process.wait(timeout=EXIT_WITHIN + 5)
        except subprocess.TimeoutExpired:
            exit_code = None
        exit_took = time.monotonic() - signalled_at
        stop.set()
        for thread in threads:
            thread.join(35)
        yield Shutdown(list(attempts), in_flight, signalled_at, exit_code, exit_took, server.output())
    finally:
        stop.set()
        for sock in sockets:
            sock.close()
        server.stop()


def test_every_request_in_flight_at_the_signal_gets_its_full_correct_answer(shutdown: Shutdown) -> None:
    statuses = [status for status, _, _ in shutdown.in_flight]
    assert statuses == [200] * IN_FLIGHT, [body[:200] for status, body, _ in shutdown.in_flight if status != 200]
    for _, body, answer in shutdown.in_flight:
        assert json.loads(body) == answer


def test_every_request_written_before_the_signal_gets_a_correct_answer(shutdown: Shutdown) -> None:
    problems = [a.problem() for a in shutdown.sent_before_the_signal()]
    assert [p for p in problems if p] == []


def test_an_answer_given_after_the_signal_is_correct_too(shutdown: Shutdown) -> None:
    answered_after = [a for a in shutdown.attempts if a.answer is not None and not shutdown.written_before(a)]
    problems = [a.problem() for a in answered_after]
    assert [p for p in problems if p] == []


def test_no_answer_during_the_whole_run_is_a_5xx(shutdown: Shutdown) -> None:
    statuses = [a.answer[0] for a in shutdown.attempts if a.answer] + [s for s, _, _ in shutdown.in_flight]
    assert [s for s in statuses if s >= 500] == []


def test_the_load_was_real(shutdown: Shutdown) -> None:
    assert len(shutdown.sent_before_the_signal()) > 50


def test_the_process_exits_0_within_25_s(shutdown: Shutdown) -> None:
    assert shutdown.exit_code == 0, shutdown.log[-3000:]
    assert shutdown.exit_took < EXIT_WITHIN


def test_the_shutdown_logged_no_traceback(shutdown: Shutdown) -> None:
    assert alarms_in(shutdown.log) == []
