"""Hostile input over real HTTP: a 4xx (or a closed connection), never a 5xx, nothing leaked, still ready after.

One server (`python -m container`, body limit 1 MiB) takes every case of the table in turn; each case is sent
once on its own connection, byte for byte as written, then `/healthcheck` is asked. The tests read what was
recorded: the expected status, no 5xx, no stack trace or file path in the answer, a JSON error from the app,
still ready afterwards, nothing alarming in the server's log. Connection-level abuse (a client stalled or gone
mid-body) has its own tests below the table.
"""

from __future__ import annotations

import gzip
import html
import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, urlencode

import httpx
import pytest

from tests.support.leaks import alarms_in, leaks_in
from tests.support.raw_exchange import (
    RawAnswer,
    chunked,
    exchange,
    http_request,
    received_within,
)
from tests.support.raw_http import open_connection
from tests.support.servers import ServerProcess, start_container

MAX_BODY = 1024 * 1024
CLOSED = None  # no answer: the server closed the connection
JSON = [("Content-Type", "application/json")]
FORM = [("Content-Type", "application/x-www-form-urlencoded")]
SCRIPT = "<script>alert(1)</script>"
IMG_ONERROR = '"><img src=x onerror=alert(1)>'


def echo(body: bytes, headers=JSON, **options) -> bytes:
    return http_request("POST", "/echo", body, headers, **options)


def form(fields: dict[str, str] | bytes, path: str = "/ui", headers=FORM) -> bytes:
    body = fields if isinstance(fields, bytes) else urlencode(fields).encode()
    return http_request("POST", path, body, headers)


def answers_json(expected: dict) -> Callable[[RawAnswer], None]:
    def check(answer: RawAnswer) -> None:
        assert answer.headers.get("content-type") == "application/json"
        assert json.loads(answer.body) == expected

    return check


def shows_only_escaped(raw: str, escaped: str | None = None) -> Callable[[RawAnswer], None]:
    def check(answer: RawAnswer) -> None:
        assert answer.headers.get("content-type", "").startswith("text/html")
        assert raw not in answer.text
        assert (escaped or html.escape(raw)) in answer.text

    return check


def nests(opening: bytes, closing: bytes, depth: int, inner: bytes = b"1") -> bytes:
    return opening * depth + inner + closing * depth


@dataclass(frozen=True)
class Case:
    id: str
    payload: bytes
    statuses: frozenset
    json_error: bool = False  # the app answers it: {"error": "..."}
    check: Callable[[RawAnswer], None] | None = None


def case(id: str, payload: bytes, *statuses: int | None, json_error: bool = False, check=None) -> Case:
    return Case(id, payload, frozenset(statuses), json_error, check)


CASES = [
    # JSON that is not JSON
    case("truncated-json", echo(b'{"data": [[0, "a"]'), 400, json_error=True),
    case("truncated-mid-string", echo(b'{"data": [[0, "ab'), 400, json_error=True),
    case("truncated-mid-escape", echo(b'{"data": [[0, "\\u12'), 400, json_error=True),
    case("invalid-json", echo(b"{data: [[0, a]]}"), 400, json_error=True),
    case("trailing-comma", echo(b'{"data": [[0, "a"],]}'), 400, json_error=True),
    case("trailing-garbage", echo(b'{"data": [[0, "a"]]} {"data": []}'), 400, json_error=True),
    case("nan-literal", echo(b'{"data": [[0, NaN]]}'), 400, json_error=True),
    case("infinity-literal", echo(b'{"data": [[0, Infinity]]}'), 400, json_error=True),
    case("javascript", echo(f'{{"data": [[0, {SCRIPT}]]}}'.encode()), 400, json_error=True),
    # deeply nested JSON
    case("nested-100k-arrays-unclosed", echo(b"[" * 100_000), 400, json_error=True),
    case("nested-100k-arrays", echo(nests(b"[", b"]", 100_000)), 400, json_error=True),
    case("nested-100k-objects", echo(nests(b'{"a":', b"}", 100_000)), 400, json_error=True),
    case("nested-in-data", echo(b'{"data": ' + nests(b"[", b"]", 100_000) + b"}"), 400, json_error=True),
    case("nested-in-a-value", echo(b'{"data": [[0, ' + nests(b"[", b"]", 100_000) + b"]]}"), 400, json_error=True),
    case(
        "nested-in-an-ignored-key", echo(b'{"data": [[0, "a"]], "extra": ' + nests(b"[", b"]", 5_000) + b"}"), 200, 400
    ),
    case(
        "nested-in-an-ignored-key-unclosed",
        echo(b'{"data": [[0, "a"]], "extra": ' + b"[" * 100_000),
        400,
        json_error=True,
    ),
    # huge numbers
    case(
        "int-of-400-digits-as-value",
        echo(b'{"data": [[0, ' + b"9" * 400 + b"]]}"),
        200,
        400,
        check=lambda a: a.status != 200 or json.loads(a.body) == {"data": [[0, "I said " + "9" * 400]]},
    ),
    case("int-of-400-digits-as-row-number", echo(b'{"data": [[' + b"9" * 400 + b', "a"]]}'), 400, json_error=True),
    case("int-of-100k-digits", echo(b'{"data": [[0, ' + b"7" * 100_000 + b"]]}"), 200, 400),
    case(
        "1e999-as-value",
        echo(b'{"data": [[0, 1e999]]}'),
        200,
        400,
        check=lambda a: (
            a.status != 200 or json.loads(json.loads(a.body)["data"][0][1][len("I said ") :]) == float("inf")
        ),
    ),
    case("-1e999-as-row-number", echo(b'{"data": [[-1e999, "a"]]}'), 400, json_error=True),
    case("row-number-beyond-64-bits", echo(b'{"data": [[18446744073709551616, "a"]]}'), 400, json_error=True),
    # row numbers that are not integers
    case("row-number-string", echo(b'{"data": [["0", "a"]]}'), 400, json_error=True),
    case("row-number-float", echo(b'{"data": [[0.5, "a"]]}'), 400, json_error=True),
    case("row-number-float-integral", echo(b'{"data": [[1.0, "a"]]}'), 400, json_error=True),
    case("row-number-exponent", echo(b'{"data": [[1e2, "a"]]}'), 400, json_error=True),
    case("row-number-boolean", echo(b'{"data": [[true, "a"]]}'), 400, json_error=True),
    case("row-number-null", echo(b'{"data": [[null, "a"]]}'), 400, json_error=True),
    case("row-number-array", echo(b'{"data": [[[0], "a"]]}'), 400, json_error=True),
    case("row-number-object", echo(b'{"data": [[{"n": 0}, "a"]]}'), 400, json_error=True),
    # duplicate row numbers: every row is echoed as given, in order
    case(
        "duplicate-row-numbers",
        echo(b'{"data": [[0, "a"], [0, "b"], [1, "c"], [0, "a"]]}'),
        200,
        check=answers_json({"data": [[0, "I said a"], [0, "I said b"], [1, "I said c"], [0, "I said a"]]}),
    ),
    case("duplicate-data-keys", echo(b'{"data": [[0, "a"]], "data": [[1, "b"]]}'), 200, 400),
    # not UTF-8
    case("invalid-utf8-in-a-value", echo(b'{"data": [[0, "\xff\xfe"]]}'), 400, json_error=True),
    case("invalid-utf8-continuation", echo(b'{"data": [[0, "a\x80b"]]}'), 400, json_error=True),
    case("utf8-encoded-surrogate", echo(b'{"data": [[0, "\xed\xa0\x80"]]}'), 400, json_error=True),
    case("overlong-utf8", echo(b'{"data": [[0, "\xc0\xaf"]]}'), 400, json_error=True),
    case("invalid-utf8-outside-strings", echo(b'\xff\xfe{"data": []}'), 400, json_error=True),
    case("lone-surrogate-escape", echo(b'{"data": [[0, "\\ud800"]]}'), 400, json_error=True),
    case("utf16-body", echo('{"data": [[0, "a"]]}'.encode("utf-16")), 400, json_error=True),
    case("nul-byte-in-a-string", echo(b'{"data": [[0, "a\x00b"]]}'), 400, json_error=True),
    case(
        "escaped-nul-is-echoed",
        echo(b'{"data": [[0, "a\\u0000b"]]}'),
        200,
        check=answers_json({"data": [[0, "I said a\u0000b"]]}),
    ),
    # wrong Content-Type / Content-Encoding
    case("content-type-html", echo(b'{"data": []}', [("Content-Type", "text/html")]), 415, json_error=True),
    case("content-type-xml", echo(b"<data/>", [("Content-Type", "application/xml")]), 415, json_error=True),
    case("content-type-form", echo(b"data=1", FORM), 415, json_error=True),
    case(
        "content-type-multipart",
        echo(b"--x--", [("Content-Type", "multipart/form-data; boundary=x")]),
        415,
        json_error=True,
    ),
    case("content-type-script", echo(b'{"data": []}', [("Content-Type", f"text/{SCRIPT}")]), 415, json_error=True),
    case("content-type-not-ascii", echo(b'{"data": []}', [("Content-Type", b"\xff\xfe")]), 415, json_error=True),
    case(
        "content-type-control-byte",
        echo(b'{"data": []}', [("Content-Type", b"application/json\x01")]),
        400,
        415,
        CLOSED,
    ),
    case("content-type-huge", echo(b'{"data": []}', [("Content-Type", "x/" + "y" * 50_000)]), 415, json_error=True),
    case("content-encoding-br", echo(b'{"data": []}', JSON + [("Content-Encoding", "br")]), 415, json_error=True),
    case(
        "content-encoding-gzip-corrupt",
        echo(b"\x1f\x8b\x08\x00garbage", JSON + [("Content-Encoding", "gzip")]),
        400,
        json_error=True,
    ),
    case(
        "content-encoding-gzip-truncated",
        echo(gzip.compress(b'{"data": [[0, "a"]]}')[:-6], JSON + [("Content-Encoding", "gzip")]),
        400,
        json_error=True,
    ),
    case(
        "content-encoding-gzip-not-gzipped",
        echo(b'{"data": []}', JSON + [("Content-Encoding", "gzip")]),
        400,
        json_error=True,
    ),
    case(
        "gzip-of-5000-empty-members",
        echo(gzip.compress(b"", mtime=0) * 5_000, JSON + [("Content-Encoding", "gzip")]),
        400,
        413,
        json_error=True,
    ),
    case(
        "gzip-bomb",
        echo(gzip.compress(b" " * (16 * MAX_BODY)), JSON + [("Content-Encoding", "gzip")]),
        413,
        json_error=True,
    ),
    # empty and oversized bodies
    case("empty-body", echo(b""), 400, json_error=True),
    case("no-content-length", echo(b"", content_length=None), 400, json_error=True),
    case("whitespace-body", echo(b" \r\n\t "), 400, json_error=True),
    case("null-body", echo(b"null"), 400, json_error=True),
    case("oversized-body", echo(b"[" + b"0," * MAX_BODY + b"0]"), 413, json_error=True),
    case(
        "oversized-chunked-body",
        echo(chunked(b"x" * (MAX_BODY + 1)), JSON + [("Transfer-Encoding", "chunked")], content_length=None),
        413,
        json_error=True,
    ),
    case("content-length-of-a-terabyte", echo(b'{"data": []}', content_length=10**12), 413, json_error=True),
    # broken HTTP
    case("negative-content-length", echo(b"", content_length=-1), 400, CLOSED),
    case(
        "content-length-and-chunked",
        echo(b"0\r\n\r\n", JSON + [("Transfer-Encoding", "chunked")], content_length=5),
        400,
        CLOSED,
    ),
    case("two-content-lengths", echo(b"{}{}", JSON + [("Content-Length", "2")]), 400, CLOSED),
    case(
        "bad-chunk-size",
        echo(b"zz\r\nabc\r\n0\r\n\r\n", [("Transfer-Encoding", "chunked")], content_length=None),
        400,
        CLOSED,
    ),
    case("garbage-request-line", b"GARBAGE\r\n\r\n", 400, CLOSED),
    case("unknown-method", http_request("BREW", "/echo"), 400, 405, CLOSED),
    case("invalid-utf8-in-the-path", http_request("GET", b"/\xff\xfe"), 400, 404, CLOSED),
    case("path-traversal", http_request("GET", "/%2e%2e/%2e%2e/etc/passwd"), 404, json_error=True),
    case("very-long-path", http_request("GET", "/" + "a" * 100_000), 404, 414, 400, CLOSED),
    case(
        "very-long-header",
        http_request("GET", "/healthcheck", headers=[("X-Long", "a" * 100_000)]),
        200,
        400,
        431,
        CLOSED,
    ),
    case(
        "ten-thousand-headers",
        http_request("GET", "/healthcheck", headers=[(f"X-H{i}", "v") for i in range(10_000)]),
        200,
        400,
        431,
        CLOSED,
    ),
    case(
        "header-with-control-bytes",
        http_request("GET", "/healthcheck", headers=[("X-Bad", b"\x00\x01\x7f")]),
        200,
        400,
        CLOSED,
    ),
    # markup: escaped in the UI, plain JSON in /echo
    case("ui-script", form({"input": SCRIPT}), 200, check=shows_only_escaped(SCRIPT)),
    case("ui-img-onerror", form({"input": IMG_ONERROR}), 200, check=shows_only_escaped(IMG_ONERROR)),
    case(
        "ui-script-in-the-content-type",
        form({"input": "a"}, headers=[("Content-Type", f"text/{SCRIPT}")]),
        415,
        check=shows_only_escaped(SCRIPT),
    ),
    case(
        "ui-script-in-the-query",
        http_request("GET", "/ui?input=" + quote(SCRIPT)),
        200,
        check=lambda a: SCRIPT not in a.text,
    ),
    case(
        "ui-latency-script-in-the-query",
        http_request("GET", "/ui/latency?refresh=" + quote(SCRIPT)),
        200,
        check=lambda a: SCRIPT not in a.text,
    ),
    case("ui-invalid-utf8", form(b"input=\xff\xfe"), 400),
    case("ui-invalid-percent-utf8", form(b"input=%ff%fe"), 400),
    case("ui-too-many-fields", form("&".join(f"f{i}=x" for i in range(1_000)).encode()), 400),
    case("ui-too-long", form({"input": "x" * 100_000}), 400),
    case("ui-empty", form(b""), 400),
    case(
        "echo-script-stays-json",
        echo(json.dumps({"data": [[0, SCRIPT]]}).encode()),
        200,
        check=answers_json({"data": [[0, f"I said {SCRIPT}"]]}),
    ),
    # paths and methods
    case("wrong-method", http_request("GET", "/echo"), 405, json_error=True),
    case("unknown-path", http_request("POST", "/admin", b"{}"), 404, json_error=True),
]


@dataclass(frozen=True)
class Outcome:
    answer: RawAnswer
    ready_after: int | None
    log: str


@pytest.fixture(scope="module")
def hostile_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    server = start_container(
        tmp_path_factory.mktemp("hostile"), SERVER_MAX_BODY_BYTES=str(MAX_BODY), SERVER_ACCESS_LOG="0"
    )
    yield server
    server.stop()


def healthcheck(server: ServerProcess) -> int | None:
    try:
        return httpx.get(f"{server.base_url}/healthcheck", timeout=5).status_code
    except httpx.TransportError:
        return None


@pytest.fixture(scope="module")
def outcomes(hostile_server: ServerProcess) -> Callable[[Case], Outcome]:
    """Each case sent once, then /healthcheck; later tests read the recorded outcome."""
    seen: dict[str, Outcome] = {}

    def outcome_of(case: Case) -> Outcome:
        if case.id not in seen:
            log_start = len(hostile_server.output())
            answer = exchange(hostile_server.port, case.payload, timeout=10)
            ready = healthcheck(hostile_server)
            seen[case.id] = Outcome(answer, ready, hostile_server.output()[log_start:])
        return seen[case.id]

    return outcome_of


def by_id(cases: list[Case]) -> list:
    return [pytest.param(c, id=c.id) for c in cases]


@pytest.mark.parametrize("case", by_id(CASES))
def test_the_answer_has_the_expected_status(case: Case, outcomes) -> None:
    answer = outcomes(case).answer
    status, expected = answer.status, sorted(case.statuses, key=str)
    assert status in case.statuses, f"{status} (expected {expected}) {answer.note} {answer.body[:300]!r}"


@pytest.mark.parametrize("case", by_id(CASES))
def test_the_answer_is_never_a_5xx(case: Case, outcomes) -> None:
    status, body = outcomes(case).answer.status, outcomes(case).answer.body
    assert status is None or status < 500, body[:300]


@pytest.mark.parametrize("case", by_id(CASES))
def test_the_answer_holds_no_stack_trace_or_file_path(case: Case, outcomes) -> None:
    answer = outcomes(case).answer
    assert leaks_in(answer.body, *answer.headers.values()) == []


@pytest.mark.parametrize("case", by_id([c for c in CASES if c.json_error]))
def test_an_error_the_app_answers_is_a_json_error(case: Case, outcomes) -> None:
    answer = outcomes(case).answer
    if answer.status is None or answer.status < 400:
        pytest.fail(f"no error answer: {answer.status} {answer.note}")
    assert answer.headers.get("content-type") == "application/json"
    document = json.loads(answer.body)
    assert set(document) == {"error"} and isinstance(document["error"], str) and document["error"]


@pytest.mark.parametrize("case", by_id([c for c in CASES if c.check]))
def test_the_answer_says_what_it_should(case: Case, outcomes) -> None:
    case.check(outcomes(case).answer)


@pytest.mark.parametrize("case", by_id(CASES))
def test_the_server_still_answers_the_healthcheck_afterwards(case: Case, outcomes) -> None:
    assert outcomes(case).ready_after == 200


@pytest.mark.parametrize("case", by_id(CASES))
def test_nothing_alarming_is_logged(case: Case, outcomes) -> None:
    assert alarms_in(outcomes(case).log) == []


# --- connection-level abuse -------------------------------------------------------------------------------

HALF_SENT = http_request("POST", "/echo", b'{"data": [[0, "half', JSON, content_length=1_000)


def test_a_client_stalled_mid_body_gets_no_5xx_and_others_are_served_meanwhile(hostile_server: ServerProcess) -> None:
    stalled = open_connection(hostile_server.port, timeout=5)
    try:
        stalled.sendall(HALF_SENT)
        meanwhile = [
            httpx.post(f"{hostile_server.base_url}/echo", json={"data": [[i, f"m{i}"]]}, timeout=5) for i in range(3)
        ]
        meanwhile.append(httpx.get(f"{hostile_server.base_url}/healthcheck", timeout=5))
        heard = received_within(stalled, 1.0)
    finally:
        stalled.close()
    assert [r.status_code for r in meanwhile] == [200, 200, 200, 200]
    assert [r.json() for r in meanwhile[:3]] == [{"data": [[i, f"I said m{i}"]]} for i in range(3)]
    assert not heard.startswith(b"HTTP/1.1 5"), heard[:200]
    assert leaks_in(heard) == []


def test_the_server_is_ready_after_a_stalled_client_gives_up(hostile_server: ServerProcess) -> None:
    log_start = len(hostile_server.output())
    for _ in range(5):
        stalled = open_connection(hostile_server.port, timeout=5)
        stalled.sendall(HALF_SENT)
        time.sleep(0.05)
        stalled.close()
    time.sleep(0.2)
    assert healthcheck(hostile_server) == 200
    answer = httpx.post(f"{hostile_server.base_url}/echo", json={"data": [[0, "after"]]}, timeout=5)
    assert answer.json() == {"data": [[0, "I said after"]]}
    assert alarms_in(hostile_server.output()[log_start:]) == []


@pytest.mark.parametrize("sent", [0, 1, 500, 100_000], ids=lambda n: f"{n}-bytes-of-body")
def test_a_client_gone_mid_body_leaves_the_server_ready_and_quiet(hostile_server: ServerProcess, sent: int) -> None:
    log_start = len(hostile_server.output())
    body = json.dumps({"data": [[n, "x" * 20] for n in range(20_000)]}).encode()
    sock = open_connection(hostile_server.port, timeout=5)
    sock.sendall(http_request("POST", "/echo", body[:sent], JSON, content_length=len(body)))
    sock.close()
    time.sleep(0.1)
    assert healthcheck(hostile_server) == 200
    assert alarms_in(hostile_server.output()[log_start:]) == []


def test_a_client_gone_before_reading_a_big_answer_leaves_the_server_ready_and_quiet(
    hostile_server: ServerProcess,
) -> None:
    log_start = len(hostile_server.output())
    body = json.dumps({"data": [[n, "y" * 30] for n in range(20_000)]}).encode()
    for _ in range(5):
        sock = open_connection(hostile_server.port, timeout=5)
        sock.sendall(http_request("POST", "/echo", body, JSON))
        sock.close()
    time.sleep(0.3)
    assert healthcheck(hostile_server) == 200
    assert alarms_in(hostile_server.output()[log_start:]) == []


def test_the_whole_run_logged_no_traceback(hostile_server: ServerProcess, outcomes) -> None:
    for each in CASES:
        outcomes(each)
    assert alarms_in(hostile_server.output()) == []


def test_a_gzip_body_of_many_tiny_members_does_not_stall_the_server(tmp_path: Path) -> None:
    """100,000 empty gzip members (2 MB, under the default 16 MiB limit): the probe must not wait behind them."""
    server = start_container(tmp_path, SERVER_ACCESS_LOG="0")
    body = gzip.compress(b"", mtime=0) * 100_000
    answered: list[httpx.Response] = []

    def send() -> None:
        headers = {"Content-Type": "application/json", "Content-Encoding": "gzip"}
        answered.append(httpx.post(f"{server.base_url}/echo", content=body, headers=headers, timeout=120))

    sender = threading.Thread(target=send, daemon=True)
    try:
        sender.start()
        time.sleep(0.3)  # the body is on the server by now
        asked = time.monotonic()
        ready = healthcheck(server)
        waited = time.monotonic() - asked
        sender.join(120)
    finally:
        server.stop()
    assert ready == 200
    assert waited < 1.0, f"the readiness probe waited {waited:.1f} s behind one request"
    assert answered and 400 <= answered[0].status_code < 500


# --- limits on headers and on slow uploads ----------------------------------------------------------------


def test_a_header_over_64_kib_is_refused(outcomes) -> None:
    answer = outcomes(next(c for c in CASES if c.id == "very-long-header")).answer
    assert answer.status in (400, 431, CLOSED)


def test_stalled_uploads_do_not_starve_complete_requests(tmp_path: Path) -> None:
    """A body that stops arriving is answered 408 after SERVER_BODY_TIMEOUT_SECONDS, freeing its slot."""
    server = start_container(tmp_path, SERVER_MAX_IN_FLIGHT="2", SERVER_ACCESS_LOG="0", SERVER_BODY_TIMEOUT_SECONDS="1")
    stalled = [open_connection(server.port, timeout=5) for _ in range(2)]
    try:
        for sock in stalled:
            sock.sendall(HALF_SENT)
        time.sleep(0.3)
        deadline = time.monotonic() + 4
        status = None
        while time.monotonic() < deadline and status != 200:
            status = httpx.post(f"{server.base_url}/echo", json={"data": [[0, "a"]]}, timeout=5).status_code
            time.sleep(0.2)
    finally:
        for sock in stalled:
            sock.close()
        server.stop()
    assert status == 200
