"""What one worker process allows its connections: a time for request headers, a number, and a drain.

The connections waiting for a request's headers (new ones, kept-alive idle ones and ones sending their
headers slowly) are kept in the order they began to wait. A sweeper closes those that waited longer than the
header timeout (nginx's `client_header_timeout`); uvicorn has none, so without it a client sending a byte a
second holds a connection forever. When the process holds its connection limit (kept below RLIMIT_NOFILE, so
`accept` never fails with EMFILE), a new connection closes the one that has waited longest, as nginx reuses
its idle connections when `worker_connections` run out; only when every connection is busy with a request is
the new one refused with 503 (the limit of the process, not of the client: Snowflake retries 503 as it does
429). Both are logged, at most one line per LOG_EVERY_SECONDS.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict
from collections.abc import Iterable
from typing import TYPE_CHECKING

from uvicorn.server import ServerState

logger = logging.getLogger("container.connections")

#: At most one log line about the connection limit in this many seconds (the first one at once).
LOG_EVERY_SECONDS = 10.0


if TYPE_CHECKING:  # a type only: defining a Protocol class costs each server start up to half a millisecond
    from typing import Protocol

    class GuardedConnection(Protocol):
        def give_up_waiting(self, reason: str, linger: bool) -> None:
            """Stop waiting for this connection's request: 408 if part of it arrived, else close quietly.

            `linger`: a lingering close (the client reads the 408); else at once (its descriptor is needed now).
            """

        def begin_drain(self) -> None:
            """The server is shutting down: close now if kept alive between requests, else answer with close."""


class ConnectionGuard:
    """The connection limit, the header timeout and the drain flag of one worker process.

    Parameters
    ----------
    limit: int
        Connections the process holds at most (see `container.settings.fd_bound`).
    header_timeout: float
        Seconds a connection may wait for a request's headers, counted from its accept or its last answer.
    """

    def __init__(self, limit: int, header_timeout: float) -> None:
        self.limit = limit
        self.header_timeout = header_timeout
        #: Set at the start of the shutdown: every answer from then on closes its connection.
        self.draining = False
        self._waiting: OrderedDict[GuardedConnection, float] = OrderedDict()
        self._sweeper: asyncio.Task[None] | None = None
        self._closed_for_room = 0
        self._refused = 0
        self._logged_at: float | None = None

    def waiting(self, connection: GuardedConnection) -> None:
        """`connection` waits for a request's headers from now on."""
        loop = asyncio.get_running_loop()
        self._waiting[connection] = loop.time()
        self._waiting.move_to_end(connection)
        if self._sweeper is None:
            self._sweeper = loop.create_task(self._sweep())

    def busy(self, connection: GuardedConnection) -> None:
        """`connection` has a request's headers: no header timeout until its answer."""
        self._waiting.pop(connection, None)

    gone = busy

    def make_room(self) -> bool:
        """At the limit: close the connection that has waited longest; False if none is waiting (all busy)."""
        if not self._waiting:
            self._refused += 1
            self._log_limit()
            return False
        oldest, _ = self._waiting.popitem(last=False)
        self._closed_for_room += 1
        self._log_limit()
        oldest.give_up_waiting(f"the server is at its limit of {self.limit:,} connections", linger=False)
        return True

    async def drain(self, connections: Iterable[GuardedConnection]) -> None:
        """From now on every answer closes its connection; kept-alive connections between requests close now.

        First the event loop reads what has already arrived, so that a request already received is answered.
        """
        self.draining = True
        await asyncio.sleep(0)
        for connection in list(connections):
            connection.begin_drain()

    async def _sweep(self) -> None:
        loop = asyncio.get_running_loop()
        reason = f"the request headers did not arrive within {self.header_timeout:g} s"
        while True:
            await asyncio.sleep(min(1.0, self.header_timeout / 4))
            deadline = loop.time() - self.header_timeout
            while self._waiting:
                connection, since = next(iter(self._waiting.items()))
                if since > deadline:
                    break
                del self._waiting[connection]
                connection.give_up_waiting(reason, linger=True)

    def _log_limit(self) -> None:
        now = time.monotonic()
        if self._logged_at is not None and now - self._logged_at < LOG_EVERY_SECONDS:
            return
        self._logged_at = now
        logger.warning(
            "connection limit of %d reached: %d connections waiting longest for a request closed, "
            "%d new connections refused with 503 (every connection busy)",
            self.limit,
            self._closed_for_room,
            self._refused,
            extra={
                "attributes": {
                    "event": "connection_limit",
                    "limit": self.limit,
                    "closed": self._closed_for_room,
                    "refused": self._refused,
                }
            },
        )
        self._closed_for_room = self._refused = 0


class GuardedServerState(ServerState):
    """Uvicorn's state shared by every connection of a server, with the process's ConnectionGuard."""

    def __init__(self, guard: ConnectionGuard) -> None:
        super().__init__()
        self.guard = guard
