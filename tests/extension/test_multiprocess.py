"""Statistics merged over the worker processes of a server: a file per process in a shared directory."""

from __future__ import annotations

import asyncio
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest

from container.server import shared_statistics_directory
from python_worker_extension_timer import TimerExtension
from python_worker_extension_timer.checks import BadRecord, check_record
from python_worker_extension_timer.dead import RECENT, DeadRecord
from python_worker_extension_timer.function_stats import ENTRY_ABANDONED, ENTRY_ERROR
from python_worker_extension_timer.multiprocess import ENV_VAR, Storage
from python_worker_extension_timer.run import RUN_ENV_VAR, Run, current_run, new_run_value
from python_worker_extension_timer.snapshot import MergedView
from tests.support.statistics_files import PREFIX, process_record, write_process_file

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def run() -> Run:
    return current_run()


@pytest.fixture
def shared_dir(tmp_path, monkeypatch):
    monkeypatch.setenv(ENV_VAR, str(tmp_path))
    yield tmp_path
    storage = TimerExtension._state.storage
    if storage is not None:
        storage.stop()


def echo(stats) -> dict:
    return stats["functions"]["echo"]


def test_the_extension_reads_the_run_the_server_writes():
    value = new_run_value()
    run = Run.parse(value)
    assert run is not None and run.to_value() == value
    assert abs(run.now() - __import__("time").time()) < 1


def test_the_server_gives_its_workers_a_directory_and_one_run_and_restores_the_environment(monkeypatch):
    monkeypatch.delenv(ENV_VAR, raising=False)
    monkeypatch.delenv(RUN_ENV_VAR, raising=False)
    with shared_statistics_directory() as directory:
        assert os.environ[ENV_VAR] == directory and Path(directory).is_dir()
        assert Run.parse(os.environ[RUN_ENV_VAR]) is not None
    assert (ENV_VAR in os.environ, RUN_ENV_VAR in os.environ, Path(directory).exists()) == (False, False, False)


def test_a_process_record_survives_its_json_form(run):
    original = process_record(run, 7, 1_000, 2_000_000, errors=1)
    again = check_record(original.to_json(), run, run.now())
    assert again.to_json() == original.to_json()


@pytest.mark.parametrize("raw", [b"", b"{", b"[]", b'{"format": 99}', b'{"format": 1, "pid": 3}'])
def test_what_is_not_a_record_is_refused(raw, run):
    with pytest.raises(BadRecord):
        check_record(raw, run, run.now())


def test_merging_adds_counts_errors_and_histograms_bucket_by_bucket(run):
    first, second = process_record(run, 1, 1_000, 5_000_000, errors=1), process_record(run, 2, 3_000_000_000)
    view = MergedView([first, second], now=run.now())
    total = view.functions["echo"].total
    assert (total.count, total.errors, total.sum_ns) == (3, 1, 3_005_001_000)
    assert (total.hist.min_ns, total.hist.max_ns) == (1_000, 3_000_000_000)
    assert view.window()["echo"].count == 3


def test_stats_add_a_live_process_to_this_one(shared_dir, run, timed):
    other = write_process_file(shared_dir, run, process_record(run, 4243, 1_000, 2_000))
    timed(3)
    stats = TimerExtension.stats()
    assert echo(stats)["count"] == 3
    assert {p["pid"]: p["alive"] for p in stats["processes"]} == {4243: True, os.getpid(): True}
    other.close()


def test_a_dead_process_is_known_dead_at_once_and_keeps_its_counts(shared_dir, run):
    write_process_file(shared_dir, run, process_record(run, 4242, 1_000, 2_000), alive=False)
    stats = TimerExtension.stats()
    assert echo(stats)["count"] == 2
    [exited] = [p for p in stats["processes"] if p["pid"] == 4242]
    assert exited["alive"] is False
    assert "1 that exited" in stats["coverage"]


def test_the_journal_after_the_snapshot_counts_too(shared_dir, run):
    minute = int(run.now() // 60)
    entries = [("echo", minute, 7_000, 0), ("echo", minute, 9_000, ENTRY_ERROR), ("ping", minute, 2, ENTRY_ABANDONED)]
    write_process_file(shared_dir, run, process_record(run, 4244, 1_000), entries, alive=False)
    functions = TimerExtension.stats()["functions"]
    assert (functions["echo"]["count"], functions["echo"]["errors"], functions["echo"]["max_ms"]) == (3, 1, 0.009)
    assert (functions["ping"]["abandoned"], functions["ping"]["errors"]) == (2, 2)


def test_dead_processes_are_folded_into_one_record_of_bounded_size(shared_dir, run):
    for pid in range(5000, 5000 + RECENT + 24):
        write_process_file(shared_dir, run, process_record(run, pid, 1_000), alive=False)
    stats = TimerExtension.stats()
    assert echo(stats)["count"] == RECENT + 24
    exited = [p for p in stats["processes"] if not p["alive"]]
    assert len(exited) == RECENT + 1
    assert [p["folded"] for p in exited if p["pid"] == 0] == [24]
    assert stats["coverage"].startswith("1 worker process (and 40 that exited")
    own = TimerExtension._state.storage.file.path
    assert [p.suffix for p in shared_dir.iterdir() if not p.name.startswith(".") and p != own] == [".dead"]
    assert TimerExtension.stats()["functions"] == stats["functions"]  # read again: counted once


def test_files_of_another_run_are_named_and_never_added(shared_dir, run):
    foreign = Run.begin()
    write_process_file(shared_dir, foreign, process_record(foreign, 77, 1_000), alive=False)
    stats = TimerExtension.stats()
    assert "echo" not in stats["functions"]
    assert [s["reason"] for s in stats["skipped_files"]] == ["of another server run"]


@pytest.mark.parametrize(
    "name, content, reason",
    [
        ("TimerExtension-a-1-aa.stats", b"not a statistics file", "truncated"),
        ("TimerExtension-a-2-bb.stats", b"\0" * 2_000_000, "not a statistics file of this format"),
    ],
)
def test_a_file_that_is_not_a_statistics_file_is_skipped_and_named(shared_dir, name, content, reason, caplog):
    (shared_dir / name).write_bytes(content)
    with caplog.at_level(logging.WARNING, "python_worker_extension_timer"):
        stats = TimerExtension.stats()
        TimerExtension.stats()
    assert [(s["file"], s["reason"].split(" (")[0]) for s in stats["skipped_files"]] == [(name, reason)]
    assert len([r for r in caplog.records if name in r.getMessage()]) == 1  # one line per file and reason


@pytest.mark.parametrize("name", ["OtherExtension-3-cc.stats", ".TimerExtension-4-dd.stats.new", "notes.txt"])
def test_files_that_are_not_this_extensions_are_ignored(shared_dir, name):
    (shared_dir / name).write_bytes(b"x")
    assert TimerExtension.stats()["skipped_files"] == []


def test_a_missing_directory_is_named_and_nothing_is_written(tmp_path, monkeypatch, caplog, timed):
    monkeypatch.setenv(ENV_VAR, str(tmp_path / "gone"))
    timed(1)
    stats = TimerExtension.stats()
    TimerExtension._state.storage.stop()
    assert echo(stats)["count"] == 1
    assert [s["reason"].split(" (")[0] for s in stats["skipped_files"]] == ["directory unreadable"]
    assert len([r for r in caplog.records if "could not write" in r.getMessage()]) == 1


def test_storage_that_fails_logs_once_and_again_when_it_recovers(tmp_path, monkeypatch, caplog, timed):
    directory = tmp_path / "later"
    monkeypatch.setenv(ENV_VAR, str(directory))
    timed(1)
    TimerExtension.stats()
    storage = TimerExtension._state.storage
    storage.tick()
    directory.mkdir()
    timed(1)
    storage.tick()
    messages = [r.getMessage() for r in caplog.records if "timer statistics of process" in r.getMessage()]
    assert ["could not write" in m for m in messages] == [True, False]
    assert "again" in messages[1]
    [written] = [p for p in directory.iterdir() if p.suffix == ".stats"]
    storage.stop()
    assert [p.name for p in directory.iterdir() if p.name.startswith(".") and p.suffix == ".new"] == []
    assert written.exists()


def test_without_the_variable_nothing_is_written(monkeypatch, timed):
    monkeypatch.delenv(ENV_VAR, raising=False)
    timed(1)
    TimerExtension.stats()
    assert TimerExtension._state.storage is None


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


def hammer(directory: Path, run: Run) -> subprocess.Popen[bytes]:
    env = {**os.environ, ENV_VAR: str(directory), RUN_ENV_VAR: run.to_value()}
    return subprocess.Popen(
        [sys.executable, "-m", "tests.support.hammer", str(THREADS), str(PER_THREAD)],
        cwd=ROOT,
        env=env,
        stderr=subprocess.PIPE,
    )


def test_two_processes_of_8_threads_at_once_give_exact_merged_counts(shared_dir, run):
    processes = [hammer(shared_dir, run), hammer(shared_dir, run)]
    for process in processes:
        _, stderr = process.communicate(timeout=300)
        assert process.returncode == 0, stderr.decode()
    stats = TimerExtension.stats()
    invocations = 2 * THREADS * PER_THREAD
    assert echo(stats)["count"] == invocations
    assert echo(stats)["errors"] == invocations // 10
    assert sum(echo(stats)["histogram"]["counts"]) == invocations
    assert sorted(p["functions"].get("echo", 0) for p in stats["processes"]) == [0, invocations // 2, invocations // 2]
    assert sum(minute["calls"] for minute in echo(stats)["history"]) == invocations


def test_a_read_on_an_event_loop_takes_the_threads_last_read_and_a_read_on_a_thread_reads_now(tmp_path, run):
    storage = Storage(tmp_path, PREFIX, run, attach=lambda file: None, take=lambda: process_record(run, os.getpid()))
    write_process_file(tmp_path, run, process_record(run, 101, 1_000))
    storage.tick()  # what the background thread does twice per publishing interval
    write_process_file(tmp_path, run, process_record(run, 102, 2_000))

    async def on_the_event_loop() -> list[int]:
        return sorted(record.pid for record in storage.others()[0])

    assert asyncio.run(on_the_event_loop()) == [101]  # no file opened on the loop
    assert sorted(record.pid for record in storage.others()[0]) == [101, 102]


def test_folding_dead_processes_keeps_each_functions_trigger_kind(run):
    dead = DeadRecord()
    for pid in range(6000, 6000 + RECENT + 2):
        record = process_record(run, pid, 1_000, function=f"job{pid}")
        record.triggers = {f"job{pid}": "timer"}
        dead.add(record)
    assert dead.aggregate is not None
    assert dead.aggregate.triggers == {"job6000": "timer", "job6001": "timer"}
