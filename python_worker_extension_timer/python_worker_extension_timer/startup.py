"""The start-up of one worker process: when it started, what it imported, when it could serve, its first call.

A cold start is everything between a new worker process's start and the
moment it can serve. :class:`Startup` (one per process, :data:`PROCESS`)
records its milestones as wall-clock seconds since the epoch, each only when
it was really observed:

======================  =======================================================
``process_started``     from the operating system (Linux: ``/proc/self/stat``); ``None``
                        with ``process_started_note`` where it cannot be read
``timer_imported``      this package's import began (the import profiler starts);
                        ``modules_before_timer`` modules were loaded by then
``app_import_started``  the import of the app's module began, where the profiler
                        saw it (a server that imports the timer first: ours)
``app_loaded``          the earliest sign that the app is loaded, named in
                        ``app_loaded_by``: the end of the import of the module
                        the worker loads (``function_app``, or the script file
                        named by ``PYTHON_SCRIPT_FILE_NAME``; a server that
                        embeds the app names its module), whatever it imports
                        and in which order; else the worker's function-load
                        hook (where hooks run); else the start of the first call
``functions_loaded``    the worker's last function-load hook before the first call
``listening``           a server that embeds the app accepts connections
                        (``python -m container`` says so); ``None`` elsewhere
``ready``               the process can serve, named in ``ready_by``: listening
                        where a server says so, else the functions loaded
                        (the 4.x worker's hooks), else the app's import ended
``first_call``          the call that ended start-up (its name; its start, end
                        and duration are in ``first_calls``), with the wait
                        between ready and its start, which is not start-up
======================  =======================================================

``init_seconds`` runs from the process start to ``ready``: the time a new
process needs before it can serve, as AWS Lambda's Init Duration, not the
time it then sat idle until traffic came. A worker that Azure started as a
placeholder (``WEBSITE_PLACEHOLDER_MODE=1`` in its initial environment) and
specialised later for this app waited in the placeholder for an app, not
for itself: its start-up is measured from the timer's import.

Start-up is over at the first completed (or failed) call. Then the import
profiler (:mod:`.import_profile`) removes itself, one log line sums the
start-up up, and nothing here runs again on the invocation path.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
import time
from collections.abc import Callable, Mapping
from importlib.machinery import ModuleSpec
from types import MappingProxyType
from typing import Any

from .import_profile import DEFAULT_SLOWEST, ImportProfile, ImportProfiler
from .records import Record

__all__ = [
    "PROCESS",
    "PROFILE_ENV_VAR",
    "FirstCall",
    "Startup",
    "StartupRecord",
    "process_start_time",
]

#: Azure sets it to ``1`` in a placeholder worker's environment, before the app is assigned.
PLACEHOLDER_ENV_VAR = "WEBSITE_PLACEHOLDER_MODE"
#: ``0``/``false``/``off`` turns the import profiler off (it is on by default).
PROFILE_ENV_VAR = "TIMER_IMPORT_PROFILE"
_OFF_WORDS = frozenset({"0", "false", "f", "no", "n", "off"})

logger = logging.getLogger("python_worker_extension_timer")


def process_start_time(
    proc: str | os.PathLike[str] = "/proc", now: Callable[[], float] = time.time
) -> tuple[float | None, str | None]:
    """When this process started, in seconds since the epoch, or ``(None, why not)``.

    Linux gives the start in clock ticks after boot (field 22 of
    ``/proc/self/stat``); the time since boot is ``CLOCK_BOOTTIME``, so the
    process's age needs no wall clock (``btime`` in ``/proc/stat`` has whole
    seconds only). The resolution is one tick (10 ms).
    """
    try:
        with open(os.path.join(proc, "self", "stat"), encoding="utf-8") as stat:  # no pathlib: not loaded yet
            raw = stat.read()
        # Field 2, the command name in parentheses, may hold spaces and parentheses: split after the last ')'.
        fields = raw[raw.rindex(")") + 2 :].split()
        ticks = int(fields[19])  # field 22 of the whole line
        hertz = os.sysconf("SC_CLK_TCK")
        boottime = time.clock_gettime(time.CLOCK_BOOTTIME)
    except (OSError, ValueError, IndexError, AttributeError) as error:
        return None, f"the operating system does not say when this process started ({type(error).__name__}: {error})"
    age = boottime - ticks / hertz
    if age < 0:
        return None, "the operating system's process start time is later than now"
    return now() - age, None


def started_as_placeholder(proc: str | os.PathLike[str] = "/proc", environ: Any = os.environ) -> bool:
    """Whether Azure started this process as a placeholder worker and has specialised it since.

    The environment a process was started with stays in ``/proc/self/environ``;
    the 4.x worker replaces ``os.environ`` with the app's settings when the
    host specialises it (``FunctionEnvironmentReloadRequest``).
    """
    try:
        with open(os.path.join(proc, "self", "environ"), "rb") as initial_environ:
            initial = initial_environ.read().split(b"\0")
    except OSError:
        return False
    marker = f"{PLACEHOLDER_ENV_VAR}=1".encode()
    return marker in initial and environ.get(PLACEHOLDER_ENV_VAR) != "1"


class FirstCall(Record):
    """The first call of one function in this process (wall-clock seconds)."""

    started: float
    ended: float
    duration_ms: float
    error: bool = False


class StartupRecord(Record):
    """A copy of one process's start-up milestones (see the module's table).

    A value, never changed once made.
    """

    process_started: float | None
    timer_imported: float | None
    app_loaded: float | None = None
    app_loaded_by: str | None = None
    listening: float | None = None
    ready: float | None = None
    first_calls: Mapping[str, FirstCall] = MappingProxyType({})
    imports: ImportProfile = ImportProfile()
    process_started_note: str | None = None
    ready_by: str | None = None
    first_call: str | None = None
    app_import_started: float | None = None
    functions_loaded: float | None = None
    modules_before_timer: int | None = None
    placeholder: bool = False

    @property
    def origin(self) -> float | None:
        """Where the cold start is measured from: the process start, else (a placeholder, no start) the timer import."""
        if self.process_started is None or self.placeholder:
            return self.timer_imported
        return self.process_started

    @property
    def measured_from(self) -> str:
        """What :attr:`origin` is, in words."""
        if self.placeholder:
            return "timer import (a placeholder worker specialised for this app)"
        return "process start" if self.process_started is not None else "timer import"

    @property
    def init_seconds(self) -> float | None:
        """Seconds from :attr:`origin` to ready (the process can serve); ``None`` until known."""
        origin = self.origin
        if self.ready is None or origin is None:
            return None
        return max(0.0, self.ready - origin)

    @property
    def first_call_wait_seconds(self) -> float | None:
        """Seconds between ready and the start of the call that ended start-up: idle, not start-up."""
        call = self.first_calls.get(self.first_call) if self.first_call is not None else None
        if call is None or self.ready is None:
            return None
        return max(0.0, call.started - self.ready)

    def to_dict(self) -> dict[str, Any]:
        init = self.init_seconds
        wait = self.first_call_wait_seconds
        return {
            "process_started": self.process_started,
            "process_started_note": self.process_started_note,
            "placeholder": self.placeholder,
            "origin": self.origin,
            "measured_from": self.measured_from,
            "modules_before_timer": self.modules_before_timer,
            "timer_imported": self.timer_imported,
            "app_import_started": self.app_import_started,
            "app_loaded": self.app_loaded,
            "app_loaded_by": self.app_loaded_by,
            "functions_loaded": self.functions_loaded,
            "listening": self.listening,
            "ready": self.ready,
            "ready_by": self.ready_by,
            "init_ms": None if init is None else init * 1000,
            "first_call": self.first_call,
            "first_call_wait_ms": None if wait is None else wait * 1000,
            "first_calls": {name: call.to_dict() for name, call in sorted(self.first_calls.items())},
            "imports": self.imports.to_dict(),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> StartupRecord:
        modules = data.get("modules_before_timer")
        return cls(
            process_started=data.get("process_started"),
            process_started_note=data.get("process_started_note"),
            timer_imported=data.get("timer_imported"),
            app_loaded=data.get("app_loaded"),
            app_loaded_by=data.get("app_loaded_by"),
            listening=data.get("listening"),
            ready=data.get("ready"),
            first_calls={str(k): FirstCall.from_dict(v) for k, v in (data.get("first_calls") or {}).items()},
            imports=ImportProfile.from_dict(data.get("imports") or {"state": "off"}),
            ready_by=data.get("ready_by"),
            first_call=data.get("first_call"),
            app_import_started=data.get("app_import_started"),
            functions_loaded=data.get("functions_loaded"),
            modules_before_timer=None if modules is None else int(modules),
            placeholder=bool(data.get("placeholder", False)),
        )


def summary_line(record: StartupRecord) -> str:
    """The start-up of a process in one log line, e.g. ``cold start: ready 0.412 s after the process started
    (timer imported +0.020 s, app loaded +0.350 s, listening +0.412 s); first call echo 12.1 ms, 3.200 s after
    ready; imports ...``: ready is when the process could serve, the first call and its wait come apart."""
    origin = record.origin
    since = "the process started" if record.measured_from == "process start" else "the timer was imported"
    if record.placeholder:
        since += " (a placeholder worker, specialised for this app)"

    def offset(moment: float | None) -> str:
        return "?" if moment is None or origin is None else f"+{moment - origin:.3f} s"

    init = record.init_seconds
    parts = [f"timer imported {offset(record.timer_imported)}", f"app loaded {offset(record.app_loaded)}"]
    if record.functions_loaded is not None:
        parts.append(f"functions loaded {offset(record.functions_loaded)}")
    if record.listening is not None:
        parts.append(f"listening {offset(record.listening)}")
    text = f"cold start: ready {'?' if init is None else f'{init:.3f}'} s after {since} ({', '.join(parts)})"
    call = record.first_calls.get(record.first_call) if record.first_call is not None else None
    wait = record.first_call_wait_seconds
    if call is not None:
        text += f"; first call {record.first_call} {call.duration_ms:.1f} ms"
        text += "" if wait is None else f", {wait:.3f} s after ready"
    imports = record.imports
    if imports.slowest:
        slowest = ", ".join(f"{entry.module} {entry.self_ms:.1f} ms" for entry in imports.slowest[:5])
        text += f"; imports {imports.total_ms:.0f} ms in all, slowest (self): {slowest}"
    elif imports.note:
        text += f"; import profile: {imports.note}"
    return text


def summary_attributes(record: StartupRecord) -> dict[str, Any]:
    """The figures of :func:`summary_line` as flat attributes (JSON log lines, Snowflake's event table).

    ``startup.init_s`` is the process start (see ``startup.measured_from``)
    to ready; ``startup.first_call_wait_s`` the idle time between ready and
    the first call, which is not part of it.
    """
    origin = record.origin
    first_import = record.imports.slowest[0] if record.imports.slowest else None
    call = record.first_calls.get(record.first_call) if record.first_call is not None else None
    return {
        "event": "cold_start",
        "process.pid": os.getpid(),
        "faas.coldstart": True,
        "startup.measured_from": record.measured_from,
        "startup.init_s": record.init_seconds,
        "startup.ready_by": record.ready_by,
        "startup.app_loaded_s": None if record.app_loaded is None or origin is None else record.app_loaded - origin,
        "startup.app_loaded_by": record.app_loaded_by,
        "startup.first_call": record.first_call,
        "startup.first_call_ms": None if call is None else call.duration_ms,
        "startup.first_call_wait_s": record.first_call_wait_seconds,
        "startup.first_calls_ms": {name: call.duration_ms for name, call in sorted(record.first_calls.items())},
        "startup.imports_ms": record.imports.total_ms,
        "startup.slowest_import": None if first_import is None else first_import.module,
        "startup.slowest_import_ms": None if first_import is None else first_import.self_ms,
        "startup.modules_before_timer": record.modules_before_timer,
    }


class Startup:
    """The start-up milestones of this process; every method is thread-safe and never raises.

    Parameters
    ----------
    profile_imports: bool
        Start the import profiler now.
    wall: Callable[[], float]
        The wall clock in seconds (``time.time``).
    proc: str | os.PathLike[str]
        Where ``/proc`` is (tests point it elsewhere).
    """

    def __init__(
        self,
        profile_imports: bool = True,
        wall: Callable[[], float] = time.time,
        proc: str | os.PathLike[str] = "/proc",
    ) -> None:
        self._wall = wall
        self._proc = proc
        self._lock = threading.Lock()
        self.modules_before_timer: int | None = len(sys.modules)
        self.process_started, self.process_started_note = process_start_time(proc, wall)
        self.app_import_started: float | None = None
        self.app_loaded: float | None = None
        self.app_loaded_by: str | None = None
        self.functions_loaded: float | None = None
        self.listening: float | None = None
        self.ready: float | None = None
        self.ready_by: str | None = None
        self.first_call: str | None = None
        self._placeholder: bool | None = None
        #: The module the worker loads (``function_app``, or ``PYTHON_SCRIPT_FILE_NAME``): the end of its import
        #: is "app loaded", whatever it imports before.
        self.script = script_module()
        #: Where the app's ``FunctionApp`` may be: the script module, then the modules defining @timed functions
        #: (a server that loads another module than the worker would, e.g. in tests).
        self.app_modules: dict[str, None] = {self.script: None}
        self._app_listeners: list[Callable[[str], None]] = []
        self._app_checked = False
        self.slowest = DEFAULT_SLOWEST
        self.profiler = ImportProfiler(on_imported=self._imported)
        #: Called once per process when start-up is over (kept across fork: a child has its own start-up).
        self._listeners: list[Callable[[StartupRecord], None]] = []
        watch_import_end(self.script, self._imported)
        #: Read right before the profiler starts: the package imports' ``started_ms`` count from it.
        self.timer_imported: float | None = wall()
        if profile_imports:
            self.profiler.start()
        else:
            self.profiler.note = f"off ({PROFILE_ENV_VAR} is set to turn it off)"

    @property
    def over(self) -> bool:
        """Whether start-up ended (a first call completed)."""
        return self.first_call is not None

    @property
    def placeholder(self) -> bool:
        """Whether Azure started this process as a placeholder worker (read once, when first asked)."""
        if self._placeholder is None:
            self._placeholder = started_as_placeholder(self._proc)
        return self._placeholder

    def app_defines(self, module: str) -> None:
        """``module`` defines a ``@timed`` function: a place where the app's ``FunctionApp`` may be."""
        self.app_modules.setdefault(module, None)

    def app_script_is(self, module: str) -> None:
        """A server that embeds the app loads ``module`` as the worker loads its script: the end of its import
        is "app loaded", and the start of it begins the app's part of the timeline."""
        with self._lock:
            self.script = module
            self.app_modules = {module: None, **self.app_modules}
        watch_import_end(module, self._imported)

    def app_module_names(self) -> list[str]:
        """The modules that may hold the app's ``FunctionApp``, the script module first."""
        return list(self.app_modules)

    def app_loaded_now(self, by: str) -> None:
        """The app is loaded (the first report wins; later ones are later by construction)."""
        with self._lock:
            if self.app_loaded is None:
                self.app_loaded, self.app_loaded_by = self._wall(), by

    def function_loaded_now(self) -> None:
        """The worker loaded one of the app's functions (its function-load hook): the last one before a call counts."""
        with self._lock:
            if self.first_call is None:
                self.functions_loaded = self._wall()

    def on_app_loaded(self, callback: Callable[[str], None]) -> None:
        """Call ``callback`` with the app module's name when its import ends (or, unseen, at the first call)."""
        self._app_listeners.append(callback)

    def _app_module_loaded(self, module: str) -> None:
        with self._lock:
            if self._app_checked:
                return
            self._app_checked = True
        for callback in list(self._app_listeners):
            try:
                callback(module)
            except Exception:
                logger.warning("an app-loaded listener failed", exc_info=True)

    def listening_now(self) -> None:
        """The server embedding the app accepts connections from now on: the process can serve."""
        with self._lock:
            if self.listening is None:
                self.listening = self._wall()
            if self.ready is None:
                self.ready, self.ready_by = self.listening, "listening"

    def on_over(self, callback: Callable[[StartupRecord], None]) -> None:
        """Call ``callback`` with the record when start-up is over, in this process and in forked ones."""
        with self._lock:
            self._listeners.append(callback)
            if self.first_call is None:
                return
        callback(self.record())

    def first_call_done(self, name: str, call: FirstCall) -> None:
        """A function's first call ended; the first of them ends start-up (the profiler leaves, a line is logged).

        Where nothing said so before, the process was ready when the
        functions were loaded (the worker's hooks), else when the app's import
        ended, else when this call began.
        """
        started = call.started
        with self._lock:
            if self.first_call is not None:
                return
            if self.app_loaded is None:
                self.app_loaded, self.app_loaded_by = started, "first call (the worker had loaded the app by then)"
            if self.ready is None:
                if self.functions_loaded is not None and self.functions_loaded <= started:
                    self.ready, self.ready_by = self.functions_loaded, "the worker loaded the functions"
                else:
                    self.ready, self.ready_by = min(self.app_loaded, started), self.app_loaded_by
            self.first_call = name
            callbacks = list(self._listeners)
        self.profiler.stop(self.slowest)
        self._app_module_loaded(self.script)
        record = self.record({name: call})
        for callback in callbacks:
            try:
                callback(record)
            except Exception:  # a failing listener must not break the call that ended start-up
                logger.warning("a start-up listener failed", exc_info=True)

    def record(self, first_calls: dict[str, FirstCall] | None = None) -> StartupRecord:
        """A copy of the milestones, with these first calls."""
        return StartupRecord(
            process_started=self.process_started,
            process_started_note=self.process_started_note,
            timer_imported=self.timer_imported,
            app_loaded=self.app_loaded,
            app_loaded_by=self.app_loaded_by,
            listening=self.listening,
            ready=self.ready,
            first_calls=dict(first_calls or {}),
            imports=self.profiler.profile(self.slowest),
            ready_by=self.ready_by,
            first_call=self.first_call,
            app_import_started=self.app_import_started,
            functions_loaded=self.functions_loaded,
            modules_before_timer=self.modules_before_timer,
            placeholder=self.placeholder,
        )

    def forked(self) -> None:
        """In a forked child: a new process, whose imports and app loading happened in the parent."""
        self._lock = threading.Lock()
        self.process_started, self.process_started_note = process_start_time(now=self._wall)
        self.timer_imported = self.modules_before_timer = self.app_import_started = None
        self.app_loaded = self.app_loaded_by = self.functions_loaded = self.listening = None
        self.ready = self.ready_by = self.first_call = None
        if self.profiler.active:
            self.profiler.stop(self.slowest)
        self.profiler = ImportProfiler()
        self.profiler.note = "the process was forked after its imports: they happened in the parent"

    def _imported(self, module: str, cumulative_ns: int | None = None) -> None:
        if module == self.script:
            if cumulative_ns is not None and self.app_import_started is None:
                self.app_import_started = self._wall() - cumulative_ns / 1e9
            self.app_loaded_now(f"import of {module} finished")
            self._app_module_loaded(module)


class _WatchedSpec(ModuleSpec):
    """A module spec that says when its module's import ends, then becomes a plain ``ModuleSpec`` again.

    The import system marks a module's spec ``_initializing = True`` while it
    runs the module's code and sets it back to ``False`` when the import ends
    (``importlib._bootstrap._load_unlocked``, Python 3.4 to 3.13). The module
    that imports this package (``function_app``) is still importing when the
    profiler starts, so the profiler cannot see that import end; this can.
    """

    @property
    def _initializing(self) -> bool:
        return bool(self.__dict__.get("_watched_initializing", False))

    @_initializing.setter
    def _initializing(self, value: bool) -> None:
        self.__dict__["_watched_initializing"] = value
        if not value:
            self.__class__ = ModuleSpec  # type: ignore[assignment]
            self.__dict__.pop("_watched_initializing", None)
            self._initializing = False
            callback = self.__dict__.pop("_watched_callback", None)
            if callback is not None:
                callback(self.name)


def watch_import_end(module: str, callback: Callable[[str], None]) -> bool:
    """Call ``callback(module)`` when the import of ``module``, under way now, ends; False if it is not under way."""
    spec = getattr(sys.modules.get(module), "__spec__", None)
    if type(spec) is not ModuleSpec or not getattr(spec, "_initializing", False):
        return False
    try:
        spec.__dict__["_watched_callback"] = callback
        spec.__dict__["_watched_initializing"] = True
        del spec.__dict__["_initializing"]
        spec.__class__ = _WatchedSpec
    except (TypeError, KeyError, AttributeError):
        spec.__dict__.pop("_watched_callback", None)
        return False
    return True


def script_module(environ: dict[str, str] | os._Environ[str] = os.environ) -> str:
    """The module name of the app's script: ``function_app`` unless ``PYTHON_SCRIPT_FILE_NAME`` says otherwise."""
    name = environ.get("PYTHON_SCRIPT_FILE_NAME", "").strip() or "function_app.py"
    return name[:-3] if name.endswith(".py") else name


def _profiling_wanted(environ: dict[str, str] | os._Environ[str] = os.environ) -> bool:
    return environ.get(PROFILE_ENV_VAR, "").strip().lower() not in _OFF_WORDS


#: This process's start-up, created when the package is imported.
PROCESS = Startup(profile_imports=_profiling_wanted())
