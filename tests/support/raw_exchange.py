"""Hand-built HTTP/1.1 requests over a plain socket, for hostile input a client library would refuse to send.

`http_request(...)` builds the bytes exactly as given (header values may be any bytes, Content-Length may lie
or be absent); `exchange(port, payload)` sends them and reads one answer, or reports that none came.
"""

from __future__ import annotations

import http.client
import socket
from collections.abc import Iterable
from dataclasses import dataclass, field

from tests.support.raw_http import open_connection, read_response

HeaderValue = str | bytes
AUTO = object()  # Content-Length: the real length of the body


@dataclass(frozen=True)
class RawAnswer:
    """One answer: status None means the connection closed, or stayed silent, without one (`note` says which)."""

    status: int | None
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    note: str = ""

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")


def _bytes(value: HeaderValue) -> bytes:
    return value if isinstance(value, bytes) else value.encode("latin-1")


def http_request(
    method: str | bytes,
    target: str | bytes,
    body: bytes = b"",
    headers: Iterable[tuple[HeaderValue, HeaderValue]] = (),
    content_length: object = AUTO,
) -> bytes:
    """The bytes of one request; `content_length=None` sends no Content-Length, an int sends that (lying) one."""
    lines = [_bytes(method) + b" " + _bytes(target) + b" HTTP/1.1", b"Host: 127.0.0.1"]
    if content_length is AUTO:
        lines.append(b"Content-Length: " + str(len(body)).encode())
    elif content_length is not None:
        lines.append(b"Content-Length: " + str(content_length).encode())
    lines += [_bytes(name) + b": " + _bytes(value) for name, value in headers]
    return b"\r\n".join(lines) + b"\r\n\r\n" + body


def chunked(body: bytes, chunk_size: int = 65_536) -> bytes:
    """`body` in Transfer-Encoding: chunked framing."""
    parts = [
        f"{len(body[i : i + chunk_size]):x}".encode() + b"\r\n" + body[i : i + chunk_size] + b"\r\n"
        for i in range(0, len(body), chunk_size)
    ]
    return b"".join(parts) + b"0\r\n\r\n"


def exchange(port: int, payload: bytes, timeout: float = 10.0, method: str = "POST") -> RawAnswer:
    """Send `payload` on a new connection and read one answer (by its Content-Length, not until EOF)."""
    sock = open_connection(port, timeout=timeout)
    try:
        try:
            sock.sendall(payload)
        except OSError as error:  # the server may answer (413) and close before it read everything
            sent_note = f"send stopped: {type(error).__name__}"
        else:
            sent_note = ""
        try:
            status, headers, body = read_response(sock, method)
        except (http.client.HTTPException, OSError) as error:
            return RawAnswer(
                None, note=" ".join(filter(None, [sent_note, f"no answer: {type(error).__name__}: {error}"]))
            )
        return RawAnswer(status, headers, body, sent_note)
    finally:
        sock.close()


def received_within(sock: socket.socket, seconds: float) -> bytes:
    """Whatever the server sends on `sock` within `seconds` (b"" if nothing; stops at EOF)."""
    sock.settimeout(seconds)
    received = b""
    try:
        while True:
            chunk = sock.recv(65_536)
            if not chunk:
                break
            received += chunk
    except TimeoutError:
        pass
    except OSError:
        pass
    return received
