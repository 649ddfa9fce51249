"""The timer extension, active in function_app, seen through the runner over real HTTP."""

from __future__ import annotations

import re

import httpx
import pytest

from tests.support.cases import TUTORIAL_REQUEST

SERVER_TIMING = re.compile(r"^func;dur=\d+\.\d{3}$")


@pytest.mark.parametrize(
    "method, path, kwargs",
    [
        ("POST", "/echo", {"json": TUTORIAL_REQUEST}),
        ("POST", "/echo", {"content": b"not json"}),
        ("GET", "/healthcheck", {}),
        ("GET", "/ui", {}),
        ("POST", "/ui", {"data": {"input": "Hello"}}),
        ("GET", "/latency", {}),
        ("GET", "/ui/latency", {}),
    ],
)
def test_every_function_response_carries_server_timing(
    client: httpx.Client, method: str, path: str, kwargs: dict
) -> None:
    response = client.request(method, path, **kwargs)
    assert SERVER_TIMING.match(response.headers["server-timing"]), response.headers


def test_latency_counts_the_requests_made(client: httpx.Client) -> None:
    before = client.get("/latency").json()["functions"].get("echo", {}).get("count", 0)
    for _ in range(7):
        client.post("/echo", json=TUTORIAL_REQUEST)
    stats = client.get("/latency").json()
    echo = stats["functions"]["echo"]
    assert echo["count"] == before + 7
    assert 0 < echo["p50_ms"] <= echo["p99_ms"] <= echo["max_ms"]
    assert sum(echo["histogram"]["counts"]) == echo["count"]
    assert stats["in_flight"] == 1  # only the /latency request that asked


def test_latency_is_json_and_never_cached(client: httpx.Client) -> None:
    response = client.get("/latency")
    assert response.headers["content-type"] == "application/json"
    assert response.headers["cache-control"] == "no-store"
    assert response.json()["extension"] == "TimerExtension"


@pytest.mark.parametrize(
    "path, media_type",
    [("/latency", "application/json"), ("/ui/latency", "text/html"), ("/metrics", "text/plain; version=0.0.4")],
)
def test_the_timer_s_three_endpoints_answer_at_the_echo_app_s_paths_never_cached(
    client: httpx.Client, path: str, media_type: str
) -> None:
    response = client.get(path)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith(media_type)
    assert response.headers["cache-control"] == "no-store"


def test_the_latency_page_shows_counts_and_a_histogram_per_function(client: httpx.Client) -> None:
    client.post("/echo", json=TUTORIAL_REQUEST)
    page = client.get("/ui/latency").text
    echo_count = client.get("/latency").json()["functions"]["echo"]["count"]
    section = page[page.index('data-function="echo"') :]
    assert f'<td data-stat="count">{echo_count:,}</td>' in section
    assert '<svg class="histogram" role="img" aria-label="Latency histogram of echo"' in section
    assert "<script src" not in page and page.count("<script") == 1  # only the page's own inline script


def test_the_latency_page_can_refresh_itself(client: httpx.Client) -> None:
    assert '<meta http-equiv="refresh" content="5">' in client.get("/ui/latency?refresh=5").text
    assert 'http-equiv="refresh"' not in client.get("/ui/latency").text
