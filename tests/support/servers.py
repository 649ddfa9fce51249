"""Real servers on 127.0.0.1 for the tests: a subprocess, or uvicorn in a thread."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import uvicorn

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until_ready(
    base_url: str, timeout: float, process: subprocess.Popen | None = None, path: str = "/healthcheck"
) -> float:
    """Poll `path` until it answers 200; return the seconds it took."""
    started = time.monotonic()
    deadline = started + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"the server exited with {process.returncode} before it was ready")
        try:
            if httpx.get(f"{base_url}{path}", timeout=0.5).status_code == 200:
                return time.monotonic() - started
        except httpx.TransportError:
            pass
        time.sleep(0.02)
    raise TimeoutError(f"{base_url} was not ready within {timeout} s")


@dataclass
class ServerProcess:
    """A server started as its own process, with its output kept for the assertions."""

    command: Sequence[str]
    env: Mapping[str, str]
    port: int
    cwd: Path = ROOT
    process: subprocess.Popen | None = None
    log_path: Path | None = None
    ready_after: float = field(default=0.0)
    ready_path: str = "/healthcheck"

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, log_path: Path, ready_timeout: float = 15.0) -> ServerProcess:
        self.launch(log_path)
        try:
            self.ready_after = wait_until_ready(self.base_url, ready_timeout, self.process, self.ready_path)
        except Exception:
            self.stop()
            raise RuntimeError(f"server did not start:\n{self.output()}") from None
        return self

    def launch(self, log_path: Path) -> ServerProcess:
        """Start the process and return at once, without a request (see :meth:`start` for one that waits)."""
        self.log_path = log_path
        log = open(log_path, "wb")  # noqa: SIM115 - handed to the server process, closed below
        self.process = subprocess.Popen(
            list(self.command),
            cwd=self.cwd,
            env=dict(self.env),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        return self

    def output(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path and self.log_path.exists() else ""

    def signal(self, signum: int) -> None:
        assert self.process is not None
        os.killpg(self.process.pid, signum)

    def stop(self, timeout: float = 10.0) -> int | None:
        if self.process is None or self.process.poll() is not None:
            return self.process.returncode if self.process else None
        self.signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.signal(signal.SIGKILL)
            return self.process.wait(timeout)


def container_env(**overrides: str) -> dict[str, str]:
    """The environment of a fresh shell plus the server's settings for one test server."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CHARACTER_NAME", "SERVER_", "PYTHON_ENABLE"))}
    env.update({"SERVER_HOST": "127.0.0.1", "WEB_CONCURRENCY": "1", "PYTHONUNBUFFERED": "1"})
    env.update(overrides)
    return env


def container_process(
    command: Sequence[str] | None = None,
    *,
    cwd: Path = ROOT,
    ready_path: str = "/healthcheck",
    python: str | Path = sys.executable,
    **env: str,
) -> ServerProcess:
    """A server process on a free port, not started yet: `command`, or ``python -m container`` run by `python`.

    It runs in `cwd` (an app's folder, where the server looks for ``function_app.py``) and is
    ready when `ready_path` answers 200; `env` is set over :func:`container_env`.
    """
    port = free_port()
    return ServerProcess(
        command or [str(python), "-m", "container"],
        container_env(SERVER_PORT=str(port), **env),
        port,
        cwd=cwd,
        ready_path=ready_path,
    )


def start_container(tmp_path: Path, command: Sequence[str] | None = None, **env: str) -> ServerProcess:
    server = container_process(command, **env)
    return server.start(tmp_path / f"server-{server.port}.log")


class ThreadedServer:
    """An ASGI app on uvicorn in a thread of the test process, so in-process state is visible."""

    def __init__(self, app: Any) -> None:
        self.port = free_port()
        if getattr(app, "access_log", None) is not None:
            app.access_log = None  # in the test process its lines would land in pytest's output
        config = uvicorn.Config(
            app, host="127.0.0.1", port=self.port, lifespan="on", log_level="warning", access_log=False
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> ThreadedServer:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the threaded server did not start")
            time.sleep(0.01)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(10)
