#!/usr/bin/env python3
"""Every benchmark in one run (`make bench`): prints Markdown tables for the README."""

from __future__ import annotations

import datetime
import platform
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
SCRIPTS = [
    "batch_logic.py",
    "timer_overhead.py",
    "timing_modes.py",
    "merging_cost.py",
    "history_cost.py",
    "http_load.py",
    "request_cost.py",
    "startup_memory.py",
    "cold_start.py",
]


def main() -> int:
    print(
        f"## Benchmarks, {datetime.date.today().isoformat()}, Python {platform.python_version()}, {platform.machine()}"
    )
    status = 0
    for script in SCRIPTS:
        print(f"\n<!-- {script} -->", flush=True)
        status |= subprocess.run([sys.executable, str(HERE / script)], cwd=HERE.parent).returncode
    return status


if __name__ == "__main__":
    sys.exit(main())
