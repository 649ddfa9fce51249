"""The per-minute history stays within the memory bound the readme states."""

from __future__ import annotations

import gc
import re
import tracemalloc
from pathlib import Path

from python_worker_extension_timer.clock import NS_PER_MINUTE, ManualClock, Timebase
from python_worker_extension_timer.function_stats import DEFAULT_HISTORY_MINUTES, FunctionStats
from tests.support.tiers import sized

README = Path(__file__).resolve().parents[2] / "python_worker_extension_timer" / "readme.md"
#: The issue's figure in the full tier; the bound is per function, so 20 prove the same in the fast one.
FUNCTIONS = sized(fast=20, full=100)
#: A busy minute: calls in 150 different buckets (latencies from 1 ms to about 64 ms).
BUCKETS = 150
DURATIONS = [round(1_000_000 * 1.02 ** (1.4 * j)) for j in range(BUCKETS)]


def stated_bound_bytes() -> int:
    """The bound per function the readme states, e.g. ``at most 100 KB per function``."""
    match = re.search(r"at most \*\*(\d+) KB per function\*\*", README.read_text())
    assert match, "the readme states the history's memory bound per function"
    return int(match.group(1)) * 1024


def test_many_functions_with_60_busy_minutes_stay_under_the_bound_the_readme_states():
    clock = ManualClock(start_ns=0)
    timebase = Timebase(clock, wall_ns=lambda: 0)
    tracemalloc.start()
    try:
        functions = [FunctionStats(f"function_{i}", timebase) for i in range(FUNCTIONS)]
        for minute in range(DEFAULT_HISTORY_MINUTES):
            end = minute * NS_PER_MINUTE + 1
            for stats in functions:
                for duration in DURATIONS:
                    stats.record(duration, end_ns=end)
        clock.advance(ns=(DEFAULT_HISTORY_MINUTES - 1) * NS_PER_MINUTE + 2)
        records = [stats.read() for stats in functions]
        del records
        gc.collect()
        used, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    busy = functions[0].read().minutes
    assert len(busy) == DEFAULT_HISTORY_MINUTES and all(t.count == BUCKETS for t in busy.values())
    assert used / FUNCTIONS < stated_bound_bytes()
