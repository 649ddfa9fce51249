"""Statistics files as the worker processes of a server write them, for tests that play another process."""

from __future__ import annotations

import time
from collections.abc import Iterable
from pathlib import Path

from python_worker_extension_timer.function_stats import FunctionRecord
from python_worker_extension_timer.journal import ProcessFile
from python_worker_extension_timer.run import Run
from python_worker_extension_timer.snapshot import ProcessRecord
from python_worker_extension_timer.tally import Tally

PREFIX = "TimerExtension"


def worker_files(directory: Path) -> list[Path]:
    """The worker processes' files in a server's statistics directory (not the hidden ones being created)."""
    return sorted(p for p in directory.iterdir() if p.suffix == ".stats" and not p.name.startswith("."))


def the_servers_run(directory: Path) -> Run:
    """The run a worker's file names (what anyone who can read the directory learns), on this process's clock."""
    run_id = worker_files(directory)[0].read_bytes()[8:24].hex()
    start = time.perf_counter_ns() - 60 * 1_000_000_000
    return Run(run_id, time.time_ns() - time.perf_counter_ns(), start)


def tally(*durations_ns: int, errors: int = 0, abandoned: int = 0) -> Tally:
    result = Tally()
    result.hist.add_many(list(durations_ns))
    result.sum_ns = sum(durations_ns)
    result.errors, result.abandoned = errors, abandoned
    return result


def process_record(run: Run, pid: int, *durations_ns: int, errors: int = 0, function: str = "echo") -> ProcessRecord:
    """A record of ``pid`` with the given calls in the run's current minute."""
    now = run.now()
    calls = FunctionRecord(tally(*durations_ns, errors=errors), {int(now // 60): tally(*durations_ns, errors=errors)})
    return ProcessRecord(pid, now - 1, now, 0, {function: calls}, mode="hooks")


def write_process_file(
    directory: Path,
    run: Run,
    record: ProcessRecord,
    journal: Iterable[tuple[str, int, int, int]] = (),
    alive: bool = True,
    prefix: str = PREFIX,
) -> ProcessFile:
    """The file ``record``'s process would write: its snapshot, then ``journal`` entries (function, minute,
    value, flags) after it; closed (its process dead) unless ``alive``."""
    file = ProcessFile.create(directory, prefix, run, pid=record.pid)
    file.write_snapshot(record.to_json(), 0)
    for name, minute, value, flags in journal:
        number = file.number(name)
        assert number is not None
        with file.journal.lock:
            file.journal.write(number, minute, value, flags)
    if not alive:
        file.close()
    return file
