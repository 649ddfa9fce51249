#!/usr/bin/env python3
"""CPU time per 2-row request of one server process, and what each part of ours costs.

Each server runs as one process under wrk (16 connections); its CPU time (user +
system, from /proc) is divided by the requests it answered. Unlike requests/s,
this does not depend on how much CPU wrk leaves over. The variants of ours switch
one part off at a time: the difference is what that part costs. Interleaved
rounds; each variant keeps its lowest figure.

    python benchmarks/request_cost.py [--seconds 4] [--rounds 6]
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.harness import (
    BARE_CEILING,
    PYTHON,
    SHIPPED,
    RunningServer,
    ServerKind,
    batch_body,
    children,
    table,
    wrk,
)  # noqa: E402

OURS = [PYTHON, "-m", "container"]
ONE_PROCESS = {"WEB_CONCURRENCY": "1", "SERVER_ACCESS_LOG": "0"}
KINDS = [
    ServerKind("tutorial-style (Flask dev server)", [PYTHON, "benchmarks/servers/tutorial_flask.py"], {}),
    ServerKind("bare ASGI ceiling (uvicorn + orjson)", BARE_CEILING, {}),
    ServerKind("ours, hooks off (@timed times)", OURS, {**ONE_PROCESS, "PYTHON_ENABLE_WORKER_EXTENSIONS": "0"}),
    ServerKind(
        "ours, timer on, no Server-Timing header",
        OURS,
        {
            **ONE_PROCESS,
            "PYTHON_ENABLE_WORKER_EXTENSIONS": "1",
            "FUNCTION_APP": "benchmarks.servers.no_server_timing:app",
        },
    ),
    ServerKind(
        "ours, access log off (timer on, Server-Timing)", OURS, {**ONE_PROCESS, "PYTHON_ENABLE_WORKER_EXTENSIONS": "1"}
    ),
    ServerKind("ours as shipped (JSON access log)", OURS, {**SHIPPED, "WEB_CONCURRENCY": "1"}),
]


def cpu_seconds(pids: list[int]) -> float:
    ticks = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        ticks += int(fields[11]) + int(fields[12])  # utime, stime
    return ticks / os.sysconf("SC_CLK_TCK")


def cpu_per_request(kind: ServerKind, body: bytes, seconds: float) -> float:
    with RunningServer(kind) as server:
        pids = [server.process.pid, *children(server.process.pid)]
        wrk(server.url("/echo"), body, 16, 1)  # warm-up
        before = cpu_seconds(pids)
        result = wrk(server.url("/echo"), body, 16, seconds)
        return (cpu_seconds(pids) - before) / result.requests


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=4)
    parser.add_argument("--rounds", type=int, default=6)
    args = parser.parse_args()
    body = batch_body(2)
    best: dict[str, float] = {}
    for _ in range(args.rounds):
        for kind in KINDS:
            cost = cpu_per_request(kind, body, args.seconds)
            best[kind.name] = min(best.get(kind.name, cost), cost)
    tutorial, ceiling = best[KINDS[0].name], best[KINDS[1].name]
    rows = [
        [name, f"{cost * 1e6:,.1f}", f"{cost / tutorial:.3f}x", f"{cost / ceiling:.2f}x"] for name, cost in best.items()
    ]
    print(
        table(
            f"CPU per 2-row request, one process, 16 connections (lowest of {args.rounds} rounds)",
            ["server", "CPU µs per request", "vs tutorial", "vs bare ceiling"],
            rows,
        )
    )


if __name__ == "__main__":
    main()
