"""Python version support checks."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

__all__ = ["LAST_SUPPORTED", "warn_if_unsupported"]

#: The newest Python whose Azure Functions worker still runs extensions.
LAST_SUPPORTED: tuple[int, int] = (3, 12)

UNSUPPORTED_MESSAGE = (
    "python_worker_extension_timer: on Python {major}.{minor} Azure Functions "
    "uses the azure-functions-runtime worker, which no longer runs worker "
    "extensions, so TimerExtension's hooks are never called there. Decorate "
    "each function with @timed (from python_worker_extension_timer import "
    "timed), under @app.route, to time it on every Python."
)


def warn_if_unsupported(version_info: Sequence[Any]) -> bool:
    """Emit one RuntimeWarning when running on Python 3.13 or newer, pointing to ``@timed``.

    Returns whether a warning was emitted.
    """
    if tuple(version_info[:2]) <= LAST_SUPPORTED:
        return False
    warnings.warn(
        UNSUPPORTED_MESSAGE.format(major=version_info[0], minor=version_info[1]),
        RuntimeWarning,
        stacklevel=3,
    )
    return True
