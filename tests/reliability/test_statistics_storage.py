"""The statistics a server's worker processes share survive hostile files, failing storage, a killed worker,
a stepped wall clock and the files of other runs (issue 25, items 1-5).

Each test runs `python -m container` with 2 worker processes (the statistics directory is created in the test's
TMPDIR) and plays the attacker or the unlucky operator on that directory. The tests that mount a file system
(a read-only bind mount, a small tmpfs) need root; elsewhere they are skipped with the reason, and CI runs them.
"""

from __future__ import annotations

import http.client
import json
import math
import os
import shutil
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest

from python_worker_extension_timer.journal import SNAPSHOTS_OFFSET, ProcessFile
from python_worker_extension_timer.run import Run
from python_worker_extension_timer.startup import StartupRecord
from tests.support.echoes import echo_on_a_new_connection as echo
from tests.support.echoes import send_echoes
from tests.support.polling import eventually
from tests.support.servers import ROOT, ServerProcess, start_container
from tests.support.statistics_files import PREFIX, process_record, the_servers_run, write_process_file
from tests.support.tiers import sized

needs_root = pytest.mark.skipif(os.geteuid() != 0, reason="mounts a file system: needs root (CI runs it as root)")


def two_workers(tmp_path: Path, **env: str) -> ServerProcess:
    return start_container(
        tmp_path,
        WEB_CONCURRENCY="2",
        PYTHON_ENABLE_WORKER_EXTENSIONS="1",
        SERVER_ACCESS_LOG="0",
        TMPDIR=env.pop("TMPDIR", str(tmp_path)),
        **env,
    )


def statistics_dir(under: Path) -> Path:
    [directory] = under.glob("timer-statistics-*")
    return directory


def latency(base_url: str) -> dict[str, Any]:
    response = httpx.get(f"{base_url}/latency", timeout=10)
    assert response.status_code == 200, response.text
    return response.json()


def echo_count(stats: dict[str, Any]) -> int:
    return int(stats["functions"].get("echo", {}).get("count", 0))


def counted_by_every_worker(base_url: str, expected: int, timeout: float = 15.0) -> list[int]:
    """Ten reads of the echo count in a row (either worker may answer each), once they all show `expected`.

    Each worker reads the other's file off the event loop, twice per publishing interval: under a heavily
    loaded machine its thread may lag, so the reads are repeated until they agree, not taken once.
    """
    return eventually(
        lambda: [echo_count(latency(base_url)) for _ in range(10)],
        lambda counts: counts == [expected] * 10,
        timeout,
        interval=0.1,
    )


def skipped_in(stats: dict[str, Any]) -> dict[str, str]:
    return {entry["file"]: entry["reason"] for entry in stats["skipped_files"]}


def skipped(base_url: str) -> dict[str, str]:
    return skipped_in(latency(base_url))


def alive_pids(base_url: str) -> list[int]:
    return [p["pid"] for p in latency(base_url)["processes"] if p["alive"]]


def kill_a_worker(base_url: str) -> int:
    victim = alive_pids(base_url)[0]
    os.kill(victim, signal.SIGKILL)
    return victim


def leftovers(directory: Path) -> list[str]:
    return [p.name for p in directory.iterdir() if p.name.endswith(".new")]


@pytest.fixture(scope="module")
def shared_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ServerProcess, Path]]:
    """One 2-worker server for the tests that only add files to its directory (each removes its own)."""
    tmp_path = tmp_path_factory.mktemp("storage")
    server = two_workers(tmp_path)
    yield server, statistics_dir(tmp_path)
    server.stop()


# --- 1. reading other processes' files is safe --------------------------------------------------------------


def test_a_fifo_in_the_directory_is_skipped_and_named_and_blocks_nothing(tmp_path: Path) -> None:
    server = two_workers(tmp_path)
    try:
        fifo = statistics_dir(tmp_path) / f"{PREFIX}-00000000-99998-ffffffff.stats"
        os.mkfifo(fifo)
        for _ in range(10):
            assert httpx.get(f"{server.base_url}/healthcheck", timeout=5).status_code == 200
        reasons = eventually(lambda: skipped(server.base_url), lambda found: fifo.name in found)
        assert reasons[fifo.name] == "not a regular file"
        started = time.monotonic()
        assert server.stop(timeout=15) == 0
        assert time.monotonic() - started < 10
    finally:
        server.stop()


#: Where a crafted record puts its bad value, and the field the reason names.
FIELDS = [
    (("started",), "started"),
    (("updated",), "updated"),
    (("in_flight",), "in_flight"),
    (("functions", "echo", "total", "sum_ns"), "sum_ns"),
    (("functions", "echo", "total", "errors"), "errors"),
    (("functions", "echo", "total", "histogram", "max_ns"), "max_ns"),
    (("startup", "process_started"), "process_started"),
]
BAD_VALUES = sized(fast=[math.nan, -1e12, 1e22], full=[1e300, math.nan, math.inf, -math.inf, -1e12, 1e22])


def crafted(run: Run, pid: int, path: tuple[str, ...], value: float) -> bytes:
    record = process_record(run, pid, 1_000, 2_000)
    record.startup = StartupRecord(process_started=run.now() - 2, timer_imported=run.now() - 1)
    data = record.to_dict()
    target = data
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return json.dumps(data).encode()  # NaN and Infinity as Python writes them


@pytest.mark.parametrize("value", BAD_VALUES, ids=repr)
@pytest.mark.parametrize("path, field", FIELDS, ids=[f for _, f in FIELDS])
def test_a_crafted_record_is_skipped_and_named_and_no_page_fails(
    shared_server: tuple[ServerProcess, Path], path: tuple[str, ...], field: str, value: float
) -> None:
    server, directory = shared_server
    run = the_servers_run(directory)
    file = ProcessFile.create(directory, PREFIX, run, pid=4_000_000)
    try:
        file.write_snapshot(crafted(run, 4_000_000, path, value), 0)
        reasons = eventually(lambda: skipped(server.base_url), lambda found: file.path.name in found)
        assert field in reasons[file.path.name]
        for page in ("/latency", "/ui/latency", "/metrics"):
            assert httpx.get(f"{server.base_url}{page}", timeout=10).status_code == 200, page
    finally:
        file.close()
        file.path.unlink()


def overwrite(path: Path, offset: int, data: bytes) -> None:
    with open(path, "r+b") as out:
        out.seek(offset)
        out.write(data)


def garble(path: Path, offset: int, length: int) -> None:
    overwrite(path, offset, os.urandom(length))


@pytest.mark.parametrize(
    "damage, reason",
    [
        (lambda p: os.truncate(p, 30_000), "truncated (30000 bytes)"),
        (lambda p: os.truncate(p, SNAPSHOTS_OFFSET + 10), "snapshot outside the file"),
        (lambda p: garble(p, 0, 64), "not a statistics file of this format"),
        (lambda p: garble(p, 4096, 64), "garbled function names"),
    ],
    ids=["truncated", "truncated in the snapshot", "garbled header", "garbled names"],
)
def test_a_truncated_or_garbled_file_is_skipped_and_named(
    shared_server: tuple[ServerProcess, Path], damage: Any, reason: str
) -> None:
    server, directory = shared_server
    run = the_servers_run(directory)
    journal = [("echo", int(run.now() // 60), 5_000, 0)]
    file = write_process_file(directory, run, process_record(run, 4_000_001, 1_000), journal)
    try:
        damage(file.path)
        reasons = eventually(lambda: skipped(server.base_url), lambda found: file.path.name in found)
        assert reasons[file.path.name] == reason
        assert httpx.get(f"{server.base_url}/ui/latency", timeout=10).status_code == 200
    finally:
        file.close()
        file.path.unlink()


def test_a_live_workers_garbled_snapshot_is_named_until_its_next_snapshot(
    shared_server: tuple[ServerProcess, Path],
) -> None:
    server, directory = shared_server
    run = the_servers_run(directory)
    before = echo_count(latency(server.base_url))
    file = write_process_file(directory, run, process_record(run, 4_000_003, 1_000), alive=True)
    try:
        header = file.path.read_bytes()[:64]
        offset, length = int.from_bytes(header[40:48], "little"), int.from_bytes(header[48:56], "little")
        overwrite(file.path, offset, b"#" * length)
        named = eventually(
            lambda: [skipped(server.base_url).get(file.path.name) for _ in range(10)],
            lambda found: found == ["not JSON (Expecting value)"] * 10,
        )
        assert named == ["not JSON (Expecting value)"] * 10  # by both workers, on every read
        file.write_snapshot(process_record(run, 4_000_003, 1_000).to_json(), 0)
        reads = eventually(
            lambda: [latency(server.base_url) for _ in range(10)],
            lambda found: all(
                echo_count(stats) == before + 1 and file.path.name not in skipped_in(stats) for stats in found
            ),
        )
        assert [(echo_count(stats), file.path.name in skipped_in(stats)) for stats in reads] == [
            (before + 1, False)
        ] * 10
    finally:
        file.close()
        file.path.unlink()


# --- 2. nothing lost when a worker dies ---------------------------------------------------------------------

LOAD = sized(fast=1_500, full=20_000)


def test_a_worker_killed_under_load_loses_no_answered_call(tmp_path: Path) -> None:
    server = two_workers(tmp_path)
    try:
        answered, failed = 0, 0
        lock = threading.Lock()

        def one(_: int) -> None:
            nonlocal answered, failed
            try:
                ok = echo(server.base_url) == 200
            except (OSError, http.client.HTTPException):  # the killed worker's unanswered or half-sent answers
                ok = False
            with lock:
                answered, failed = answered + ok, failed + (not ok)

        with ThreadPoolExecutor(16) as pool:
            futures = [pool.submit(one, i) for i in range(LOAD)]
            eventually(lambda: answered, lambda n: n >= LOAD // 3, timeout=60)
            victim = kill_a_worker(server.base_url)
            for future in futures:
                future.result()
        counted = eventually(lambda: echo_count(latency(server.base_url)), lambda n: n >= answered)
        assert answered <= counted <= answered + failed, (answered, failed, counted)
        stats = eventually(lambda: latency(server.base_url), lambda found: echo_count(found) == counted)
        assert [p["alive"] for p in stats["processes"] if p["pid"] == victim] == [False]
        assert sum(m["calls"] for m in stats["functions"]["echo"]["history"]) == counted
        assert stats["window"]["functions"]["echo"]["count"] == counted
    finally:
        server.stop()


def test_a_killed_worker_is_known_dead_at_once(shared_server: tuple[ServerProcess, Path]) -> None:
    server, _ = shared_server
    victim = kill_a_worker(server.base_url)
    started = time.monotonic()
    eventually(lambda: alive_pids(server.base_url), lambda pids: victim not in pids)
    assert time.monotonic() - started < 4.0  # with the time a request queued on the dead worker waits
    assert victim not in alive_pids(server.base_url)


# --- 3. failing storage is visible and recovers -------------------------------------------------------------


def mount(*args: str) -> None:
    subprocess.run(["mount", *args], check=True, capture_output=True)


def unmount(path: Path) -> None:
    subprocess.run(["umount", "-l", str(path)], check=False, capture_output=True)


def failing_storage_recovers(server: ServerProcess, directory: Path, fail: Any, repair: Any) -> None:
    """Calls before, while and after the storage fails: answered, logged twice, exact again, nothing left over."""
    send_echoes(server.base_url, 30)
    counted_by_every_worker(server.base_url, 30)
    fail()
    try:
        kill_a_worker(server.base_url)  # its replacement cannot create its file
        log = eventually(server.output, lambda text: "could not write the timer statistics" in text)
        assert "could not write the timer statistics" in log
        assert len(alive_pids(server.base_url)) >= 1
        send_echoes(server.base_url, 30)
    finally:
        repair()
    log = eventually(server.output, lambda text: "are written to" in text and "again" in text)
    assert "again" in log
    assert counted_by_every_worker(server.base_url, 60) == [60] * 10
    assert leftovers(directory) == []
    assert sorted(alive_pids(server.base_url)) == sorted(set(alive_pids(server.base_url)))


@needs_root
def test_a_read_only_directory_is_logged_and_the_figures_recover(tmp_path: Path) -> None:
    server = two_workers(tmp_path)
    directory = statistics_dir(tmp_path)
    try:
        failing_storage_recovers(
            server,
            directory,
            lambda: (mount("--bind", str(directory), str(directory)), mount("-o", "remount,bind,ro", str(directory))),
            lambda: unmount(directory),
        )
    finally:
        server.stop()
        unmount(directory)


@needs_root
def test_a_full_directory_is_logged_and_the_figures_recover(tmp_path: Path) -> None:
    small = tmp_path / "small"
    small.mkdir()
    mount("-t", "tmpfs", "-o", "size=4m", "tmpfs", str(small))
    server = None
    try:
        server = two_workers(tmp_path, TMPDIR=str(small))
        directory = statistics_dir(small)
        filler = small / "filler"

        def fill() -> None:
            with open(filler, "wb") as out:
                try:
                    while True:
                        out.write(b"\0" * 65536)
                        out.flush()
                except OSError:
                    pass

        failing_storage_recovers(server, directory, fill, filler.unlink)
    finally:
        if server is not None:
            server.stop()
        unmount(small)


# --- 4. one clock per server --------------------------------------------------------------------------------


def test_a_wall_clock_step_moves_no_workers_minutes_apart(tmp_path: Path) -> None:
    step = tmp_path / "wall-step"
    step.write_text("0")
    server = two_workers(
        tmp_path,
        FUNCTION_APP="stepped_wall_app:app",
        PYTHONPATH=f"{ROOT / 'tests' / 'support' / 'stepped_wall_app'}:{ROOT}",
        TIMER_TEST_WALL_STEP_FILE=str(step),
    )
    try:
        send_echoes(server.base_url, 40)
        step.write_text(str(2 * 3600))  # the wall clock jumps 2 hours ahead
        victim = kill_a_worker(server.base_url)
        eventually(lambda: alive_pids(server.base_url), lambda pids: len(pids) == 2 and victim not in pids)
        send_echoes(server.base_url, 40)
        counted_by_every_worker(server.base_url, 80)
        stats = latency(server.base_url)
        assert stats["window"]["functions"]["echo"]["count"] == 80
        busy = [m for m in stats["functions"]["echo"]["history"] if m["calls"]]
        assert sum(m["calls"] for m in busy) == 80 and len(busy) <= 2
        step.write_text(str(-3600))  # and back, an hour behind: a dead worker stays dead
        victim = kill_a_worker(server.base_url)
        eventually(lambda: alive_pids(server.base_url), lambda pids: len(pids) == 2 and victim not in pids)
        assert victim not in alive_pids(server.base_url)
    finally:
        server.stop()


# --- 5. runs don't mix --------------------------------------------------------------------------------------


def test_files_of_another_run_are_named_and_never_added(shared_server: tuple[ServerProcess, Path]) -> None:
    server, directory = shared_server
    before = echo_count(latency(server.base_url))
    other = Run.begin()
    file = write_process_file(directory, other, process_record(other, 4_000_002, *[1_000] * 500), alive=False)
    try:
        reasons = eventually(lambda: skipped(server.base_url), lambda found: file.path.name in found)
        assert reasons[file.path.name] == "of another server run"
        assert [echo_count(latency(server.base_url)) for _ in range(6)] == [before] * 6
    finally:
        file.path.unlink()


def test_a_restarted_server_does_not_add_the_stale_files_of_its_last_run(tmp_path: Path) -> None:
    shared = tmp_path / "statistics"
    shared.mkdir()
    env = {"TIMER_MULTIPROCESS_DIR": str(shared), "PYTHON_ENABLE_WORKER_EXTENSIONS": "1", "SERVER_ACCESS_LOG": "0"}
    first = start_container(tmp_path, WEB_CONCURRENCY="1", **env)
    try:
        send_echoes(first.base_url, 25)
    finally:
        first.stop()
    second = start_container(tmp_path, WEB_CONCURRENCY="1", **env)
    try:
        send_echoes(second.base_url, 5)
        stats = latency(second.base_url)
        assert echo_count(stats) == 5
        assert list(skipped(second.base_url).values()) == ["of another server run"]
        assert len(stats["processes"]) == 1
    finally:
        second.stop()
    shutil.rmtree(shared, ignore_errors=True)
