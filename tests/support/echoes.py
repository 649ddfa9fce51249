"""POST /echo the way the multi-process tests send it: one connection per request, so the kernel spreads them."""

from __future__ import annotations

import http.client
import json
from concurrent.futures import ThreadPoolExecutor

from tests.support.cases import TUTORIAL_REQUEST

ECHO_BODY = json.dumps(TUTORIAL_REQUEST).encode()


def echo_on_a_new_connection(base_url: str) -> int:
    """One POST /echo on a connection of its own (closed after); its status."""
    host, port = base_url.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=30)
    try:
        connection.request("POST", "/echo", ECHO_BODY, {"Content-Type": "application/json", "Connection": "close"})
        response = connection.getresponse()
        response.read()
        return response.status
    finally:
        connection.close()


def send_echoes(base_url: str, n: int) -> None:
    """n POST /echo from 8 threads, each on a connection of its own; every one answered 200."""
    with ThreadPoolExecutor(8) as pool:
        statuses = list(pool.map(lambda _: echo_on_a_new_connection(base_url), range(n)))
    assert statuses == [200] * n
