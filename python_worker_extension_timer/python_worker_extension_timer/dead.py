"""The run's exited processes, folded into one file of bounded size.

When a reader finds a process's file whose lock is free (the process is
gone), it folds that file into the run's record of dead processes and
removes it, under the directory's fold lock, so that two readers never fold
the same file twice. The record keeps the :data:`RECENT` most recent dead
processes one by one (they stay listed with their pid and start-up) and
adds the older ones into one aggregate (pid 0, ``folded`` = how many), so
its size does not grow with the number of restarts.

A fold writes the new record aside and renames it, and only then removes
the folded file; a name is kept in ``unlinking`` until the file is seen
gone, so a reader killed between the two steps cannot make the file count
twice. When the record cannot be written (a full or read-only directory),
nothing is folded and the dead processes' files are read as they are.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .checks import BadRecord, check_record_dict, load_json
from .function_stats import FunctionRecord
from .run import Run
from .snapshot import ProcessRecord
from .tally import Tally

__all__ = ["DEAD_SUFFIX", "RECENT", "DeadRecord", "fold_lock", "read_dead", "write_dead"]

DEAD_SUFFIX = ".dead"
#: Dead processes listed one by one; older ones are added into the aggregate.
RECENT = 16
_FORMAT = 1
#: The largest dead record a reader opens.
MAX_DEAD_BYTES = 16 * 1024 * 1024


@dataclass
class DeadRecord:
    """The exited processes of one run."""

    recent: list[ProcessRecord] = field(default_factory=list)
    aggregate: ProcessRecord | None = None
    #: Files folded in whose removal was not yet seen.
    unlinking: list[str] = field(default_factory=list)

    def records(self) -> list[ProcessRecord]:
        """What the dead processes count: the recent ones and the aggregate, all marked exited."""
        records = [*self.recent, *([] if self.aggregate is None else [self.aggregate])]
        for record in records:
            record.alive = False
        return records

    def add(self, record: ProcessRecord) -> None:
        """Fold in one more dead process's record."""
        record.in_flight = 0
        self.recent.append(record)
        self.recent.sort(key=lambda r: (r.started, r.pid))
        while len(self.recent) > RECENT:
            self._aggregate(self.recent.pop(0))

    def _aggregate(self, record: ProcessRecord) -> None:
        total = self.aggregate
        if total is None:
            total = self.aggregate = ProcessRecord(
                pid=0, started=record.started, updated=record.updated, in_flight=0, mode=record.mode, folded=0
            )
        total.folded += record.folded
        total.started = min(total.started, record.started)
        total.updated = max(total.updated, record.updated)
        for name, function in record.functions.items():
            mine = total.functions.setdefault(name, FunctionRecord(Tally(), {}))
            mine.merge(function)
        for name, kind in record.triggers.items():
            total.triggers.setdefault(name, kind)

    def to_json(self) -> bytes:
        data: dict[str, Any] = {
            "format": _FORMAT,
            "recent": [r.to_dict() for r in self.recent],
            "aggregate": None if self.aggregate is None else self.aggregate.to_dict(),
            "unlinking": self.unlinking,
        }
        return json.dumps(data, separators=(",", ":")).encode()


def dead_path(directory: Path, prefix: str, run: Run) -> Path:
    return directory / f"{prefix}-{run.id}{DEAD_SUFFIX}"


def read_dead(raw: bytes, run: Run, now: float) -> DeadRecord:
    """The dead record in ``raw``, every record in it checked (:class:`.checks.BadRecord` if one fails)."""
    data = load_json(raw)
    if not isinstance(data, dict) or data.get("format") != _FORMAT:
        raise BadRecord("not a dead-process record of this format")
    recent, aggregate, unlinking = data.get("recent"), data.get("aggregate"), data.get("unlinking")
    if not isinstance(recent, list) or len(recent) > RECENT or not isinstance(unlinking, list):
        raise BadRecord("not a dead-process record of this format")
    if not all(isinstance(name, str) for name in unlinking):
        raise BadRecord("not a dead-process record of this format")
    return DeadRecord(
        recent=[check_record_dict(r, run, now) for r in recent],
        aggregate=None if aggregate is None else check_record_dict(aggregate, run, now, pid_may_be_zero=True),
        unlinking=list(unlinking),
    )


def write_dead(path: Path, record: DeadRecord) -> None:
    """Replace the dead record (aside, then renamed; nothing left behind on failure)."""
    hidden = path.with_name(f".{path.name}.new")
    try:
        with open(hidden, "wb") as out:
            out.write(record.to_json())
        os.replace(hidden, path)
    except BaseException:
        with contextlib.suppress(OSError):
            hidden.unlink()
        raise


class fold_lock:  # noqa: N801 - used as a context manager, like a function
    """The directory's fold lock for one run's prefix: one folder at a time (``OSError`` if it cannot be made)."""

    def __init__(self, directory: Path, prefix: str, run: Run) -> None:
        self.path = directory / f".{prefix}-{run.id}.lock"
        self.fd = -1

    def __enter__(self) -> fold_lock:
        self.fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC | os.O_NOFOLLOW | os.O_NONBLOCK, 0o600)
        try:
            if not stat.S_ISREG(os.fstat(self.fd).st_mode):
                raise OSError(f"{self.path.name} is not a regular file")
            fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # busy: another reader folds now
        except BaseException:
            os.close(self.fd)
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        os.close(self.fd)
