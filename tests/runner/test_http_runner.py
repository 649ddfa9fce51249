"""The local runner over real HTTP: `python -m container` on a free port of 127.0.0.1."""

from __future__ import annotations

import gzip
import json
import time

import httpx
import pytest

from echo_service.pages import TITLE
from tests.support.cases import BAD_BATCHES, GOOD_BATCHES, TUTORIAL_ANSWER, TUTORIAL_REQUEST, body
from tests.support.servers import ServerProcess, start_container


def test_the_tutorial_example_answers_exactly(client: httpx.Client) -> None:
    response = client.post("/echo", json=TUTORIAL_REQUEST)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.content == b'{"data":[[0,"I said Hello friend"],[1,"I said Hello World"]]}'
    assert response.json() == TUTORIAL_ANSWER


def test_character_name_bob_says_hello(bob_server: ServerProcess) -> None:
    response = httpx.post(f"{bob_server.base_url}/echo", json={"data": [[0, "hello!"]]})
    assert response.json() == {"data": [[0, "Bob said hello!"]]}


@pytest.mark.parametrize("request_body, expected", GOOD_BATCHES)
def test_good_batches_over_http(client: httpx.Client, request_body: bytes, expected: dict) -> None:
    response = client.post("/echo", content=request_body, headers={"Content-Type": "application/json"})
    assert (response.status_code, response.json()) == (200, expected)


def test_a_hundred_thousand_row_batch(client: httpx.Client) -> None:
    rows = [[n, f"message {n}"] for n in range(100_000)]
    response = client.post("/echo", json={"data": rows})
    answer = response.json()["data"]
    assert response.status_code == 200
    assert len(answer) == 100_000
    assert all(row == [n, f"I said message {n}"] for n, row in enumerate(answer))


@pytest.mark.parametrize("request_body, message", BAD_BATCHES)
def test_bad_batches_get_400_with_a_json_error(client: httpx.Client, request_body: bytes, message: str) -> None:
    response = client.post("/echo", content=request_body, headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/json"
    assert message in response.json()["error"]


def test_a_gzip_encoded_batch_is_inflated(client: httpx.Client) -> None:
    compressed = gzip.compress(body(TUTORIAL_REQUEST))
    response = client.post(
        "/echo", content=compressed, headers={"Content-Type": "application/json", "Content-Encoding": "gzip"}
    )
    assert response.json() == TUTORIAL_ANSWER


@pytest.mark.parametrize(
    "content, encoding, status",
    [
        pytest.param(b"not gzip at all", "gzip", 400, id="corrupt-gzip"),
        pytest.param(gzip.compress(b'{"data": []}')[:-6], "gzip", 400, id="truncated-gzip"),
        pytest.param(b'{"data": []}', "br", 415, id="unsupported-encoding"),
    ],
)
def test_a_bad_content_encoding_is_a_client_error(
    client: httpx.Client, content: bytes, encoding: str, status: int
) -> None:
    response = client.post(
        "/echo", content=content, headers={"Content-Type": "application/json", "Content-Encoding": encoding}
    )
    assert response.status_code == status
    assert response.json()["error"]


def test_an_unknown_path_is_404_json(client: httpx.Client) -> None:
    response = client.get("/nothing-here")
    assert response.status_code == 404
    assert "/nothing-here" in response.json()["error"]


@pytest.mark.parametrize(
    "method, path, allow", [("GET", "/echo", "POST"), ("DELETE", "/ui", "GET, POST"), ("POST", "/healthcheck", "GET")]
)
def test_a_wrong_method_is_405_with_allow(client: httpx.Client, method: str, path: str, allow: str) -> None:
    response = client.request(method, path)
    assert response.status_code == 405
    assert response.headers["allow"] == allow
    assert method in response.json()["error"]


def test_paths_match_without_regard_to_case_as_the_host_does(client: httpx.Client) -> None:
    assert client.get("/HealthCheck").text == "I'm ready!"


def test_healthcheck_over_http(client: httpx.Client) -> None:
    response = client.get("/healthcheck")
    assert (response.status_code, response.text) == (200, "I'm ready!")
    assert response.headers["content-type"] == "text/plain; charset=utf-8"


def test_the_ui_round_trip_escapes_what_was_typed(client: httpx.Client) -> None:
    form = client.get("/ui")
    assert TITLE in form.text and 'name="input"' in form.text
    response = client.post("/ui", data={"input": "<script>alert(1)</script>"})
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert "<script>alert(1)</script>" not in response.text
    assert "I said &lt;script&gt;alert(1)&lt;/script&gt;" in response.text


def test_the_ui_answers_an_empty_form_with_the_form_and_a_message(client: httpx.Client) -> None:
    response = client.post("/ui", data={"input": ""})
    assert response.status_code == 400
    assert 'role="alert"' in response.text and 'name="input"' in response.text


@pytest.fixture(scope="module")
def small_limit_server(tmp_path_factory: pytest.TempPathFactory):
    server = start_container(tmp_path_factory.mktemp("small"), SERVER_MAX_BODY_BYTES="1000")
    yield server
    server.stop()


@pytest.mark.parametrize("size", [1001, 50_000])
def test_a_body_over_the_server_limit_is_413(small_limit_server: ServerProcess, size: int) -> None:
    payload = json.dumps({"data": [[0, "x" * size]]})
    response = httpx.post(
        f"{small_limit_server.base_url}/echo", content=payload, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 413
    assert "1,000 bytes" in response.json()["error"]


def test_a_gzip_bomb_over_the_limit_is_413(small_limit_server: ServerProcess) -> None:
    bomb = gzip.compress(b'{"data": [[0, "' + b"x" * 100_000 + b'"]]}')
    assert len(bomb) < 1000
    response = httpx.post(
        f"{small_limit_server.base_url}/echo",
        content=bomb,
        headers={"Content-Type": "application/json", "Content-Encoding": "gzip"},
    )
    assert response.status_code == 413


def test_the_server_logs_to_stdout_and_keeps_serving(server: ServerProcess, client: httpx.Client) -> None:
    invocation = client.get("/ui?logged=1")
    assert "Application startup complete" in server.output()
    time.sleep(0.5)  # access lines are written in batches, at most 0.2 s after the request
    assert " access GET /ui 200 " in server.output()
    assert invocation.status_code == 200
