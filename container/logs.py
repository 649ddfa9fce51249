"""Log lines on stdout, plain for people or JSON for Snowflake's event table.

Snowpark Container Services reads a container's stdout/stderr; a JSON line with a
`body` key is stored as a structured record, keeping only Snowflake's keys
(`timestamp`, `severity_text`, `body`, `attributes`), so that is all we write.
"""

from __future__ import annotations

import logging
import traceback
from datetime import datetime, timezone
from typing import Any

import orjson

PLAIN_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"

#: Python's level names as Snowflake names severities (DEBUG, INFO, WARN, ERROR, FATAL): its event
#: table and log views filter and count by these words, so WARNING and CRITICAL would stand apart.
SNOWFLAKE_SEVERITY = {"WARNING": "WARN", "CRITICAL": "FATAL"}


def severity_of(level_name: str) -> str:
    """The severity_text of a line at Python level `level_name` (NOTSET and custom levels pass as they are)."""
    return SNOWFLAKE_SEVERITY.get(level_name, level_name)


#: What every LogRecord has, and what `Formatter.format` adds: anything else on a record came as `extra`.
_RECORD_ITSELF = frozenset(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) | {"message", "asctime"}
#: Extras that only repeat the message (uvicorn adds a coloured copy of its own).
_NOT_FIELDS = frozenset({"color_message"})


def extra_fields(record: logging.LogRecord) -> dict[str, Any]:
    """The record's `extra` keys (`logger.info(..., extra={"startup.init_s": 1.2})`): one attribute each.

    A dict passed as `extra={"attributes": {...}}` is spread out too.
    """
    fields: dict[str, Any] = {}
    for key, value in record.__dict__.items():
        if key in _RECORD_ITSELF or key in _NOT_FIELDS:
            continue
        if key == "attributes" and isinstance(value, dict):
            fields.update(value)
        else:
            fields[key] = value
    return fields


class JsonLineFormatter(logging.Formatter):
    """One JSON object per record: timestamp, severity_text, body, attributes (logger, extras, exception)."""

    def format(self, record: logging.LogRecord) -> str:
        attributes: dict[str, Any] = {"logger": record.name}
        attributes.update(extra_fields(record))
        if record.exc_info:
            attributes["exception"] = "".join(traceback.format_exception(*record.exc_info))
        line = {
            "timestamp": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds"),
            "severity_text": severity_of(record.levelname),
            "body": record.getMessage(),
            "attributes": attributes,
        }
        return orjson.dumps(line, default=str).decode()


def log_config(level: str, log_format: str) -> dict[str, Any]:
    """A dictConfig sending every logger, uvicorn's too, to stdout in the chosen format.

    The access lines do not go through `logging`: see `container.access_log`.
    """
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
            "uvicorn.access": {"level": "WARNING"},
        },
    }
