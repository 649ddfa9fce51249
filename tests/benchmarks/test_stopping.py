"""`make bench` stops its servers however it is stopped: SIGTERM to make (`kill`), SIGTERM to its whole process
group (`timeout`), SIGINT to the group (Ctrl-C).

Each case runs `make bench` with one benchmark of its own (`BENCH=`): it starts the bare ceiling server through
the harness, as the real ones do, prints the server's pid, and waits. The servers run in sessions of their own,
so no signal to the benchmark's group reaches them: only the harness can stop them.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.polling import eventually

ROOT = Path(__file__).resolve().parents[2]

BENCHMARK = f"""
import sys
import time

sys.path.insert(0, {str(ROOT)!r})
from benchmarks.harness import BARE_CEILING, RunningServer, ServerKind

server = RunningServer(ServerKind("bare", [*BARE_CEILING, "--workers", "1"], {{}}))
try:
    print("SERVER", server.process.pid, flush=True)
    time.sleep(120)
finally:
    server.stop()
"""


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return Path(f"/proc/{pid}/stat").exists() and Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
@pytest.mark.parametrize(
    "signum, to_the_group",
    [
        pytest.param(signal.SIGTERM, False, id="SIGTERM-to-make"),
        pytest.param(signal.SIGTERM, True, id="SIGTERM-to-the-group"),
        pytest.param(signal.SIGINT, True, id="SIGINT-to-the-group"),
    ],
)
def test_make_bench_stops_its_servers(tmp_path: Path, signum: int, to_the_group: bool) -> None:
    script = tmp_path / "bench_wait.py"
    script.write_text(BENCHMARK)
    # BIN: this interpreter; -o: the venv counts as installed (this test makes nothing).
    python_bin = str(Path(sys.executable).parent)
    command = ["make", "--no-print-directory", "-o", ".venv/.test-installed", "bench"]
    make = subprocess.Popen(
        [*command, f"BENCH={script}", f"BIN={python_bin}"],
        cwd=ROOT,
        env={k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL")},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,  # its own group, as under a shell's job control or `timeout`
    )
    server_pid = None
    try:
        assert make.stdout is not None
        for line in make.stdout:
            if line.startswith("SERVER "):
                server_pid = int(line.split()[1])
                break
        assert server_pid is not None and alive(server_pid), "the benchmark did not start its server"
        if to_the_group:
            os.killpg(make.pid, signum)
        else:
            os.kill(make.pid, signum)
        make.wait(timeout=30)
        assert not eventually(lambda: alive(server_pid), lambda running: not running, timeout=30)
    finally:
        if make.poll() is None:
            os.killpg(make.pid, signal.SIGKILL)
            make.wait()
        if make.stdout is not None:
            make.stdout.close()
        if server_pid is not None and alive(server_pid):
            os.killpg(server_pid, signal.SIGKILL)
