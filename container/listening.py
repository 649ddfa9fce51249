"""The worker process's own start, process start to listening, in its start-up log line and record.

The timer extension keeps each process's start-up record (see
``python_worker_extension_timer.startup``, which this package imports first
where it is installed); the server adds what only it can see: which module is
the app, and the moment it accepts connections, when the process can serve.
"""

from __future__ import annotations

import logging
import os
import sys
from typing import Any

logger = logging.getLogger("container.server")

STARTUP_MODULE = "python_worker_extension_timer.startup"
EXTENSION_MODULE = "python_worker_extension_timer.extension"


def _startup() -> Any:
    """This process's start-up record, or ``None`` where the timer is not installed (nothing is imported here)."""
    module = sys.modules.get(STARTUP_MODULE)
    return None if module is None else module.PROCESS


def app_module_is(name: str) -> None:
    """The app is the module ``name`` (the timer was imported first, before the script's name was set): its
    import's start and end begin and end the app's part of the timeline."""
    startup = _startup()
    if startup is not None:
        startup.app_script_is(name)


def announce_listening() -> None:
    """Mark the start-up record and log one line with the figures, each its own record attribute.

    An app that never imported the timer has no use for its import profiler:
    it stops here instead of at a first timed call that never comes.
    """
    startup = _startup()
    if startup is None:  # an app without the timer: the line still says the worker listens
        logger.info("worker process %d listening", os.getpid())
        return
    startup.listening_now()
    if EXTENSION_MODULE not in sys.modules:
        startup.profiler.stop(startup.slowest)
    record = startup.record()
    origin = record.origin

    def seconds(moment: float | None) -> float | None:
        return None if moment is None or origin is None else round(moment - origin, 6)

    listening = seconds(record.listening)
    attributes = {
        "event": "listening",
        "process.pid": os.getpid(),
        "startup.listening_s": listening,
        "startup.app_loaded_s": seconds(record.app_loaded),
        "startup.timer_imported_s": seconds(record.timer_imported),
        "startup.measured_from": record.measured_from,
    }
    logger.info(
        "worker process %d listening %.3f s after its %s (app loaded after %s s)",
        os.getpid(),
        listening or 0.0,
        record.measured_from,
        "?" if attributes["startup.app_loaded_s"] is None else f"{attributes['startup.app_loaded_s']:.3f}",
        extra={key: value for key, value in attributes.items() if value is not None},  # each its own attribute
    )
