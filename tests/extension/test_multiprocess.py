"""Statistics merged over the worker processes of a server: a file per process in a shared directory."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from container.settings import STATISTICS_DIR_VARIABLE
from python_worker_extension_timer import TimerExtension
from python_worker_extension_timer.function_stats import FunctionRecord
from python_worker_extension_timer.multiprocess import (
    ENV_VAR,
    STALE_AFTER_SECONDS,
    Publisher,
    read_records,
)
from python_worker_extension_timer.snapshot import MergedView, ProcessRecord
from python_worker_extension_timer.tally import Tally

ROOT = Path(__file__).resolve().parents[2]


def tally(*durations_ns: int, errors: int = 0, abandoned: int = 0) -> Tally:
    result = Tally()
    result.hist.add_many(list(durations_ns))
    result.sum_ns = sum(durations_ns)
    result.errors, result.abandoned = errors, abandoned
    return result


def record(
    pid: int,
    *durations_ns: int,
    minute: int = 100,
    started: float = 1000.0,
    updated: float | None = None,
    errors: int = 0,
) -> ProcessRecord:
    function = FunctionRecord(tally(*durations_ns, errors=errors), {minute: tally(*durations_ns, errors=errors)})
    return ProcessRecord(pid, started, time.time() if updated is None else updated, 0, {"echo": function})


@pytest.fixture
def shared_dir(tmp_path, monkeypatch):
    monkeypatch.setenv(ENV_VAR, str(tmp_path))
    return tmp_path


def publish_other(directory: Path, rec: ProcessRecord, prefix: str = "TimerExtension") -> Path:
    path = directory / f"{prefix}-{rec.pid}-feedbeef.json"
    path.write_bytes(rec.to_json())
    return path


def test_the_server_and_the_extension_name_the_same_variable():
    assert STATISTICS_DIR_VARIABLE == ENV_VAR


def test_a_process_record_survives_its_json_form():
    original = record(7, 1_000, 2_000_000, errors=1)
    again = ProcessRecord.from_json(original.to_json())
    assert again.to_json() == original.to_json()


@pytest.mark.parametrize("raw", [b"", b"{", b"[]", b'{"format": 99}', b'{"format": 1, "pid": 3}'])
def test_what_is_not_a_record_is_refused(raw):
    with pytest.raises(ValueError):
        ProcessRecord.from_json(raw)


def test_merging_adds_counts_errors_and_histograms_bucket_by_bucket():
    view = MergedView([record(1, 1_000, 5_000_000, errors=1), record(2, 3_000_000_000)], now=100 * 60 + 5)
    echo = view.functions["echo"].total
    assert (echo.count, echo.errors, echo.sum_ns) == (3, 1, 3_005_001_000)
    assert (echo.hist.min_ns, echo.hist.max_ns) == (1_000, 3_000_000_000)
    assert view.window()["echo"].count == 3


def test_the_merged_view_lists_each_process_and_states_its_coverage():
    view = MergedView([record(11, 5, started=3600.0), record(12, 5, 6, started=3700.0)], now=4000.0)
    stats = view.to_dict("TimerExtension", "x")
    assert [(p["pid"], p["count"], p["functions"]) for p in stats["processes"]] == [
        (11, 1, {"echo": 1}),
        (12, 2, {"echo": 2}),
    ]
    assert stats["coverage"] == "2 worker processes, since 01:00:00 UTC"
    assert stats["since"] == "1970-01-01T01:00:00Z"


def test_an_exited_process_keeps_its_counts_and_is_named_as_exited(shared_dir):
    long_ago = time.time() - STALE_AFTER_SECONDS - 1
    publish_other(shared_dir, record(4242, 1_000, 2_000, updated=long_ago))
    stats = TimerExtension.stats()
    assert stats["functions"]["echo"]["count"] == 2
    exited = [p for p in stats["processes"] if p["pid"] == 4242]
    assert exited[0]["alive"] is False
    assert "1 that exited" in stats["coverage"]


def test_stats_add_the_other_processes_to_this_one(shared_dir, timed):
    publish_other(shared_dir, record(4243, 1_000, 2_000))
    timed(3)
    stats = TimerExtension.stats()
    assert stats["functions"]["echo"]["count"] == 3
    assert sorted(p["pid"] for p in stats["processes"]) == sorted([4243, os.getpid()])


@pytest.mark.parametrize(
    "name, content",
    [
        ("TimerExtension-1-aa.json", b"not json"),
        ("TimerExtension-2-bb.json", b'{"format": 0}'),
        ("OtherExtension-3-cc.json", None),  # another class's file: valid, but not ours
        ("TimerExtension-4-dd.tmp", None),  # a file being written
    ],
)
def test_files_that_are_not_this_extensions_records_are_skipped(shared_dir, name, content):
    (shared_dir / name).write_bytes(content if content is not None else record(99, 5).to_json())
    assert read_records(shared_dir, "TimerExtension") == []


def test_a_missing_directory_gives_no_records(tmp_path):
    assert read_records(tmp_path / "gone", "TimerExtension") == []


def test_the_publisher_rewrites_its_file_as_the_statistics_grow(tmp_path):
    counts = iter(range(1, 1000))

    def take() -> ProcessRecord:
        return record(os.getpid(), *([1_000] * next(counts)))

    publisher = Publisher(tmp_path, "TimerExtension", take, interval=0.05).start()
    try:
        first = publisher.path.read_bytes()
        time.sleep(0.3)
        later = publisher.path.read_bytes()
    finally:
        publisher.stop()
    assert ProcessRecord.from_json(later).functions["echo"].total.count > (
        ProcessRecord.from_json(first).functions["echo"].total.count
    )
    assert list(tmp_path.iterdir()) == [publisher.path]  # nothing half-written is left beside it


def test_a_publisher_that_cannot_write_does_not_raise(tmp_path, caplog):
    publisher = Publisher(tmp_path / "removed", "TimerExtension", lambda: record(1, 5), interval=10)
    publisher.publish()
    publisher.publish()
    assert [r.levelname for r in caplog.records if "could not write" in r.getMessage()] == ["WARNING"]


def test_without_the_variable_nothing_is_written(tmp_path, monkeypatch, timed):
    monkeypatch.delenv(ENV_VAR, raising=False)
    timed(1)
    TimerExtension.stats()
    assert TimerExtension._state.publisher is None


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
# Python 3.12+ warns that forking a threaded process may deadlock the child; this child only reads and exits.
@pytest.mark.filterwarnings("ignore:This process .* is multi-threaded:DeprecationWarning")
def test_a_forked_child_reports_only_what_it_recorded_itself(timed):
    timed(1)
    timed(1)
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child
        try:
            functions = TimerExtension.stats()["functions"]
            os.write(write_end, str(functions.get("echo", {}).get("count", 0)).encode())
        finally:
            os._exit(0)
    os.close(write_end)
    os.waitpid(pid, 0)
    assert os.read(read_end, 100) == b"0"
    assert TimerExtension.stats()["functions"]["echo"]["count"] == 2


THREADS, PER_THREAD = 8, 20_000


def hammer(directory: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, ENV_VAR: str(directory)}
    return subprocess.Popen(
        [sys.executable, "-m", "tests.support.hammer", str(THREADS), str(PER_THREAD)],
        cwd=ROOT,
        env=env,
        stderr=subprocess.PIPE,
    )


def test_two_processes_of_8_threads_at_once_give_exact_merged_counts(shared_dir):
    processes = [hammer(shared_dir), hammer(shared_dir)]
    for process in processes:
        _, stderr = process.communicate(timeout=300)
        assert process.returncode == 0, stderr.decode()
    stats = TimerExtension.stats()
    echo = stats["functions"]["echo"]
    invocations = 2 * THREADS * PER_THREAD
    assert echo["count"] == invocations
    assert echo["errors"] == invocations // 10
    assert sum(echo["histogram"]["counts"]) == invocations
    assert sorted(p["functions"].get("echo", 0) for p in stats["processes"]) == [0, invocations // 2, invocations // 2]
