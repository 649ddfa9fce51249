"""JSON log lines name their severity as Snowflake does: DEBUG, INFO, WARN, ERROR, FATAL."""

from __future__ import annotations

import asyncio
import io
import json
import logging
import logging.config
from collections.abc import Iterator

import pytest

from container.access_log import AccessLog
from container.logs import log_config

SNOWFLAKE_SEVERITIES = {"DEBUG", "INFO", "WARN", "ERROR", "FATAL"}


@pytest.fixture
def json_lines() -> Iterator[tuple[logging.Logger, io.StringIO]]:
    """A logger configured by the server's own dictConfig (JSON format), writing to a buffer."""
    root = logging.getLogger()
    saved = (root.handlers[:], root.level)
    logging.config.dictConfig(log_config("debug", "json"))
    buffer = io.StringIO()
    root.handlers[0].setStream(buffer)  # type: ignore[attr-defined]
    yield logging.getLogger("echo.test"), buffer
    root.handlers[:], root.level = saved[0], saved[1]


@pytest.mark.parametrize(
    "level, severity",
    [
        (logging.DEBUG, "DEBUG"),
        (logging.INFO, "INFO"),
        (logging.WARNING, "WARN"),
        (logging.ERROR, "ERROR"),
        (logging.CRITICAL, "FATAL"),
    ],
)
def test_a_line_carries_snowflakes_severity_name(json_lines, level: int, severity: str) -> None:
    logger, buffer = json_lines
    logger.log(level, "something happened")
    [line] = [json.loads(text) for text in buffer.getvalue().splitlines()]
    assert (line["severity_text"], line["body"]) == (severity, "something happened")


@pytest.mark.parametrize("status, severity", [(200, "INFO"), (404, "WARN"), (429, "WARN"), (503, "ERROR")])
def test_an_access_line_carries_snowflakes_severity_name(status: int, severity: str) -> None:
    written: list[bytes] = []

    async def answer_one() -> None:  # the access log schedules its flush on the running event loop
        log = AccessLog("all", "json", write=written.append)
        log.request({"method": "GET", "path": "/echo", "headers": []}, status, 10, 0.001, "invocation-1")
        log.flush()

    asyncio.run(answer_one())
    [line] = [json.loads(text) for chunk in written for text in chunk.splitlines()]
    assert line["severity_text"] == severity
    assert line["severity_text"] in SNOWFLAKE_SEVERITIES
