"""Every client sees the answer to a refused body: the lingering close of `python -m container`."""

from __future__ import annotations

import json
import socket
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from tests.support.servers import ServerProcess, start_container

MIB = 1024 * 1024
FORTY_MB = 40 * 1000 * 1000


@pytest.fixture(scope="module")
def default_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """The default body limit, 16 MiB: a 40 MB body is refused, and thrown away within 4 x 16 MiB."""
    server = start_container(tmp_path_factory.mktemp("linger"))
    yield server
    server.stop()


@pytest.fixture(scope="module")
def tight_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """A 1 MiB limit (so 4 MiB thrown away at most), a 2 s body timeout, one request at a time."""
    server = start_container(
        tmp_path_factory.mktemp("tight"),
        SERVER_MAX_BODY_BYTES=str(MIB),
        SERVER_BODY_TIMEOUT_SECONDS="2",
        SERVER_MAX_IN_FLIGHT="1",
    )
    yield server
    server.stop()


def test_urllib_sending_40_mb_reads_the_413_and_its_json(default_server: ServerProcess) -> None:
    request = urllib.request.Request(
        f"{default_server.base_url}/echo",
        data=b"x" * FORTY_MB,
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=60)
    assert refused.value.code == 413
    assert "over the limit" in json.loads(refused.value.read())["error"]


def test_requests_sending_40_mb_reads_the_413_and_its_json(default_server: ServerProcess) -> None:
    response = requests.post(
        f"{default_server.base_url}/echo",
        data=b"x" * FORTY_MB,
        headers={"Content-Type": "application/json"},
        timeout=60,
    )
    assert response.status_code == 413
    assert "over the limit" in response.json()["error"]


def test_a_body_thrown_away_whole_keeps_the_connection_open(default_server: ServerProcess) -> None:
    with requests.Session() as session:
        refused = session.post(f"{default_server.base_url}/echo", data=b"x" * (17 * MIB), timeout=60)
        assert refused.status_code == 413 and refused.headers.get("connection") != "close"
        assert session.get(f"{default_server.base_url}/healthcheck", timeout=10).status_code == 200


def send_raw(port: int, head: bytes, body_chunks, pause: float = 0.0, limit_seconds: float = 30) -> tuple[bytes, int]:
    """Send `head`, then the chunks until the server answers or cuts us off; return (answer, bytes sent)."""
    sent = 0
    answer = b""
    with socket.create_connection(("127.0.0.1", port), timeout=limit_seconds) as sock:
        sock.sendall(head)
        sock.setblocking(False)
        deadline = time.monotonic() + limit_seconds
        for chunk in body_chunks:
            if time.monotonic() > deadline:
                break
            try:
                answer += sock.recv(65536)
                if answer:
                    break
            except BlockingIOError:
                pass
            except OSError:
                break
            try:
                sock.setblocking(True)
                sock.settimeout(5)
                sock.sendall(chunk)
                sent += len(chunk)
                sock.setblocking(False)
            except OSError:
                break
            if pause:
                time.sleep(pause)
        sock.setblocking(True)
        sock.settimeout(5)
        try:
            while True:
                more = sock.recv(65536)
                if not more:
                    break
                answer += more
        except OSError:
            pass
    return answer, sent


def endless(size: int):
    chunk = b"%x\r\n%s\r\n" % (size, b"x" * size)
    while True:
        yield chunk


def test_an_endless_sender_is_answered_and_cut_off_at_four_times_the_limit(tight_server: ServerProcess) -> None:
    head = b"POST /echo HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
    started = time.monotonic()
    answer, sent = send_raw(tight_server.port, head, endless(64 * 1024))
    assert answer.startswith(b"HTTP/1.1 413 ")
    assert b"connection: close" in answer.lower()
    assert sent <= 4 * MIB + 8 * MIB  # the bound, plus what the kernel's buffers held
    assert time.monotonic() - started < 10


def test_a_slow_sender_is_answered_and_cut_off_at_the_body_timeout(tight_server: ServerProcess) -> None:
    head = b"POST /echo HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n" % (
        2 * MIB
    )
    first = [b"x" * (MIB + 1)]  # over the limit at once, then a trickle

    def trickle():
        yield from first
        while True:
            yield b"x" * 1000

    started = time.monotonic()
    answer, _ = send_raw(tight_server.port, head, trickle(), pause=0.05)
    elapsed = time.monotonic() - started
    assert answer.startswith(b"HTTP/1.1 413 ")
    assert b"connection: close" in answer.lower()
    assert 1.5 < elapsed < 8  # the 2 s body timeout, not the trickle's end


def test_a_client_that_expects_100_continue_is_answered_before_it_sends(tight_server: ServerProcess) -> None:
    head = (
        b"POST /echo HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\n"
        b"Expect: 100-continue\r\nContent-Length: %d\r\n\r\n" % (3 * MIB)
    )
    answer, sent = send_raw(tight_server.port, head, iter([]))
    assert answer.startswith(b"HTTP/1.1 413 ") and sent == 0


def test_a_busy_server_answers_429_to_a_client_that_sends_its_body_first(tight_server: ServerProcess) -> None:
    url = f"{tight_server.base_url}/echo"
    slow_head = b"POST /echo HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n"
    with ThreadPoolExecutor(1) as pool:
        # Holds the only slot: its body never ends (it gets 408 after 2 s).
        holder = pool.submit(send_raw, tight_server.port, slow_head, iter([b"{"]), 0.0, 6)
        time.sleep(0.3)
        response = requests.post(
            url, data=b"x" * (512 * 1024), headers={"Content-Type": "application/json"}, timeout=30
        )
        holder.result()
    assert response.status_code == 429
    assert response.headers["retry-after"] == "1"
    assert "busy" in response.json()["error"]
