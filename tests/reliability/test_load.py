"""A short load through the container server, good and bad requests mixed.

The full tier runs 64 connections for 8 s; the fast tier 16 connections until the proof is in (PROOF requests
answered, every kind among them), at most 8 s. The load runs once (module fixture) against `python -m container`
with two worker processes; the tests read its report. Throughput is not asserted (shared machines are noisy):
only that every request was answered, none with a 5xx, each exactly as it should be, and enough of them for that
to mean something.
"""

from __future__ import annotations

import asyncio
import ssl
import time
from collections.abc import Iterator

import httpx
import pytest

from tests.support.leaks import alarms_in
from tests.support.servers import ServerProcess, start_container
from tests.support.tiers import sized
from tests.support.traffic import KINDS, LoadReport, planned_requests

CONNECTIONS = sized(fast=16, full=64)
SECONDS = 8.0
MINIMUM_COMPLETED = 200
PROOF = sized(fast=600, full=None)  # completed requests after which the fast tier stops (None: run SECONDS)


async def run_load(base_url: str, connections: int, seconds: float, proof: int | None = None) -> LoadReport:
    """`connections` clients, each sending its own mix back to back on its kept-alive connection, for `seconds`.

    With `proof`, the clients stop once that many requests completed with every kind among them.

    One AsyncClient per connection (a single pool of 64 spends its time scanning the pool), all made before the
    clock starts and sharing one TLS context (each would load the CA store, though only http:// is used here).
    """
    report = LoadReport()
    tls = ssl.create_default_context()
    limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
    clients = [httpx.AsyncClient(base_url=base_url, limits=limits, timeout=30, verify=tls) for _ in range(connections)]
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds

    def proven() -> bool:
        return proof is not None and report.completed >= proof and len(report.kinds) == len(KINDS)

    async def one_client(stream: int, client: httpx.AsyncClient) -> None:
        plans = planned_requests(stream)
        async with client:
            while loop.time() < deadline and not proven():
                planned = next(plans)
                try:
                    response = await client.request(
                        planned.method, planned.path, headers=planned.headers, content=planned.body
                    )
                except httpx.TransportError as error:
                    report.failed(planned, error)
                    continue
                report.record(planned, response.status_code, response.headers, response.content)

    await asyncio.wait_for(asyncio.gather(*(one_client(n, c) for n, c in enumerate(clients))), seconds + 45)
    return report


@pytest.fixture(scope="module")
def loaded_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ServerProcess, LoadReport, float]]:
    server = start_container(tmp_path_factory.mktemp("load"), WEB_CONCURRENCY="2", SERVER_ACCESS_LOG="0")
    try:
        started = time.monotonic()
        report = asyncio.run(run_load(server.base_url, CONNECTIONS, SECONDS, PROOF))
        took = time.monotonic() - started
        yield server, report, took
    finally:
        server.stop()


@pytest.fixture(scope="module")
def report(loaded_server) -> LoadReport:
    return loaded_server[1]


def test_every_request_got_an_answer(report: LoadReport) -> None:
    assert report.unanswered == 0, report.connection_errors[:10]


def test_no_answer_was_a_5xx(report: LoadReport) -> None:
    assert {status: n for status, n in report.statuses.items() if status >= 500} == {}


def test_every_answer_was_exactly_the_expected_one(report: LoadReport) -> None:
    assert report.wrong_answers == 0, report.problems[:10]


def test_enough_requests_of_every_kind_completed_to_mean_something(report: LoadReport) -> None:
    assert report.completed > MINIMUM_COMPLETED, report.statuses
    assert set(report.kinds) == set(KINDS), report.kinds


def test_the_load_stopped_by_itself_in_bounded_time(loaded_server) -> None:
    assert loaded_server[2] < SECONDS + 30


def test_the_server_logged_no_traceback_under_load(loaded_server) -> None:
    assert alarms_in(loaded_server[0].output()) == []


def test_the_server_is_still_ready_after_the_load(loaded_server) -> None:
    assert httpx.get(f"{loaded_server[0].base_url}/healthcheck", timeout=5).status_code == 200
