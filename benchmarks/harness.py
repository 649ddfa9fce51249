"""Shared pieces of the benchmarks: the three servers, wrk, resident memory, tables.

Importing it makes SIGTERM (what `kill` and `timeout` send) stop a benchmark as SIGINT (Ctrl-C) does: both
raise KeyboardInterrupt once, so every `finally` stops its servers, and at exit any server still running is
stopped too. The servers run in sessions of their own (a signal to the benchmark's group does not reach them),
so only this can stop them.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PYTHON = sys.executable


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass(frozen=True)
class ServerKind:
    name: str
    command: Sequence[str]
    env: dict[str, str]


#: The image's configuration (container/Dockerfile's environment): JSON log lines, the access log at its
#: default (on), the timer on, one worker process per CPU (`workers`).
SHIPPED = {"SERVER_LOG_FORMAT": "json", "PYTHON_ENABLE_WORKER_EXTENSIONS": "1"}


#: The bare ASGI echo on uvicorn, our ceiling (no access log, warnings only).
BARE_CEILING = [
    PYTHON,
    "-m",
    "uvicorn",
    "benchmarks.servers.bare_asgi:app",
    "--host",
    "127.0.0.1",
    "--no-access-log",
    "--log-level",
    "warning",
]


def server_kinds(workers: int, with_quiet: bool = False) -> list[ServerKind]:
    """The tutorial-style baseline, ours as shipped, and the bare ceiling (the last two with `workers` processes).

    With `with_quiet`, ours without its access log stands beside ours as shipped.
    """
    uvicorn = [*BARE_CEILING, "--workers", str(workers)]
    ours = [PYTHON, "-m", "container"]
    kinds = [
        ServerKind("tutorial-style (Flask dev server)", [PYTHON, "benchmarks/servers/tutorial_flask.py"], {}),
        ServerKind("ours as shipped (python -m container)", ours, {**SHIPPED, "WEB_CONCURRENCY": str(workers)}),
    ]
    if with_quiet:
        kinds.append(
            ServerKind(
                "ours, access log off", ours, {**SHIPPED, "WEB_CONCURRENCY": str(workers), "SERVER_ACCESS_LOG": "0"}
            )
        )
    kinds.append(ServerKind("bare ASGI ceiling (uvicorn + orjson)", uvicorn, {}))
    return kinds


def _interrupt(signum: int, frame: object) -> None:
    for name in (signal.SIGINT, signal.SIGTERM):  # once: a second signal must not cut the clean-up short
        signal.signal(name, signal.SIG_IGN)
    raise KeyboardInterrupt(f"stopped by {signal.Signals(signum).name}")


def stop_on_sigterm_as_on_sigint() -> None:
    """SIGTERM and SIGINT both unwind the benchmark with KeyboardInterrupt (see the module's docstring)."""
    signal.signal(signal.SIGTERM, _interrupt)
    signal.signal(signal.SIGINT, _interrupt)


stop_on_sigterm_as_on_sigint()

_RUNNING: list[RunningServer] = []


@atexit.register
def _stop_every_server() -> None:
    for server in list(_RUNNING):
        server.stop()


class RunningServer:
    def __init__(self, kind: ServerKind, port: int | None = None) -> None:
        self.kind = kind
        self.port = port or free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith(("SERVER_", "WEB_CONCURRENCY", "CHARACTER"))}
        env.update(kind.env, SERVER_HOST="127.0.0.1", SERVER_PORT=str(self.port), PYTHONPATH=str(ROOT))
        command = list(kind.command)
        if "uvicorn" in command:
            command += ["--port", str(self.port)]
        self.log = tempfile.TemporaryFile()  # noqa: SIM115 - open for the server's lifetime, closed in stop()
        self.started_at = time.monotonic()
        self.process = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True
        )
        _RUNNING.append(self)
        self.ready_after = wait_ready(self.url("/healthcheck"), self.process, self.started_at)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def rss_bytes(self) -> int:
        """Resident memory of the server and its worker processes."""
        pids = [self.process.pid] + children(self.process.pid)
        return sum(rss_of(pid) for pid in pids)

    def stop(self) -> None:
        if self in _RUNNING:
            _RUNNING.remove(self)
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self.log.close()

    def __enter__(self) -> RunningServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def wait_ready(url: str, process: subprocess.Popen, started_at: float, timeout: float = 30) -> float:
    while time.monotonic() - started_at < timeout:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=1) as response:
                if response.status == 200:
                    return time.monotonic() - started_at
        except OSError:
            time.sleep(0.005)
    raise TimeoutError(url)


def children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        with contextlib.suppress(OSError):  # the task ended meanwhile
            found += [int(c) for c in (task / "children").read_text().split()]
    return found + [grand for child in found for grand in children(child)]


def rss_of(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


@dataclass
class WrkResult:
    requests: int
    requests_per_s: float
    p50_ms: float
    p99_ms: float
    errors: int


def wrk(url: str, body: bytes, connections: int, seconds: float, threads: int = 2) -> WrkResult:
    """Drive `url` with wrk POSTing `body`; latency percentiles from wrk's --latency table."""
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed: apt-get install wrk")
    with tempfile.TemporaryDirectory() as folder:
        body_file = Path(folder) / "body.json"
        body_file.write_bytes(body)
        script = Path(folder) / "post.lua"
        script.write_text(
            'wrk.method = "POST"\n'
            'wrk.headers["Content-Type"] = "application/json"\n'
            f'local f = io.open("{body_file}", "rb"); wrk.body = f:read("*all"); f:close()\n'
            "done = function(summary, latency, requests)\n"
            '  io.write(string.format("JSON {\\"p50\\": %d, \\"p99\\": %d, \\"requests\\": %d, '
            '\\"non2xx\\": %d, \\"errors\\": %d}\\n", latency:percentile(50), latency:percentile(99), '
            "summary.requests, summary.errors.status, summary.errors.connect + summary.errors.read + "
            "summary.errors.write + summary.errors.timeout))\n"
            "end\n"
        )
        done = subprocess.run(
            [
                "wrk",
                f"-t{threads}",
                f"-c{connections}",
                f"-d{max(1, round(seconds))}s",
                "--timeout",
                "10s",
                "-s",
                str(script),
                url,
            ],
            capture_output=True,
            text=True,
            check=True,
        )
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", done.stdout).group(1))
    figures = json.loads(done.stdout.split("JSON ", 1)[1].splitlines()[0])
    return WrkResult(
        figures["requests"], rate, figures["p50"] / 1000, figures["p99"] / 1000, figures["errors"] + figures["non2xx"]
    )


def batch_body(rows: int) -> bytes:
    return json.dumps({"data": [[n, f"Hello friend number {n}"] for n in range(rows)]}).encode()


def table(title: str, headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A Markdown table, so the output can be pasted into the README."""
    lines = [f"\n### {title}\n", "| " + " | ".join(headers) + " |", "|" + "|".join(" --- " for _ in headers) + "|"]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def ratio(value: float, baseline: float) -> str:
    return "n/a" if not baseline else f"{value / baseline:.2f}x"
