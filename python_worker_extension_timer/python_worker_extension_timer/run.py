"""The server run a process belongs to: its identity and its one clock.

A server that runs several worker processes sets :data:`RUN_ENV_VAR` once,
before it starts them (:func:`new_run_value`); every worker, a replacement
started hours later included, inherits it. It carries

* the run's identity, written into every statistics file, so that files of
  another run (stale ones in a reused directory, another server's) are never
  added in;
* the offset between ``CLOCK_MONOTONIC`` and the wall clock, taken once when
  the run began, so that every process files a call in the same wall-clock
  minute whenever the process started; a step of the wall clock later moves
  no process's minutes (all alike), and nothing about liveness reads it;
* the monotonic time the run began, below which no record of the run can
  start.

A process with no such variable (one server process, tests) is a run of its
own, fixed when this module is first asked.
"""

from __future__ import annotations

import os
import time
from typing import TYPE_CHECKING

from .clock import NS_PER_SECOND, default_clock
from .records import Record

if TYPE_CHECKING:
    from pathlib import Path

__all__ = ["RUN_ENV_VAR", "SHARED_DIR_ENV_VAR", "Run", "current_run", "new_run_value", "shared_directory"]

#: The environment variable the server sets for its worker processes: ``<id>:<offset ns>:<start ns>``.
RUN_ENV_VAR = "TIMER_RUN"
#: The environment variable naming the directory shared by a server's worker processes (see :mod:`.multiprocess`).
SHARED_DIR_ENV_VAR = "TIMER_MULTIPROCESS_DIR"
_HEX = frozenset("0123456789abcdef")
_DIGITS = frozenset("0123456789")


class Run(Record):
    """One server run."""

    #: 32 hex digits, random.
    id: str
    #: Wall-clock nanoseconds minus the default clock's reading, fixed when the run began.
    offset_ns: int
    #: The default clock's reading when the run began.
    start_ns: int

    @property
    def started(self) -> float:
        """Wall-clock seconds when the run began (on the run's clock)."""
        return (self.start_ns + self.offset_ns) / NS_PER_SECOND

    def now(self) -> float:
        """Wall-clock seconds now, on the run's clock."""
        return (default_clock() + self.offset_ns) / NS_PER_SECOND

    def to_value(self) -> str:
        return f"{self.id}:{self.offset_ns}:{self.start_ns}"

    @classmethod
    def parse(cls, value: str) -> Run | None:
        """The run a :data:`RUN_ENV_VAR` value names, or ``None`` if it is not one."""
        # ``<32 hex digits>:<-?1 to 20 digits>:<1 to 20 digits>``, read without ``re``: compiling a pattern
        # would cost every cold start more than the whole parse.
        parts = value.strip().split(":")
        if len(parts) != 3:
            return None
        run_id, offset, start = parts
        unsigned_offset = offset[1:] if offset.startswith("-") else offset
        if len(run_id) != 32 or not _HEX.issuperset(run_id) or not (_is_number(unsigned_offset) and _is_number(start)):
            return None
        return cls(run_id, int(offset), int(start))

    @classmethod
    def begin(cls) -> Run:
        """A new run, beginning now."""
        start = default_clock()
        return cls(os.urandom(16).hex(), time.time_ns() - start, start)


def _is_number(text: str) -> bool:
    return 1 <= len(text) <= 20 and _DIGITS.issuperset(text)


def new_run_value() -> str:
    """The value a server sets :data:`RUN_ENV_VAR` to before it starts its worker processes."""
    return Run.begin().to_value()


_CURRENT: list[Run] = []


def current_run() -> Run:
    """The run of this process: the server's (:data:`RUN_ENV_VAR`), else one of its own."""
    if not _CURRENT:
        given = Run.parse(os.environ.get(RUN_ENV_VAR, ""))
        _CURRENT.append(given if given is not None else Run.begin())
    return _CURRENT[0]


def shared_directory(environ: os._Environ[str] | dict[str, str] | None = None) -> Path | None:
    """The directory named by :data:`SHARED_DIR_ENV_VAR`, or ``None`` when the variable is unset or empty."""
    value = (os.environ if environ is None else environ).get(SHARED_DIR_ENV_VAR, "").strip()
    if not value:
        return None
    from pathlib import Path

    return Path(value)
