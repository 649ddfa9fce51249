"""Property-based specification: whatever bytes arrive, the answer is right or a 4xx, never an exception.

Three layers, each with the real code and no server:
- the batch logic, `echo_service.batch.answer_batch(body, character)`;
- the HTTP functions, `echo_service.handlers.echo` / `.ui`, with real `azure.functions.HttpRequest` objects;
- the runner's request conversion, `container.requests.RequestConverter.convert`, with gzip bodies.

A correct answer is judged by `tests.support.echo_oracle`, written from RFC 8259 and the README's rules.
Each hostile sample below is always tried as an explicit example, besides what hypothesis generates.
"""

from __future__ import annotations

import gzip
import html
import json
import zlib
from typing import Any
from urllib.parse import parse_qs, urlencode

import azure.functions as func
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from container.errors import HttpError, PayloadTooLarge
from container.requests import RequestConverter
from echo_service import handlers
from echo_service import settings as echo_settings
from echo_service.batch import answer_batch
from echo_service.errors import InvalidBatch
from tests.support.asgi import http_scope
from tests.support.echo_oracle import INVALID, VALID, answer_problem, judge_body
from tests.support.leaks import leaks_in
from tests.support.tiers import sized

PROPERTY = settings(
    max_examples=sized(fast=100, full=300),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

# --- strategies ---------------------------------------------------------------------------------------

INT64 = st.integers(-(2**63), 2**63 - 1)
FINITE_FLOATS = st.floats(allow_nan=False, allow_infinity=False)
JSON_SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(-(2**63), 2**64 - 1), FINITE_FLOATS, st.text(max_size=20)
)
JSON_VALUES = st.recursive(
    JSON_SCALARS,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=6), inner, max_size=4)),
    max_leaves=12,
)
ROW_VALUES = st.one_of(st.none(), st.text(max_size=40), st.booleans(), st.integers(-(2**63), 2**64 - 1), FINITE_FLOATS)
VALID_ROWS = st.lists(st.tuples(INT64, ROW_VALUES).map(list), max_size=40)
VALID_BATCHES = st.builds(
    lambda rows, extra: {**extra, "data": rows},
    VALID_ROWS,
    st.dictionaries(st.text(max_size=6).filter(lambda key: key != "data"), JSON_VALUES, max_size=2),
)
# Rows of every shape: right ones, and anything JSON can hold where a row should be.
ANY_ROWS = st.lists(st.one_of(st.tuples(INT64, ROW_VALUES).map(list), JSON_VALUES), max_size=8)
NEAR_BATCHES = st.one_of(
    st.builds(lambda rows: {"data": rows}, ANY_ROWS), st.builds(lambda v: {"data": v}, JSON_VALUES)
)
DOCUMENTS = st.one_of(VALID_BATCHES, NEAR_BATCHES, JSON_VALUES)
CHARACTERS = st.one_of(st.sampled_from(["I", "Bob"]), st.text(min_size=1, max_size=12))

HOSTILE_SAMPLES = [
    b"",
    b" ",
    b"null",
    b'\xef\xbb\xbf{"data": []}',  # UTF-8 byte-order mark
    b"[" * 100_000,
    b"[" * 5_000 + b"]" * 5_000,
    b'{"data": [[0, ' + b"[" * 2_000 + b"]" * 2_000 + b"]]}",
    b'{"data": [[0, ' + b"9" * 400 + b"]]}",
    b'{"data": [[' + b"9" * 400 + b', "a"]]}',
    b'{"data": [[0, 1e999]]}',
    b'{"data": [[0, -1e999]]}',
    b'{"data": [[18446744073709551616, "a"]]}',
    b'{"data": [[0, NaN]]}',
    b'{"data": [[0, "\\ud800"]]}',
    b'{"data": [[0, "\xed\xa0\x80"]]}',
    b'{"data": [[0, "\xff"]]}',
    b'{"data": [[0, "a\x00b"]]}',
    b'{"data": [[0, "a\\u0000b"]]}',
    b'{"data": [[0, "a"]], "data": {}}',
    b'{"data": [[0, "a"],]}',
    b'{"data": [[0, "a"]], "extra": ' + b"[" * 2_000 + b"]" * 2_000 + b"}",
    b'{"data": [[0, "a"]], "extra": ' + b'{"k": ' * 2_000 + b"1" + b"}" * 2_000 + b"}",
]


def with_each_hostile_sample(**fixed: Any):
    """Every HOSTILE_SAMPLES body as an explicit example of the decorated property."""

    def decorate(test):
        for sample in HOSTILE_SAMPLES:
            test = example(body=sample, **fixed)(test)
        return test

    return decorate


def encode(document: Any, ascii_only: bool) -> bytes:
    return json.dumps(document, ensure_ascii=ascii_only).encode("utf-8")


ENCODED_DOCUMENTS = st.builds(encode, DOCUMENTS, st.booleans())


@st.composite
def mutated_documents(draw: st.DrawFn) -> bytes:
    """A JSON document with one byte-level accident: cut short, a byte changed, added or removed."""
    raw = bytearray(draw(ENCODED_DOCUMENTS))
    if not raw:
        return bytes(raw)
    at = draw(st.integers(0, len(raw) - 1))
    how = draw(st.sampled_from(["truncate", "replace", "insert", "delete"]))
    if how == "truncate":
        del raw[at:]
    elif how == "replace":
        raw[at] = draw(st.integers(0, 255))
    elif how == "insert":
        raw.insert(at, draw(st.integers(0, 255)))
    else:
        del raw[at]
    return bytes(raw)


ANY_BODIES = st.one_of(
    st.binary(max_size=600),
    ENCODED_DOCUMENTS,
    mutated_documents(),
    st.sampled_from(HOSTILE_SAMPLES),
    st.text(max_size=200).map(lambda text: text.encode("utf-8")),
)


def assert_answers(rows: list[list[Any]] | None, answer: bytes, character: str) -> None:
    document = json.loads(answer)
    if rows is None:  # too deep for the oracle to decode: at least the shape of an answer
        assert isinstance(document, dict) and isinstance(document.get("data"), list)
        return
    problem = answer_problem(rows, document, character)
    assert problem is None, problem


# --- (a) the batch logic --------------------------------------------------------------------------------


@PROPERTY
@given(body=ANY_BODIES, character=CHARACTERS)
@with_each_hostile_sample(character="I")
def test_any_body_gets_a_correct_answer_or_invalid_batch(body: bytes, character: str) -> None:
    expected = judge_body(body)
    try:
        answer = answer_batch(body, character)
    except InvalidBatch as error:
        assert error.status == 400
        assert isinstance(error.message, str) and error.message
        assert not leaks_in(error.message)
        assert expected.verdict != VALID, f"a valid batch was refused: {error.message}"
        return
    assert expected.verdict != INVALID, "an invalid batch was answered"
    assert_answers(expected.rows, answer, character)


@PROPERTY
@given(document=VALID_BATCHES, ascii_only=st.booleans(), character=CHARACTERS)
def test_every_valid_batch_is_answered_row_by_row(document: dict, ascii_only: bool, character: str) -> None:
    assert_answers(document["data"], answer_batch(encode(document, ascii_only), character), character)


@PROPERTY
@given(rows=st.lists(st.tuples(st.integers(0, 3), st.text(max_size=3)).map(list), min_size=2, max_size=20))
def test_duplicate_row_numbers_are_echoed_as_given_in_order(rows: list) -> None:
    answer = json.loads(answer_batch(encode({"data": rows}, False), "I"))
    assert answer == {"data": [[number, f"I said {value}"] for number, value in rows]}


# --- (b) the HTTP functions with real HttpRequest objects -------------------------------------------------

JSON_CONTENT_TYPES = [
    None,
    "application/json",
    "application/json; charset=utf-8",
    "Application/JSON",
    " application/json ;q=1",
    "text/plain",
    "text/json",
    "application/octet-stream",
    "application/vnd.snowflake+json",
]
OTHER_CONTENT_TYPES = [
    "text/html",
    "application/xml",
    "multipart/form-data; boundary=x",
    "application/x-www-form-urlencoded",
    "image/png",
    "json",
    "application/jsonx",
    "text/<script>alert(1)</script>",
]
CONTENT_TYPES = st.one_of(
    st.sampled_from(JSON_CONTENT_TYPES), st.sampled_from(OTHER_CONTENT_TYPES), st.text(max_size=40)
)
CONTENT_ENCODINGS = st.one_of(
    st.none(), st.sampled_from(["gzip", "identity", "br", "deflate", "x-gzip", ""]), st.text(max_size=20)
)


def http_request(
    path: str, body: bytes, content_type: str | None, content_encoding: str | None = None
) -> func.HttpRequest:
    headers = {}
    if content_type is not None:
        headers["Content-Type"] = content_type
    if content_encoding is not None:
        headers["Content-Encoding"] = content_encoding
    return func.HttpRequest(method="POST", url=f"http://localhost{path}", headers=headers, params={}, body=body)


def json_error(response: func.HttpResponse) -> str:
    document = json.loads(response.get_body())
    assert isinstance(document, dict) and set(document) == {"error"}, document
    assert isinstance(document["error"], str) and document["error"]
    return document["error"]


@PROPERTY
@given(body=ANY_BODIES, content_type=CONTENT_TYPES, content_encoding=CONTENT_ENCODINGS)
@with_each_hostile_sample(content_type="application/json", content_encoding=None)
def test_the_echo_function_answers_any_body_and_headers_with_200_or_a_4xx_json_error(
    body: bytes, content_type: str | None, content_encoding: str | None
) -> None:
    response = handlers.echo(http_request("/echo", body, content_type, content_encoding))
    expected = judge_body(body)
    if response.status_code == 200:
        assert response.mimetype == "application/json"
        assert expected.verdict != INVALID, "an invalid batch was answered 200"
        assert_answers(expected.rows, response.get_body(), echo_settings.character_name())
        return
    assert 400 <= response.status_code < 500
    message = json_error(response)
    assert not leaks_in(message)
    if content_type in JSON_CONTENT_TYPES:
        assert response.status_code == 400 and expected.verdict != VALID, f"{response.status_code}: {message}"
    else:
        assert response.status_code in (400, 415), message


FORM_TEXT = st.text(
    alphabet=st.sampled_from(list("<>\"'&/=;% a+\u00e9\u4e16\U0001f389")) | st.characters(codec="utf-8"), max_size=40
)
FORM_BODIES = st.one_of(
    st.builds(
        lambda typed, extra: urlencode({"input": typed, **extra}).encode(),
        FORM_TEXT,
        st.dictionaries(st.text(max_size=5), st.text(max_size=5), max_size=3),
    ),
    st.binary(max_size=300),
    st.text(max_size=100).map(lambda text: text.encode("utf-8")),
    st.builds(lambda n: ("&".join(f"f{i}=x" for i in range(n)) + "&input=x").encode(), st.integers(40, 80)),
)
FORM_CONTENT_TYPES = st.one_of(
    st.sampled_from(
        [
            None,
            "application/x-www-form-urlencoded",
            "application/x-www-form-urlencoded; charset=utf-8",
            "text/plain",
            "multipart/form-data; boundary=x",
        ]
    ),
    st.text(max_size=30),
)


@PROPERTY
@given(body=FORM_BODIES, content_type=FORM_CONTENT_TYPES)
def test_the_ui_function_answers_any_form_with_an_escaped_page_or_a_4xx_page(
    body: bytes, content_type: str | None
) -> None:
    response = handlers.ui(http_request("/ui", body, content_type))
    page = response.get_body().decode("utf-8")
    assert response.mimetype == "text/html"
    assert not leaks_in(page)
    if response.status_code == 200:
        typed = parse_qs(body.decode("utf-8"), keep_blank_values=True)["input"][0]
        output = html.escape(f"{echo_settings.character_name()} said {typed}")
        assert f'<dd id="echo-output">{output}</dd>' in page
        assert f'value="{html.escape(typed)}"' in page
        return
    assert 400 <= response.status_code < 500
    assert 'class="error"' in page


# --- (c) the runner's request conversion with gzip --------------------------------------------------------

BODY_DATA = st.one_of(
    st.binary(max_size=3_000),
    st.builds(lambda unit, times: unit * times, st.binary(min_size=1, max_size=4), st.integers(1, 4_000)),
)
LIMITS = st.integers(1, 5_000)


@st.composite
def gzip_bodies(draw: st.DrawFn) -> tuple[str, bytes, bytes]:
    """(kind, original data, body): a gzip stream, intact, in several members or damaged, or no gzip at all."""
    data = draw(BODY_DATA)
    stream = gzip.compress(data, compresslevel=draw(st.integers(0, 9)), mtime=0)
    kinds = ["valid", "members", "truncated", "corrupted", "trailing-bytes", "zlib", "raw-deflate", "random"]
    kind = draw(st.sampled_from(kinds))
    if kind == "valid":
        body = stream
    elif kind == "members":  # the same data cut into several gzip members
        cuts = sorted(draw(st.lists(st.integers(0, len(data)), min_size=1, max_size=3)))
        pieces = [data[a:b] for a, b in zip([0, *cuts], [*cuts, len(data)], strict=True)]
        body = b"".join(gzip.compress(piece, mtime=0) for piece in pieces)
    elif kind == "truncated":
        body = stream[: draw(st.integers(0, len(stream) - 1))]
    elif kind == "corrupted":
        at = draw(st.integers(0, len(stream) - 1))
        body = stream[:at] + bytes([stream[at] ^ draw(st.integers(1, 255))]) + stream[at + 1 :]
    elif kind == "trailing-bytes":
        body = stream + draw(st.binary(min_size=1, max_size=20))
    elif kind == "zlib":
        body = zlib.compress(data)
    elif kind == "raw-deflate":
        deflater = zlib.compressobj(wbits=-zlib.MAX_WBITS)
        body = deflater.compress(data) + deflater.flush()
    else:
        body = draw(st.binary(max_size=600))
    return kind, data, body


def asgi_scope(content_encoding: bytes) -> dict[str, Any]:
    return http_scope(
        headers=[
            (b"host", b"127.0.0.1:8080"),
            (b"content-type", b"application/json"),
            (b"content-encoding", content_encoding),
        ]
    )


GZIP_NAMES = st.sampled_from([b"gzip", b"GZIP", b"x-gzip", b" gzip "])


@PROPERTY
@given(case=gzip_bodies(), limit=LIMITS, encoding=GZIP_NAMES)
def test_any_gzip_body_converts_or_raises_a_4xx_http_error(
    case: tuple[str, bytes, bytes], limit: int, encoding: bytes
) -> None:
    kind, data, body = case
    try:
        request = RequestConverter(limit).convert(asgi_scope(encoding), body, {})
    except HttpError as error:
        assert 400 <= error.status < 500
        assert isinstance(error.message, str) and not leaks_in(error.message)
        if kind in ("valid", "members"):
            assert isinstance(error, PayloadTooLarge) and len(data) > limit, error.message
        return
    assert isinstance(request, func.HttpRequest)
    assert "content-encoding" not in request.headers
    assert request.headers["content-length"] == str(len(request.get_body()))
    assert len(request.get_body()) <= limit
    if kind in ("valid", "members"):
        assert request.get_body() == data


@PROPERTY
@given(data=BODY_DATA, encoding=GZIP_NAMES)
def test_a_gzip_body_within_the_limit_inflates_to_exactly_what_was_compressed(data: bytes, encoding: bytes) -> None:
    request = RequestConverter(len(data) or 1).convert(asgi_scope(encoding), gzip.compress(data, mtime=0), {})
    assert request.get_body() == data


@PROPERTY
@given(data=BODY_DATA.filter(lambda data: len(data) > 1), encoding=GZIP_NAMES)
def test_a_gzip_body_one_byte_over_the_limit_is_413(data: bytes, encoding: bytes) -> None:
    with pytest.raises(PayloadTooLarge) as raised:
        RequestConverter(len(data) - 1).convert(asgi_scope(encoding), gzip.compress(data, mtime=0), {})
    assert raised.value.status == 413


@PROPERTY
@given(body=st.binary(max_size=300), encoding=st.text(max_size=20).map(lambda text: text.encode("utf-8")))
@example(body=b"{}", encoding=b"br")
@example(body=b"{}", encoding=b"gzip, gzip")
@example(body=b"{}", encoding=b"\xff\xfe")
def test_any_content_encoding_value_converts_or_raises_a_4xx_http_error(body: bytes, encoding: bytes) -> None:
    try:
        request = RequestConverter(1_000).convert(asgi_scope(encoding), body, {})
    except HttpError as error:
        assert 400 <= error.status < 500
        return
    assert "content-encoding" not in request.headers


@PROPERTY
@given(parts=st.lists(BODY_DATA, min_size=2, max_size=5), encoding=GZIP_NAMES)
def test_a_gzip_body_of_several_members_inflates_to_all_of_them(parts: list[bytes], encoding: bytes) -> None:
    body = b"".join(gzip.compress(part, mtime=0) for part in parts)  # RFC 1952: a gzip file is a series of members
    whole = b"".join(parts)
    request = RequestConverter(max(len(whole), 1)).convert(asgi_scope(encoding), body, {})
    assert request.get_body() == whole
