"""Settings read from the environment (Azure app settings, container env).

Each is read once per process, at its first use, so the hot path reads no
environment. That is after the worker has applied the app's settings (it does
so before loading `function_app.py`), and a process never sees them change:
Azure restarts the worker when an app setting changes, and a container's
environment is fixed. `reload()` reads them again (for tests).
"""

from __future__ import annotations

import functools
import os

DEFAULT_CHARACTER_NAME = "I"
DEFAULT_MAX_BODY_BYTES = 16 * 1024 * 1024


@functools.cache
def character_name() -> str:
    """Who says the echoed text (`CHARACTER_NAME`).

    Bytes of the environment that are not UTF-8 become U+FFFD rather than breaking every answer.
    """
    name = os.environ.get("CHARACTER_NAME") or DEFAULT_CHARACTER_NAME
    return name if name.isascii() else name.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


@functools.cache
def max_body_bytes() -> int:
    """The largest request body the handlers accept (`ECHO_MAX_BODY_BYTES`)."""
    raw = os.environ.get("ECHO_MAX_BODY_BYTES")
    if not raw:
        return DEFAULT_MAX_BODY_BYTES
    try:
        value = int(raw)
    except ValueError:
        raise ValueError(f"ECHO_MAX_BODY_BYTES must be a whole number of bytes, not {raw!r}") from None
    if value <= 0:
        raise ValueError("ECHO_MAX_BODY_BYTES must be positive")
    return value


def reload() -> None:
    """Forget what was read, so the next use reads the environment again."""
    character_name.cache_clear()
    max_body_bytes.cache_clear()
