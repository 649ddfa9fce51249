#!/usr/bin/env python3
"""What the per-minute history costs, side by side in one run.

* Per call: ``FunctionStats.record`` (what every invocation adds to the statistics, the
  rest of the hook pair is unchanged) of the package as it was before the history
  (``BASELINE``, taken from git) against the package here, on a manual clock that moves
  1 ms or 100 ms per call, so a minute ends every 60,000 or 600 calls (each end makes the
  finished minute compact). Interleaved rounds, best of each. Goal: at most 1 µs more.
* Reading ``/latency`` (what ``TimerExtension.stats()`` does, and its JSON body) and drawing
  ``/ui/latency`` with 60 busy minutes (1,000 calls each, log-normal around 20 ms) for 6
  functions across 2 processes: this process's statistics read, the other one's file
  parsed and checked (as a reader does), both merged and summarised. Goal: under 20 ms.

    python benchmarks/history_cost.py [--calls 300000] [--rounds 5]
"""

from __future__ import annotations

import argparse
import gc
import importlib
import json
import random
import subprocess
import sys
import tarfile
import tempfile
import time
from io import BytesIO
from pathlib import Path
from types import ModuleType
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "python_worker_extension_timer"))
sys.path.insert(1, str(ROOT))

from benchmarks.harness import table  # noqa: E402
from python_worker_extension_timer.checks import check_record  # noqa: E402
from python_worker_extension_timer.clock import NS_PER_MINUTE, ManualClock, Timebase  # noqa: E402
from python_worker_extension_timer.function_stats import FunctionStats  # noqa: E402
from python_worker_extension_timer.page import render_page  # noqa: E402
from python_worker_extension_timer.run import Run  # noqa: E402
from python_worker_extension_timer.snapshot import MergedView, ProcessRecord  # noqa: E402

#: The last commit before the history: the timer as it was.
BASELINE = "982b0006fe76b188067ef2fe665203be3a277853"
PACKAGE = "python_worker_extension_timer/python_worker_extension_timer"
#: Durations of the calls: log-normal around 20 ms, so they fill many buckets.
_RANDOM = random.Random(3)
DURATIONS = [round(_RANDOM.lognormvariate(16.8, 0.6)) for _ in range(4096)]
FUNCTIONS, MINUTES, CALLS_PER_MINUTE = 6, 60, 1_000
#: The run the processes belong to: begun at wall-clock 0, like their manual clocks.
AT_THE_EPOCH = Run("0" * 32, 0, 0)


def baseline_stats(directory: Path) -> ModuleType | None:
    """The baseline's function_stats module, imported from git as package ``timer_before``; None without git."""
    try:
        archive = subprocess.run(
            ["git", "-C", str(ROOT), "archive", BASELINE, PACKAGE], capture_output=True, check=True
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        return None
    with tarfile.open(fileobj=BytesIO(archive)) as tar:
        tar.extractall(directory, filter="data")
    package = directory / "timer_before"
    (directory / PACKAGE).rename(package)
    (package / "__init__.py").write_text("")  # the modules only: no second TimerExtension
    sys.path.insert(0, str(directory))
    return importlib.import_module("timer_before.function_stats")


def record_ns(stats_class: Any, calls: int, step_ns: int) -> float:
    """ns per ``record`` call, the clock moving ``step_ns`` per call."""
    clock = ManualClock(start_ns=0)
    stats = stats_class("echo", Timebase(clock, wall_ns=lambda: 0))
    ends = range(step_ns, (calls + 1) * step_ns, step_ns)
    durations = (DURATIONS * (calls // len(DURATIONS) + 1))[:calls]
    record = stats.record
    gc.collect()
    gc.disable()
    try:
        started = time.perf_counter_ns()
        for duration, end in zip(durations, ends, strict=True):
            record(duration, False, end)
        elapsed = time.perf_counter_ns() - started
    finally:
        gc.enable()
    assert stats.read().total.count == calls
    return elapsed / calls


def per_call(calls: int, rounds: int) -> None:
    with tempfile.TemporaryDirectory() as directory:
        before = baseline_stats(Path(directory))
        variants = {"with history (60 minutes)": FunctionStats}
        if before is not None:
            variants = {"before the history": before.FunctionStats, **variants}
        rows = []
        for label, step_ns in (("1,000 calls/s (a minute per 60,000 calls)", 1_000_000), ("10 calls/s", 100_000_000)):
            best = dict.fromkeys(variants, float("inf"))
            for _ in range(rounds):
                for name, cls in variants.items():
                    best[name] = min(best[name], record_ns(cls, calls, step_ns))
            now = best["with history (60 minutes)"]
            then = best.get("before the history")
            rows.append(
                [
                    label,
                    "n/a (no git)" if then is None else f"{then:.0f}",
                    f"{now:.0f}",
                    "n/a" if then is None else f"{now - then:+.0f} ns ({now / then:.2f}x)",
                ]
            )
    print(
        table(
            f"Per call: FunctionStats.record, best of {rounds} rounds of {calls:,} calls",
            ["traffic", "before (ns)", "with history (ns)", "difference (goal: at most +1,000 ns)"],
            rows,
        )
    )


def busy_functions(pid: int, count: int = FUNCTIONS) -> dict[str, FunctionStats]:
    """A process's statistics after 60 busy minutes of ``count`` functions (``pid`` varies the durations a little)."""
    clock = ManualClock(start_ns=0)
    timebase = Timebase(clock, wall_ns=lambda: 0)
    functions = {f"function_{i}": FunctionStats(f"function_{i}", timebase) for i in range(count)}
    for minute in range(MINUTES):
        end = minute * NS_PER_MINUTE + 1
        for stats in functions.values():
            for duration in DURATIONS[pid : pid + CALLS_PER_MINUTE]:
                stats.record(duration, False, end)
    clock.advance(ns=(MINUTES - 1) * NS_PER_MINUTE + 2)
    return functions


def record_of(pid: int, functions: dict[str, FunctionStats]) -> ProcessRecord:
    """What the process reads of itself for /latency, or publishes for the others."""
    return ProcessRecord(pid, 0.0, 0.0, 0, {name: stats.read() for name, stats in functions.items()}, "hooks")


def reading(rounds: int) -> None:
    mine = busy_functions(1)
    other_file = record_of(2, busy_functions(2)).to_json()
    now = (MINUTES - 1) * 60 + 30.0

    def latency_json() -> tuple[bytes, dict[str, Any]]:
        view = MergedView([record_of(1, mine), check_record(other_file, AT_THE_EPOCH, now)], now)
        snapshot = view.to_dict("TimerExtension", "bench")
        return json.dumps(snapshot).encode(), snapshot

    body, snapshot = latency_json()
    assert sum(m["calls"] for m in snapshot["functions"]["function_0"]["history"]) == 2 * MINUTES * CALLS_PER_MINUTE
    timings: dict[str, list[float]] = {"GET /latency (merge, summarise, JSON)": [], "GET /ui/latency (and draw)": []}
    for _ in range(rounds):
        started = time.perf_counter()
        latency_json()
        timings["GET /latency (merge, summarise, JSON)"].append(time.perf_counter() - started)
        started = time.perf_counter()
        render_page(latency_json()[1])
        timings["GET /ui/latency (and draw)"].append(time.perf_counter() - started)
    rows = [
        [name, f"{min(values) * 1000:.1f}", f"{sorted(values)[len(values) // 2] * 1000:.1f}"]
        for name, values in timings.items()
    ]
    print(
        table(
            f"Reading {MINUTES} busy minutes × {FUNCTIONS} functions × 2 processes "
            f"(other process's file {len(other_file) / 1024:.0f} KB, /latency body {len(body) / 1024:.0f} KB)",
            ["read", "best (ms, goal < 20)", "median (ms)"],
            rows,
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--calls", type=int, default=300_000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    per_call(args.calls, args.rounds)
    reading(args.rounds)


if __name__ == "__main__":
    main()
