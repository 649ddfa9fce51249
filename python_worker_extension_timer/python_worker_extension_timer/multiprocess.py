"""Statistics shared by the worker processes of one server: a file per process, read off the event loop.

A server that runs several worker processes sets :data:`ENV_VAR` to a
directory it creates empty at start and removes at exit, and the run's
identity and clock in :data:`.run.RUN_ENV_VAR`. Each process then keeps a
:class:`Storage`: its own file (:mod:`.journal`: every finished call is in
it before the response leaves the process) and a publisher thread that,
every :data:`PUBLISH_INTERVAL_SECONDS` (sooner when the journal fills),

* creates the file if it does not exist yet (a full or read-only directory:
  logged once, retried, and logged again when it works),
* writes a snapshot of the process's statistics into it,
* reads every other file of the run into a cache (twice per interval),
  folding the files of dead processes into the run's record of them
  (:mod:`.dead`).

A read of the statistics on an event loop (a request's handler) takes the
cache and never touches a file; elsewhere it reads the files itself. A file
that fails a check is skipped and named, with why, in the statistics and in
one log line per file and reason. Files of another run are never added in.
"""

from __future__ import annotations

import atexit
import contextlib
import logging
import os
import sys
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from .checks import BadRecord
from .dead import DEAD_SUFFIX, MAX_DEAD_BYTES, DeadRecord, dead_path, fold_lock, read_dead, write_dead
from .function_stats import FunctionRecord
from .journal import PROCESS_SUFFIX, OpenedFile, ProcessFile, Unreadable, open_process_file, open_regular
from .run import SHARED_DIR_ENV_VAR as ENV_VAR
from .run import Run, shared_directory
from .snapshot import ProcessRecord, merge_functions

if TYPE_CHECKING:
    from pathlib import Path

__all__ = ["ENV_VAR", "PUBLISH_INTERVAL_SECONDS", "Others", "Storage", "shared_directory"]

#: How often each process writes its snapshot; it reads the others' twice as often.
PUBLISH_INTERVAL_SECONDS = 0.5

logger = logging.getLogger("python_worker_extension_timer")

#: The other processes' records, the files skipped (name, reason), and the records' functions added together.
Others = tuple[list[ProcessRecord], list[tuple[str, str]], dict[str, FunctionRecord]]


def on_event_loop() -> bool:
    """Whether this thread runs an asyncio event loop now (without importing asyncio when nothing did)."""
    asyncio = sys.modules.get("asyncio")
    if asyncio is None:
        return False
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


class Storage:
    """One process's file in the shared directory and its cached view of the other processes' files.

    Parameters
    ----------
    directory: Path
        The shared directory (created by the server).
    prefix: str
        Distinguishes the extension classes whose files share the directory.
    run: Run
        The server run: files of another run are not read.
    attach: Callable[[ProcessFile], None]
        Connects the invocation path to the file's journal (called at every publish, under no lock).
    take: Callable[[], ProcessRecord]
        This process's record; called under the journal's lock.
    interval: float
        Seconds between publishes.
    """

    def __init__(
        self,
        directory: Path,
        prefix: str,
        run: Run,
        attach: Callable[[ProcessFile], None],
        take: Callable[[], ProcessRecord],
        interval: float = PUBLISH_INTERVAL_SECONDS,
    ) -> None:
        self.directory = directory
        self.prefix = prefix
        self.run = run
        self.attach = attach
        self.take = take
        self.interval = interval
        self.pid = os.getpid()
        self.file: ProcessFile | None = None
        self._tick_lock = threading.Lock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"{prefix}-publisher", daemon=True)
        self._cache: Others = ([], [], {})
        self._failing: str | None = None
        self._logged: set[tuple[str, str]] = set()
        #: Files skipped for good until they change: name -> (what ``lstat`` said, the reason).
        self._verdicts: dict[str, tuple[tuple[int, ...], str]] = {}

    # --- life cycle ------------------------------------------------------

    def start(self) -> Storage:
        """Publish and read once, start the thread, and publish a last time when the process exits normally."""
        self.tick()
        self._thread.start()
        atexit.register(self.stop)
        return self

    def stop(self) -> None:
        """Stop the thread, write a last snapshot and close the file (once: later calls do nothing)."""
        if self._stop.is_set():
            return
        self._stop.set()
        self._wake.set()
        atexit.unregister(self.stop)
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join(timeout=2 * self.interval + 1)
        with self._tick_lock:
            self._publish()
            if self.file is not None:
                self.file.close()
                self.file = None

    def forget(self) -> None:
        """In a forked child: the parent's file is the parent's (its lock stays with the parent)."""
        self._stop.set()
        if self.file is not None:
            self.file.forget()
            self.file = None

    def nudge(self) -> None:
        """Publish soon (the journal is filling, or a first call changed the start-up record)."""
        self._wake.set()

    def _run(self) -> None:
        """Read the others twice per interval (what a request reads is at most half of it old); publish once,
        or at once when nudged."""
        published = time.monotonic()
        while not self._stop.is_set():
            nudged = self._wake.wait(self.interval / 2)
            self._wake.clear()
            if self._stop.is_set():
                return
            publish = nudged or time.monotonic() - published >= self.interval * 0.99
            try:
                self.tick(publish)
            except Exception as error:  # the thread must live on: the next round may succeed
                self._problem(error)
            if publish:
                published = time.monotonic()

    def _problem(self, error: Exception) -> None:
        kind = ("publisher", type(error).__qualname__)
        if kind not in self._logged:
            self._logged.add(kind)
            logger.warning(
                "timer statistics: the publisher of process %d failed once: %r", self.pid, error, exc_info=error
            )

    # --- one round ---------------------------------------------------------

    def tick(self, publish: bool = True) -> None:
        """Publish this process's snapshot (unless told not to), then read the other processes' files."""
        with self._tick_lock:
            if publish:
                self._publish()
            others = self.read_others()
            self._cache = others

    def others(self) -> Others:
        """The other processes' records: the cache on an event loop, else read now."""
        if on_event_loop() or self._stop.is_set():
            return self._cache
        with self._tick_lock:
            self._cache = self.read_others()
            return self._cache

    def _publish(self) -> None:
        try:
            file = self.file
            if file is None:
                file = ProcessFile.create(self.directory, self.prefix, self.run, self.nudge)
                self.file = file
            self.attach(file)
            with file.journal.lock:
                position = file.journal.position
                record = self.take()
            file.write_snapshot(record.to_json(), position)
        except OSError as error:
            self._failed(error)
            return
        self._recovered()

    def _failed(self, error: OSError) -> None:
        if self._failing is None:
            self._failing = str(error)
            logger.warning(
                "could not write the timer statistics of process %d to %s: %s (kept in memory: written "
                "when the directory takes them again)",
                self.pid,
                self.directory,
                error,
            )

    def _recovered(self) -> None:
        if self._failing is not None:
            self._failing = None
            logger.warning("the timer statistics of process %d are written to %s again", self.pid, self.directory)

    # --- the others --------------------------------------------------------

    def read_others(self) -> Others:
        """Every other process file of the run, checked; dead processes' files folded when possible."""
        now = self.run.now()
        skipped: list[tuple[str, str]] = []
        try:
            names = sorted(os.listdir(self.directory))
        except OSError as error:
            self._skip(skipped, self.directory.name or str(self.directory), f"directory unreadable ({error})")
            return [], skipped, {}
        for gone in set(self._verdicts) - set(names):
            del self._verdicts[gone]
        own = None if self.file is None else self.file.path.name
        mine = dead_path(self.directory, self.prefix, self.run).name
        alive: list[ProcessRecord] = []
        dead: list[OpenedFile] = []
        for name in names:
            if name.startswith(".") or not name.startswith(self.prefix + "-") or name in (own, mine):
                continue
            if name.endswith(DEAD_SUFFIX):
                self._skip(skipped, name, "of another server run")
                continue
            if not name.endswith(PROCESS_SUFFIX):
                continue
            path = self.directory / name
            try:
                status = os.lstat(path)
            except OSError:
                continue  # gone meanwhile (folded by another reader)
            seen = (status.st_ino, status.st_mode, status.st_size, status.st_mtime_ns, status.st_ctime_ns)
            verdict = self._verdicts.get(name)
            if verdict is not None and verdict[0] == seen:  # unchanged since it was refused: not read again
                skipped.append((name, verdict[1]))
                continue
            try:
                opened = open_process_file(path, self.run, now)
            except Unreadable as bad:
                self._skip(skipped, name, bad.reason)
                if bad.final:
                    self._verdicts[name] = (seen, bad.reason)
                continue
            if opened.alive:
                opened.close()
                alive.append(opened.record)
            else:
                dead.append(opened)
        records = alive + self._dead_records(dead, now, skipped)
        premerged = merge_functions(records)
        for function in premerged.values():  # only the non-empty buckets: what a read adds is small
            for tally in [function.total, *function.minutes.values()]:
                tally.hist.compact()
        return records, skipped, premerged

    def _dead_records(self, files: list[OpenedFile], now: float, skipped: list[tuple[str, str]]) -> list[ProcessRecord]:
        """The run's dead processes: the record of them with ``files`` folded in, or as they are when it cannot."""
        path = dead_path(self.directory, self.prefix, self.run)
        try:
            try:
                with fold_lock(self.directory, self.prefix, self.run):
                    record = self._read_dead(path, now, skipped)
                    if record is None:
                        return self._unfolded(files)
                    self._fold(record, files, path)
                    return record.records()
            except OSError:  # no lock (a read-only directory, another reader folding) or no write: read as they are
                record = self._read_dead(path, now, skipped)
                return self._unfolded(files, record)
        finally:
            for opened in files:
                opened.close()

    def _fold(self, record: DeadRecord, files: list[OpenedFile], path: Path) -> None:
        record.unlinking = [name for name in record.unlinking if (self.directory / name).exists()]
        folded = []
        for opened in files:
            name = opened.path.name
            if name in record.unlinking:  # folded before; its removal did not happen
                _unlink(opened.path)
                continue
            if os.fstat(opened.fd).st_nlink == 0:  # another reader folded it meanwhile
                continue
            record.add(opened.record)
            record.unlinking.append(name)
            folded.append(opened)
        if folded:
            write_dead(path, record)
            for opened in folded:
                _unlink(opened.path)

    def _unfolded(self, files: list[OpenedFile], record: DeadRecord | None = None) -> list[ProcessRecord]:
        listed = [] if record is None else record.records()
        done = set() if record is None else set(record.unlinking)
        for opened in files:
            if opened.path.name not in done:
                opened.record.alive = False
                opened.record.in_flight = 0
                listed.append(opened.record)
        return listed

    def _read_dead(self, path: Path, now: float, skipped: list[tuple[str, str]]) -> DeadRecord | None:
        """The run's dead record (empty when there is none yet); ``None`` when it fails a check."""
        try:
            fd, status = open_regular(path, MAX_DEAD_BYTES)
        except Unreadable as bad:
            if not path.exists() and not path.is_symlink():
                return DeadRecord()
            self._skip(skipped, path.name, bad.reason)
            return None
        try:
            raw = os.pread(fd, status.st_size, 0)
        except OSError as error:
            self._skip(skipped, path.name, f"cannot be read ({error})")
            return None
        finally:
            os.close(fd)
        try:
            return read_dead(raw, self.run, now)
        except BadRecord as bad:
            self._skip(skipped, path.name, str(bad))
            return None

    def _skip(self, skipped: list[tuple[str, str]], name: str, reason: str) -> None:
        skipped.append((name, reason))
        if len(self._logged) > 10_000:  # hostile names by the thousand: forget, log again
            self._logged.clear()
        if (name, reason) not in self._logged:
            self._logged.add((name, reason))
            logger.warning("timer statistics: skipped %s in %s: %s", name, self.directory, reason)


def _unlink(path: Path) -> None:
    with contextlib.suppress(OSError):
        path.unlink()
