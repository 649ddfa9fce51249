#!/usr/bin/env python3
"""Start-up time, import time of function_app, and memory growth under load.

- start-up: process start to the first 200 on /healthcheck (median of 5 starts);
- import: `python -X importtime -c "import function_app"` (cumulative, median of 5);
- memory: resident size after 100,000 requests against after 1,000 (one worker process).
Figures are shown beside the tutorial-style server's, measured in the same run.

    python benchmarks/startup_memory.py [--requests 100000]
"""

from __future__ import annotations

import argparse
import re
import statistics
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.harness import PYTHON, ROOT, RunningServer, batch_body, ratio, server_kinds, table, wrk  # noqa: E402


def startup_seconds(kind, starts: int = 5) -> float:
    times = []
    for _ in range(starts):
        with RunningServer(kind) as server:
            times.append(server.ready_after)
    return statistics.median(times)


def import_ms(module: str, path: str, runs: int = 5) -> float:
    times = []
    for _ in range(runs):
        done = subprocess.run(
            [PYTHON, "-X", "importtime", "-c", f"import {module}"],
            cwd=ROOT / path,
            capture_output=True,
            text=True,
            check=True,
            env={"PYTHONPATH": str(ROOT / path)},
        )
        line = [row for row in done.stderr.splitlines() if re.search(rf"\|\s+{re.escape(module)}$", row)][-1]
        times.append(int(line.split("|")[1]) / 1000)
    return statistics.median(times)


def memory_growth(kind, requests: int) -> tuple[int, int]:
    """RSS after ~1,000 requests and after `requests` requests (the figures wrk reports)."""
    body = batch_body(2)
    with RunningServer(kind) as server:
        done = wrk(server.url("/echo"), body, 16, 1).requests
        while done < 1_000:
            done += wrk(server.url("/echo"), body, 16, 1).requests
        early = server.rss_bytes()
        while done < requests:
            done += wrk(server.url("/echo"), body, 16, 3).requests
        return early, server.rss_bytes()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=100_000)
    args = parser.parse_args()
    tutorial, ours, _ = server_kinds(workers=1)  # ours as shipped, one process
    start = {k.name: startup_seconds(k) for k in (tutorial, ours)}
    imports = {
        "function_app (ours)": import_ms("function_app", "."),
        "tutorial_flask (tutorial-style)": import_ms("tutorial_flask", "benchmarks/servers"),
    }
    memory = {k.name: memory_growth(k, args.requests) for k in (tutorial, ours)}
    base_start = start[tutorial.name]
    print(
        table(
            "Start-up: process start to the first 200 on /healthcheck (median of 5)",
            ["server", "seconds", "vs tutorial"],
            [[name, f"{s:.3f}", ratio(s, base_start)] for name, s in start.items()],
        )
    )
    base_import = imports["tutorial_flask (tutorial-style)"]
    print(
        table(
            "Import time (python -X importtime, cumulative, median of 5)",
            ["module", "ms", "vs tutorial"],
            [[name, f"{ms:.1f}", ratio(ms, base_import)] for name, ms in imports.items()],
        )
    )
    rows = []
    base_growth = memory[tutorial.name][1] - memory[tutorial.name][0]
    for name, (early, late) in memory.items():
        growth = late - early
        rows.append(
            [
                name,
                f"{early / 2**20:.1f}",
                f"{late / 2**20:.1f}",
                f"{growth / 2**20:+.2f}",
                ratio(growth, base_growth) if base_growth > 0 else "n/a",
            ]
        )
    print(
        table(
            f"Resident memory after 1,000 and after {args.requests:,} requests (one process)",
            ["server", "MiB after 1,000", f"MiB after {args.requests:,}", "growth MiB", "growth vs tutorial"],
            rows,
        )
    )


if __name__ == "__main__":
    main()
