"""Parity: the same HTTP cases give the same answer in both runtimes.

One side calls the functions in process through the FunctionApp and encodes the
returned HttpResponse with azure.functions' own HTTP converter, as the Functions
worker hands it to the host; the other goes over real HTTP through the
container's server. Status, content type and body must be identical.
"""

from __future__ import annotations

import gzip
from collections.abc import Mapping

import httpx
import pytest
from azure.functions.http import HttpResponseConverter

from tests.support.cases import BAD_BATCHES, GOOD_BATCHES, TUTORIAL_REQUEST, body
from tests.support.in_process import call

JSON = {"Content-Type": "application/json"}
FORM = {"Content-Type": "application/x-www-form-urlencoded"}

# (function, method, path, body, headers)
CASES = [
    pytest.param("healthcheck", "GET", "/healthcheck", b"", {}, id="healthcheck"),
    pytest.param("ui", "GET", "/ui", b"", {}, id="ui-form"),
    pytest.param("ui", "POST", "/ui", b"input=Hello", FORM, id="ui-echo"),
    pytest.param("ui", "POST", "/ui", b"input=%3Cimg%20src%3Dx%20onerror%3Dalert(1)%3E", FORM, id="ui-escaped"),
    pytest.param("ui", "POST", "/ui", b"input=", FORM, id="ui-empty"),
    pytest.param("ui", "POST", "/ui", b'{"input": 1}', JSON, id="ui-json-415"),
    pytest.param("echo", "POST", "/echo", body(TUTORIAL_REQUEST), {"Content-Type": "text/html"}, id="echo-415"),
    *[pytest.param("echo", "POST", "/echo", p.values[0], JSON, id=f"echo-{p.id}") for p in GOOD_BATCHES],
    *[pytest.param("echo", "POST", "/echo", p.values[0], JSON, id=f"echo-{p.id}") for p in BAD_BATCHES],
]


def as_the_worker_encodes(name: str, method: str, path: str, payload: bytes, headers: Mapping[str, str]):
    response = call(name, method, path, payload, headers)
    datum = HttpResponseConverter.encode(response, expected_type=None).value
    content_type = datum["headers"]["content-type"].value
    return int(datum["status_code"].value), content_type, datum["body"].value


@pytest.mark.parametrize("name, method, path, payload, headers", CASES)
def test_both_runtimes_answer_alike(client: httpx.Client, name, method, path, payload, headers) -> None:
    expected = as_the_worker_encodes(name, method, path, payload, headers)
    response = client.request(method, path, content=payload, headers=headers)
    assert (response.status_code, response.headers["content-type"], response.content) == expected


def test_a_gzip_batch_over_http_answers_as_the_plain_one_in_process(client: httpx.Client) -> None:
    expected = as_the_worker_encodes("echo", "POST", "/echo", body(TUTORIAL_REQUEST), JSON)
    response = client.post(
        "/echo", content=gzip.compress(body(TUTORIAL_REQUEST)), headers={**JSON, "Content-Encoding": "gzip"}
    )
    assert (response.status_code, response.headers["content-type"], response.content) == expected
