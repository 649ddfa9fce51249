"""Wait for a condition by polling, not for a fixed time: a test is as quick as the system under it allows."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def eventually(read: Callable[[], T], until: Callable[[T], bool], timeout: float = 10.0, interval: float = 0.02) -> T:
    """Call `read` until `until` holds for what it returned, or `timeout` seconds pass; return the last reading.

    The caller asserts on the reading, so a timeout fails with what was last seen.
    """
    deadline = time.monotonic() + timeout
    value = read()
    while not until(value) and time.monotonic() < deadline:
        time.sleep(interval)
        value = read()
    return value
