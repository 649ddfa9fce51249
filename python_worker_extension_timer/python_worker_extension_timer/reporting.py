"""How a measured duration is reported: log line, Server-Timing, body suffix.

Everything here works on public APIs of ``azure.functions.HttpResponse`` and
the mapping it exposes as ``headers``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from azure.functions import HttpResponse

__all__ = [
    "LOG_FORMAT",
    "SERVER_TIMING",
    "server_timing_entry",
    "split_server_timing",
    "merge_server_timing",
    "set_server_timing",
    "is_text_response",
    "time_elapsed_suffix",
    "append_time_elapsed",
]

#: The per-invocation log line: function name, invocation id, milliseconds.
#: Arguments are passed separately so the message is only formatted when a
#: handler actually emits the record.
LOG_FORMAT = "%s invocation %s took %.3f ms"

SERVER_TIMING = "Server-Timing"


def server_timing_entry(metric: str, duration_ms: float) -> str:
    """One Server-Timing metric, e.g. ``func;dur=12.345``."""
    return "%s;dur=%.3f" % (metric, duration_ms)  # noqa: UP031 - %-formatting: the cheapest way on the per-invocation path


def split_server_timing(value: str) -> list[str]:
    """Split a Server-Timing value into its metrics.

    Commas inside quoted ``desc="..."`` parameters do not split; empty
    metrics are dropped and surrounding blanks trimmed.
    """
    if '"' not in value:
        return [part.strip() for part in value.split(",") if part.strip()]
    parts: list[str] = []
    buf: list[str] = []
    quoted = escaped = False
    for ch in value:
        if quoted:
            buf.append(ch)
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                quoted = False
        elif ch == '"':
            quoted = True
            buf.append(ch)
        elif ch == ",":
            parts.append("".join(buf).strip())
            buf = []
        else:
            buf.append(ch)
    parts.append("".join(buf).strip())
    return [part for part in parts if part]


def _metric_name(metric: str) -> str:
    return metric.split(";", 1)[0].strip()


def merge_server_timing(existing: Iterable[str], metric: str, entry: str) -> str:
    """Merge ``entry`` into existing Server-Timing values.

    All existing values (a response may carry the header more than once)
    are joined into one comma-separated value, because the worker keeps only
    the last value of a repeated header. A metric already named ``metric``
    is replaced in place by ``entry`` (and any further copy dropped);
    otherwise ``entry`` is appended.

    Parameters
    ----------
    existing: Iterable[str]
        The current values of the Server-Timing header.
    metric: str
        The metric name this extension owns (``func`` by default).
    entry: str
        The new metric, as made by :func:`server_timing_entry`.
    """
    merged: list[str] = []
    replaced = False
    for value in existing:
        for part in split_server_timing(value):
            if _metric_name(part) == metric:
                if not replaced:
                    merged.append(entry)
                    replaced = True
            else:
                merged.append(part)
    if not replaced:
        merged.append(entry)
    return ", ".join(merged)


def set_server_timing(headers: Any, metric: str, duration_ms: float) -> None:
    """Set our metric on a response's headers, merging with what is there.

    Parameters
    ----------
    headers:
        ``HttpResponse.headers``: a ``werkzeug`` ``Headers`` in current
        ``azure-functions``, a case-insensitive mutable mapping in old ones.
    metric: str
        The metric name, e.g. ``func``.
    duration_ms: float
        The duration, written with three decimals.
    """
    entry = server_timing_entry(metric, duration_ms)
    getlist = getattr(headers, "getlist", None)
    if getlist is not None:
        existing = getlist(SERVER_TIMING) if len(headers) else None  # len() is O(1); most responses have no headers
        if not existing:
            # The common case: one append, no scan-and-replace.
            headers.add(SERVER_TIMING, entry)
            return
    else:
        value = headers.get(SERVER_TIMING)
        existing = [value] if value else []
    headers[SERVER_TIMING] = merge_server_timing(existing, metric, entry)


def _is_text_type(content_type: str) -> bool:
    return content_type.strip().lower().startswith("text/")


def is_text_response(response: HttpResponse) -> bool:
    """Whether the body is text that may safely get a suffix.

    True only when the ``mimetype`` is ``text/*`` and no ``Content-Type``
    header says otherwise (the header wins over ``mimetype`` on the wire).
    JSON, binary and every other type are never touched.
    """
    mimetype = response.mimetype
    if not isinstance(mimetype, str) or not _is_text_type(mimetype):
        return False
    content_type = response.headers.get("Content-Type")
    return content_type is None or _is_text_type(str(content_type))


def time_elapsed_suffix(seconds: float) -> str:
    """The tutorial's body suffix, e.g. `` (TimeElapsed: 0.001234 sec)``."""
    return f" (TimeElapsed: {seconds:.6f} sec)"


class _HeaderPairs:
    """The one part of a mapping that ``HttpResponse.__init__`` uses.

    The constructor only iterates ``headers.items()``. Feeding it the
    original (name, value) pairs keeps repeated headers, which a ``dict``
    copy would collapse.
    """

    __slots__ = ("_pairs",)

    def __init__(self, pairs: list[tuple[str, str]]) -> None:
        self._pairs = pairs

    def items(self) -> Iterator[tuple[str, str]]:
        return iter(self._pairs)


def append_time_elapsed(response: HttpResponse, seconds: float) -> None:
    """Append the TimeElapsed suffix to a text response body, in place.

    ``HttpResponse`` has no public body setter and the body lives in a
    name-mangled private attribute, which this package does not touch: a
    private name may change in any release. Nor can the hook return a new
    response: the worker sends the very object the function returned. So
    the public constructor is run again *on the same object* with the new
    body and every other property read back through public accessors:
    status code, all headers (repeated ones included), mimetype and charset.
    A ``Content-Length`` header, if the function set one, is updated to the
    new length.

    The body is decoded with the response charset and re-encoded after the
    suffix is appended; a body that does not decode raises
    ``UnicodeDecodeError`` and is left unchanged.
    """
    charset = response.charset or "utf-8"
    text = response.get_body().decode(charset) + time_elapsed_suffix(seconds)
    body = text.encode(charset)
    pairs: list[tuple[str, str]] = []
    for name, value in response.headers.items():
        if name.lower() == "content-length":
            value = str(len(body))
        pairs.append((name, value))
    HttpResponse.__init__(
        response,
        body=body,
        status_code=response.status_code,
        headers=_HeaderPairs(pairs),  # type: ignore[arg-type]
        mimetype=response.mimetype,
        charset=response.charset,
    )
