"""An ASGI request (scope + body) to the `azure.functions.HttpRequest` a function gets."""

from __future__ import annotations

import zlib
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl

import azure.functions as func

from .errors import BadRequest, PayloadTooLarge, UnsupportedMediaType

MAX_GZIP_MEMBERS = 64  # real clients send one; many tiny members would make inflating slow


class RequestConverter:
    """Builds `HttpRequest` objects as the Functions host hands them to the worker.

    Header names are lower-cased and repeated headers joined with ", "; the
    query string becomes `params` (the last value of a repeated name wins);
    a `Content-Encoding: gzip` body is inflated, up to `max_body_bytes`.
    """

    def __init__(self, max_body_bytes: int) -> None:
        self.max_body_bytes = max_body_bytes

    def convert(self, scope: Mapping[str, Any], body: bytes, route_params: Mapping[str, str]) -> func.HttpRequest:
        headers = _headers(scope["headers"])
        encoding = headers.pop("content-encoding", "").strip().lower()
        if encoding:
            body = self.decode_body(encoding, body)
            headers["content-length"] = str(len(body))
        query = scope.get("query_string", b"").decode("latin-1")
        return func.HttpRequest(
            method=scope["method"],
            url=_url(scope, headers, query),
            headers=headers,
            params=dict(parse_qsl(query, keep_blank_values=True)) if query else {},
            route_params=dict(route_params),
            body=body,
        )

    def decode_body(self, encoding: str, body: bytes) -> bytes:
        """Inflate a gzip body, every member of it (RFC 1952 allows several), up to the limit."""
        if encoding == "identity":
            return body
        if encoding not in ("gzip", "x-gzip"):
            raise UnsupportedMediaType(f"Content-Encoding {encoding} is not supported; send gzip or identity")
        inflated = bytearray()
        remaining = body
        for _ in range(MAX_GZIP_MEMBERS):
            inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
            try:
                inflated += inflater.decompress(remaining, self.max_body_bytes + 1 - len(inflated))
                if len(inflated) > self.max_body_bytes or inflater.unconsumed_tail:
                    raise PayloadTooLarge(f"the inflated body is over the limit of {self.max_body_bytes:,} bytes")
                inflated += inflater.flush()
            except zlib.error as error:
                raise BadRequest(f"the gzip body is corrupt: {error}") from None
            if not inflater.eof:
                raise BadRequest("the gzip body is truncated")
            remaining = inflater.unused_data
            if not remaining:
                break
        else:
            raise BadRequest(f"the gzip body has more than {MAX_GZIP_MEMBERS} members")
        if len(inflated) > self.max_body_bytes:
            raise PayloadTooLarge(f"the inflated body is over the limit of {self.max_body_bytes:,} bytes")
        return bytes(inflated)


def _headers(raw: list[tuple[bytes, bytes]]) -> dict[str, str]:
    headers = {name.decode("latin-1").lower(): value.decode("latin-1") for name, value in raw}
    if len(headers) == len(raw):
        return headers
    joined: dict[str, str] = {}  # a name came more than once: join its values, in order
    for name, value in raw:
        key = name.decode("latin-1").lower()
        text = value.decode("latin-1")
        joined[key] = f"{joined[key]}, {text}" if key in joined else text
    return joined


def _url(scope: Mapping[str, Any], headers: Mapping[str, str], query: str) -> str:
    host = headers.get("host")
    if not host:
        server = scope.get("server") or ("localhost", None)
        host = server[0] if server[1] is None else f"{server[0]}:{server[1]}"
    path = scope.get("raw_path", b"").decode("latin-1") or scope["path"]
    path = path.split("?", 1)[0]
    url = f"{scope.get('scheme', 'http')}://{host}{path}"
    return f"{url}?{query}" if query else url
