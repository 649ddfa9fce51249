"""One process's statistics file: written in place as each call finishes, so a killed process loses nothing.

The file is memory-mapped by its process and laid out in fixed parts:

=============  =========================================================
header         magic, format, the run's id, the pid, and where the
               latest snapshot lies (guarded by a sequence number)
names          the functions' names (JSON strings, one a line), in the
               order their numbers were given
journal        a ring of :data:`RING_SLOTS` entries of 32 bytes: one per
               finished (or abandoned) call, written before the response
               leaves the process
snapshots      two areas, used in turn, for the process's statistics as
               JSON (:class:`.snapshot.ProcessRecord`) and the journal
               position they cover; the file grows when one does not fit
=============  =========================================================

A reader takes the latest snapshot and adds the journal entries after its
position: the figures of that process as of its last finished call, also
after a SIGKILL. The process holds an exclusive ``flock`` on its file for
as long as it lives, which the kernel releases when it dies, whatever the
pid becomes afterwards: a reader that gets a shared lock knows at once that
the process is gone. Space is allocated when the file is created (a full
disk cannot make a later write fault), and the file is created under a
hidden name and renamed when complete, so a reader never sees half a file.

Writers (:class:`ProcessFile`) call under their :class:`Journal`'s lock;
the hot path is one ``struct.pack_into`` into the mapping. Reading another
process's file (:func:`open_process_file`) opens nothing but a regular file
of bounded size, without blocking, and checks every field (:mod:`.checks`).
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import mmap
import os
import stat
import struct
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from .checks import BadRecord, check_entry, check_record
from .function_stats import ENTRY_ABANDONED as ABANDONED
from .function_stats import ENTRY_ERROR as ERROR
from .function_stats import FunctionRecord
from .run import Run
from .snapshot import ProcessRecord
from .tally import Tally

__all__ = [
    "ABANDONED",
    "ERROR",
    "PROCESS_SUFFIX",
    "RING_SLOTS",
    "Journal",
    "OpenedFile",
    "ProcessFile",
    "open_process_file",
]

MAGIC = b"TMRJ"
FORMAT = 1
PROCESS_SUFFIX = ".stats"
#: Entries the journal holds: calls finished since the last snapshot, at most.
RING_SLOTS = 32_768
#: An entry: its stamp (slot + 1), minute, duration in ns (or abandoned count), function number, flags,
#: and the stamp's low 32 bits again, last, so that an entry read while being written is refused.
ENTRY = struct.Struct("<QqQHHI")
HEADER_BYTES = 4096
NAMES_OFFSET = HEADER_BYTES
NAMES_BYTES = 16_384
RING_OFFSET = NAMES_OFFSET + NAMES_BYTES
SNAPSHOTS_OFFSET = RING_OFFSET + RING_SLOTS * ENTRY.size
INITIAL_SNAPSHOT_BYTES = 128 * 1024
#: The largest file a reader opens.
MAX_FILE_BYTES = 64 * 1024 * 1024
#: magic, format, run id (16 bytes), pid, sequence, snapshot offset, length and position, names length.
_HEAD = struct.Struct("<4sI16sQQQQQQ")
_SEQ_AT = 32
_SNAPSHOT_AT = 40  # offset, length, position
_NAMES_LEN_AT = 64
_U64 = struct.Struct("<Q")
_U64X3 = struct.Struct("<QQQ")
#: A reader retries this often when the snapshot changes under it.
_READ_ATTEMPTS = 4


class Journal:
    """What the invocation path writes to: the ring of one :class:`ProcessFile`.

    ``lock`` is held around recording a call and writing its entry, and by
    the snapshot, so that a snapshot and its position agree exactly.
    """

    __slots__ = ("lock", "_mm", "_next", "_nudge_at", "_nudge", "covered")

    def __init__(self, mm: mmap.mmap, nudge: Callable[[], None]) -> None:
        self.lock = threading.Lock()
        self._mm = mm
        self._next = 0
        #: The position the latest snapshot written covers.
        self.covered = 0
        self._nudge_at = RING_SLOTS // 4
        self._nudge = nudge

    @property
    def position(self) -> int:
        """The slot the next entry goes to (every earlier one is written)."""
        return self._next

    def detach(self) -> None:
        """Write to a private ring from now on (the file is being closed; under :attr:`lock`)."""
        self._mm = mmap.mmap(-1, RING_OFFSET + RING_SLOTS * ENTRY.size)
        self._nudge = _nothing

    def write(self, function: int, minute: int, value: int, flags: int) -> None:
        """Write one entry (under :attr:`lock`)."""
        slot = self._next
        self._next = slot + 1
        ENTRY.pack_into(
            self._mm,
            RING_OFFSET + (slot % RING_SLOTS) * ENTRY.size,
            slot + 1,
            minute,
            value,
            function,
            flags,
            (slot + 1) & 0xFFFFFFFF,
        )
        if not slot & 1023 and slot - self.covered >= self._nudge_at:  # a quarter of the ring not in a snapshot
            self._nudge()


def _nothing() -> None:
    pass


class ProcessFile:
    """This process's file in the shared directory, mapped and locked for as long as the process lives.

    Create it with :meth:`create`. Not thread-safe by itself: the publisher
    thread writes snapshots, the invocation path writes through
    :attr:`journal` under its lock.
    """

    def __init__(self, path: Path, fd: int, mm: mmap.mmap, nudge: Callable[[], None]) -> None:
        self.path = path
        self._fd = fd
        self._mm = mm
        self.journal = Journal(mm, nudge)
        self._names: dict[str, int] = {}
        self._names_len = 0
        self._snapshot = (SNAPSHOTS_OFFSET, 0)
        self._seq = 0

    @classmethod
    def create(
        cls, directory: Path, prefix: str, run: Run, nudge: Callable[[], None] = lambda: None, pid: int | None = None
    ) -> ProcessFile:
        """Create, lock, allocate and map the file; ``OSError`` (nothing left behind) if any step fails.

        ``pid`` (default: this process's) is for tests that write other processes' files.
        """
        pid = os.getpid() if pid is None else pid
        name = f"{prefix}-{run.id[:8]}-{pid}-{uuid.uuid4().hex[:8]}{PROCESS_SUFFIX}"
        hidden = directory / f".{name}.new"
        fd = os.open(hidden, os.O_RDWR | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC | os.O_NOFOLLOW, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            size = SNAPSHOTS_OFFSET + 2 * INITIAL_SNAPSHOT_BYTES
            _allocate(fd, size)
            mm = mmap.mmap(fd, size)
            _HEAD.pack_into(mm, 0, MAGIC, FORMAT, bytes.fromhex(run.id), pid, 0, SNAPSHOTS_OFFSET, 0, 0, 0)
            os.rename(hidden, directory / name)
        except BaseException:
            os.close(fd)
            with contextlib.suppress(OSError):
                hidden.unlink()
            raise
        return cls(directory / name, fd, mm, nudge)

    def number(self, name: str) -> int | None:
        """The number of function ``name`` in the journal; ``None`` when the names part is full."""
        number = self._names.get(name)
        if number is not None:
            return number
        line = json.dumps(name).encode() + b"\n"
        if self._names_len + len(line) > NAMES_BYTES or len(self._names) >= 0xFFFF:
            return None
        start = NAMES_OFFSET + self._names_len
        self._mm[start : start + len(line)] = line
        self._names_len += len(line)
        _U64.pack_into(self._mm, _NAMES_LEN_AT, self._names_len)
        number = self._names[name] = len(self._names)
        return number

    def write_snapshot(self, data: bytes, position: int) -> None:
        """Make ``data`` (covering the journal up to ``position``) the file's snapshot.

        Written into the area the current snapshot does not use, then named
        in the header; the file grows first when neither area fits.

        Raises
        ------
        OSError
            The file could not grow (a full disk): the previous snapshot stays.
        """
        offset = self._free_area(len(data))
        if offset is None:
            self._grow(len(data))
            offset = self._free_area(len(data))
            assert offset is not None
        self._mm[offset : offset + len(data)] = data
        self._seq += 1  # odd: a reader that sees it retries
        _U64.pack_into(self._mm, _SEQ_AT, self._seq)
        _U64X3.pack_into(self._mm, _SNAPSHOT_AT, offset, len(data), position)
        self._seq += 1
        _U64.pack_into(self._mm, _SEQ_AT, self._seq)
        self._snapshot = (offset, len(data))
        self.journal.covered = position

    def _free_area(self, length: int) -> int | None:
        half = (len(self._mm) - SNAPSHOTS_OFFSET) // 2
        if length > half:
            return None
        used_from, used_length = self._snapshot
        for offset in (SNAPSHOTS_OFFSET, SNAPSHOTS_OFFSET + half):
            if offset + length <= used_from or offset >= used_from + used_length:
                return offset
        return None

    def _grow(self, length: int) -> None:
        half = (len(self._mm) - SNAPSHOTS_OFFSET) // 2
        while half < 2 * length:
            half *= 2
        size = SNAPSHOTS_OFFSET + 2 * half
        if size > MAX_FILE_BYTES:
            raise OSError(errno.EFBIG, f"the statistics would take more than {MAX_FILE_BYTES} bytes")
        _allocate(self._fd, size)
        with self.journal.lock:  # no entry is being written while the mapping moves
            self._mm.resize(size)

    def close(self) -> None:
        """Unmap and close (which releases the lock: readers then fold the file as a dead process's).

        Calls recorded later (at exit, on other threads) go to a private ring: nothing fails, nothing is kept.
        """
        with self.journal.lock:
            self.journal.detach()
        try:
            self._mm.close()
        finally:
            os.close(self._fd)

    def forget(self) -> None:
        """In a forked child: drop the parent's mapping and descriptor without releasing the parent's lock."""
        try:
            self._mm.close()
            os.close(self._fd)  # the lock belongs to the open file, which the parent still holds
        except (OSError, ValueError):
            pass


def _allocate(fd: int, size: int) -> None:
    if hasattr(os, "posix_fallocate"):
        os.posix_fallocate(fd, 0, size)
    else:  # pragma: no cover - not Linux
        os.ftruncate(fd, size)


# --- reading another process's file ---------------------------------------------------------------------


class Unreadable(Exception):
    """A file in the directory that is not read: ``reason`` says why, in a few words.

    ``final`` when the verdict holds until the file changes: no live process
    writes it (it is not a regular file, or its lock is free).
    """

    def __init__(self, reason: str, final: bool = True) -> None:
        super().__init__(reason)
        self.reason = reason
        self.final = final


@dataclass
class OpenedFile:
    """A process's file, read: its record, whether its process lives, and the descriptor (holding
    a shared lock when the process is dead, until :meth:`close`)."""

    path: Path
    fd: int
    alive: bool
    record: ProcessRecord

    def close(self) -> None:
        with contextlib.suppress(OSError):
            os.close(self.fd)


def open_regular(path: Path, max_bytes: int) -> tuple[int, os.stat_result]:
    """Open ``path`` for reading if it is a regular file of at most ``max_bytes``, never blocking.

    Raises
    ------
    Unreadable
        Not a regular file (a FIFO, a device, a symbolic link, a directory), too large, or gone.
    """
    try:
        if not stat.S_ISREG(os.lstat(path).st_mode):
            raise Unreadable("not a regular file")
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOFOLLOW | os.O_CLOEXEC)
    except OSError as error:
        raise Unreadable(f"cannot be opened ({errno.errorcode.get(error.errno or 0, error.errno)})") from None
    try:
        status = os.fstat(fd)
        if not stat.S_ISREG(status.st_mode):
            raise Unreadable("not a regular file")
        if status.st_size > max_bytes:
            raise Unreadable(f"larger than {max_bytes} bytes")
    except BaseException:
        os.close(fd)
        raise
    return fd, status


def is_locked(fd: int) -> bool:
    """Whether another process holds the file's exclusive lock; when not, this descriptor keeps a shared one."""
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    return False


def open_process_file(path: Path, run: Run, now: float) -> OpenedFile:
    """Read a process's file: its snapshot plus the journal entries after it, every field checked.

    Raises
    ------
    Unreadable
        The file fails a check (it belongs to another run, say): ``reason`` says which.
    """
    fd, status = open_regular(path, MAX_FILE_BYTES)
    try:
        if status.st_size < SNAPSHOTS_OFFSET:
            raise Unreadable(f"truncated ({status.st_size} bytes)")
        alive = is_locked(fd)
        try:
            record, entries = _read_consistent(fd, status.st_size, run, now)
            _replay(record, entries, run, now)
        except Unreadable as bad:
            bad.final = not alive  # a live process may write it right again
            raise
        return OpenedFile(path, fd, alive, record)
    except BaseException:
        os.close(fd)
        raise


def _read_consistent(fd: int, size: int, run: Run, now: float) -> tuple[ProcessRecord, list[Entry]]:
    for _ in range(_READ_ATTEMPTS):
        head = os.pread(fd, HEADER_BYTES, 0)
        if len(head) < _HEAD.size:
            raise Unreadable("truncated header")
        magic, version, run_id, pid, seq, offset, length, position, names_len = _HEAD.unpack_from(head)
        if magic != MAGIC or version != FORMAT:
            raise Unreadable("not a statistics file of this format")
        if run_id.hex() != run.id:
            raise Unreadable("of another server run")
        if seq & 1:
            continue
        if not (0 < pid < 1 << 32) or names_len > NAMES_BYTES:
            raise Unreadable("header out of range")
        if offset < SNAPSHOTS_OFFSET or offset + length > size or position >= 1 << 53:
            raise Unreadable("snapshot outside the file")
        names_raw = os.pread(fd, names_len, NAMES_OFFSET)
        snapshot = os.pread(fd, length, offset) if length else b""
        ring = os.pread(fd, RING_SLOTS * ENTRY.size, RING_OFFSET)
        if _U64.unpack_from(os.pread(fd, 8, _SEQ_AT))[0] != seq:
            continue  # a snapshot was written meanwhile: read again
        if len(names_raw) < names_len or len(snapshot) < length or len(ring) < RING_SLOTS * ENTRY.size:
            raise Unreadable("truncated")
        try:
            names = [json.loads(line) for line in names_raw.decode().splitlines()]
        except (UnicodeDecodeError, ValueError, RecursionError):
            raise Unreadable("garbled function names") from None
        if not all(isinstance(name, str) for name in names):
            raise Unreadable("garbled function names")
        if length:
            try:
                record = check_record(snapshot, run, now)
            except BadRecord as bad:
                raise Unreadable(str(bad)) from None
        else:
            record = ProcessRecord(pid=pid, started=run.started, updated=run.started, in_flight=0)
        if record.pid != pid:
            raise Unreadable("the snapshot names another process")
        return record, _entries_after(ring, position, names)
    raise Unreadable("changing faster than it can be read")


#: A journal entry as read: minute, value, function name, flags.
Entry = tuple[int, int, str, int]


def _entries_after(ring: bytes, position: int, names: list[str]) -> list[Entry]:
    """The journal entries from ``position`` on, as long as they follow one another."""
    entries: list[Entry] = []
    unpack = ENTRY.unpack_from
    for slot in range(position, position + RING_SLOTS):
        stamp, minute, value, function, flags, check = unpack(ring, (slot % RING_SLOTS) * ENTRY.size)
        if stamp != slot + 1 or check != stamp & 0xFFFFFFFF:
            break
        if function >= len(names):
            raise Unreadable("a journal entry names no function")
        entries.append((minute, value, names[function], flags))
    return entries


def _replay(record: ProcessRecord, entries: list[Entry], run: Run, now: float) -> None:
    """Add the journal entries into the record, checked."""
    if not entries:
        return
    fresh: dict[tuple[str, int], tuple[list[int], int, int]] = {}
    for minute, value, name, flags in entries:
        try:
            check_entry(minute, value, flags, run, now)
        except BadRecord as bad:
            raise Unreadable(str(bad)) from None
        key = (name, minute)
        durations, errors, abandoned = fresh.get(key, ([], 0, 0))
        if flags & ABANDONED:
            fresh[key] = (durations, errors + value, abandoned + value)
        else:
            durations.append(value)
            fresh[key] = (durations, errors + (flags & ERROR), abandoned)
    for (name, minute), (durations, errors, abandoned) in fresh.items():
        tally = Tally()
        tally.hist.add_many(durations)
        tally.sum_ns = sum(durations)
        tally.errors, tally.abandoned = errors, abandoned
        function = record.functions.setdefault(name, FunctionRecord(Tally(), {}))
        function.total.merge(tally)
        mine = function.minutes.get(minute)
        if mine is None:
            function.minutes[minute] = tally
        else:
            mine.merge(tally)
