"""Several uvicorn server processes, restarted if one dies.

The parent binds one listening socket per worker on the same address with
SO_REUSEPORT, so the kernel spreads new connections evenly over the workers
(with one shared socket, whichever process wakes first takes most of them);
it keeps the sockets, so a restarted worker takes over its predecessor's queue.
On SIGTERM or SIGINT it passes SIGTERM on, so each worker drains and finishes
its in-flight requests, then waits for them and exits 0.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import threading
from collections.abc import Callable
from multiprocessing.process import BaseProcess
from types import FrameType

import uvicorn
from uvicorn._subprocess import get_subprocess

logger = logging.getLogger("container.supervisor")


class Supervisor:
    def __init__(
        self, config: uvicorn.Config, server_class: Callable[[uvicorn.Config], uvicorn.Server], workers: int
    ) -> None:
        self.config = config
        self.server_class = server_class
        self.workers = workers
        self.processes: list[BaseProcess] = []
        self.should_exit = threading.Event()

    def run(self) -> int:
        sockets = [self._listening_socket() for _ in range(self.workers)]
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, self._request_exit)
        self.processes = [self._spawn(sock) for sock in sockets]
        logger.info("started %d worker processes on %s:%s", self.workers, self.config.host, self.config.port)
        while not self.should_exit.wait(0.5):
            for index, process in enumerate(self.processes):
                if not process.is_alive() and not self.should_exit.is_set():
                    logger.warning("worker %s exited with %s; starting another", process.pid, process.exitcode)
                    self.processes[index] = self._spawn(sockets[index])
        for process in self.processes:
            if process.is_alive() and process.pid is not None:
                os.kill(process.pid, signal.SIGTERM)
        for process in self.processes:
            process.join()
        for sock in sockets:
            sock.close()
        logger.info("all workers stopped")
        return 0

    def _listening_socket(self) -> socket.socket:
        family = socket.AF_INET6 if ":" in self.config.host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind((self.config.host, self.config.port))
        sock.listen(self.config.backlog)
        sock.set_inheritable(True)
        return sock

    def _spawn(self, sock: socket.socket) -> BaseProcess:
        process = get_subprocess(self.config, target=self.server_class(self.config).run, sockets=[sock])
        process.start()
        return process

    def _request_exit(self, signum: int, frame: FrameType | None) -> None:
        self.should_exit.set()
