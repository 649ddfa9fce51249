"""Several uvicorn server processes, restarted if one dies, stopped within a bound.

The parent binds one listening socket per worker on the same address with
SO_REUSEPORT, so the kernel spreads new connections evenly over the workers
(with one shared socket, whichever process wakes first takes most of them);
it keeps the sockets, so a restarted worker takes over its predecessor's queue.
`container.port_guard` has already made sure no other server listens there.
On SIGTERM or SIGINT it passes SIGTERM on, so each worker drains and finishes
its in-flight requests, then waits for them and exits 0; a worker still running
`stop_timeout` seconds after the signal (hung, or stopped) is killed and the
supervisor exits with status 1.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import threading
import time
from collections.abc import Callable
from multiprocessing.process import BaseProcess
from types import FrameType

import uvicorn
from uvicorn._subprocess import get_subprocess

from .port_guard import listening_socket

logger = logging.getLogger("container.supervisor")

#: The exit status when a worker had to be killed at shutdown.
KILLED_WORKER_STATUS = 1


class Supervisor:
    """Runs `workers` processes of `server_class(config)` until SIGTERM or SIGINT.

    Parameters
    ----------
    stop_timeout: float
        Seconds the workers get, from the signal, to finish; then the rest are killed.
    """

    def __init__(
        self,
        config: uvicorn.Config,
        server_class: Callable[[uvicorn.Config], uvicorn.Server],
        workers: int,
        stop_timeout: float = 30.0,
    ) -> None:
        self.config = config
        self.server_class = server_class
        self.workers = workers
        self.stop_timeout = stop_timeout
        self.processes: list[BaseProcess] = []
        self.should_exit = threading.Event()

    def run(self) -> int:
        sockets = [
            listening_socket(self.config.host, self.config.port, self.config.backlog, reuse_port=True)
            for _ in range(self.workers)
        ]
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, self._request_exit)
        self.processes = [self._spawn(sock) for sock in sockets]
        logger.info("started %d worker processes on %s:%s", self.workers, self.config.host, self.config.port)
        while not self.should_exit.wait(0.5):
            for index, process in enumerate(self.processes):
                if not process.is_alive() and not self.should_exit.is_set():
                    logger.warning("worker %s exited with %s; starting another", process.pid, process.exitcode)
                    self.processes[index] = self._spawn(sockets[index])
        status = self._stop()
        for sock in sockets:
            sock.close()
        return status

    def _stop(self) -> int:
        """SIGTERM to every worker, a join bounded by `stop_timeout`, SIGKILL for the rest."""
        for process in self.processes:
            if process.is_alive() and process.pid is not None:
                os.kill(process.pid, signal.SIGTERM)
        deadline = time.monotonic() + self.stop_timeout
        for process in self.processes:
            process.join(max(0.0, deadline - time.monotonic()))
        hung = [process for process in self.processes if process.is_alive()]
        for process in hung:
            logger.error("worker %s did not stop within %g s of the signal; killing it", process.pid, self.stop_timeout)
            process.kill()
            process.join()
        if hung:
            return KILLED_WORKER_STATUS
        logger.info("all workers stopped")
        return 0

    def _spawn(self, sock: socket.socket) -> BaseProcess:
        process = get_subprocess(self.config, target=self.server_class(self.config).run, sockets=[sock])
        process.start()
        return process

    def _request_exit(self, signum: int, frame: FrameType | None) -> None:
        self.should_exit.set()
