"""`python -m container` starts without garbage collection and collects again once it listens.

In every process that serves: the one of `python -m container`, or each worker process the supervisor spawns
with `WEB_CONCURRENCY` above 1 (a fresh interpreter, which never runs `container/__main__.py`).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.support.fresh_python import run_python
from tests.support.servers import container_env, free_port

#: Loaded by every process of the run (a `sitecustomize` on its path, worker processes included): it counts the
#: collections while the process started (from the import of `STARTUP_MARKER`, its server module, to the freeze of
#: what start-up made; dozens without the change). A process that serves (it loaded the app) then writes the
#: collector's state, once on and frozen, to a file of `COLLECTOR_REPORTS`.
WATCH_EVERY_PROCESS = """
import gc, json, os, sys, threading, time

early = []

def during_startup(phase, info):
    if phase == "start" and os.environ["STARTUP_MARKER"] in sys.modules and gc.get_freeze_count() == 0:
        early.append(info)

def report():
    deadline = time.monotonic() + 20
    while not (gc.get_freeze_count() and gc.isenabled()) and time.monotonic() < deadline:
        time.sleep(0.01)
    if "container.loader" in sys.modules:
        state = {"enabled": gc.isenabled(), "frozen": gc.get_freeze_count(), "early": len(early)}
        with open(os.path.join(os.environ["COLLECTOR_REPORTS"], f"{os.getpid()}.json"), "w") as file:
            json.dump(state, file)

gc.callbacks.append(during_startup)
threading.Thread(target=report, daemon=True).start()
"""

#: The real `python -m container` in this process; a thread waits until it answers and every serving process
#: has reported, then sends SIGTERM, on which it stops.
RUN_UNTIL_REPORTED = """
import os, runpy, signal, sys, threading, time, urllib.request

def stop_once_reported():
    while True:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{os.environ['SERVER_PORT']}/healthcheck", timeout=1).read()
            break
        except OSError:
            time.sleep(0.02)
    deadline = time.monotonic() + 20
    while len(os.listdir(os.environ["COLLECTOR_REPORTS"])) < int(os.environ["WEB_CONCURRENCY"]):
        if time.monotonic() > deadline:
            break
        time.sleep(0.02)
    os.kill(os.getpid(), signal.SIGTERM)

threading.Thread(target=stop_once_reported, daemon=True).start()
sys.argv = ["container"]
runpy.run_module("container", run_name="__main__")
"""


@pytest.mark.parametrize(
    ("workers", "startup_marker"),
    [
        (1, "container.server"),  # `python -m container` serves: from the server module's import
        (2, "container.loader"),  # a spawned worker process: from the loading of the app (`DrainingServer.run`)
    ],
)
def test_each_serving_process_starts_without_collecting_and_collects_once_it_listens(
    tmp_path: Path, workers: int, startup_marker: str
) -> None:
    (tmp_path / "sitecustomize.py").write_text(WATCH_EVERY_PROCESS)
    reports = tmp_path / "reports"
    reports.mkdir()
    env = container_env(
        SERVER_PORT=str(free_port()),
        SERVER_LOG_FORMAT="plain",
        WEB_CONCURRENCY=str(workers),
        STARTUP_MARKER=startup_marker,
        COLLECTOR_REPORTS=str(reports),
    )
    done = run_python(RUN_UNTIL_REPORTED, paths=[tmp_path], env=env)
    assert done.returncode == 0, done.stderr
    states = [json.loads(path.read_text()) for path in sorted(reports.iterdir())]
    assert len(states) == workers, (states, done.stderr)
    for state in states:
        # Frozen: the thousands of objects the imports made are never scanned again.
        assert state["enabled"] is True and state["frozen"] > 10_000 and state["early"] == 0, state
