"""POST /echo the way the multi-process tests send it: one connection per request, so the kernel spreads them."""

from __future__ import annotations

import http.client
import json
from concurrent.futures import ThreadPoolExecutor

from tests.support.cases import TUTORIAL_ANSWER, TUTORIAL_REQUEST

ECHO_BODY = json.dumps(TUTORIAL_REQUEST).encode()


def echo_answer_on_a_new_connection(base_url: str) -> tuple[int, object]:
    """One POST /echo on a connection of its own (closed after); its status and its JSON answer (None if not JSON)."""
    host, port = base_url.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=30)
    try:
        connection.request("POST", "/echo", ECHO_BODY, {"Content-Type": "application/json", "Connection": "close"})
        response = connection.getresponse()
        body = response.read()
    finally:
        connection.close()
    try:
        return response.status, json.loads(body)
    except ValueError:
        return response.status, None


def echo_on_a_new_connection(base_url: str) -> int:
    """One POST /echo on a connection of its own (closed after); its status."""
    return echo_answer_on_a_new_connection(base_url)[0]


def send_echoes(base_url: str, n: int) -> None:
    """n POST /echo from 8 threads, each on a connection of its own (so every worker process accepts some).

    Every one is answered 200 with the tutorial's echo.
    """
    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda _: echo_answer_on_a_new_connection(base_url), range(n)))
    assert answers == [(200, TUTORIAL_ANSWER)] * n
