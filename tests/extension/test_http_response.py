"""What TimerExtension does to the HttpResponse a function returns."""

from __future__ import annotations

import copy
import json

import azure.functions as func
import pytest

from python_worker_extension_timer import TimerExtension


def test_server_timing_header_is_added_with_the_duration_in_ms(timed):
    response = timed(12.3456, func.HttpResponse("hello"))
    assert response.headers["Server-Timing"] == "func;dur=12.346"


@pytest.mark.parametrize(
    "existing, expected",
    [
        ("app;dur=1.5", "app;dur=1.5, func;dur=2.000"),
        ("app;dur=1.5, db;dur=0.2", "app;dur=1.5, db;dur=0.2, func;dur=2.000"),
        ("func;dur=99", "func;dur=2.000"),
        ("app;dur=1, func;dur=99;desc=old, db;dur=3", "app;dur=1, func;dur=2.000, db;dur=3"),
        ('cache;desc="hit, warm";dur=0.1', 'cache;desc="hit, warm";dur=0.1, func;dur=2.000'),
        ("  app;dur=1 ,, ", "app;dur=1, func;dur=2.000"),
        ("function;dur=7", "function;dur=7, func;dur=2.000"),
    ],
    ids=["one", "two", "ours-replaced", "ours-replaced-in-place", "quoted-comma", "blanks", "prefix-name"],
)
def test_server_timing_is_merged_into_the_existing_value(timed, existing, expected):
    response = timed(2, func.HttpResponse("x", headers={"Server-Timing": existing}))
    assert response.headers.getlist("Server-Timing") == [expected]


def test_repeated_server_timing_headers_become_one_value(timed):
    response = func.HttpResponse("x")
    response.headers.add("Server-Timing", "app;dur=1")
    response.headers.add("Server-Timing", "db;dur=2")
    timed(3, response)
    assert response.headers.getlist("Server-Timing") == ["app;dur=1, db;dur=2, func;dur=3.000"]


def test_server_timing_off_leaves_headers_alone(timed, clock):
    TimerExtension.configure(clock=clock, server_timing=False)
    response = timed(3, func.HttpResponse("x", headers={"X-A": "1"}))
    assert dict(response.headers) == {"X-A": "1"}


@pytest.mark.parametrize("ret", [None, "text", b"bytes", {"a": [1]}, 42], ids=repr)
def test_non_http_return_values_are_timed_and_left_unchanged(timed, ret):
    snapshot = copy.deepcopy(ret)
    assert timed(1, ret) is ret
    assert ret == snapshot
    assert TimerExtension.stats()["functions"]["echo"]["count"] == 1


def test_suffix_is_not_appended_by_default(timed):
    response = timed(5, func.HttpResponse("hello"))
    assert response.get_body() == b"hello"


@pytest.mark.parametrize(
    "kwargs, expected_body",
    [
        ({"body": "hello"}, b"hello (TimeElapsed: 0.005000 sec)"),
        ({"body": "<p>hi</p>", "mimetype": "text/html"}, b"<p>hi</p> (TimeElapsed: 0.005000 sec)"),
        ({"body": "a,b", "mimetype": "text/csv"}, b"a,b (TimeElapsed: 0.005000 sec)"),
        ({"body": "h\u00e9", "charset": "latin-1"}, "h\u00e9 (TimeElapsed: 0.005000 sec)".encode("latin-1")),
        ({"body": ""}, b" (TimeElapsed: 0.005000 sec)"),
    ],
    ids=["plain", "html", "csv", "latin-1", "empty"],
)
def test_suffix_is_appended_to_text_bodies_when_enabled(timed, clock, kwargs, expected_body):
    TimerExtension.configure(clock=clock, append_to_http_response=True)
    response = timed(5, func.HttpResponse(**kwargs))
    assert response.get_body() == expected_body


@pytest.mark.parametrize(
    "kwargs",
    [
        {"body": json.dumps({"data": [[0, "Bob said hi"]]}), "mimetype": "application/json"},
        {"body": b"\x00\x01\xff", "mimetype": "application/octet-stream"},
        {"body": "plain but labelled", "headers": {"Content-Type": "application/json"}},
        {"body": "<svg/>", "mimetype": "image/svg+xml"},
    ],
    ids=["json", "binary", "json-content-type-header", "svg"],
)
def test_non_text_bodies_stay_byte_identical(timed, clock, kwargs):
    TimerExtension.configure(clock=clock, append_to_http_response=True)
    original = func.HttpResponse(**kwargs).get_body()
    response = timed(5, func.HttpResponse(**kwargs))
    assert response.get_body() == original
    assert response.headers["Server-Timing"] == "func;dur=5.000"


def test_appending_keeps_status_headers_mimetype_and_charset(timed, clock):
    TimerExtension.configure(clock=clock, append_to_http_response=True)
    response = func.HttpResponse(
        "busy",
        status_code=503,
        headers={"Retry-After": "1", "X-Trace": "abc", "Server-Timing": "app;dur=1"},
        mimetype="text/plain",
        charset="utf-8",
    )
    response.headers.add("Set-Cookie", "a=1")
    response.headers.add("Set-Cookie", "b=2")
    same = timed(5, response)
    assert same is response
    assert response.get_body() == b"busy (TimeElapsed: 0.005000 sec)"
    assert response.status_code == 503
    assert response.mimetype == "text/plain"
    assert response.charset == "utf-8"
    assert response.headers["Retry-After"] == "1"
    assert response.headers["X-Trace"] == "abc"
    assert response.headers.getlist("Set-Cookie") == ["a=1", "b=2"]
    assert response.headers.getlist("Server-Timing") == ["app;dur=1, func;dur=5.000"]


def test_appending_updates_an_explicit_content_length(timed, clock):
    TimerExtension.configure(clock=clock, append_to_http_response=True)
    response = timed(5, func.HttpResponse("abc", headers={"Content-Length": "3"}))
    assert response.headers["Content-Length"] == str(len(response.get_body()))


def test_appending_keeps_the_attributes_of_an_httpresponse_subclass(timed, clock):
    class TaggedResponse(func.HttpResponse):
        def __init__(self, body, tag):
            super().__init__(body)
            self.tag = tag

    TimerExtension.configure(clock=clock, append_to_http_response=True)
    response = timed(5, TaggedResponse("x", tag="kept"))
    assert isinstance(response, TaggedResponse)
    assert response.tag == "kept"
    assert response.get_body() == b"x (TimeElapsed: 0.005000 sec)"


def test_a_body_that_does_not_decode_is_left_unchanged(timed, clock, timer_log):
    TimerExtension.configure(clock=clock, append_to_http_response=True)
    response = timed(5, func.HttpResponse(b"\xff\xfe\xfa", mimetype="text/plain"))
    assert response.get_body() == b"\xff\xfe\xfa"
    assert response.headers["Server-Timing"] == "func;dur=5.000"
