"""Uvicorn, configured from the environment, serving the FunctionApp.

Uvicorn: a widely used, well-kept ASGI server with a C HTTP parser (httptools)
and event loop (uvloop), keep-alive, and a graceful shutdown on SIGTERM that lets
in-flight requests finish. With `WEB_CONCURRENCY` > 1, `supervisor` runs one
uvicorn server per worker process on a shared socket.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import os
import signal
import socket
import sys
from collections.abc import Iterator
from types import FrameType

import uvicorn

from .listening import announce_listening
from .logs import log_config
from .settings import STATISTICS_DIR_VARIABLE, ServerSettings, SettingsError


class DrainingServer(uvicorn.Server):
    """On shutdown, keep accepting and reading for `drain_seconds` before uvicorn's own shutdown.

    Uvicorn closes the listening socket and every connection with no request in
    progress at once: a connection still in the accept queue, or a request whose
    bytes were sent but not yet read, would be reset. The drain turns those into
    requests, which then finish with their answer; after it, new connections are refused.
    """

    drain_seconds = 0.5

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        if self.started:
            collect_from_now_on()
            announce_listening()

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        await asyncio.sleep(self.drain_seconds)
        await super().shutdown(sockets)


def collect_from_now_on() -> None:
    """Start-up is over (`python -m container` turned the garbage collector off for it): what it made lives as
    long as the process, so it is frozen, never scanned again, and the collector runs from now on."""
    gc.freeze()
    gc.enable()


def uvicorn_config(settings: ServerSettings) -> uvicorn.Config:
    return uvicorn.Config(
        "container.loader:create_app",
        factory=True,
        host=settings.host,
        port=settings.port,
        workers=settings.workers,
        # Named, not "auto": uvicorn then imports the one implementation instead of probing for others, and
        # no WebSocket protocol at all (no route of ours speaks it).
        http="httptools",
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
def shared_statistics_directory(enabled: bool) -> Iterator[str | None]:
    """An empty directory the worker processes share their timer statistics through, removed at exit.

    The timer extension finds it in `TIMER_MULTIPROCESS_DIR` (inherited by
    every worker process, a restarted one included) and writes a file per
    process there, so `/latency` and `/metrics` add up every process's
    invocations, those of a worker that died included.
    """
    if not enabled:
        yield None
        return
    import shutil  # here: a server of one worker process never needs them
    import tempfile

    directory = tempfile.mkdtemp(prefix="timer-statistics-")
    previous = os.environ.get(STATISTICS_DIR_VARIABLE)
    os.environ[STATISTICS_DIR_VARIABLE] = directory
    try:
        yield directory
    finally:
        if previous is None:
            os.environ.pop(STATISTICS_DIR_VARIABLE, None)
        else:
            os.environ[STATISTICS_DIR_VARIABLE] = previous
        shutil.rmtree(directory, ignore_errors=True)


def run(settings: ServerSettings) -> int:
    config = uvicorn_config(settings)
    if settings.workers == 1:
        server = DrainingServer(config)
        server.run()
        return 0 if server.started else 3
    from .supervisor import Supervisor  # here: one worker process needs no supervisor (nor multiprocessing)

    collect_from_now_on()  # the supervisor's start is over; its worker processes start afresh
    with shared_statistics_directory(settings.merge_latency):
        return Supervisor(config, DrainingServer, settings.workers).run()


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
