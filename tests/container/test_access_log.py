"""The access log: one whole line per answered request, off the logging hot path, tracing Snowflake's batches."""

from __future__ import annotations

import asyncio
import json
import signal
from collections import Counter
from pathlib import Path

import pytest

from container.access_log import MAX_LINE_BYTES, PIPE_BUF, AccessLog, pack
from container.settings import ServerSettings, SettingsError
from tests.support.servers import ServerProcess, start_container
from tests.support.tiers import sized

REQUESTS, CONNECTIONS = sized(fast=5_000, full=20_000), 32
#: (request line and headers, body): answered 200, 400 and 404.
KINDS = [
    (
        b"POST /echo HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nContent-Length: 25\r\n\r\n",
        b'{"data": [[0, "hello!"]]}',
    ),
    (b"POST /echo HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nContent-Length: 8\r\n\r\n", b"not json"),
    (b"GET /nowhere HTTP/1.1\r\nHost: t\r\n\r\n", b""),
]


async def one_connection(port: int, count: int, offset: int, statuses: Counter) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        for i in range(count):
            head, body = KINDS[(offset + i) % len(KINDS)]
            writer.write(head + body)
            status_line = await reader.readline()
            length = 0
            while (line := await reader.readline()) not in (b"\r\n", b""):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":")[1])
            await reader.readexactly(length)
            statuses[int(status_line.split()[1])] += 1
    finally:
        writer.close()


def load(port: int, requests: int = REQUESTS, connections: int = CONNECTIONS) -> Counter:
    statuses: Counter = Counter()

    async def run() -> None:
        per = requests // connections
        await asyncio.gather(*(one_connection(port, per, c, statuses) for c in range(connections)))

    asyncio.run(run())
    return statuses


def stdout_lines(server: ServerProcess) -> list[bytes]:
    assert server.log_path is not None
    return server.log_path.read_bytes().splitlines()


def access_records(server: ServerProcess) -> list[dict]:
    records = [json.loads(line) for line in stdout_lines(server)]
    return [r for r in records if r["attributes"].get("logger") == "access"]


def json_server(tmp_path: Path, **env: str) -> ServerProcess:
    return start_container(
        tmp_path, WEB_CONCURRENCY="2", SERVER_LOG_FORMAT="json", PYTHON_ENABLE_WORKER_EXTENSIONS="1", **env
    )


def test_under_load_through_two_processes_every_request_has_exactly_one_whole_line(tmp_path: Path) -> None:
    server = json_server(tmp_path)
    try:
        seen = load(server.port)
    finally:
        assert server.stop() == 0
    records = access_records(server)  # json.loads fails on any split or merged line
    answered = Counter(
        r["attributes"]["http.response.status_code"] for r in records if r["attributes"]["url.path"] != "/healthcheck"
    )
    assert sum(seen.values()) == REQUESTS - REQUESTS % CONNECTIONS
    assert answered == seen
    assert set(seen) == {200, 400, 404}


def test_every_request_answered_before_sigterm_has_its_line(tmp_path: Path) -> None:
    server = json_server(tmp_path)
    seen = load(server.port, requests=sized(fast=1_000, full=3_000), connections=16)
    server.signal(signal.SIGTERM)  # at once: the lines still in the buffers must be written at shutdown
    assert server.process is not None and server.process.wait(20) == 0
    answered = Counter(
        r["attributes"]["http.response.status_code"]
        for r in access_records(server)
        if r["attributes"]["url.path"] != "/healthcheck"
    )
    assert answered == seen


@pytest.fixture(scope="module")
def traced(tmp_path_factory: pytest.TempPathFactory) -> ServerProcess:
    """One process, JSON lines, three requests: with Snowflake's ids, hostile ones, and none."""
    server = start_container(tmp_path_factory.mktemp("traced"), SERVER_LOG_FORMAT="json")
    body = b'{"data": [[0, "x"]]}'
    heads = [
        b"sf-external-function-current-query-id: 01b2-query\r\nsf-external-function-query-batch-id: 7-batch\r\n",
        b'sf-external-function-current-query-id: a"b\\c \xff\xfe }{\r\nsf-external-function-query-batch-id: "\r\n',
        b"",
    ]

    async def send() -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
        for extra in heads:
            writer.write(
                b"POST /echo HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
                + extra
                + b"Content-Length: %d\r\n\r\n" % len(body)
                + body
            )
            await reader.readuntil(b"]]}")
        writer.write(b"GET /%0Aforged%22line HTTP/1.1\r\nHost: t\r\n\r\n")
        await reader.readuntil(b"}")
        writer.close()

    asyncio.run(send())
    server.stop()
    return server


def echo_records(server: ServerProcess) -> list[dict]:
    return [r["attributes"] for r in access_records(server) if r["attributes"]["url.path"] == "/echo"]


def test_snowflakes_query_and_batch_ids_are_in_the_attributes_when_sent(traced: ServerProcess) -> None:
    first = echo_records(traced)[0]
    assert (first["snowflake.query_id"], first["snowflake.batch_id"]) == ("01b2-query", "7-batch")
    assert first["faas.invocation_id"]


def test_without_snowflakes_headers_the_ids_are_absent(traced: ServerProcess) -> None:
    assert "snowflake.query_id" not in echo_records(traced)[2]
    assert "snowflake.batch_id" not in echo_records(traced)[2]


def test_hostile_header_values_stay_inside_their_attribute(traced: ServerProcess) -> None:
    hostile = echo_records(traced)[1]
    assert hostile["snowflake.query_id"] == 'a"b\\c \ufffd\ufffd }{'
    assert hostile["snowflake.batch_id"] == '"'


def test_a_path_with_a_newline_stays_on_its_line(traced: ServerProcess) -> None:
    [forged] = [r for r in access_records(traced) if r["attributes"]["http.response.status_code"] == 404]
    assert forged["attributes"]["url.path"] == '/\nforged"line'
    assert all(line.startswith(b"{") for line in stdout_lines(traced))


def test_the_failures_only_mode_logs_exactly_the_4xx_and_5xx_answers(tmp_path: Path) -> None:
    server = json_server(tmp_path, SERVER_ACCESS_LOG="failures")
    try:
        seen = load(server.port, requests=600, connections=6)
    finally:
        server.stop()
    logged = Counter(r["attributes"]["http.response.status_code"] for r in access_records(server))
    assert logged == Counter({status: n for status, n in seen.items() if status >= 400})


def test_the_plain_format_is_one_readable_line(tmp_path: Path) -> None:
    server = start_container(tmp_path, SERVER_LOG_FORMAT="plain")
    load(server.port, requests=3, connections=1)
    server.stop()
    lines = [line.decode() for line in stdout_lines(server) if b" access " in line]
    assert len([line for line in lines if "/healthcheck" not in line]) == 3
    assert any(" access POST /echo 200 " in line and " invocation=" in line for line in lines)


@pytest.mark.parametrize(
    "value, mode",
    [("true", "all"), ("1", "all"), ("false", "off"), ("0", "off"), ("failures", "failures"), ("", "all")],
)
def test_server_access_log_values(value: str, mode: str) -> None:
    assert ServerSettings.from_environ({"SERVER_ACCESS_LOG": value}).access_log == mode


def test_an_unknown_access_log_value_is_refused() -> None:
    with pytest.raises(SettingsError, match="failures"):
        ServerSettings.from_environ({"SERVER_ACCESS_LOG": "sometimes"})


@pytest.mark.parametrize("log_format", ["json", "plain"])
def test_no_line_is_longer_than_pipe_buf_whatever_the_request(log_format: str) -> None:
    written: list[bytes] = []
    huge = "é\n\u2028" * 5000
    scope = {
        "method": "POST",
        "path": "/" + huge,
        "headers": [
            (b"sf-external-function-current-query-id", huge.encode()),
            (b"sf-external-function-query-batch-id", b"\xff" * 50_000),
        ],
    }

    async def record() -> None:
        log = AccessLog("all", log_format, written.append)
        log.request(scope, 200, 10, 0.001, "id")
        log.flush()

    asyncio.run(record())
    [line] = written
    assert len(line) <= MAX_LINE_BYTES and line.endswith(b"\n") and line.count(b"\n") == 1


def test_writes_are_whole_lines_of_at_most_pipe_buf_bytes() -> None:
    lines = [b"x" * n + b"\n" for n in (10, 4000, 95, 3000, 1000, 4095, 1)]
    chunks = pack(lines)
    assert all(len(chunk) <= PIPE_BUF for chunk in chunks)
    assert b"".join(chunks) == b"".join(lines)
    assert all(chunk.endswith(b"\n") for chunk in chunks)


def test_lines_still_buffered_are_written_when_the_app_shuts_down() -> None:
    import function_app
    from container.loader import build_app
    from tests.support.asgi import http_scope

    written: list[bytes] = []
    app = build_app(ServerSettings(access_log="off"), function_app.app, Path(function_app.__file__).parent)
    app.access_log = AccessLog("all", "json", written.append)

    async def lifespan_then_one_request() -> None:
        shutdown = asyncio.Event()
        messages = iter([{"type": "lifespan.startup"}])

        async def lifespan_receive() -> dict:
            try:
                return next(messages)
            except StopIteration:
                await shutdown.wait()
                return {"type": "lifespan.shutdown"}

        async def ignore(message: dict) -> None:
            pass

        lifespan = asyncio.create_task(app({"type": "lifespan"}, lifespan_receive, ignore))
        body = {"type": "http.request", "body": b'{"data": [[0, "x"]]}', "more_body": False}

        async def receive() -> dict:
            return body

        await app(http_scope(headers=[(b"content-type", b"application/json")]), receive, ignore)
        assert written == []  # buffered: the flush timer has not fired yet
        shutdown.set()
        await lifespan

    asyncio.run(lifespan_then_one_request())
    assert len(written) == 1 and b'"url.path":"/echo"' in written[0]
