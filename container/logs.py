"""Log lines on stdout, plain for people or JSON for Snowflake's event table.

Snowpark Container Services reads a container's stdout/stderr; a JSON line with a
`body` key is parsed into columns, so `SERVER_LOG_FORMAT=json` writes one.
"""

from __future__ import annotations

import logging
import traceback
from datetime import datetime, timezone
from typing import Any

import orjson

PLAIN_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class JsonLineFormatter(logging.Formatter):
    """One JSON object per record: timestamp, severity, logger, body (+ exception)."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "timestamp": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds"),
            "severity": record.levelname,
            "logger": record.name,
            "body": record.getMessage(),
        }
        if record.exc_info:
            line["exception"] = "".join(traceback.format_exception(*record.exc_info))
        return orjson.dumps(line, default=str).decode()


def log_config(level: str, log_format: str, access_log: bool) -> dict[str, Any]:
    """A dictConfig sending every logger, uvicorn's too, to stdout in the chosen format."""
    formatter: dict[str, Any] = (
        {"()": "container.logs.JsonLineFormatter"} if log_format == "json" else {"format": PLAIN_FORMAT}
    )
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"line": formatter},
        "handlers": {"stdout": {"class": "logging.StreamHandler", "stream": "ext://sys.stdout", "formatter": "line"}},
        "root": {"handlers": ["stdout"], "level": level.upper()},
        "loggers": {
            "uvicorn": {"level": level.upper()},
            "uvicorn.access": {"level": "INFO" if access_log else "WARNING"},
        },
    }
