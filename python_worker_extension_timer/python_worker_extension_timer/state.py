"""The mutable state of one extension class in one process, and what happens to it across ``fork``."""

from __future__ import annotations

import contextvars
import logging
import os
import sys
import threading
import time
import weakref
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

from .claims import Claim
from .clock import NS_PER_SECOND, Clock, Timebase, default_clock
from .function_stats import FunctionStats
from .in_flight import InFlight
from .run import current_run, shared_directory
from .settings import Settings
from .startup import PROCESS, FirstCall
from .tally import Tally
from .triggers import APP_TRIGGERS

if TYPE_CHECKING:  # imported where used: a process that neither reads statistics nor feeds OpenTelemetry skips them
    from .journal import ProcessFile
    from .multiprocess import Storage
    from .otel import OpenTelemetrySink
    from .snapshot import MergedView, ProcessRecord

__all__ = ["Active", "TimerState", "opentelemetry_sink"]


class Active:
    """What the per-invocation path reads, swapped as one object by ``configure()``."""

    __slots__ = ("settings", "clock", "level", "logger", "server_timing", "append")

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.clock = settings.clock
        self.level = settings.log_level
        self.logger = logging.getLogger(settings.logger_name)
        self.server_timing = settings.server_timing
        self.append = settings.append_to_http_response


class TimerState:
    """All mutable state of one extension class (TimerExtension or a subclass) in one process."""

    __slots__ = (
        "active",
        "in_flight",
        "functions",
        "loaded",
        "problems",
        "lock",
        "timebase",
        "started",
        "storage",
        "claim",
        "hooked",
        "decorated",
        "sink",
        "opentelemetry_totals",
        "first_calls",
        "__weakref__",
    )

    def __init__(self, settings: Settings) -> None:
        self.lock = threading.Lock()
        self.active = Active(settings)
        self.timebase = _timebase(settings.clock)
        self.started = self._wall_now()
        self.functions: dict[str, FunctionStats] = {}
        #: Functions the worker's function-load hook announced.
        self.loaded: set[str] = set()
        self.problems: set[tuple[str, str]] = set()
        self.in_flight = InFlight(settings.max_age_ns, settings.max_in_flight, self._on_evict)
        self.storage: Storage | None = None
        self.claim: contextvars.ContextVar[Claim | None] = contextvars.ContextVar(
            "python_worker_extension_timer.claim", default=None
        )
        #: Whether a worker hook of this class ran in this process.
        self.hooked = False
        #: The functions decorated with timed().
        self.decorated: set[str] = set()
        #: Where else each recorded invocation goes: OpenTelemetry instruments (see opentelemetry_sink).
        self.sink: OpenTelemetrySink | None = None
        #: What the OpenTelemetry counters observe, set on the one state that feeds them (see connect_opentelemetry).
        self.opentelemetry_totals: Callable[[], Mapping[str, Tally]] | None = None
        #: The first (cold) call of each function in this process; kept by reset(): it is start-up, not load.
        self.first_calls: dict[str, FirstCall] = {}
        _STATES.add(self)

    def function(self, name: str) -> FunctionStats:
        stats = self.functions.get(name)
        if stats is None:
            # setdefault is atomic: two threads racing here share one object.
            stats = self.functions.setdefault(name, self._new_stats(name))
            storage = self.storage
            if storage is not None and storage.file is not None and storage.pid == os.getpid():
                self.attach(storage.file)
        return stats

    def _wall_now(self) -> float:
        """Wall-clock seconds now, on this state's timebase (the run's clock, or the injected one)."""
        try:
            return self.timebase.wall_ns(self.active.clock()) / NS_PER_SECOND
        except Exception:  # a failing clock must not hide the statistics
            return time.time()

    def _new_stats(self, name: str) -> FunctionStats:
        return FunctionStats(name, self.timebase, self.active.settings.history_minutes)

    def _on_evict(self, evicted: Mapping[str, int]) -> None:
        for name, n in evicted.items():
            self.function(name).record_abandoned(n)

    def local_totals(self) -> dict[str, Tally]:
        """This process's since-start totals per function (what OpenTelemetry's counters observe)."""
        return {str(name): stats.read().total for name, stats in list(self.functions.items())}

    def first_call(self, name: str, start_ns: int, end_ns: int, error: bool) -> bool:
        """Keep the call as ``name``'s first in this process if it is; whether it was (the cold call)."""
        wall = self.timebase.wall_ns
        call = FirstCall(wall(start_ns) / NS_PER_SECOND, wall(end_ns) / NS_PER_SECOND, (end_ns - start_ns) / 1e6, error)
        if self.first_calls.setdefault(name, call) is not call:
            return False
        self.connect_opentelemetry()  # before the caller reads self.sink: the cold call is fed too
        PROCESS.first_call_done(name, call)
        storage = self.storage
        if storage is not None:
            storage.nudge()  # the other processes see the new start-up record at once, not an interval later
        return True

    def connect_opentelemetry(self) -> None:
        """Feed OpenTelemetry from now on if something in this process imported it; else a cheap no-op.

        An SDK always imports ``opentelemetry`` (the application's setup, or the Azure worker's with
        Application Insights on), so until then there is nothing to receive and the API is not loaded.
        Called when the class is set up, at ``configure()``, at each function's load and first call,
        and when the statistics are read: never on the per-call path.
        """
        totals = self.opentelemetry_totals
        if totals is not None and self.sink is None and "opentelemetry" in sys.modules:
            self.sink = opentelemetry_sink(totals)

    def apply(self, settings: Settings) -> None:
        with self.lock:
            old = self.active.settings
            if settings.clock is not old.clock:
                # Starts taken with another clock cannot be compared with
                # the new one: forget them (not counted as abandoned).
                self.in_flight.clear()
                self.timebase = _timebase(settings.clock)
                for stats in list(self.functions.values()):
                    stats.retime(self.timebase)
            if settings.history_minutes != old.history_minutes:
                for stats in list(self.functions.values()):
                    stats.keep(settings.history_minutes)
            self.in_flight.set_limits(settings.max_age_ns, settings.max_in_flight)
            self.active = Active(settings)

    def known_functions(self) -> set[str]:
        """Every function this state was told of: loaded by the worker or decorated."""
        return self.loaded | self.decorated

    def reset(self) -> None:
        with self.lock:
            self.in_flight.clear()
            self.functions = {name: self._new_stats(name) for name in self.known_functions()}
            self.problems.clear()
            self.started = self._wall_now()
        storage = self.storage
        if storage is not None and storage.pid == os.getpid():
            storage.tick()  # the shared file must not keep what was reset

    # --- across the worker processes of a server ------------------------

    def ensure_publishing(self, prefix: str) -> None:
        """Start sharing this process's statistics when the server shares a directory (once per process)."""
        storage = self.storage
        if storage is not None and storage.pid == os.getpid():
            return
        directory = shared_directory()
        if directory is None:
            return
        from .multiprocess import Storage  # only in a server that shares a directory

        with self.lock:
            if self.storage is None or self.storage.pid != os.getpid():
                self.storage = Storage(directory, prefix, current_run(), self.attach, self.local_record).start()

    def attach(self, file: ProcessFile) -> None:
        """Write the calls of every function not yet written to ``file``'s journal."""
        journal = file.journal
        with journal.lock:
            for name, stats in list(self.functions.items()):
                if not stats.attached:
                    number = file.number(str(name))
                    if number is not None:
                        stats.attach(journal, number)

    def local_record(self) -> ProcessRecord:
        """This process's statistics as data."""
        from .snapshot import ProcessRecord

        return ProcessRecord(
            pid=os.getpid(),
            started=self.started,
            updated=self._wall_now(),
            in_flight=len(self.in_flight),
            functions={str(name): stats.read() for name, stats in list(self.functions.items())},
            mode=self.mode(),
            startup=PROCESS.record(self.first_calls),
            triggers={str(name): APP_TRIGGERS.of(name) for name in list(self.functions)},
        )

    def mode(self) -> str:
        """How this process records invocations (see :attr:`.snapshot.ProcessRecord.mode`)."""
        if self.hooked:
            return "hooks and decorator" if self.decorated else "hooks"
        return "decorator" if self.decorated else "off"

    def view(self) -> MergedView:
        """This process's statistics merged with those of the server's other processes."""
        from .snapshot import MergedView

        self.connect_opentelemetry()
        now = self._wall_now()
        records = [self.local_record()]
        storage = self.storage
        if storage is None or storage.pid != os.getpid():
            return MergedView(records, now, self.active.settings.history_minutes)
        others, skipped, premerged = storage.others()
        return MergedView(records + others, now, self.active.settings.history_minutes, skipped, premerged)

    def forget_parent(self) -> None:
        """In a forked child: what the parent recorded is the parent's to report."""
        if self.storage is not None:
            self.storage.forget()
        self.storage = None
        self.lock = threading.Lock()
        self.in_flight.clear()
        self.functions = {name: self._new_stats(name) for name in self.known_functions()}
        self.first_calls = {}
        self.started = self._wall_now()


def _timebase(clock: Clock) -> Timebase:
    """The default clock takes the server run's wall-clock offset (one per server); others their own."""
    return Timebase(clock, offset_ns=current_run().offset_ns if clock is default_clock else None)


_STATES: weakref.WeakSet[TimerState] = weakref.WeakSet()
_SINK: list[OpenTelemetrySink | None] = []


def opentelemetry_sink(totals: Callable[[], Mapping[str, Tally]]) -> OpenTelemetrySink | None:
    """The one sink of the process (instruments are registered once), observing ``totals``."""
    if not _SINK:
        from .otel import make_sink

        sink = make_sink(totals)
        if sink is not None:
            PROCESS.on_over(sink.record_startup)
        _SINK.append(sink)
    return _SINK[0]


def _after_fork_in_child() -> None:
    PROCESS.forked()
    for state in list(_STATES):
        state.forget_parent()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)
