"""Statistics shared by the worker processes of one server: a file per process.

A server that runs several worker processes sets :data:`ENV_VAR` to a
directory it creates empty at start and removes at exit. Each process then
runs a :class:`Publisher`: a daemon thread that every
:data:`PUBLISH_INTERVAL_SECONDS` writes the process's statistics to its own
file there (written aside, then renamed, so a reader never sees half a file).
A reader merges every file with its own live statistics. The files of
processes that died stay, so what they recorded stays in the totals.

Why files and not shared memory: the invocation path stays exactly as it is
(no lock, no I/O, no shared page to write); a file per process has a single
writer, so nothing needs a cross-process lock; and the reader's view is at
most one interval behind, which the pages and a Prometheus scrape tolerate.
(``prometheus_client``'s multiprocess mode takes a lock and writes a shared
page on every observation, and would need one value per bucket.)
"""

from __future__ import annotations

import atexit
import logging
import os
import threading
import time
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # imported where used: a process of a server without a shared directory never loads them
    from pathlib import Path

    from .snapshot import ProcessRecord

__all__ = [
    "ENV_VAR",
    "PUBLISH_INTERVAL_SECONDS",
    "STALE_AFTER_SECONDS",
    "Publisher",
    "read_records",
    "shared_directory",
]

#: The environment variable naming the directory shared by a server's worker processes.
ENV_VAR = "TIMER_MULTIPROCESS_DIR"
#: How often each process writes its file: the most a merged read lags behind.
PUBLISH_INTERVAL_SECONDS = 0.5
#: A process whose file was not rewritten for this long is reported as exited.
STALE_AFTER_SECONDS = 5.0
_SUFFIX = ".json"

logger = logging.getLogger("python_worker_extension_timer")


def shared_directory(environ: os._Environ[str] | dict[str, str] | None = None) -> Path | None:
    """The directory named by :data:`ENV_VAR`, or ``None`` when the variable is unset or empty."""
    value = (os.environ if environ is None else environ).get(ENV_VAR, "").strip()
    if not value:
        return None
    from pathlib import Path

    return Path(value)


class Publisher:
    """Writes one process's statistics to its file in the shared directory, periodically.

    Parameters
    ----------
    directory: Path
        The shared directory (created by the server).
    prefix: str
        Distinguishes the extension classes whose files share the directory.
    take: Callable[[], ProcessRecord]
        Takes this process's record; called on the publisher's thread.
    interval: float
        Seconds between writes.
    """

    def __init__(
        self,
        directory: Path,
        prefix: str,
        take: Callable[[], ProcessRecord],
        interval: float = PUBLISH_INTERVAL_SECONDS,
    ) -> None:
        self.directory = directory
        self.prefix = prefix
        self.take = take
        self.interval = interval
        self.pid = os.getpid()
        # The pid may be reused by a later process: a random part keeps the dead one's file.
        self.path = directory / f"{prefix}-{self.pid}-{uuid.uuid4().hex[:8]}{_SUFFIX}"
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"{prefix}-publisher", daemon=True)
        self._warned = False

    def start(self) -> Publisher:
        """Write once, start the thread, and write a last time when the process exits normally."""
        self.publish()
        self._thread.start()
        atexit.register(self.stop)
        return self

    def stop(self) -> None:
        """Stop the thread and write a last time (once: later calls do nothing)."""
        if self._stop.is_set():
            return
        self._stop.set()
        atexit.unregister(self.stop)
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join(timeout=2 * self.interval + 1)
        self.publish()

    def publish(self) -> None:
        """Write the current record now; problems are logged once and never raised."""
        try:
            temporary = self.path.with_suffix(".tmp")
            temporary.write_bytes(self.take().to_json())
            os.replace(temporary, self.path)
        except Exception as error:  # a full or removed directory must not break the process
            if not self._warned:
                self._warned = True
                logger.warning("could not write the timer statistics to %s: %s", self.path, error)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.publish()


def read_records(
    directory: Path, prefix: str, skip: Path | None = None, now: float | None = None
) -> list[ProcessRecord]:
    """The records of the other processes in ``directory``, marked alive or exited.

    Files that cannot be read or parsed (another format, a directory removed
    under us) are skipped.
    """
    from .snapshot import ProcessRecord

    now = time.time() if now is None else now
    records = []
    try:
        paths = [p for p in directory.iterdir() if p.name.startswith(prefix + "-") and p.suffix == _SUFFIX]
    except OSError:
        return []
    for path in paths:
        if skip is not None and path == skip:
            continue
        try:
            record = ProcessRecord.from_json(path.read_bytes())
        except (OSError, ValueError):
            continue
        record.alive = now - record.updated <= STALE_AFTER_SECONDS
        records.append(record)
    return records
