#!/usr/bin/env python3
"""Every benchmark in one run (`make bench`): prints Markdown tables for the README.

`python benchmarks/run_all.py [script ...]` runs the named scripts only (`make bench BENCH=http_load.py`).
Stopped by SIGTERM or SIGINT, or when its parent (make) ends, it stops the running script, whose harness then
stops its servers, and exits 130.
"""

from __future__ import annotations

import datetime
import os
import platform
import signal
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from benchmarks.harness import stop_on_sigterm_as_on_sigint  # noqa: E402

SCRIPTS = [
    "batch_logic.py",
    "timer_overhead.py",
    "timing_modes.py",
    "merging_cost.py",
    "storage_cost.py",
    "history_cost.py",
    "page_render.py",
    "http_load.py",
    "request_cost.py",
    "startup_memory.py",
    "cold_start.py",
    "first_answer.py",
    "app_insights_traces.py",
]


def run(script: str) -> int:
    """Run one script; stopped, or orphaned (`kill` ends make but not its recipe), stop the script first."""
    parent = os.getppid()
    child = subprocess.Popen([sys.executable, str(HERE / script)], cwd=HERE.parent)
    try:
        while True:
            try:
                return child.wait(timeout=0.2)
            except subprocess.TimeoutExpired:
                if os.getppid() != parent:
                    raise KeyboardInterrupt("the parent process ended") from None
    except BaseException:
        if child.poll() is None:
            child.send_signal(signal.SIGTERM)
            try:
                child.wait(timeout=60)
            except subprocess.TimeoutExpired:
                child.kill()
        raise


def main(scripts: Sequence[str] = SCRIPTS) -> int:
    stop_on_sigterm_as_on_sigint()
    print(
        f"## Benchmarks, {datetime.date.today().isoformat()}, Python {platform.python_version()}, {platform.machine()}"
    )
    status = 0
    try:
        for script in scripts:
            print(f"\n<!-- {script} -->", flush=True)
            status |= run(script)
    except KeyboardInterrupt as stopped:
        print(f"run_all: {stopped or 'interrupted'}; the running benchmark stopped its servers", file=sys.stderr)
        return 130
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:] or SCRIPTS))
