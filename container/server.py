"""Uvicorn, configured from the environment, serving the FunctionApp.

Uvicorn: a widely used, well-kept ASGI server with a C HTTP parser (httptools)
and event loop (uvloop), keep-alive, and a graceful shutdown on SIGTERM that lets
in-flight requests finish. With `WEB_CONCURRENCY` > 1, `supervisor` runs one
uvicorn server per worker process on a shared socket. Its connections go through
`container.protocol` (header timeout, connection limit, lingering close, drain);
the port is claimed first (`container.port_guard`): a second server exits 1.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import gc
import logging
import os
import signal
import socket
import sys
from collections.abc import Iterator, Mapping
from types import FrameType

import uvicorn

from .connections import ConnectionGuard, GuardedServerState
from .listening import announce_listening
from .logs import log_config
from .port_guard import PortInUse, claim_port, listening_socket
from .settings import ServerSettings, SettingsError
from .status_counts import STATUS_COUNTS_DIR_VARIABLE

logger = logging.getLogger("container.server")

#: Seconds the supervisor gives its workers beyond the drain and the graceful timeout before it kills them
#: (the application's shutdown flushes telemetry then), and the most it waits: Snowflake kills at 30 s.
STOP_MARGIN_SECONDS = 3.0
STOP_AT_MOST_SECONDS = 29.5


class DrainingServer(uvicorn.Server):
    """On shutdown, close idle connections, then keep accepting and reading for `drain_seconds`.

    From the signal on every answer carries `Connection: close` and idle kept-alive
    connections are closed (a lingering close, see `container.protocol`), before the
    listening socket: a client learns at once not to send there again. Uvicorn closes
    the listening socket and every connection with no request in progress at once: a
    connection still in the accept queue, or a request whose bytes were sent but not yet
    read, would be reset. The drain turns those into requests, which then finish with
    their answer; after it, new connections are refused.
    """

    drain_seconds = 0.5

    def __init__(self, config: uvicorn.Config, connection_limit: int = 1024, header_timeout: float = 30.0) -> None:
        super().__init__(config)
        self.server_state = GuardedServerState(ConnectionGuard(connection_limit, header_timeout))

    def run(self, sockets: list[socket.socket] | None = None) -> None:
        """Serve, starting without the garbage collector (`startup` turns it on again once this listens).

        A worker process of the supervisor is a fresh interpreter that never ran `python -m container`, which
        turns it off for the server of one process: here it is off while each process loads the app.
        """
        gc.disable()
        super().run(sockets)

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        if self.started:
            collect_from_now_on()
            announce_listening()

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        state = self.server_state
        assert isinstance(state, GuardedServerState)
        await state.guard.drain(state.connections)  # type: ignore[arg-type]
        await asyncio.sleep(self.drain_seconds)
        await super().shutdown(sockets)


def collect_from_now_on() -> None:
    """Start-up is over (`python -m container`, or `DrainingServer.run` in a worker process, turned the garbage
    collector off for it): what it made lives as long as the process, so it is frozen, never scanned again, and the
    collector runs from now on."""
    gc.freeze()
    gc.enable()


def uvicorn_config(settings: ServerSettings) -> uvicorn.Config:
    return uvicorn.Config(
        "container.loader:create_app",
        factory=True,
        host=settings.host,
        port=settings.port,
        workers=settings.workers,
        # Named, not "auto": uvicorn then imports the one implementation instead of probing for others
        # (our protocol is uvicorn's httptools one with the connection guard), and no WebSocket protocol at all.
        http="container.protocol:GuardedProtocol",  # imported by each worker process only
        loop="uvloop" if sys.platform != "win32" else "asyncio",  # as container/requirements.txt installs
        ws="none",
        lifespan="on",
        access_log=False,  # our own access log (container.access_log) writes the lines
        log_config=log_config(settings.log_level, settings.log_format),
        timeout_keep_alive=settings.keep_alive_seconds,
        timeout_graceful_shutdown=settings.graceful_timeout_seconds,
        server_header=False,
        proxy_headers=False,
    )


@contextlib.contextmanager
def shared_directory(prefix: str, variable: str, also: Mapping[str, str] | None = None) -> Iterator[str]:
    """An empty directory for the worker processes, named to them in `variable` (with `also` set too).

    The worker processes inherit the environment, a restarted one included. At exit the directory is removed
    and each variable has its previous value again.
    """
    import shutil  # here: a server of one worker process never needs them
    import tempfile

    directory = tempfile.mkdtemp(prefix=prefix)
    values = {variable: directory, **(also or {})}
    previous = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield directory
    finally:
        for name, value in previous.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        shutil.rmtree(directory, ignore_errors=True)


def shared_statistics_directory() -> contextlib.AbstractContextManager[str]:
    """The directory the worker processes share their timer statistics through.

    The timer extension finds it in `TIMER_MULTIPROCESS_DIR` and writes a file
    per process there, so `/latency` and `/metrics` add up every process's
    invocations, those of a worker that died included. The run's identity and
    clock (`TIMER_RUN`, set here once) tell the processes of this run from any
    other and give them one wall-clock minute.
    """
    from python_worker_extension_timer.run import RUN_ENV_VAR, SHARED_DIR_ENV_VAR, new_run_value

    return shared_directory("timer-statistics-", SHARED_DIR_ENV_VAR, {RUN_ENV_VAR: new_run_value()})


def run(settings: ServerSettings) -> int:
    config = uvicorn_config(settings)
    try:
        claim = claim_port(settings.host, settings.port)
    except PortInUse as error:
        print(f"error: {error}; stop that server or choose another SERVER_PORT", file=sys.stderr)
        return 1
    server_class = functools.partial(
        DrainingServer, connection_limit=settings.connection_limit, header_timeout=settings.header_timeout_seconds
    )
    try:
        if settings.workers == 1:
            sock = listening_socket(settings.host, settings.port, config.backlog, reuse_port=False)
            server = server_class(config)
            logger.info("serving on http://%s:%d with one worker process", settings.host, settings.port)
            with sock:
                server.run(sockets=[sock])
            return 0 if server.started else 3
        from .supervisor import Supervisor  # here: one worker process needs no supervisor (nor multiprocessing)

        collect_from_now_on()  # the supervisor's start is over; its worker processes start afresh
        stop_timeout = min(
            DrainingServer.drain_seconds + settings.graceful_timeout_seconds + STOP_MARGIN_SECONDS, STOP_AT_MOST_SECONDS
        )
        # The timer's statistics only where the timer is installed (`container` imports it first when it is).
        merge = settings.merge_latency and "python_worker_extension_timer" in sys.modules
        statistics = shared_statistics_directory() if merge else contextlib.nullcontext()
        with statistics, shared_directory("server-status-counts-", STATUS_COUNTS_DIR_VARIABLE):
            return Supervisor(config, server_class, settings.workers, stop_timeout).run()
    except PortInUse as error:  # the claim held, yet a listening socket could not bind
        print(f"error: {error}", file=sys.stderr)
        return 1
    finally:
        if claim is not None:
            claim.close()


def _exit_cleanly(signum: int, frame: FrameType | None) -> None:
    """After its graceful shutdown uvicorn raises the signal again; end with status 0 instead."""
    raise SystemExit(0)


def main() -> int:
    try:
        settings = ServerSettings.from_environ()
    except SettingsError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    signal.signal(signal.SIGTERM, _exit_cleanly)
    return run(settings)
