#!/usr/bin/env python3
"""Drawing the latency page: today's renderer against the one before the overview, side by side in one run.

The statistics of 20 functions × 60 busy minutes (1,000 calls each) × 2 processes, each
process with a start-up record (20 slowest imports, 12 package imports), are read once into
the ``stats()`` dict; then both renderers draw the page from it, interleaved, best and median
of the rounds. The renderer before is the page package as of ``BASELINE`` (taken from git and
imported under another name beside today's). The time is the drawing thread's CPU time
(``time.thread_time``), so that other work on a shared machine does not count; wall-clock
time is shown beside it. Goal: today's page under 30 ms.

    python benchmarks/page_render.py [--rounds 20]
"""

from __future__ import annotations

import argparse
import importlib
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Callable
from io import BytesIO
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "python_worker_extension_timer"))
sys.path.insert(1, str(ROOT))

from benchmarks.harness import table  # noqa: E402
from benchmarks.history_cost import MINUTES, busy_functions, record_of  # noqa: E402
from python_worker_extension_timer.import_profile import ImportEntry, ImportProfile, PackageImport  # noqa: E402
from python_worker_extension_timer.page import render_page  # noqa: E402
from python_worker_extension_timer.snapshot import MergedView, ProcessRecord  # noqa: E402
from python_worker_extension_timer.startup import FirstCall, StartupRecord  # noqa: E402

#: The page as the issue that moved it into the package left it: one block per function, no overview.
BASELINE = "522ea1998b1100e53977d6b48339996f511b8e5c"
PAGE = "python_worker_extension_timer/python_worker_extension_timer/page"
FUNCTIONS = 20
GOAL_MS = 30.0


def baseline_renderer(directory: Path) -> Callable[..., str] | None:
    """``render_page`` of the page package at ``BASELINE``, imported as ``page_before``; None without git."""
    try:
        archive = subprocess.run(["git", "-C", str(ROOT), "archive", BASELINE, PAGE], capture_output=True, check=True)
    except (OSError, subprocess.CalledProcessError):
        return None
    with tarfile.open(fileobj=BytesIO(archive.stdout)) as tar:
        tar.extractall(directory, filter="data")
    (directory / PAGE).rename(directory / "page_before")
    sys.path.insert(0, str(directory))
    module = importlib.import_module("page_before")
    return module.render_page  # type: ignore[no-any-return]


def startup_of(pid: int) -> StartupRecord:
    """A start-up as our server's processes record it: server imports, the app's, listening, a first call."""
    origin = 1000.0 + pid
    imports = ImportProfile(
        state="finished",
        slowest=[ImportEntry(f"module_{n}", 30.0 - n, 40.0 - n) for n in range(20)],
        rest_count=250,
        rest_self_ms=120.0,
        total_ms=600.0,
        modules=270,
        packages=[PackageImport(f"package_{n}", 20.0 * n, 100.0 - 5 * n) for n in range(12)],
    )
    return StartupRecord(
        process_started=origin,
        timer_imported=origin + 0.05,
        app_import_started=origin + 0.3,
        app_loaded=origin + 0.4,
        listening=origin + 0.41,
        ready=origin + 0.41,
        ready_by="listening",
        first_call="function_0",
        first_calls={"function_0": FirstCall(origin + 2.0, origin + 2.001, 1.0)},
        imports=imports,
        modules_before_timer=40,
    )


def snapshot() -> dict[str, Any]:
    now = (MINUTES - 1) * 60 + 30.0
    processes = []
    for pid in (1, 2):
        record = record_of(pid, busy_functions(pid, FUNCTIONS))
        processes.append(ProcessRecord(**{**record.__dict__, "startup": startup_of(pid)}))
    stats = MergedView(processes, now).to_dict("TimerExtension", "bench")
    assert len(stats["functions"]) == FUNCTIONS and len(stats["functions"]["function_0"]["history"]) == MINUTES
    return stats


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    stats = snapshot()
    own = ("function_18", "function_19")
    with tempfile.TemporaryDirectory() as directory:
        before = baseline_renderer(Path(directory))
        renderers: dict[str, Callable[[], str]] = {
            "today (overview first)": lambda: render_page(stats, own_functions=own)
        }
        if before is not None:
            renderers = {"before (one block per function)": lambda: before(stats), **renderers}
        timings: dict[str, list[float]] = {name: [] for name in renderers}
        walls: dict[str, list[float]] = {name: [] for name in renderers}
        for _ in range(args.rounds):  # interleaved, so a slow moment of the machine hits both
            for name, draw in renderers.items():
                started, wall = time.thread_time(), time.perf_counter()
                draw()
                timings[name].append((time.thread_time() - started) * 1000)
                walls[name].append((time.perf_counter() - wall) * 1000)
        sizes = {name: len(draw()) for name, draw in renderers.items()}
    base = min(timings.get("before (one block per function)", [float("nan")]))
    rows = [
        [
            name,
            f"{min(values):.1f}",
            f"{statistics.median(values):.1f}",
            f"{min(walls[name]):.1f}",
            f"{sizes[name] / 1024:.0f}",
            "n/a (no git)" if base != base else f"{min(values) / base:.2f}x",
        ]
        for name, values in timings.items()
    ]
    print(
        table(
            f"Drawing /ui/latency for {FUNCTIONS} functions × {MINUTES} busy minutes × 2 processes "
            f"(best and median of {args.rounds}, interleaved; goal: today under {GOAL_MS:.0f} ms)",
            ["renderer", "best CPU ms", "median CPU ms", "best wall ms", "page KB", "best vs before"],
            rows,
        )
    )


if __name__ == "__main__":
    main()
