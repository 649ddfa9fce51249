#!/usr/bin/env python3
"""What merging the timer's statistics across worker processes costs, side by side in one run.

* In process: the hook pair (pre + post) per invocation with the shared-directory
  publisher off and on (its thread writing this process's file every 0.5 s).
  300,000 invocations per round, so each round spans several writes.
* Over HTTP: 2-row batches from wrk, 16 connections, against `python -m container`
  with 2 worker processes, `SERVER_MERGE_LATENCY=0` and `=1`, interleaved rounds.

Each figure is the best of its rounds; the table gives the "on" figure as a ratio
of the "off" figure measured in the same run. Goal: merging costs at most 5 % of
2-row throughput and at most 5 µs per invocation.

    python benchmarks/merging_cost.py [--n 300000] [--rounds 3] [--seconds 5]
"""

from __future__ import annotations

import argparse
import gc
import logging
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import azure.functions as func  # noqa: E402

from benchmarks.harness import RunningServer, ServerKind, batch_body, table, wrk  # noqa: E402
from container.invocation import InvocationContext  # noqa: E402
from python_worker_extension_timer import TimerExtension  # noqa: E402
from python_worker_extension_timer.multiprocess import ENV_VAR  # noqa: E402


def hook_pair_ns(n: int, merging: bool, directory: str) -> float:
    """ns per invocation of the hook pair, with the publisher running or not."""
    state = TimerExtension._state  # the benchmark switches the storage directly
    if state.storage is not None:
        state.storage.stop()
        state.storage = None
    if merging:
        os.environ[ENV_VAR] = directory
    else:
        os.environ.pop(ENV_VAR, None)
    TimerExtension.configure(log_level=None)
    TimerExtension.reset()
    assert (state.storage is not None) == merging
    logger = logging.getLogger("azure_functions_worker.extension.TimerExtension")
    contexts = [InvocationContext("echo", "/app", f"id-{i}") for i in range(n)]
    response = func.HttpResponse("Bob said hello!")
    pre, post = TimerExtension.pre_invocation_app_level, TimerExtension.post_invocation_app_level
    gc.collect()
    gc.disable()
    try:
        t0 = time.perf_counter_ns()
        for context in contexts:
            pre(logger, context, None)
            post(logger, context, None, response)
        elapsed = time.perf_counter_ns() - t0
    finally:
        gc.enable()
    return elapsed / n


def in_process(n: int, rounds: int) -> dict[str, float]:
    best: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as directory:
        for _ in range(rounds):
            for merging in (False, True):
                name = "merging on" if merging else "merging off"
                best[name] = min(best.get(name, float("inf")), hook_pair_ns(n, merging, directory))
        state = TimerExtension._state
        if state.storage is not None:
            state.storage.stop()
    return best


def over_http(seconds: float, rounds: int) -> dict[str, float]:
    base = {"WEB_CONCURRENCY": "2", "SERVER_ACCESS_LOG": "0", "PYTHON_ENABLE_WORKER_EXTENSIONS": "1"}
    kinds = [
        ServerKind(f"merging {state}", [sys.executable, "-m", "container"], {**base, "SERVER_MERGE_LATENCY": flag})
        for state, flag in (("off", "0"), ("on", "1"))
    ]
    body = batch_body(2)
    best: dict[str, float] = {}
    servers = [RunningServer(kind) for kind in kinds]
    try:
        for server in servers:
            wrk(server.url("/echo"), body, 16, 1)
        for _ in range(rounds):
            for server in servers:
                rate = wrk(server.url("/echo"), body, 16, seconds).requests_per_s
                best[server.kind.name] = max(best.get(server.kind.name, 0.0), rate)
    finally:
        for server in servers:
            server.stop()
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=300_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=5)
    args = parser.parse_args()
    hooks = in_process(args.n, args.rounds + 2)
    http = over_http(args.seconds, args.rounds)
    added_us = (hooks["merging on"] - hooks["merging off"]) / 1000
    print(
        table(
            "Merging the statistics across worker processes: cost",
            ["measure", "merging off", "merging on", "on vs off", "goal", "met?"],
            [
                [
                    "hook pair, ns per invocation (in process)",
                    f"{hooks['merging off']:,.0f}",
                    f"{hooks['merging on']:,.0f}",
                    f"{hooks['merging on'] / hooks['merging off']:.3f}x",
                    "at most +5 µs",
                    "yes" if added_us <= 5 else "no",
                ],
                [
                    "2-row batches, requests/s (2 processes, 16 connections)",
                    f"{http['merging off']:,.0f}",
                    f"{http['merging on']:,.0f}",
                    f"{http['merging on'] / http['merging off']:.3f}x",
                    "at least 0.95x",
                    "yes" if http["merging on"] >= 0.95 * http["merging off"] else "no",
                ],
            ],
        )
    )


if __name__ == "__main__":
    main()
