"""What each module's import cost during start-up: ``python -X importtime``, in production.

Every ``import`` of a module that is not in ``sys.modules`` yet reaches
``importlib._bootstrap._find_and_load(name, import_)``: the interpreter looks
that function up by name on the import machinery's module at each such import,
and ``-X importtime`` times exactly that call. :class:`ImportProfiler` puts a
timing wrapper in its place while start-up lasts, so a worker process can
answer "which import made this cold start slow?" where it really runs:

- **cumulative**: the whole import of a module, the modules it imported
  included (``-X importtime``'s "cumulative");
- **self**: cumulative minus the cumulative time of the imports it caused
  (``-X importtime``'s "self").

A module already imported costs nothing and is not seen, as with
``-X importtime``. The profile also keeps when the imports that entered a
top-level package from another one began (``packages``: ``uvicorn`` from
``container.server``, ``azure.functions`` from ``container.loader``), so a
start-up timeline can name what its import time went to. Imports on several threads are timed on each thread's own
stack. :meth:`ImportProfiler.stop` puts the original function back, so after
start-up imports (and invocations) run exactly as without the profiler. The
profiler never touches ``sys.meta_path`` or the modules' loaders.
"""

from __future__ import annotations

import heapq
import sys
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from types import ModuleType
from typing import Any

from .records import Record

__all__ = [
    "DEFAULT_SLOWEST",
    "PACKAGES_KEPT",
    "ImportEntry",
    "ImportProfile",
    "ImportProfiler",
    "PackageImport",
    "bootstrap_module",
]

#: How many of the slowest imports a profile keeps by default.
DEFAULT_SLOWEST = 20
#: How many package entries (see :class:`PackageImport`) a profile keeps: the longest.
PACKAGES_KEPT = 12
NS_PER_MS = 1_000_000


def bootstrap_module() -> ModuleType | None:
    """The module whose ``_find_and_load`` every import goes through (CPython's frozen importlib)."""
    return sys.modules.get("_frozen_importlib") or sys.modules.get("importlib._bootstrap")


class ImportEntry(Record):
    """One module's import, in milliseconds."""

    module: str
    self_ms: float
    cumulative_ms: float


class PackageImport(Record):
    """An import that entered a top-level package from outside it: when it began and how long it took in all.

    ``started_ms`` counts from the profiler's start; ``cumulative_ms`` holds
    the package's own imports and whatever it imported.
    """

    module: str
    started_ms: float
    cumulative_ms: float


class ImportProfile(Record):
    """The imports seen while the profiler ran: the slowest by self time, and the rest summed.

    ``total_ms`` is the time spent importing in all (the cumulative times of
    the outermost imports), so ``sum(self_ms of slowest) + rest_self_ms``
    equals it. ``state`` is ``running`` (start-up not over), ``finished``
    or ``off`` (``note`` says why). A value, never changed once made.
    """

    state: str = "off"
    slowest: Sequence[ImportEntry] = ()
    rest_count: int = 0
    rest_self_ms: float = 0.0
    total_ms: float = 0.0
    modules: int = 0
    note: str | None = None
    packages: Sequence[PackageImport] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "state": self.state,
            "modules": self.modules,
            "total_ms": self.total_ms,
            "slowest": [entry.to_dict() for entry in self.slowest],
            "rest": {"modules": self.rest_count, "self_ms": self.rest_self_ms},
            "packages": [entry.to_dict() for entry in self.packages],
            "note": self.note,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ImportProfile:
        rest = data.get("rest") or {}
        return cls(
            state=str(data["state"]),
            slowest=[ImportEntry.from_dict(entry) for entry in data.get("slowest", [])],
            rest_count=int(rest.get("modules", 0)),
            rest_self_ms=float(rest.get("self_ms", 0.0)),
            total_ms=float(data.get("total_ms", 0.0)),
            modules=int(data.get("modules", 0)),
            note=data.get("note"),
            packages=[PackageImport.from_dict(entry) for entry in data.get("packages", [])],
        )


class ImportProfiler:
    """Times every module import between :meth:`start` and :meth:`stop`.

    Parameters
    ----------
    clock: Callable[[], int]
        Monotonic nanoseconds (``time.perf_counter_ns``).
    on_imported: Callable[[str, int], None], optional
        Called with a module's name and its import's cumulative nanoseconds
        when its import ends (whether it succeeded or not); the start-up
        record uses it to see when the app module's import began and ended.
    """

    def __init__(
        self, clock: Callable[[], int] = time.perf_counter_ns, on_imported: Callable[[str, int], None] | None = None
    ) -> None:
        self._clock = clock
        self._on_imported = on_imported
        self._local = threading.local()
        self._lock = threading.Lock()
        #: (self_ns, cumulative_ns, module, started_ns, depth) of every import that ended.
        self._seen: list[tuple[int, int, str, int, int]] = []
        self._started_ns = 0
        self._total_ns = 0
        self._bootstrap: ModuleType | None = None
        self._original: Callable[..., Any] | None = None
        self._wrapper: Callable[..., Any] | None = None
        self._kept: ImportProfile | None = None
        self.state = "off"
        self.note: str | None = "not started"

    @property
    def active(self) -> bool:
        """Whether the wrapper is in place."""
        return self._wrapper is not None

    def start(self) -> bool:
        """Put the timing wrapper in place; False (with :attr:`note`) where this Python has no such hook."""
        bootstrap = bootstrap_module()
        original = getattr(bootstrap, "_find_and_load", None)
        if bootstrap is None or not callable(original):
            self.note = "this Python's import system has no importlib._bootstrap._find_and_load to time"
            return False
        self._bootstrap, self._original = bootstrap, original
        self._wrapper = self._make_wrapper(original)
        self._started_ns = self._clock()
        bootstrap._find_and_load = self._wrapper  # type: ignore[attr-defined]
        self.state, self.note = "running", None
        return True

    def stop(self, slowest: int = DEFAULT_SLOWEST) -> None:
        """Put the original function back and keep the ``slowest`` imports (and the rest, summed)."""
        wrapper, bootstrap = self._wrapper, self._bootstrap
        if wrapper is None or bootstrap is None:
            return
        if getattr(bootstrap, "_find_and_load", None) is wrapper:
            bootstrap._find_and_load = self._original  # type: ignore[attr-defined]
        # (If something wrapped it again on top of ours, ours stays below and only passes calls through.)
        self._wrapper = None
        self.state = "finished"
        self._kept = self.profile(slowest)
        self._seen = []

    def profile(self, slowest: int = DEFAULT_SLOWEST) -> ImportProfile:
        """The profile so far (while running) or as kept at :meth:`stop`."""
        if self._kept is not None:
            kept = self._kept
            if len(kept.slowest) <= slowest:
                return kept
            return _summarise(
                (
                    (round(e.self_ms * NS_PER_MS), round(e.cumulative_ms * NS_PER_MS), e.module, 0, 0)
                    for e in kept.slowest
                ),
                slowest,
                self.state,
                extra_count=kept.rest_count,
                extra_self_ms=kept.rest_self_ms,
                total_ms=kept.total_ms,
                modules=kept.modules,
                packages=kept.packages,
            )
        if self.state == "off":
            return ImportProfile(state="off", note=self.note)
        with self._lock:
            seen = list(self._seen)
            total_ms = self._total_ns / NS_PER_MS
        return _summarise(
            seen, slowest, self.state, total_ms=total_ms, modules=len(seen), packages=_packages(seen, self._started_ns)
        )

    def _make_wrapper(self, original: Callable[..., Any]) -> Callable[..., Any]:
        clock, local, lock, seen = self._clock, self._local, self._lock, self._seen
        on_imported = self._on_imported
        profiler = self

        def _find_and_load(*args: Any, **kwargs: Any) -> Any:
            if profiler._wrapper is None:  # stopped while another wrapper sat on top of ours
                return original(*args, **kwargs)
            stack = getattr(local, "stack", None)
            if stack is None:
                stack = local.stack = []
            stack.append(0)
            start = clock()
            try:
                return original(*args, **kwargs)
            finally:
                cumulative = clock() - start
                children = stack.pop()
                name = str(args[0]) if args else str(kwargs.get("name", "?"))
                with lock:
                    seen.append((max(0, cumulative - children), cumulative, name, start, len(stack)))
                    if stack:
                        stack[-1] += cumulative
                    else:
                        profiler._total_ns += cumulative
                if on_imported is not None:
                    on_imported(name, cumulative)

        return _find_and_load


def _packages(seen: Iterable[tuple[int, int, str, int, int]], origin_ns: int) -> list[PackageImport]:
    """The imports that entered a top-level package from another one, the :data:`PACKAGES_KEPT` longest.

    Each import's parent is the import open one level up when it began
    (rebuilt from start times and depths, so imports on other threads at the
    same moment may be attributed loosely; a profile is a sketch of a start).
    """
    by_start = sorted(seen, key=lambda entry: entry[3])
    open_at: dict[int, str] = {}
    entries = []
    for _, cumulative, name, started, depth in by_start:
        open_at[depth] = name
        parent = open_at.get(depth - 1) if depth else None
        if parent is None or parent.partition(".")[0] != name.partition(".")[0]:
            entries.append((cumulative, started, name))
    longest = heapq.nlargest(PACKAGES_KEPT, entries)
    return [
        PackageImport(name, max(0, started - origin_ns) / NS_PER_MS, cumulative / NS_PER_MS)
        for cumulative, started, name in sorted(longest, key=lambda entry: entry[1])
    ]


def _summarise(
    seen: Iterable[tuple[int, int, str, int, int]],
    slowest: int,
    state: str,
    *,
    total_ms: float,
    modules: int,
    extra_count: int = 0,
    extra_self_ms: float = 0.0,
    packages: Sequence[PackageImport] | None = None,
) -> ImportProfile:
    """Keep the ``slowest`` entries by self time; sum the rest."""
    entries = list(seen)
    top = heapq.nlargest(max(0, slowest), entries, key=lambda entry: (entry[0], entry[1]))
    rest_self_ns = sum(entry[0] for entry in entries) - sum(entry[0] for entry in top)
    return ImportProfile(
        state=state,
        slowest=[ImportEntry(entry[2], entry[0] / NS_PER_MS, entry[1] / NS_PER_MS) for entry in top],
        rest_count=len(entries) - len(top) + extra_count,
        rest_self_ms=rest_self_ns / NS_PER_MS + extra_self_ms,
        total_ms=total_ms,
        modules=modules,
        packages=list(packages or []),
    )
