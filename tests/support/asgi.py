"""The ASGI `scope` of an HTTP request, as uvicorn hands it to our app."""

from __future__ import annotations

from typing import Any


def http_scope(
    method: str = "POST", path: str = "/echo", headers: list[tuple[bytes, bytes]] | None = None, query: bytes = b""
) -> dict[str, Any]:
    return {
        "type": "http",
        "method": method,
        "path": path,
        "raw_path": path.encode(),
        "query_string": query,
        "headers": headers or [],
        "scheme": "http",
        "server": ("127.0.0.1", 8080),
    }
