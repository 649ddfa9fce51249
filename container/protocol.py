"""Uvicorn's httptools protocol, with the header timeout, the connection limit, lingering closes and the drain.

Closing a connection with bytes of the client still unread makes the kernel send a reset, which can destroy
the answer just written, and a client that sent a request on a kept-alive connection as the server closed it
gets a reset instead of a clean end. So every close is a lingering close, as nginx's `lingering_close`: the
server ends its side (FIN) after what it wrote, then reads and throws away what still comes until the client
closes its side or LINGER_SECONDS pass. A request met that way was never read: the client sees a clean end of
stream before any answer and may send it again on a new connection (RFC 9112, 9.3.1 and 9.6).
"""

from __future__ import annotations

import asyncio
from typing import Any

import orjson
from uvicorn.config import Config
from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol
from uvicorn.server import ServerState

from .access_log import AccessLog
from .asgi import write_reply
from .connections import GuardedServerState
from .responses import ResponseWriter
from .status_counts import status_counts

#: How long a closing connection reads and discards what the client still sends.
LINGER_SECONDS = 2.0
#: The access line of an answer written before a request's method and path were known.
_NO_REQUEST: dict[str, Any] = {"method": "-", "path": "-", "headers": ()}
#: The answer on a connection over the limit, once its request's headers are in.
_REFUSED = ResponseWriter().error(
    503, "the server holds all the connections it may; retry shortly", {"Retry-After": "1", "Connection": "close"}
)


class LingeringTransport:
    """A transport whose `close` is a lingering close; everything else is the transport's own.

    ``close()`` writes what is buffered, then the FIN (``write_eof``), keeps reading (the protocol throws the
    bytes away while ``lingering``) and closes when the client closes its side or after LINGER_SECONDS;
    ``is_closing()`` is true from the first ``close()`` on. ``close_now()`` closes at once.
    """

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop) -> None:
        self._transport = transport
        self._loop = loop
        self._timer: asyncio.TimerHandle | None = None
        self.lingering = False
        # the calls of every request, bound once rather than found through __getattr__ each time
        self.write = transport.write
        self.get_extra_info = transport.get_extra_info
        self.pause_reading = transport.pause_reading
        self.resume_reading = transport.resume_reading

    def close(self) -> None:
        if self.lingering or self._transport.is_closing():
            return
        if not self._transport.can_write_eof():
            self._transport.close()
            return
        self.lingering = True
        self._transport.write_eof()  # after everything written before it
        self._transport.resume_reading()
        self._timer = self._loop.call_later(LINGER_SECONDS, self._transport.close)

    def close_now(self) -> None:
        """Close without lingering (a client that is too slow or too many: its late bytes may get a reset)."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._transport.close()

    def is_closing(self) -> bool:
        return self.lingering or self._transport.is_closing()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)


class GuardedProtocol(HttpToolsProtocol):
    """One HTTP/1.1 connection: uvicorn's httptools protocol, kept to the process's ConnectionGuard.

    Uvicorn makes one per accepted connection (``http="container.protocol:GuardedProtocol"``); its server
    state must be a ``GuardedServerState``. What each hook adds to uvicorn's:

    ``connection_made``
        Wraps the transport in a LingeringTransport; past the guard's limit, closes the connection that has
        waited longest for a request, or if every one is busy, answers this one's request 503. The connection
        then waits for a request's headers (the header timeout runs).
    ``on_message_begin`` / ``on_headers_complete``
        The first byte of a request / its whole headers: from then on no header timeout until the answer is
        complete; during the drain the answer carries ``Connection: close``.
    ``on_response_complete``
        A kept-alive connection waits for its next request's headers (the timeout runs again).
    ``data_received``
        Bytes arriving during a lingering close are thrown away.
    ``give_up_waiting``
        Called by the guard (header timeout, or room needed): 408 if part of a request came, then close.
    ``begin_drain`` / ``shutdown``
        The drain's start / uvicorn's shutdown: a connection between requests closes (a lingering close);
        one in the middle of a request is answered with ``Connection: close``.
    ``connection_lost``
        Leaves the guard; a lingering close still pending ends.

    Every error answer written here (408, 503, uvicorn's 400) is counted (``container.status_counts``) and
    has its access line.
    """

    transport: LingeringTransport  # type: ignore[assignment]

    def __init__(
        self,
        config: Config,
        server_state: ServerState,
        app_state: dict[str, Any],
        _loop: asyncio.AbstractEventLoop | None = None,
    ) -> None:
        super().__init__(config, server_state, app_state, _loop)
        assert isinstance(server_state, GuardedServerState), "GuardedProtocol needs a GuardedServerState"
        self.guard = server_state.guard
        self.request_log: AccessLog | None = getattr(self.app, "access_log", None)
        self.request_begun = False  # bytes of a request whose headers are not complete yet

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(LingeringTransport(transport, self.loop))  # type: ignore[arg-type]
        if len(self.connections) > self.guard.limit and not self.guard.make_room():
            self.app = self._refuse  # answered once its headers are in (uvicorn's limit_concurrency does so too)
        self.guard.waiting(self)

    def connection_lost(self, exc: Exception | None) -> None:
        self.guard.gone(self)
        if self.transport is not None:
            self.transport.close_now()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self.transport.lingering:
            return  # a closing connection: thrown away
        super().data_received(data)

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self.request_begun = True

    def on_headers_complete(self) -> None:
        self.request_begun = False
        self.guard.busy(self)
        super().on_headers_complete()
        if self.guard.draining and self.cycle is not None:
            self.cycle.keep_alive = False

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.transport.is_closing() and not self.pipeline:
            self.guard.waiting(self)

    def send_400_response(self, msg: str) -> None:
        super().send_400_response(msg)
        self._record(400, len(msg))

    def give_up_waiting(self, reason: str, linger: bool) -> None:
        if self.transport.lingering and not linger:
            self.transport.close_now()
        if self.transport.is_closing():
            return
        if self.request_begun:
            self._write_error(408, reason)
        if linger:
            self.transport.close()
        else:
            self.transport.close_now()

    def begin_drain(self) -> None:
        """At the start of the drain: a kept-alive connection between requests is closed now (a new one that
        has not sent its first request yet is left to send it, answered with `Connection: close`)."""
        if self.cycle is not None:
            self._close_unless_busy()

    def shutdown(self) -> None:
        """Uvicorn's shutdown, after the listening sockets are closed: every connection between requests closes."""
        if self.request_begun and (self.cycle is None or self.cycle.response_complete):
            self.give_up_waiting("the request headers did not arrive before the server stopped", linger=True)
            return
        self._close_unless_busy()

    def _close_unless_busy(self) -> None:
        if self.cycle is None or self.cycle.response_complete:
            if not self.request_begun:
                self.guard.busy(self)
                self.transport.close()
        else:
            self.cycle.keep_alive = False

    async def _refuse(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        await write_reply(send, _REFUSED)
        self._record(503, len(_REFUSED.body), scope)

    def _write_error(self, status: int, message: str) -> None:
        body = orjson.dumps({"error": message})
        head = [STATUS_LINE[status], b"content-type: application/json\r\n"]
        head += [b"content-length: ", str(len(body)).encode(), b"\r\nconnection: close\r\n\r\n"]
        self.transport.write(b"".join(head) + body)
        self._record(status, len(body))

    def _record(self, status: int, response_bytes: int, scope: dict[str, Any] | None = None) -> None:
        status_counts().add(status)
        if self.request_log is not None:
            self.request_log.request(scope or _NO_REQUEST, status, response_bytes, 0.0, None)
