"""The worker process's own start, process start to listening, in its start-up log line and record.

The timer extension keeps each process's start-up record (see
``python_worker_extension_timer.startup``); the server adds the moment it
accepts connections, which only it can see.
"""

from __future__ import annotations

import logging
import os

logger = logging.getLogger("container.server")


def announce_listening() -> None:
    """Mark the start-up record and log one line with the figures, each its own record attribute."""
    try:
        from python_worker_extension_timer.startup import PROCESS
    except ImportError:  # an app without the timer: the line still says the worker listens
        logger.info("worker process %d listening", os.getpid())
        return
    PROCESS.listening_now()
    record = PROCESS.record()
    origin = record.origin
    since = "process start" if record.process_started is not None else "timer import"

    def seconds(moment: float | None) -> float | None:
        return None if moment is None or origin is None else round(moment - origin, 6)

    listening = seconds(record.listening)
    attributes = {
        "event": "listening",
        "process.pid": os.getpid(),
        "startup.listening_s": listening,
        "startup.app_loaded_s": seconds(record.app_loaded),
        "startup.timer_imported_s": seconds(record.timer_imported),
        "startup.measured_from": since,
    }
    logger.info(
        "worker process %d listening %.3f s after its %s (app loaded after %s s)",
        os.getpid(),
        listening or 0.0,
        since,
        "?" if attributes["startup.app_loaded_s"] is None else f"{attributes['startup.app_loaded_s']:.3f}",
        extra={key: value for key, value in attributes.items() if value is not None},
    )
