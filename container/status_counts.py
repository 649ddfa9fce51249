"""The error answers the server writes itself, counted per worker process in shared memory, added up at read.

Each worker process counts in a file of its own (`<pid>.counts`, one unsigned 64-bit counter per status of
COUNTED_STATUSES) in the directory the server creates at start and names in SERVER_STATUS_COUNTS_DIR. The
file is memory-mapped and a count is written into the page in place, so it is on shared memory before the
answer leaves the process: a worker killed with SIGKILL loses nothing, and a reader sees every process's
counts, a dead one's included (the directory lives as long as the server run). A replacement worker that gets
a dead one's pid continues its file. Without the directory (one process in a test, say) the counts live in the
process's memory.
"""

from __future__ import annotations

import mmap
import os
import stat
import struct
from collections.abc import Iterator

#: Where the worker processes find the directory of their count files (set by `container.server`).
STATUS_COUNTS_DIR_VARIABLE = "SERVER_STATUS_COUNTS_DIR"

#: Every status the server itself answers with: its HttpErrors (container.errors), the 500 of a failed
#: function, uvicorn's 400 for an unparsable request and the 503 of the connection limit.
COUNTED_STATUSES = (400, 404, 405, 408, 413, 415, 429, 431, 500, 503)
_SLOT = {status: index for index, status in enumerate(COUNTED_STATUSES)}
_COUNTER = struct.Struct("<Q")
FILE_BYTES = _COUNTER.size * len(COUNTED_STATUSES)
SUFFIX = ".counts"


class StatusCounts:
    """This process's counts: `add` writes into its memory-mapped file (or memory), `merged` adds every file up."""

    def __init__(self, directory: str | None) -> None:
        self.directory = directory
        if directory is None:
            self._map = mmap.mmap(-1, FILE_BYTES)
            return
        fd = os.open(os.path.join(directory, f"{os.getpid()}{SUFFIX}"), os.O_RDWR | os.O_CREAT, 0o600)
        try:
            if os.fstat(fd).st_size < FILE_BYTES:
                os.ftruncate(fd, FILE_BYTES)
            self._map = mmap.mmap(fd, FILE_BYTES)
        finally:
            os.close(fd)

    def add(self, status: int) -> None:
        """Count one answer with `status` (a status not in COUNTED_STATUSES is not the server's own)."""
        slot = _SLOT.get(status)
        if slot is None:
            return
        offset = slot * _COUNTER.size
        (count,) = _COUNTER.unpack_from(self._map, offset)
        _COUNTER.pack_into(self._map, offset, count + 1)

    def own(self) -> dict[int, int]:
        """This process's counts by status."""
        return _decode(bytes(self._map))

    def merged(self) -> dict[int, int]:
        """Every worker process's counts by status, added up (this process's alone without a directory)."""
        if self.directory is None:
            return self.own()
        total = dict.fromkeys(COUNTED_STATUSES, 0)
        for data in _count_files(self.directory):
            for status, count in _decode(data).items():
                total[status] += count
        return total


def _decode(data: bytes) -> dict[int, int]:
    return {status: _COUNTER.unpack_from(data, slot * _COUNTER.size)[0] for status, slot in _SLOT.items()}


def _count_files(directory: str) -> Iterator[bytes]:
    """The content of each regular count file of the right size (anything else there is not ours: skipped)."""
    with os.scandir(directory) as entries:
        names = [entry.name for entry in entries if entry.name.endswith(SUFFIX)]
    for name in names:
        try:
            fd = os.open(os.path.join(directory, name), os.O_RDONLY | os.O_NONBLOCK | os.O_NOFOLLOW)
        except OSError:
            continue
        try:
            info = os.fstat(fd)
            if stat.S_ISREG(info.st_mode) and info.st_size == FILE_BYTES:
                data = os.read(fd, FILE_BYTES)
                if len(data) == FILE_BYTES:
                    yield data
        finally:
            os.close(fd)


_this_process: tuple[int, StatusCounts] | None = None


def status_counts() -> StatusCounts:
    """This process's counts, opened at first use from SERVER_STATUS_COUNTS_DIR (shared by the app and the protocol)."""
    global _this_process
    if _this_process is None or _this_process[0] != os.getpid():
        _this_process = (os.getpid(), StatusCounts(os.environ.get(STATUS_COUNTS_DIR_VARIABLE) or None))
    return _this_process[1]
