#!/usr/bin/env python3
"""Cold starts side by side: from exec to the first 200 on `POST /echo`, and the timer's import beside azure.functions'.

1. Each server started fresh, one worker process, timed from the moment it is started to its first 200 on
   `POST /echo` (a connection attempt every 2 ms until one answers), in interleaved rounds so that a slow moment
   of the machine hits every server alike, each from compiled bytecode (a first round, not counted, writes it):
   best and median, the CPU the server used until then (which a busy machine blurs least), and ratios against
   **the floor**: the bare uvicorn echo plus `import azure.functions`, which any server of a Functions app pays.
   `python -c pass` is the interpreter's own start. The FastAPI + pydantic peer runs in a virtual environment
   this benchmark makes once (`.venv/bench-fastapi`, FastAPI is no dependency of ours); without the package
   index it is left out.
2. The timer's import as an adopting app does it (`from python_worker_extension_timer import TimerExtension,
   timed`) in a fresh process after `import azure.functions`, with `-X importtime` (the cumulative figures of its
   outermost imports), best and median of `--imports` processes, beside azure.functions' own. Goal: at most 5 ms.

    python benchmarks/first_answer.py [--rounds 7] [--imports 10]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.harness import PYTHON, ROOT, SHIPPED, free_port, ratio, table  # noqa: E402

FASTAPI_VENV = ROOT / ".venv" / "bench-fastapi"
FASTAPI_PACKAGES = ["fastapi", "uvicorn", "httptools", "uvloop"]
BODY = b'{"data": [[0, "Hello friend"], [1, "Hello World"]]}'
REQUEST = (
    b"POST /echo HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
    b"Content-Length: %d\r\nConnection: close\r\n\r\n%s" % (len(BODY), BODY)
)
FLOOR = "the floor: bare echo + import azure.functions"
UVICORN_ARGS = ["--host", "127.0.0.1", "--no-access-log", "--log-level", "warning"]


def uvicorn(python: str | Path, app: str) -> list[str]:
    return [str(python), "-m", "uvicorn", app, *UVICORN_ARGS]


def fastapi_python() -> Path | None:
    """The peer's interpreter, its environment made on first use; None when it cannot be made (no index)."""
    python = FASTAPI_VENV / "bin" / "python"
    if python.exists():
        return python
    try:
        subprocess.run([PYTHON, "-m", "venv", str(FASTAPI_VENV)], check=True, capture_output=True)
        subprocess.run(
            [str(python), "-m", "pip", "install", "--quiet", *FASTAPI_PACKAGES], check=True, capture_output=True
        )
    except (OSError, subprocess.CalledProcessError) as error:
        output = getattr(error, "stderr", b"") or b""
        print(f"(the FastAPI peer is left out: its environment could not be made: {error} {output.decode()[-500:]})")
        subprocess.run(["rm", "-rf", str(FASTAPI_VENV)], check=False)
        return None
    return python


def cpu_ms(pid: int) -> float:
    """CPU time the process has run so far, every thread (the scheduler's nanoseconds, /proc/<pid>/task/*/schedstat)."""
    total = 0
    for task in Path(f"/proc/{pid}/task").iterdir():
        with contextlib.suppress(OSError, ValueError, IndexError):  # a thread that just ended
            total += int((task / "schedstat").read_text().split()[0])
    return total / 1e6


def first_answer_ms(command: list[str], env: dict[str, str], port: int, timeout: float = 30.0) -> tuple[float, float]:
    """Start `command`, POST /echo until a 200 comes back; milliseconds from the start to it, and of CPU the server
    used until then (what a busy machine blurs least); the server is stopped."""
    started = time.perf_counter()
    process = subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )
    try:
        while time.perf_counter() - started < timeout:
            if process.poll() is not None:
                raise RuntimeError(f"{command} exited with {process.returncode}")
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=5) as connection:
                    connection.sendall(REQUEST)
                    head = connection.recv(64)
                if head.startswith(b"HTTP/1.1 200"):
                    return (time.perf_counter() - started) * 1000, cpu_ms(process.pid)
            except OSError:
                pass
            time.sleep(0.002)
        raise TimeoutError(command)
    finally:
        os.killpg(process.pid, 15)
        process.wait()


def exit_ms(command: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, check=True)
    return (time.perf_counter() - started) * 1000


def servers(fastapi: Path | None) -> dict[str, tuple[list[str], dict[str, str]]]:
    """Each server's command and environment (the port is added per start)."""
    # Bytecode written (PYTHONDONTWRITEBYTECODE dropped) and a first, untimed round: every server then starts from
    # compiled modules, as ours does in the image.
    dropped = ("SERVER_", "WEB_CONCURRENCY", "CHARACTER", "PYTHONDONTWRITEBYTECODE")
    base = {k: v for k, v in os.environ.items() if not k.startswith(dropped)}
    base["PYTHONPATH"] = str(ROOT)
    kinds = {
        "bare uvicorn echo (orjson, no framework)": (uvicorn(PYTHON, "benchmarks.servers.bare_asgi:app"), base),
        FLOOR: (uvicorn(PYTHON, "benchmarks.servers.floor_asgi:app"), base),
    }
    if fastapi is not None:
        kinds["FastAPI + pydantic echo on uvicorn"] = (uvicorn(fastapi, "benchmarks.servers.fastapi_echo:app"), base)
    kinds["ours (python -m container, timer on)"] = (
        [PYTHON, "-m", "container"],
        {**base, **SHIPPED, "WEB_CONCURRENCY": "1"},
    )
    return kinds


def start_table(rounds: int) -> str:
    wall: dict[str, list[float]] = {"`python -c pass`": []}
    cpu: dict[str, list[float]] = {}
    kinds = servers(fastapi_python())
    wall.update({name: [] for name in kinds})
    cpu.update({name: [] for name in kinds})
    for warm in [False] + [True] * rounds:  # the first round compiles what was not yet: not counted
        started = exit_ms([PYTHON, "-c", "pass"])
        if warm:
            wall["`python -c pass`"].append(started)
        for name, (command, env) in kinds.items():
            port = free_port()
            port_args = ["--port", str(port)] if "uvicorn" in command else []
            env = {**env, "SERVER_HOST": "127.0.0.1", "SERVER_PORT": str(port)}
            elapsed, used = first_answer_ms([*command, *port_args], env, port)
            if warm:
                wall[name].append(elapsed)
                cpu[name].append(used)
    floor_best, floor_median = min(wall[FLOOR]), statistics.median(wall[FLOOR])
    floor_cpu = statistics.median(cpu[FLOOR])
    rows = []
    for name, values in wall.items():
        used = statistics.median(cpu[name]) if name in cpu else None
        rows.append(
            [
                name,
                f"{min(values):,.0f}",
                f"{statistics.median(values):,.0f}",
                ratio(min(values), floor_best),
                ratio(statistics.median(values), floor_median),
                "" if used is None else f"{used:,.0f}",
                "" if used is None else ratio(used, floor_cpu),
            ]
        )
    return table(
        f"Exec to the first answer on POST /echo, one worker process ({rounds} interleaved rounds; goal: ours "
        "within 1.10x the floor)",
        ["", "best ms", "median ms", "best vs floor", "median vs floor", "CPU ms (median)", "CPU vs floor"],
        rows,
    )


#: What an adopting app runs: the package, then the class its `function_app.py` configures (its own import).
TIMER_IMPORT = "from python_worker_extension_timer import TimerExtension, timed"


def import_ms(statement: str, after: str) -> float:
    """What `statement` imports, in ms: the -X importtime cumulative times of its outermost imports, summed, in a
    fresh process that imported `after` first (a package whose `__init__` defers a module shows both lines)."""
    mark = "-- the statement begins --"
    done = subprocess.run(
        [PYTHON, "-X", "importtime", "-c", f"import {after}, sys\nsys.stderr.write({mark!r} + '\\n')\n{statement}"],
        capture_output=True,
        text=True,
        check=True,
        cwd=tempfile.gettempdir(),  # not the repository, whose project folder would shadow the installed package
    )
    lines = done.stderr.splitlines()
    total = 0
    for line in lines[lines.index(mark) + 1 :]:
        fields = line.split("|")
        if len(fields) == 3 and fields[1].strip().isdigit() and not fields[2].startswith("  "):
            total += int(fields[1])  # an outermost import: nested ones are indented by two spaces per level
    if total == 0:
        raise RuntimeError(f"{statement!r} imported nothing after {after} in the -X importtime output")
    return total / 1000


def import_table(imports: int) -> str:
    functions, timer = [], []
    for _ in range(imports):
        functions.append(import_ms("import azure.functions", "sys"))
        timer.append(import_ms(TIMER_IMPORT, "azure.functions"))
    rows = [
        ["import azure.functions", f"{min(functions):.1f}", f"{statistics.median(functions):.1f}", "1.00x"],
        [
            f"{TIMER_IMPORT}, after it",
            f"{min(timer):.1f}",
            f"{statistics.median(timer):.1f}",
            ratio(min(timer), min(functions)),
        ],
    ]
    return table(
        f"Import in a fresh process, -X importtime cumulative (best and median of {imports}; goal: the timer at "
        "most 5 ms beyond azure.functions)",
        ["statement", "best ms", "median ms", "best vs azure.functions"],
        rows,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--imports", type=int, default=10)
    args = parser.parse_args()
    print(start_table(args.rounds))
    print(import_table(args.imports))


if __name__ == "__main__":
    main()
