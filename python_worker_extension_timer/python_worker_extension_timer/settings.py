"""Validated, immutable configuration of the timer extension.

:func:`make_settings` checks every argument of
``TimerExtension.configure()`` and returns an immutable :class:`Settings`. Wrong
types raise :class:`TypeError`, wrong values :class:`ValueError`, each naming
the argument and what was expected. ``bool`` is rejected where an ``int`` is
expected and vice versa, because ``True`` silently meaning ``1`` (or ``1``
meaning ``True``) hides mistakes.
"""

from __future__ import annotations

import logging
import math
import os
import sys
from collections.abc import Mapping

from .clock import NS_PER_SECOND, Clock, default_clock
from .function_stats import DEFAULT_HISTORY_MINUTES, MAX_HISTORY_MINUTES, WINDOW_MINUTES
from .records import Record

__all__ = [
    "Settings",
    "make_settings",
    "DEFAULT_LOGGER_NAME",
    "DEFAULT_LOG_LEVEL",
    "DEFAULT_MAX_AGE_SECONDS",
    "DEFAULT_MAX_IN_FLIGHT",
    "DEFAULT_SLOWEST_IMPORTS",
    "DEFAULT_HISTORY_MINUTES",
    "DEFAULT_JSON_ROUTE",
    "DEFAULT_PAGE_ROUTE",
    "DEFAULT_METRICS_ROUTE",
]

DEFAULT_LOGGER_NAME = "python_worker_extension_timer"
#: The per-invocation line is emitted at DEBUG by default: formatting a log
#: record costs several microseconds, more than all the rest of the
#: extension, and it is only paid when the logger is enabled for DEBUG.
DEFAULT_LOG_LEVEL = logging.DEBUG
DEFAULT_MAX_AGE_SECONDS = 300.0
DEFAULT_MAX_IN_FLIGHT = 10_000
#: How many of the slowest imports a start-up record keeps.
DEFAULT_SLOWEST_IMPORTS = 20
#: The default routes of ``TimerExtension.blueprint()``: one prefix, so that one rule of a gateway or a firewall
#: covers the three.
DEFAULT_JSON_ROUTE = "timer/stats"
DEFAULT_PAGE_ROUTE = "timer/ui"
DEFAULT_METRICS_ROUTE = "timer/metrics"

#: What ``log_level`` accepts.
LogLevel = int | str | None

#: Azure's 4.x worker runs extension hooks only where this is 1/true (and only up to LAST_WITH_HOOKS).
ENABLE_FLAG = "PYTHON_ENABLE_WORKER_EXTENSIONS"
_TRUE_WORDS = frozenset({"1", "true", "t", "yes", "y"})
#: The newest Python whose Azure Functions worker still runs extensions.
LAST_WITH_HOOKS = (3, 12)
THIS_PYTHON = (sys.version_info.major, sys.version_info.minor)


def hooks_run(environ: Mapping[str, str] = os.environ, version_info: tuple[int, ...] = THIS_PYTHON) -> bool:
    """Whether Azure's worker for this Python, with this environment, runs the extension's hooks."""
    return tuple(version_info[:2]) <= LAST_WITH_HOOKS and environ.get(ENABLE_FLAG, "").strip().lower() in _TRUE_WORDS


class Settings(Record):
    """One complete configuration; replaced as a whole, never mutated."""

    append_to_http_response: bool = False
    server_timing: bool = True
    log_level: int | None = DEFAULT_LOG_LEVEL
    logger_name: str = DEFAULT_LOGGER_NAME
    max_age_seconds: float = DEFAULT_MAX_AGE_SECONDS
    max_in_flight: int = DEFAULT_MAX_IN_FLIGHT
    clock: Clock = default_clock
    slowest_imports: int = DEFAULT_SLOWEST_IMPORTS
    history_minutes: int = DEFAULT_HISTORY_MINUTES

    @property
    def max_age_ns(self) -> int:
        """``max_age_seconds`` in nanoseconds (at least 1)."""
        return max(1, round(self.max_age_seconds * NS_PER_SECOND))


def _type_name(value: object) -> str:
    return type(value).__name__


def _check_bool(name: str, value: object) -> bool:
    if not isinstance(value, bool):
        raise TypeError(f"{name} must be a bool (True or False), got {_type_name(value)}: {value!r}")
    return value


def _check_log_level(value: object) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool):
        raise TypeError("log_level must be an int, a level name such as 'INFO', or None; got bool")
    if isinstance(value, int):
        if value < 0:
            raise ValueError(f"log_level must be >= 0, got {value}")
        return value
    if isinstance(value, str):
        # getLevelName() maps a registered name to its number; anything else
        # comes back as the string "Level <name>".
        level = logging.getLevelName(value.strip().upper())
        if not value.strip() or not isinstance(level, int):
            raise ValueError(
                f"log_level {value!r} is not a known logging level name "
                "(use e.g. 'DEBUG', 'INFO', 'WARNING', an int, or None)"
            )
        return level
    raise TypeError(f"log_level must be an int, a level name such as 'INFO', or None; got {_type_name(value)}")


def _check_logger_name(value: object) -> str:
    if not isinstance(value, str):
        raise TypeError(f"logger_name must be a str, got {_type_name(value)}")
    if not value.strip():
        raise ValueError("logger_name must not be empty (the root logger is not allowed)")
    return value


def _check_max_age(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"max_age_seconds must be an int or float, got {_type_name(value)}")
    value = float(value)
    if not math.isfinite(value) or value <= 0:
        raise ValueError(f"max_age_seconds must be a finite number > 0, got {value!r}")
    return value


def _check_max_in_flight(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"max_in_flight must be an int, got {_type_name(value)}")
    if value < 1:
        raise ValueError(f"max_in_flight must be >= 1, got {value}")
    return value


def _check_slowest_imports(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"slowest_imports must be an int, got {_type_name(value)}")
    if not 0 <= value <= 1000:
        raise ValueError(f"slowest_imports must be between 0 and 1000, got {value}")
    return value


def _check_history_minutes(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"history_minutes must be an int, got {_type_name(value)}")
    if not WINDOW_MINUTES + 1 <= value <= MAX_HISTORY_MINUTES:
        raise ValueError(
            f"history_minutes must be from {WINDOW_MINUTES + 1} (the window of the last {WINDOW_MINUTES} minutes "
            f"and the current one) to {MAX_HISTORY_MINUTES} (a day), got {value}"
        )
    return value


def _check_clock(value: object) -> Clock:
    if value is None:
        return default_clock
    if not callable(value):
        raise TypeError(f"clock must be a callable returning int nanoseconds, got {_type_name(value)}")
    sample = value()
    if isinstance(sample, bool) or not isinstance(sample, int):
        raise TypeError(
            f"clock must return int nanoseconds (e.g. time.perf_counter_ns), but it returned {_type_name(sample)}"
        )
    return value


def make_settings(
    *,
    append_to_http_response: bool = False,
    server_timing: bool = True,
    log_level: LogLevel = DEFAULT_LOG_LEVEL,
    logger_name: str = DEFAULT_LOGGER_NAME,
    max_age_seconds: float = DEFAULT_MAX_AGE_SECONDS,
    max_in_flight: int = DEFAULT_MAX_IN_FLIGHT,
    clock: Clock | None = None,
    slowest_imports: int = DEFAULT_SLOWEST_IMPORTS,
    history_minutes: int = DEFAULT_HISTORY_MINUTES,
) -> Settings:
    """Validate the arguments of ``TimerExtension.configure()``.

    Raises
    ------
    TypeError
        An argument has the wrong type.
    ValueError
        An argument has the right type but an invalid value.
    """
    return Settings(
        append_to_http_response=_check_bool("append_to_http_response", append_to_http_response),
        server_timing=_check_bool("server_timing", server_timing),
        log_level=_check_log_level(log_level),
        logger_name=_check_logger_name(logger_name),
        max_age_seconds=_check_max_age(max_age_seconds),
        max_in_flight=_check_max_in_flight(max_in_flight),
        clock=_check_clock(clock),
        slowest_imports=_check_slowest_imports(slowest_imports),
        history_minutes=_check_history_minutes(history_minutes),
    )
