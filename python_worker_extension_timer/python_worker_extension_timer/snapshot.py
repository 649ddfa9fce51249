"""One process's statistics as data, and the merge of several processes' into one view.

A :class:`ProcessRecord` is what one worker process recorded: per function,
a :class:`~.function_stats.FunctionRecord` (since start and per minute). It
travels between processes as JSON (:meth:`ProcessRecord.to_json`, read back,
checked, by :func:`.checks.check_record`). A
:class:`MergedView` adds the records of every process of a server, exactly,
and is what ``TimerExtension.stats()`` and the Prometheus exposition read.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from .function_stats import DEFAULT_HISTORY_MINUTES, WINDOW_MINUTES, FunctionRecord
from .startup import StartupRecord
from .tally import Tally, minute_summary
from .triggers import OTHER as OTHER_TRIGGER

__all__ = ["ProcessRecord", "MergedView", "FORMAT_VERSION", "iso_time", "merge_functions"]

#: Bumped when the JSON form changes; records of another format are skipped.
FORMAT_VERSION = 4
OFF = "off"
#: Why nothing is recorded, when nothing is.
NOT_RECORDING = (
    "nothing is being recorded: the worker runs no extension hooks here (PYTHON_ENABLE_WORKER_EXTENSIONS "
    "is not 1/true, or Python 3.13+, whose worker runs no extensions) and no function is decorated with "
    "@timed"
)


def iso_time(seconds: float) -> str:
    """Seconds since the epoch as an ISO 8601 UTC time to the second, e.g. ``2026-12-01T12:01:07Z``."""
    return datetime.fromtimestamp(int(seconds), tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class ProcessRecord:
    """What one worker process recorded, as of ``updated``."""

    pid: int
    started: float  #: wall-clock seconds when the process's statistics began
    updated: float  #: wall-clock seconds when this record was taken
    in_flight: int
    functions: dict[str, FunctionRecord] = field(default_factory=dict)
    #: How the process records: "hooks", "decorator", "hooks and decorator" or "off".
    mode: str = "off"
    alive: bool = True
    #: The process's start-up (see :mod:`.startup`); ``None`` in records that carry none.
    startup: StartupRecord | None = None
    #: Each function's trigger kind (OpenTelemetry's ``faas.trigger``: ``http``, ``timer``, ``pubsub``, ...).
    triggers: dict[str, str] = field(default_factory=dict)
    #: How many processes the record stands for: 1, or more for the exited processes folded together
    #: (see :mod:`.dead`), whose pid is then 0.
    folded: int = 1

    @property
    def count(self) -> int:
        return sum(record.total.count for record in self.functions.values())

    @property
    def errors(self) -> int:
        return sum(record.total.errors for record in self.functions.values())

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form, read back by :meth:`from_dict`."""
        return {
            "format": FORMAT_VERSION,
            "pid": self.pid,
            "started": self.started,
            "updated": self.updated,
            "in_flight": self.in_flight,
            "mode": self.mode,
            "folded": self.folded,
            "triggers": self.triggers,
            "startup": None if self.startup is None else self.startup.to_dict(),
            "functions": {
                name: {
                    "total": record.total.to_dict(),
                    "minutes": {str(minute): tally.to_dict() for minute, tally in record.minutes.items()},
                }
                for name, record in self.functions.items()
            },
        }

    def to_json(self) -> bytes:
        return json.dumps(self.to_dict(), separators=(",", ":")).encode()

    @classmethod
    def from_dict(cls, data: Any) -> ProcessRecord:
        """The record :meth:`to_dict` wrote; ``ValueError`` if ``data`` is not one (types only: see :mod:`.checks`)."""
        try:
            if data.get("format") != FORMAT_VERSION:
                raise ValueError(f"format {data.get('format')!r}, expected {FORMAT_VERSION}")
            return cls(
                pid=int(data["pid"]),
                started=float(data["started"]),
                updated=float(data["updated"]),
                in_flight=int(data["in_flight"]),
                mode=str(data["mode"]),
                folded=int(data.get("folded", 1)),
                startup=None if data.get("startup") is None else StartupRecord.from_dict(data["startup"]),
                triggers={str(name): str(kind) for name, kind in (data.get("triggers") or {}).items()},
                functions={
                    str(name): FunctionRecord(
                        total=Tally.from_dict(entry["total"]),
                        minutes={int(m): Tally.from_dict(t) for m, t in entry["minutes"].items()},
                    )
                    for name, entry in data["functions"].items()
                },
            )
        except (KeyError, TypeError, AttributeError, ValueError, OverflowError) as error:
            raise ValueError(f"not a statistics record: {error!r}") from None


def merge_functions(
    processes: list[ProcessRecord], start: dict[str, FunctionRecord] | None = None
) -> dict[str, FunctionRecord]:
    """Per function, the records of ``processes`` (and ``start``, not changed) added together, by name."""
    merged: dict[str, FunctionRecord] = {}
    for functions in [start or {}] + [p.functions for p in processes]:
        for name, record in functions.items():
            mine = merged.get(name)
            if mine is None:
                mine = merged[name] = FunctionRecord(Tally(), {})
            mine.merge(record)
    return dict(sorted(merged.items()))


@dataclass
class MergedView:
    """The statistics of several processes added together.

    Parameters
    ----------
    processes: list[ProcessRecord]
        Every process's record, this process's own included.
    now: float
        Wall-clock seconds of the read; the window and the history end at its minute.
    history_minutes: int
        Minutes of history to report, the current one included.
    skipped: list[tuple[str, str]]
        The files of the shared directory that were not read, with why.
    premerged: dict[str, FunctionRecord], optional
        The functions of every process but the first (this one) already
        added together, as the reader of the other processes' files keeps
        them: only the first is added per read.
    """

    processes: list[ProcessRecord]
    now: float = field(default_factory=time.time)
    history_minutes: int = DEFAULT_HISTORY_MINUTES
    skipped: list[tuple[str, str]] = field(default_factory=list)
    premerged: dict[str, FunctionRecord] | None = None
    functions: dict[str, FunctionRecord] = field(init=False)

    def __post_init__(self) -> None:
        if self.premerged is None:
            self.functions = merge_functions(self.processes)
        else:
            self.functions = merge_functions(self.processes[:1], self.premerged)
        self.processes = sorted(self.processes, key=lambda p: (p.started, p.pid))

    def trigger_of(self, name: str) -> str:
        """The trigger kind of function ``name`` as the processes know it; ``other`` when none does."""
        for process in self.processes:
            kind = process.triggers.get(name)
            if kind is not None and kind != OTHER_TRIGGER:
                return kind
        return OTHER_TRIGGER

    @property
    def now_minute(self) -> int:
        return int(self.now // 60)

    @property
    def since(self) -> float | None:
        """When the earliest process began recording."""
        return min((p.started for p in self.processes), default=None)

    @property
    def in_flight(self) -> int:
        """Invocations open in processes that are alive."""
        return sum(p.in_flight for p in self.processes if p.alive)

    def window(self) -> dict[str, Tally]:
        """Per function, the last :data:`WINDOW_MINUTES` whole minutes and the current one."""
        return {name: record.window(self.now_minute) for name, record in self.functions.items()}

    def history(self) -> dict[str, list[dict[str, Any]]]:
        """Per function, one entry per minute of the history, oldest first (see :func:`.tally.minute_summary`)."""
        return {
            name: [
                minute_summary(iso_time(minute * 60), tally)
                for minute, tally in record.history(self.now_minute, self.history_minutes)
            ]
            for name, record in self.functions.items()
        }

    def window_start(self) -> float:
        """Wall-clock seconds at which the window begins."""
        return float((self.now_minute - WINDOW_MINUTES) * 60)

    def coverage(self) -> str:
        """A plain statement of what the figures cover, e.g. ``2 worker processes, since 12:01:07 UTC``."""
        alive = sum(1 for p in self.processes if p.alive)
        exited = sum(p.folded for p in self.processes if not p.alive)
        text = f"{alive} worker process" + ("" if alive == 1 else "es")
        if exited:
            text += f" (and {exited} that exited, whose counts are kept)"
        since = self.since
        if since is not None:
            text += ", since " + iso_time(since)[11:19] + " UTC"
        return text

    @property
    def mode(self) -> str:
        """How the processes record invocations; ``off`` when none does."""
        modes = sorted({p.mode for p in self.processes if p.mode != OFF})
        return " / ".join(modes) if modes else OFF

    def startups(self) -> list[tuple[ProcessRecord, StartupRecord]]:
        """Every process's start-up record, oldest process first."""
        return [(p, p.startup) for p in self.processes if p.startup is not None]

    def init_seconds(self) -> list[float]:
        """Process start to ready, in seconds, of every process that got ready."""
        return [s.init_seconds for _, s in self.startups() if s.init_seconds is not None]

    def coldstarts(self) -> dict[str, int]:
        """Per function, how many processes ran its first (cold) call."""
        counts: dict[str, int] = {}
        for _, startup in self.startups():
            for name in startup.first_calls:
                counts[name] = counts.get(name, 0) + 1
        return dict(sorted(counts.items()))

    def startup_summary(self, slowest: int = 10) -> dict[str, Any]:
        """Cold starts across processes: how many (in all, in the last hour), time to ready (p50, max), first calls,
        slowest imports.

        ``slowest_imports`` lists modules by their slowest self time in any
        process, with ``processes``: in how many processes' profiles it is.
        """
        starts = self.startups()
        ready = sorted(self.init_seconds())
        imports: dict[str, dict[str, Any]] = {}
        for _, startup in starts:  # per module, the slowest of the processes that imported it
            for entry in startup.imports.slowest:
                seen = imports.get(entry.module)
                if seen is None:
                    imports[entry.module] = {**entry.to_dict(), "processes": 1}
                    continue
                seen["processes"] += 1
                if entry.self_ms > seen["self_ms"]:
                    seen.update(self_ms=entry.self_ms, cumulative_ms=entry.cumulative_ms)
        slowest_imports = sorted(imports.values(), key=lambda entry: -float(entry["self_ms"]))[:slowest]
        first_calls: dict[str, list[dict[str, Any]]] = {}
        for p, startup in starts:
            for name, call in startup.first_calls.items():
                first_calls.setdefault(name, []).append({"pid": p.pid, "duration_ms": call.duration_ms})
        hour_ago = self.now - 3600
        return {
            "process_starts": len(starts) + sum(p.folded for p in self.processes if p.startup is None and p.pid == 0),
            "process_starts_last_hour": sum(
                1 for _, startup in starts if startup.origin is not None and startup.origin >= hour_ago
            ),
            "ready": len(ready),
            "time_to_ready_ms": {
                "p50": None if not ready else ready[(len(ready) - 1) // 2] * 1000,
                "max": None if not ready else ready[-1] * 1000,
            },
            "first_calls": dict(sorted(first_calls.items())),
            "slowest_imports": slowest_imports,
        }

    def to_dict(self, extension: str, version: str) -> dict[str, Any]:
        """The JSON-ready statistics ``TimerExtension.stats()`` returns."""
        since = self.since
        mode = self.mode
        history = self.history()
        return {
            "extension": extension,
            "version": version,
            "enabled": mode != OFF,
            "mode": mode,
            "reason": NOT_RECORDING if mode == OFF else None,
            "in_flight": self.in_flight,
            "functions": {
                name: {"trigger": self.trigger_of(name), **record.total.summary(), "history": history[name]}
                for name, record in self.functions.items()
            },
            "window": {
                "minutes": WINDOW_MINUTES,
                "from": iso_time(self.window_start()),
                "to": iso_time(self.now),
                "functions": {name: tally.summary() for name, tally in self.window().items()},
            },
            "history": {
                "minutes": self.history_minutes,
                "from": iso_time((self.now_minute - self.history_minutes + 1) * 60),
                "to": iso_time(self.now),
            },
            "since": iso_time(since) if since is not None else None,
            "coverage": self.coverage(),
            "processes": [
                {
                    "pid": p.pid,
                    "alive": p.alive,
                    "since": iso_time(p.started),
                    "count": p.count,
                    "errors": p.errors,
                    "in_flight": p.in_flight if p.alive else 0,
                    "functions": {name: record.total.count for name, record in sorted(p.functions.items())},
                    "startup": None if p.startup is None else p.startup.to_dict(),
                    "folded": p.folded,
                }
                for p in self.processes
            ],
            "skipped_files": [{"file": name, "reason": reason} for name, reason in self.skipped],
            "startup": self.startup_summary(),
        }
