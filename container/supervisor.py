"""Several uvicorn server processes on one listening socket, restarted if one dies.

The parent binds the socket and spawns the workers; on SIGTERM or SIGINT it
passes SIGTERM on, so each worker drains and finishes its in-flight requests,
then waits for them and exits 0.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
from multiprocessing.process import BaseProcess
from types import FrameType
from typing import Callable

import uvicorn
from uvicorn._subprocess import get_subprocess

logger = logging.getLogger("container.supervisor")


class Supervisor:
    def __init__(self, config: uvicorn.Config, server_class: Callable[[uvicorn.Config], uvicorn.Server], workers: int) -> None:
        self.config = config
        self.server_class = server_class
        self.workers = workers
        self.processes: list[BaseProcess] = []
        self.should_exit = threading.Event()

    def run(self) -> int:
        sock = self.config.bind_socket()
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, self._request_exit)
        self.processes = [self._spawn(sock) for _ in range(self.workers)]
        logger.info("started %d worker processes", self.workers)
        while not self.should_exit.wait(0.5):
            for index, process in enumerate(self.processes):
                if not process.is_alive() and not self.should_exit.is_set():
                    logger.warning("worker %s exited with %s; starting another", process.pid, process.exitcode)
                    self.processes[index] = self._spawn(sock)
        for process in self.processes:
            if process.is_alive() and process.pid is not None:
                os.kill(process.pid, signal.SIGTERM)
        for process in self.processes:
            process.join()
        sock.close()
        logger.info("all workers stopped")
        return 0

    def _spawn(self, sock) -> BaseProcess:
        process = get_subprocess(self.config, target=self.server_class(self.config).run, sockets=[sock])
        process.start()
        return process

    def _request_exit(self, signum: int, frame: FrameType | None) -> None:
        self.should_exit.set()
