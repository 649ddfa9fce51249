"""The ASGI application: thin glue between the HTTP server and the Gateway.

It refuses oversized headers (431), reads the body up to the limit (413 beyond
it) and within a time limit (408 for a stalled upload), answers 429 with
Retry-After when more requests are in flight than it may take (Snowflake backs
off and retries), and writes the Gateway's Reply. The readiness probe's path is
never refused: a briefly saturated instance must not be taken out of service.

A request refused before its body was read (413, 429, 431) gets a lingering
close, as nginx does it: the rest of the body is read and thrown away, at most
DRAIN_FACTOR times the body limit and within the body timeout, before the answer
is sent. Clients that send the whole body before they read (Python's urllib and
requests) would otherwise get a broken pipe or a reset instead of the answer. A
client that says `Expect: 100-continue` has sent no body yet and is answered at
once; one that announces more than the bound, or keeps sending past it, is
answered and cut off.

Bodies still arriving may hold at most UPLOAD_SHARE of the in-flight slots: a
request that starts reading its body past that share ends the read that began
first with 408, so stalled uploads cannot starve requests whose bodies are in.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from time import perf_counter
from typing import Any

from .access_log import AccessLog
from .errors import HeadersTooLarge, HttpError, PayloadTooLarge, RequestTimeout, TooManyRequests
from .gateway import INVOCATION_ID_KEY, Gateway
from .responses import Reply

#: A refused body is read and thrown away up to this many times the body limit.
DRAIN_FACTOR = 4
#: The share of SERVER_MAX_IN_FLIGHT that requests still reading their bodies may hold.
UPLOAD_SHARE = 0.5

Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]


class EchoServerApp:
    """ASGI 3 app serving a FunctionApp through a Gateway."""

    def __init__(
        self,
        gateway: Gateway,
        max_body_bytes: int,
        max_in_flight: int,
        probe_path: str = "/healthcheck",
        body_timeout_seconds: float = 10.0,
        max_header_bytes: int = 64 * 1024,
        access_log: AccessLog | None = None,
    ) -> None:
        self.gateway = gateway
        self.access_log = access_log if access_log is not None and access_log.enabled else None
        self.max_body_bytes = max_body_bytes
        self.max_in_flight = max_in_flight
        self.probe_path = probe_path.lower()
        self.body_timeout_seconds = body_timeout_seconds
        self.max_header_bytes = max_header_bytes
        self.deadlines = BodyDeadlines(body_timeout_seconds, max(1, int(max_in_flight * UPLOAD_SHARE)))
        self.in_flight = 0
        #: Called at shutdown, after the last request (e.g. flushing telemetry).
        self.on_shutdown: list[Callable[[], None]] = []

    async def __call__(self, scope: dict[str, Any], receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind == "http":
            await self._http(scope, receive, send)
        elif kind == "lifespan":
            await self._lifespan(receive, send)

    async def _http(self, scope: dict[str, Any], receive: Receive, send: Send) -> None:
        started = perf_counter()
        if self.in_flight >= self.max_in_flight and scope["path"].lower() != self.probe_path:
            busy = TooManyRequests("the server is busy; retry shortly", {"Retry-After": "1"})
            reply = self.gateway.reject(await self._linger(scope, receive, busy, 0))
            await write_reply(send, reply)
            self._log(scope, reply, started)
            return
        self.in_flight += 1
        try:
            body = await self._read_body(scope, receive)
            if body is None:  # the client went away mid-body: nothing to answer
                return
            reply = self.gateway.reject(body) if isinstance(body, HttpError) else await self.gateway.handle(scope, body)
            await write_reply(send, reply)
        finally:
            self.in_flight -= 1
        self._log(scope, reply, started)

    def _log(self, scope: dict[str, Any], reply: Reply, started: float) -> None:
        if self.access_log is not None:
            self.access_log.request(
                scope, reply.status, len(reply.body), perf_counter() - started, scope.get(INVOCATION_ID_KEY)
            )

    async def _read_body(self, scope: dict[str, Any], receive: Receive) -> bytes | HttpError | None:
        """The whole body; an HttpError to answer instead of calling the function; None if the client left."""
        limit = self.max_body_bytes
        header_bytes = 0
        for name, value in scope["headers"]:
            header_bytes += len(name) + len(value)
            if name == b"content-length" and value.isdigit() and int(value) > limit:
                return await self._linger(scope, receive, self._too_large(), 0)
        if header_bytes > self.max_header_bytes:
            too_many = HeadersTooLarge(f"the headers are over the limit of {self.max_header_bytes:,} bytes")
            return await self._linger(scope, receive, too_many, 0)
        chunks: list[bytes] = []
        size = 0
        task = self.deadlines.watch()
        try:
            while True:
                message = await receive()
                if message["type"] == "http.disconnect":
                    return None
                chunk = message.get("body", b"")
                size += len(chunk)
                if size > limit:
                    if not message.get("more_body", False):
                        return self._too_large()  # the whole body is in: nothing to throw away
                    self.deadlines.forget(task)
                    return await self._linger(scope, receive, self._too_large(), size)
                chunks.append(chunk)
                if not message.get("more_body", False):
                    break
        except asyncio.CancelledError:
            reason = self.deadlines.expired(task)
            if reason is None:
                raise
            return RequestTimeout(reason, {"Connection": "close"})
        finally:
            self.deadlines.forget(task)
        return chunks[0] if len(chunks) == 1 else b"".join(chunks)

    def _too_large(self) -> PayloadTooLarge:
        return PayloadTooLarge(f"the body is over the limit of {self.max_body_bytes:,} bytes")

    async def _linger(self, scope: dict[str, Any], receive: Receive, error: HttpError, received: int) -> HttpError:
        """Throw away the rest of a refused request's body, within bounds, so the client reads `error`.

        The answer closes the connection unless the whole body was read.
        """
        if not await self._drain(scope, receive, received):
            error.headers = {**error.headers, "Connection": "close"}
        return error

    async def _drain(self, scope: dict[str, Any], receive: Receive, received: int) -> bool:
        """Read and discard the body; True when it ended within DRAIN_FACTOR x the limit and the body timeout."""
        budget = DRAIN_FACTOR * self.max_body_bytes
        announced: int | None = None
        for name, value in scope["headers"]:
            if name == b"expect" and value.lower() == b"100-continue":
                return False  # the client waits for our answer before it sends the body
            if name == b"content-length" and value.isdigit():
                announced = int(value)
        if announced == 0 or (announced is None and not _has_body(scope)):
            return True
        if announced is not None and announced > budget:
            return False  # it would be cut off anyway: answer now
        task = self.deadlines.watch()
        try:
            while received <= budget:
                message = await receive()
                if message["type"] == "http.disconnect":
                    return False
                received += len(message.get("body", b""))
                if not message.get("more_body", False):
                    return received <= budget
            return False
        except asyncio.CancelledError:
            if self.deadlines.expired(task) is None:
                raise
            return False
        finally:
            self.deadlines.forget(task)

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                self.gateway.invoker.shutdown()
                if self.access_log is not None:
                    self.access_log.flush()  # every answered request has its line before the process ends
                for callback in self.on_shutdown:
                    await asyncio.get_running_loop().run_in_executor(None, callback)
                await send({"type": "lifespan.shutdown.complete"})
                return


class BodyDeadlines:
    """Cancels body reads that run past their deadline, or that began first when too many are under way.

    One sweeper task checks a few times per timeout, instead of a timer per
    request: on the hot path a request costs a dict insert and a delete.
    A read that would make more than `capacity` at once ends the oldest one.
    """

    def __init__(self, seconds: float, capacity: int) -> None:
        self.seconds = seconds
        self.capacity = capacity
        self._reading: dict[asyncio.Task[Any], float] = {}
        self._expired: dict[asyncio.Task[Any], str] = {}
        self._sweeper: asyncio.Task[None] | None = None

    def watch(self) -> asyncio.Task[Any]:
        task = asyncio.current_task()
        assert task is not None
        loop = task.get_loop()
        if len(self._reading) >= self.capacity:
            oldest = next(iter(self._reading))
            del self._reading[oldest]
            self._expire(oldest, f"the body arrived too slowly while {self.capacity:,} others were arriving")
        self._reading[task] = loop.time() + self.seconds
        if self._sweeper is None or self._sweeper.done():
            self._sweeper = loop.create_task(self._sweep())
        return task

    def forget(self, task: asyncio.Task[Any]) -> None:
        self._reading.pop(task, None)

    def expired(self, task: asyncio.Task[Any]) -> str | None:
        """Why we cancelled `task`, or None if the cancellation was not ours; if ours, the task goes on (408)."""
        reason = self._expired.pop(task, None)
        if reason is not None and hasattr(task, "uncancel"):
            task.uncancel()
        return reason

    def _expire(self, task: asyncio.Task[Any], reason: str) -> None:
        self._expired[task] = reason
        task.cancel()

    async def _sweep(self) -> None:
        loop = asyncio.get_running_loop()
        reason = f"the body did not arrive within {self.seconds:g} s"
        while self._reading:
            await asyncio.sleep(min(1.0, self.seconds / 4))
            now = loop.time()
            for task, deadline in list(self._reading.items()):
                if deadline <= now:
                    del self._reading[task]
                    self._expire(task, reason)


def _has_body(scope: dict[str, Any]) -> bool:
    """Whether the request announces a body (a positive Content-Length, or chunked)."""
    for name, value in scope["headers"]:
        if name == b"transfer-encoding" and b"chunked" in value.lower():
            return True
        if name == b"content-length":
            return value.strip() not in (b"", b"0")
    return False


async def write_reply(send: Send, reply: Reply) -> None:
    """The reply as ASGI messages, with its Content-Length."""
    headers = reply.headers + [(b"content-length", str(len(reply.body)).encode())]
    await send({"type": "http.response.start", "status": reply.status, "headers": headers})
    await send({"type": "http.response.body", "body": reply.body})
