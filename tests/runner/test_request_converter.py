"""The ASGI request as the function sees it: `azure.functions.HttpRequest`, as the host builds it."""

from __future__ import annotations

import pytest

from container.requests import RequestConverter
from tests.support.asgi import http_scope


@pytest.mark.parametrize(
    "raw, expected",
    [
        pytest.param([(b"x-one", b"a")], {"x-one": "a"}, id="single"),
        pytest.param([(b"X-Mixed-Case", b"a")], {"x-mixed-case": "a"}, id="names-lower-cased"),
        pytest.param(
            [(b"x-twice", b"a"), (b"x-other", b"b"), (b"x-twice", b"c")],
            {"x-twice": "a, c", "x-other": "b"},
            id="repeated-joined-in-order",
        ),
        pytest.param([(b"accept", b"a"), (b"Accept", b"b")], {"accept": "a, b"}, id="repeated-any-case"),
        pytest.param([(b"x-latin", "caf\u00e9".encode("latin-1"))], {"x-latin": "caf\u00e9"}, id="latin-1-values"),
    ],
)
def test_headers_reach_the_function_as_the_host_passes_them(raw, expected) -> None:
    request = RequestConverter(1024).convert(http_scope(headers=raw), b"", {})
    assert {name: request.headers[name] for name in expected} == expected
    assert len(request.headers) == len(expected)


@pytest.mark.parametrize(
    "query, expected",
    [
        (b"", {}),
        (b"a=1&b=2", {"a": "1", "b": "2"}),
        (b"a=1&a=2", {"a": "2"}),
        (b"empty=", {"empty": ""}),
    ],
)
def test_the_query_string_becomes_params(query: bytes, expected: dict[str, str]) -> None:
    request = RequestConverter(1024).convert(http_scope(headers=[(b"host", b"example.test")], query=query), b"", {})
    assert dict(request.params) == expected


def test_the_url_is_rebuilt_from_host_path_and_query() -> None:
    request = RequestConverter(1024).convert(http_scope(headers=[(b"host", b"example.test:81")], query=b"a=1"), b"", {})
    assert request.url == "http://example.test:81/echo?a=1"


def test_route_parameters_and_body_are_passed_through() -> None:
    request = RequestConverter(1024).convert(http_scope(), b"payload", {"name": "value"})
    assert (dict(request.route_params), request.get_body()) == ({"name": "value"}, b"payload")
