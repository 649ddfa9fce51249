"""The real function_app in a process whose wall clock is stepped by the test, as NTP or a resumed VM would.

`time.time` and `time.time_ns` return the real wall clock plus the number of seconds in the file named by
`TIMER_TEST_WALL_STEP_FILE` (0 when missing), read at each call; the monotonic clocks are not touched. A
worker process started after the test wrote a step sees a wall clock that far from its siblings' start.
"""

import os
import time
from pathlib import Path

STEP_FILE = Path(os.environ["TIMER_TEST_WALL_STEP_FILE"])
_real_time, _real_time_ns = time.time, time.time_ns


def _step_seconds() -> int:
    try:
        return int(STEP_FILE.read_text().strip() or 0)
    except (OSError, ValueError):
        return 0


time.time = lambda: _real_time() + _step_seconds()
time.time_ns = lambda: _real_time_ns() + _step_seconds() * 1_000_000_000

from function_app import app  # noqa: E402, F401  (what the server serves)
