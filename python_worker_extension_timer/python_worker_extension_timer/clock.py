"""Monotonic nanosecond clocks.

The extension never reads the time directly: it calls a *clock*, a
zero-argument callable returning an ``int`` count of nanoseconds from an
arbitrary but fixed origin. Only differences between two readings of the same
clock are meaningful.

The default is :func:`time.perf_counter_ns` (monotonic, highest available
resolution, no float rounding). Tests and simulations inject a
:class:`ManualClock` through ``TimerExtension.configure(clock=...)`` to make
durations exact and eviction by age deterministic.

A clock may also say where it stands on the wall clock: an attribute
``wall_offset_ns`` (wall-clock nanoseconds minus its reading, a constant).
:class:`ManualClock` has one, so an injected clock fixes the wall-clock
minutes too and no test depends on when it runs. The default clock takes
the offset of the server run (:mod:`.run`), the same in every worker process.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

__all__ = [
    "Clock",
    "NS_PER_MS",
    "NS_PER_SECOND",
    "NS_PER_MINUTE",
    "ManualClock",
    "MANUAL_WALL_START_NS",
    "Timebase",
    "default_clock",
]

#: The type of a clock: returns monotonic nanoseconds as ``int``.
Clock = Callable[[], int]

NS_PER_MS = 1_000_000
NS_PER_SECOND = 1_000_000_000
NS_PER_MINUTE = 60 * NS_PER_SECOND

#: Where a :class:`ManualClock`'s wall clock starts by default: 2026-01-01T00:00:00Z.
MANUAL_WALL_START_NS = 1_767_225_600 * NS_PER_SECOND

#: The clock used when none is configured.
default_clock: Clock = time.perf_counter_ns


class Timebase:
    """Maps readings of a monotonic clock to wall-clock time.

    Statistics are kept per wall-clock minute so that the minutes of several
    worker processes line up when they are merged. The offset between the
    clock and the wall clock is fixed once: the wall clock's reading minus
    the clock's when ``wall_ns`` is given, else ``offset_ns`` when given (the
    server run's, for the default clock: ``CLOCK_MONOTONIC`` on Linux, shared
    by all processes of a machine, so every process files a call in the same
    minute whenever it started, and a later step of the wall clock moves
    every process's minutes alike: not at all), else the clock's own
    ``wall_offset_ns`` when it has one (:class:`ManualClock`), else
    ``time.time_ns()`` minus the clock's reading, now.

    Parameters
    ----------
    clock: Clock
        The monotonic clock whose readings are mapped.
    wall_ns: Callable[[], int], optional
        A wall clock in nanoseconds since the epoch to take the offset from.
    offset_ns: int, optional
        The offset itself.
    """

    __slots__ = ("clock", "offset_ns")

    def __init__(self, clock: Clock, wall_ns: Callable[[], int] | None = None, offset_ns: int | None = None) -> None:
        self.clock = clock
        own = getattr(clock, "wall_offset_ns", None)
        if wall_ns is not None:
            self.offset_ns = wall_ns() - clock()
        elif offset_ns is not None:
            self.offset_ns = offset_ns
        elif isinstance(own, int):
            self.offset_ns = own
        else:
            self.offset_ns = time.time_ns() - clock()

    def wall_ns(self, clock_ns: int) -> int:
        """Nanoseconds since the epoch at the clock reading ``clock_ns``."""
        return clock_ns + self.offset_ns

    def minute_of(self, clock_ns: int) -> int:
        """The wall-clock minute (minutes since the epoch) of a clock reading."""
        return (clock_ns + self.offset_ns) // NS_PER_MINUTE

    def minute_start(self, minute: int) -> int:
        """The clock reading at which wall-clock ``minute`` starts."""
        return minute * NS_PER_MINUTE - self.offset_ns


class ManualClock:
    """A clock that only moves when told to; for tests and simulations.

    Calling the instance returns the current reading in nanoseconds. It is
    safe to share between threads.

    Parameters
    ----------
    start_ns: int
        The first reading (default 0).
    step_ns: int
        Added to the reading *after* every call (default 0), so each call
        returns a later time than the previous one. Handy to give every
        invocation the same duration without touching the clock in between.
    wall_start_ns: int
        The wall-clock time of the first reading, in nanoseconds since the
        epoch (default :data:`MANUAL_WALL_START_NS`, a whole minute): the
        clock's wall-clock minutes are fixed by it, not by when it runs.
    """

    __slots__ = ("_now", "_step", "_lock", "wall_offset_ns")

    def __init__(self, start_ns: int = 0, step_ns: int = 0, wall_start_ns: int | None = None) -> None:
        _require_int("start_ns", start_ns)
        _require_int("step_ns", step_ns)
        if step_ns < 0:
            raise ValueError(f"step_ns must be >= 0, got {step_ns}")
        self._now = start_ns
        self._step = step_ns
        self._lock = threading.Lock()
        wall_start = MANUAL_WALL_START_NS if wall_start_ns is None else wall_start_ns
        _require_int("wall_start_ns", wall_start)
        #: Wall-clock nanoseconds minus the reading: constant (see :class:`Timebase`).
        self.wall_offset_ns = wall_start - start_ns

    def __call__(self) -> int:
        with self._lock:
            now = self._now
            self._now = now + self._step
            return now

    @property
    def now_ns(self) -> int:
        """The reading the next call returns."""
        return self._now

    def advance(self, *, ns: int = 0, ms: float = 0, seconds: float = 0) -> int:
        """Move the clock forward and return the new reading.

        Parameters
        ----------
        ns, ms, seconds:
            Amounts to add; they are summed. Must not be negative.
        """
        delta = ns + round(ms * NS_PER_MS) + round(seconds * NS_PER_SECOND)
        if delta < 0:
            raise ValueError("a monotonic clock cannot go backwards")
        with self._lock:
            self._now += delta
            return self._now

    def __repr__(self) -> str:
        return f"ManualClock(now_ns={self._now}, step_ns={self._step})"


def _require_int(name: str, value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int, got {type(value).__name__}")
