"""The real function_app on a timer clock the test moves forward, so its calls land in minutes it chooses.

The clock is `time.perf_counter_ns` plus the number of seconds in the file named by
`TIMER_TEST_CLOCK_SHIFT_FILE` (0 when missing); the test only ever increases it.
"""

import os
import time
from pathlib import Path

from function_app import app  # noqa: F401  (what the server serves)
from python_worker_extension_timer import TimerExtension

SHIFT_FILE = Path(os.environ["TIMER_TEST_CLOCK_SHIFT_FILE"])


def shifted_clock() -> int:
    try:
        shift = int(SHIFT_FILE.read_text().strip() or 0)
    except (OSError, ValueError):
        shift = 0
    return time.perf_counter_ns() + shift * 1_000_000_000


TimerExtension.configure(server_timing=True, clock=shifted_clock)
