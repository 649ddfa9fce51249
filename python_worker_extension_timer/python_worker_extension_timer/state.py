"""The mutable state of one extension class in one process, and what happens to it across ``fork``."""

from __future__ import annotations

import contextvars
import logging
import os
import threading
import time
import weakref
from collections.abc import Callable, Mapping

from .claims import Claim
from .clock import NS_PER_SECOND, Timebase
from .function_stats import FunctionStats
from .in_flight import InFlight
from .multiprocess import Publisher, read_records, shared_directory
from .otel import OpenTelemetrySink, make_sink
from .settings import Settings
from .snapshot import MergedView, ProcessRecord
from .startup import PROCESS, FirstCall
from .tally import Tally
from .triggers import APP_TRIGGERS

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
        "publisher",
        "claim",
        "hooked",
        "decorated",
        "sink",
        "first_calls",
        "__weakref__",
    )

    def __init__(self, settings: Settings) -> None:
        self.lock = threading.Lock()
        self.active = Active(settings)
        self.timebase = Timebase(settings.clock)
        self.started = time.time()
        self.functions: dict[str, FunctionStats] = {}
        #: Functions the worker's function-load hook announced.
        self.loaded: set[str] = set()
        self.problems: set[tuple[str, str]] = set()
        self.in_flight = InFlight(settings.max_age_ns, settings.max_in_flight, self._on_evict)
        self.publisher: Publisher | None = None
        self.claim: contextvars.ContextVar[Claim | None] = contextvars.ContextVar(
            "python_worker_extension_timer.claim", default=None
        )
        #: Whether a worker hook of this class ran in this process.
        self.hooked = False
        #: The functions decorated with timed().
        self.decorated: set[str] = set()
        #: Where else each recorded invocation goes: OpenTelemetry instruments (see opentelemetry_sink).
        self.sink: OpenTelemetrySink | None = None
        #: The first (cold) call of each function in this process; kept by reset(): it is start-up, not load.
        self.first_calls: dict[str, FirstCall] = {}
        _STATES.add(self)

    def function(self, name: str) -> FunctionStats:
        stats = self.functions.get(name)
        if stats is None:
            # setdefault is atomic: two threads racing here share one object.
            stats = self.functions.setdefault(name, self._new_stats(name))
        return stats

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
        PROCESS.first_call_done(name, call)
        return True

    def apply(self, settings: Settings) -> None:
        with self.lock:
            old = self.active.settings
            if settings.clock is not old.clock:
                # Starts taken with another clock cannot be compared with
                # the new one: forget them (not counted as abandoned).
                self.in_flight.clear()
                self.timebase = Timebase(settings.clock)
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
            self.started = time.time()

    # --- across the worker processes of a server ------------------------

    def ensure_publishing(self, prefix: str) -> None:
        """Start writing this process's file when the server shares a directory (once per process)."""
        publisher = self.publisher
        if publisher is not None and publisher.pid == os.getpid():
            return
        directory = shared_directory()
        if directory is None:
            return
        with self.lock:
            if self.publisher is None or self.publisher.pid != os.getpid():
                self.publisher = Publisher(directory, prefix, self.local_record).start()

    def local_record(self) -> ProcessRecord:
        """This process's statistics as data."""
        return ProcessRecord(
            pid=os.getpid(),
            started=self.started,
            updated=time.time(),
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
        """This process's statistics merged with those the other processes published."""
        try:
            now = self.timebase.wall_ns(self.active.clock()) / NS_PER_SECOND
        except Exception:  # a failing clock must not hide the statistics
            now = time.time()
        records = [self.local_record()]
        publisher = self.publisher
        if publisher is not None and publisher.pid == os.getpid():
            records += read_records(publisher.directory, publisher.prefix, skip=publisher.path)
        return MergedView(records, now, self.active.settings.history_minutes)

    def forget_parent(self) -> None:
        """In a forked child: what the parent recorded is the parent's to report."""
        self.publisher = None
        self.lock = threading.Lock()
        self.in_flight.clear()
        self.functions = {name: self._new_stats(name) for name in self.known_functions()}
        self.first_calls = {}
        self.started = time.time()


_STATES: weakref.WeakSet[TimerState] = weakref.WeakSet()
_SINK: list[OpenTelemetrySink | None] = []


def opentelemetry_sink(totals: Callable[[], Mapping[str, Tally]]) -> OpenTelemetrySink | None:
    """The one sink of the process (instruments are registered once), observing ``totals``."""
    if not _SINK:
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
