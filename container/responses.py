"""A function's return value to the status, headers and body the client receives.

No `from __future__ import annotations`: `Reply` is a named tuple, which compiles string annotations when it is
defined, at every server start.
"""

from typing import Any, NamedTuple

import azure.functions as func
import orjson


class Reply(NamedTuple):
    """What goes on the wire: status, header pairs, body (a tuple: one is made per request)."""

    status: int
    headers: list[tuple[bytes, bytes]]
    body: bytes


class ResponseWriter:
    """Converts as the Python worker's HTTP converter does.

    Content-Type defaults to the mimetype, with `; charset=` for text/* types;
    header names are case-insensitive and a repeated one keeps its last value,
    as the worker passes a dict to the host; every Set-Cookie is kept.
    """

    def from_function(self, returned: Any) -> Reply:
        if isinstance(returned, func.HttpResponse):
            return self._from_http_response(returned)
        if isinstance(returned, str):
            return self.text(200, returned)
        if returned is None:
            return Reply(204, [], b"")
        raise TypeError(f"an HTTP function returned {type(returned).__name__}; return an HttpResponse or str")

    def error(self, status: int, message: str, headers: dict[str, str] | None = None, **extra: Any) -> Reply:
        body = orjson.dumps({"error": message, **extra})
        pairs = [(b"content-type", b"application/json")]
        pairs += [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in (headers or {}).items()]
        return Reply(status, pairs, body)

    def text(self, status: int, text: str) -> Reply:
        return Reply(status, [(b"content-type", b"text/plain; charset=utf-8")], text.encode("utf-8"))

    def _from_http_response(self, response: func.HttpResponse) -> Reply:
        headers: dict[str, str] = {}
        cookies: list[tuple[bytes, bytes]] = []
        pairs_of = getattr(response.headers, "to_wsgi_list", None)  # werkzeug's Headers: a plain list, fast
        for name, value in pairs_of() if pairs_of is not None else response.headers.items():
            key = name.lower()
            if key == "set-cookie":
                cookies.append((b"set-cookie", value.encode("latin-1")))
            elif key != "content-length":  # the server writes the length of the body it sends
                headers[key] = value
        if "content-type" not in headers:
            mimetype = response.mimetype or "text/plain"
            headers["content-type"] = (
                f"{mimetype}; charset={response.charset}" if mimetype.startswith("text/") else mimetype
            )
        pairs = [(k.encode("latin-1"), str(v).encode("latin-1")) for k, v in headers.items()]
        if cookies:
            pairs += cookies
        return Reply(int(response.status_code), pairs, response.get_body() or b"")
