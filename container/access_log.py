"""One access line per request, formatted in the ASGI layer and written in batches by the event loop.

No `logging.LogRecord`, formatter or handler lock per request: a line is built
with one f-string (plain) or one `orjson.dumps` (JSON), appended to a buffer,
and the event loop writes the buffer to stdout every FLUSH_SECONDS (or sooner
when it fills). The worker processes share stdout, so every single `write`
holds whole lines and at most PIPE_BUF (4,096) bytes: the kernel then never
splits or interleaves it with another process's write. A line is at most
MAX_LINE_BYTES: the path and header values are cut short first. At shutdown
the buffer is written out (the server calls `flush`, and so does `atexit`), so
every answered request has its line; a crash loses at most FLUSH_SECONDS of
lines.

JSON lines carry only the keys Snowflake's event table keeps (`timestamp`,
`severity_text`, `body`, `attributes`); the attributes name the request, the
answer, the invocation id and, when Snowflake sent them, the query and batch
ids, so a failed query can be traced to its batches.
"""

from __future__ import annotations

import asyncio
import atexit
import os
import time
from collections.abc import Callable, Iterable
from typing import Any

import orjson

from container.logs import severity_of

PIPE_BUF = 4096
MAX_LINE_BYTES = PIPE_BUF
#: Characters kept of the path and of each Snowflake header. JSON escapes a character in at most
#: 6 bytes, so a line stays under MAX_LINE_BYTES: 256 + 2 x 128 + 64 (the body's path) characters.
MAX_PATH_CHARS = 256
MAX_VALUE_CHARS = 128
MAX_BODY_PATH_CHARS = 64
FLUSH_SECONDS = 0.2
FLUSH_BYTES = 64 * 1024

QUERY_ID_HEADER = b"sf-external-function-current-query-id"
BATCH_ID_HEADER = b"sf-external-function-query-batch-id"
# The severity of a line by its status: 5xx, 4xx, the rest, in Snowflake's words.
_ERROR, _WARN, _INFO = severity_of("ERROR"), severity_of("WARNING"), severity_of("INFO")

#: What `SERVER_ACCESS_LOG` may say: every request, only 4xx/5xx ones, or none.
ALL, FAILURES, OFF = "all", "failures", "off"

Writer = Callable[[bytes], Any]


def _stdout_writer(data: bytes) -> None:
    """Write all of `data` to file descriptor 1 (several writes only if the kernel takes less)."""
    view = memoryview(data)
    while view:
        written = os.write(1, view)
        view = view[written:]


def _text(raw: bytes) -> str:
    """A header value as text: invalid UTF-8 replaced, cut to MAX_VALUE_CHARS."""
    return raw[: MAX_VALUE_CHARS * 4].decode("utf-8", "replace")[:MAX_VALUE_CHARS]


def _printable(text: str) -> str:
    """`text` with what is not printable (a newline among them) escaped as \\uXXXX, so it stays on one line."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else f"\\u{ord(c):04x}" for c in text)


class _Clock:
    """Wall-clock timestamps to the millisecond, the date and time formatted once per second."""

    __slots__ = ("_second", "_prefix")

    def __init__(self) -> None:
        self._second = -1
        self._prefix = ""

    def timestamp(self, now: float) -> str:
        second = int(now)
        if second != self._second:
            self._second = second
            self._prefix = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(second))
        return f"{self._prefix}.{int((now - second) * 1000):03d}+00:00"


class AccessLog:
    """The access lines of one worker process.

    Parameters
    ----------
    mode: str
        ``all``, ``failures`` (status >= 400 only) or ``off``.
    log_format: str
        ``json`` (Snowflake's structured lines) or ``plain``.
    write: Callable[[bytes], Any]
        Writes one chunk of whole lines (default: to stdout).
    """

    def __init__(self, mode: str, log_format: str, write: Writer = _stdout_writer) -> None:
        self.mode = mode
        self.json = log_format == "json"
        self.write = write
        self._lines: list[bytes] = []
        self._size = 0
        self._clock = _Clock()
        self._timer: asyncio.TimerHandle | None = None
        if mode != OFF:
            atexit.register(self.flush)

    @property
    def enabled(self) -> bool:
        return self.mode != OFF

    def request(
        self,
        scope: dict[str, Any],
        status: int,
        response_bytes: int,
        duration_s: float,
        invocation_id: str | None,
    ) -> None:
        """Record one answered request (a no-op when its status is not to be logged)."""
        if self.mode == FAILURES and status < 400:
            return
        line = self._format(scope, status, response_bytes, duration_s, invocation_id)
        self._lines.append(line)
        self._size += len(line)
        if self._size >= FLUSH_BYTES:
            self.flush()
        elif self._timer is None:
            self._timer = asyncio.get_running_loop().call_later(FLUSH_SECONDS, self.flush)

    def flush(self) -> None:
        """Write every buffered line now, in writes of whole lines of at most PIPE_BUF bytes."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        lines, self._lines, self._size = self._lines, [], 0
        for chunk in pack(lines):
            self.write(chunk)

    def _format(
        self, scope: dict[str, Any], status: int, response_bytes: int, duration_s: float, invocation_id: str | None
    ) -> bytes:
        query_id = batch_id = None
        for name, value in scope["headers"]:
            if name == QUERY_ID_HEADER:
                query_id = _text(value)
            elif name == BATCH_ID_HEADER:
                batch_id = _text(value)
        method = scope["method"][:16]
        path = scope["path"][:MAX_PATH_CHARS]
        now = time.time()
        if self.json:
            attributes: dict[str, Any] = {
                "logger": "access",
                "http.request.method": method,
                "url.path": path,
                "http.response.status_code": status,
                "duration_ms": round(duration_s * 1000, 3),
                "http.response.body.size": response_bytes,
                "faas.invocation_id": invocation_id,
            }
            if query_id is not None:
                attributes["snowflake.query_id"] = query_id
            if batch_id is not None:
                attributes["snowflake.batch_id"] = batch_id
            record = {
                "timestamp": self._clock.timestamp(now),
                "severity_text": _ERROR if status >= 500 else _WARN if status >= 400 else _INFO,
                "body": f"{method} {path[:MAX_BODY_PATH_CHARS]} {status}",
                "attributes": attributes,
            }
            line = orjson.dumps(record) + b"\n"
        else:
            extra = ""
            if invocation_id:
                extra += f" invocation={invocation_id}"
            if query_id is not None:
                extra += f" query={_printable(query_id)}"
            if batch_id is not None:
                extra += f" batch={_printable(batch_id)}"
            line = (
                f"{self._clock.timestamp(now)} access {method} {_printable(path)} {status} "
                f"{response_bytes}B {duration_s * 1000:.3f}ms{extra}\n"
            ).encode("utf-8", "replace")
        if len(line) > MAX_LINE_BYTES:  # not with the caps above; but never write a longer line
            return self._format(
                {"method": method, "path": "/...", "headers": ()}, status, response_bytes, duration_s, invocation_id
            )
        return line


def pack(lines: Iterable[bytes], limit: int = PIPE_BUF) -> list[bytes]:
    """Whole lines joined into chunks of at most `limit` bytes (each line is at most `limit`)."""
    chunks: list[bytes] = []
    current: list[bytes] = []
    size = 0
    for line in lines:
        if size + len(line) > limit and current:
            chunks.append(b"".join(current))
            current, size = [], 0
        current.append(line)
        size += len(line)
    if current:
        chunks.append(b"".join(current))
    return chunks
