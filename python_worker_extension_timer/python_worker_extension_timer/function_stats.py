"""Per-function invocation statistics: since start and per wall-clock minute.

One :class:`FunctionStats` per function name holds a :class:`~.tally.Tally`
of everything since the process started and one per wall-clock minute for
the last ``history_minutes`` minutes (the current one included; default
:data:`DEFAULT_HISTORY_MINUTES`), so that "when did it change?" has an answer
beside "since start". The window of "the last 5 minutes" is a view over the
same minutes (:meth:`FunctionRecord.window`). Only minutes with calls hold a
tally, and a minute's histogram is made compact once the minute is over, so
a quiet minute costs nothing and a busy one a few bytes per non-empty
bucket. Every method is thread-safe.

:meth:`FunctionStats.record` is on the path of every invocation, so it
usually takes no lock: it appends the duration to a queue (atomic in
CPython), which is folded into the tallies under a private lock once it
holds :data:`PENDING_LIMIT` durations, when the minute changes, and before
every read. Queued durations always belong to the current minute: a record
made after the minute ended folds the queue first.

When the process shares its statistics with the other worker processes of a
server (:mod:`.multiprocess`), each record also writes an entry into the
process's journal (:meth:`FunctionStats.attach`), under the journal's lock,
so that the shared file holds it before the response leaves the process.
"""

from __future__ import annotations

import threading
from collections import deque
from typing import TYPE_CHECKING

from .clock import Timebase, default_clock
from .histogram import bucket_index
from .tally import PERCENTILES, Tally

__all__ = [
    "FunctionStats",
    "FunctionRecord",
    "PERCENTILES",
    "PENDING_LIMIT",
    "WINDOW_MINUTES",
    "DEFAULT_HISTORY_MINUTES",
    "MAX_HISTORY_MINUTES",
    "ENTRY_ERROR",
    "ENTRY_ABANDONED",
]

#: Flags of a journal entry: the call was an error; the entry counts abandoned calls (its value is how many).
ENTRY_ERROR = 1
ENTRY_ABANDONED = 2


if TYPE_CHECKING:  # a type only: defining a Protocol class costs a cold start about half a millisecond
    from typing import Protocol

    class JournalWriter(Protocol):
        """Where recorded calls are also written (:class:`.journal.Journal`)."""

        lock: threading.Lock

        def write(self, function: int, minute: int, value: int, flags: int) -> None: ...


#: Durations queued by :meth:`FunctionStats.record` before they are folded into the tallies.
PENDING_LIMIT = 256
#: Whole minutes kept before the current one: the window of "the last 5 minutes".
WINDOW_MINUTES = 5
#: Minutes of per-minute history kept by default, the current one included: the last hour.
DEFAULT_HISTORY_MINUTES = 60
#: The most minutes of history that may be configured (a day), which bounds its memory.
MAX_HISTORY_MINUTES = 24 * 60


class FunctionRecord:
    """A copy of one function's statistics: since start, and per minute (minutes since the epoch).

    A plain class, not a dataclass: defining a dataclass costs every cold start a few tenths of a millisecond.
    """

    __slots__ = ("total", "minutes")

    def __init__(self, total: Tally, minutes: dict[int, Tally]) -> None:
        self.total = total
        self.minutes = minutes

    def __repr__(self) -> str:
        return f"FunctionRecord(total={self.total!r}, minutes={self.minutes!r})"

    def merge(self, other: FunctionRecord) -> None:
        """Add ``other`` into this record, minute by minute (exact)."""
        self.total.merge(other.total)
        for minute, tally in other.minutes.items():
            mine = self.minutes.get(minute)
            if mine is None:
                self.minutes[minute] = tally.copy()
            else:
                mine.merge(tally)

    def window(self, now_minute: int, minutes: int = WINDOW_MINUTES) -> Tally:
        """The last ``minutes + 1`` minutes of the history (up to ``now_minute``), merged."""
        merged = Tally()
        for _, tally in self.history(now_minute, minutes + 1):
            if tally is not None:
                merged.merge(tally)
        return merged

    def history(self, now_minute: int, minutes: int) -> list[tuple[int, Tally | None]]:
        """The ``minutes`` minutes ending with ``now_minute``, oldest first; ``None`` for a minute without calls."""
        get = self.minutes.get
        return [(minute, get(minute)) for minute in range(now_minute - minutes + 1, now_minute + 1)]


class FunctionStats:
    """Thread-safe statistics of one function.

    Counters
    --------
    count:
        Completed invocations, i.e. those whose end was recorded. Only these
        have a duration.
    errors:
        Completed invocations that were errors (an HTTP response with status
        >= 500, or a function that raised), *plus* abandoned invocations.
        The error rate is thus ``errors / (count + abandoned)``.
    abandoned:
        Invocations whose start was recorded but that never completed
        within ``max_age_seconds`` or were evicted because more than
        ``max_in_flight`` invocations were open.

    Parameters
    ----------
    name: str
        The function name, as the worker reports it in ``context``.
    timebase: Timebase, optional
        Maps the extension's clock to wall-clock minutes; by default one for
        ``time.perf_counter_ns``.
    history_minutes: int, optional
        How many minutes to keep, the current one included (at least
        ``WINDOW_MINUTES + 1``, which the window reads).
    """

    __slots__ = (
        "name",
        "_lock",
        "_total",
        "_minutes",
        "_minute",
        "_minute_ends",
        "_timebase",
        "_pending",
        "_history",
        "_journal",
        "_number",
    )

    def __init__(
        self, name: str, timebase: Timebase | None = None, history_minutes: int = DEFAULT_HISTORY_MINUTES
    ) -> None:
        self.name = name
        self._lock = threading.Lock()
        self._total = Tally()
        self._minutes: dict[int, Tally] = {}
        self._pending: deque[int] = deque()
        self._history = max(history_minutes, WINDOW_MINUTES + 1)
        self._journal: JournalWriter | None = None
        self._number = 0
        self.retime(timebase or Timebase(default_clock))

    def attach(self, journal: JournalWriter, number: int) -> None:
        """Write every call recorded from now on to ``journal`` as function ``number`` too."""
        self._number = number
        self._journal = journal

    @property
    def attached(self) -> bool:
        """Whether calls are written to a journal."""
        return self._journal is not None

    def keep(self, history_minutes: int) -> None:
        """Keep this many minutes from now on (older ones go at the next minute)."""
        with self._lock:
            self._history = max(history_minutes, WINDOW_MINUTES + 1)
            self._minute_ends = -(1 << 62)
            self._start_minute(self._now())

    def retime(self, timebase: Timebase) -> None:
        """Use another timebase (the extension's clock changed) from now on."""
        with self._lock:
            if hasattr(self, "_timebase"):
                self._fold()
            self._timebase = timebase
            self._minute_ends = -(1 << 62)  # the next reading starts a minute
            self._start_minute(self._now())

    def record(self, duration_ns: int, error: bool = False, end_ns: int | None = None) -> None:
        """Record one completed invocation.

        Parameters
        ----------
        duration_ns: int
            The duration in nanoseconds; negative values (a clock that went
            backwards) are recorded as 0.
        error: bool
            Whether the invocation counts as an error.
        end_ns: int, optional
            The clock reading at its end, which places it in its minute;
            without it, it counts in the minute of the last record.
        """
        if duration_ns < 0:
            duration_ns = 0
        journal = self._journal
        if journal is not None:  # on shared storage before the response leaves: under its lock, in one piece
            journal.lock.acquire()
        try:
            if end_ns is not None and end_ns >= self._minute_ends:
                with self._lock:
                    self._start_minute(end_ns)
            if error:  # rare: queued and counted under the lock, so a reader sees both or neither
                with self._lock:
                    self._pending.append(duration_ns)
                    self._fold()
                    self._total.errors += 1
                    self._current().errors += 1
                return
            pending = self._pending
            pending.append(duration_ns)
            if len(pending) >= PENDING_LIMIT:
                with self._lock:
                    self._fold()
        finally:
            if journal is not None:
                try:
                    journal.write(self._number, self._minute, duration_ns, ENTRY_ERROR if error else 0)
                finally:
                    journal.lock.release()

    def record_abandoned(self, n: int = 1) -> None:
        """Count ``n`` invocations that started but never completed.

        They count in both ``abandoned`` and ``errors``; they have no
        duration and do not count in ``count``.
        """
        journal = self._journal
        if journal is not None:
            with journal.lock:
                self._abandon(n)
                journal.write(self._number, self._minute, n, ENTRY_ABANDONED)
            return
        self._abandon(n)

    def _abandon(self, n: int) -> None:
        with self._lock:
            self._start_minute(self._now())
            for tally in (self._total, self._current()):
                tally.abandoned += n
                tally.errors += n

    def read(self) -> FunctionRecord:
        """A copy of everything recorded: since start, and the minutes of the history.

        Moves the current minute forward first, so that an idle function's
        history moves on.
        """
        with self._lock:
            self._start_minute(self._now())
            return FunctionRecord(
                total=self._total.copy(),
                minutes={minute: tally.copy() for minute, tally in self._minutes.items()},
            )

    def _now(self) -> int:
        """The clock's reading; a clock that fails keeps the current minute (reads must still work)."""
        try:
            return self._timebase.clock()
        except Exception:
            return self._minute_ends - 1

    # --- under the lock -------------------------------------------------

    def _start_minute(self, now_ns: int) -> None:
        """Fold the queue into the minute it belongs to, then move to the minute of ``now_ns``."""
        self._fold()
        if now_ns < self._minute_ends:
            return
        minute = self._timebase.minute_of(now_ns)
        self._minute = minute
        self._minute_ends = self._timebase.minute_start(minute + 1)
        oldest = minute - self._history + 1
        for old in [m for m in self._minutes if m < oldest or m > minute]:
            del self._minutes[old]
        for past, tally in self._minutes.items():
            if past != minute:  # over: no more values go in (a no-op once compact)
                tally.hist.compact()

    def _current(self) -> Tally:
        tally = self._minutes.get(self._minute)
        if tally is None:
            tally = self._minutes[self._minute] = Tally()
        return tally

    def _fold(self) -> None:
        """Move the queued durations into the tallies.

        Only folders take from the queue, and they hold the lock, so the
        length read here is a lower bound while other threads append.
        """
        pending = self._pending
        if not pending:
            return
        take = pending.popleft
        durations = [take() for _ in range(len(pending))]
        total_ns = sum(durations)
        indexes = list(map(bucket_index, durations))  # once for both tallies
        for tally in (self._total, self._current()):
            tally.hist.add_many(durations, indexes)
            tally.sum_ns += total_ns

    # --- convenience for tests and repr ---------------------------------

    @property
    def count(self) -> int:
        """Completed invocations."""
        return self.read().total.count

    @property
    def errors(self) -> int:
        """Error responses plus abandoned invocations."""
        return self.read().total.errors

    @property
    def abandoned(self) -> int:
        """Invocations evicted from the in-flight table without completing."""
        return self.read().total.abandoned

    def snapshot(self) -> dict[str, object]:
        """The since-start statistics as users read them (see :meth:`.Tally.summary`)."""
        return self.read().total.summary()

    def __repr__(self) -> str:
        total = self.read().total
        return (
            f"FunctionStats(name={self.name!r}, count={total.count}, errors={total.errors}, "
            f"abandoned={total.abandoned})"
        )
