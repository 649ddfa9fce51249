"""`python -m container` starts without garbage collection and collects again once it listens."""

from __future__ import annotations

import json
from pathlib import Path

from tests.support.fresh_python import run_python
from tests.support.servers import container_env, free_port

ROOT = Path(__file__).resolve().parents[2]

#: The real `python -m container` in this process, a thread watching it: collections while the server started
#: (from its first module's import to the freeze of what start-up made; dozens without the change), and the
#: collector's state once the server answers; then SIGTERM, on which it stops.
WATCHED_START = """
import gc, json, os, runpy, signal, sys, threading, time, urllib.request

early = []
def during_startup(phase, info):
    if phase == "start" and "container.server" in sys.modules and gc.get_freeze_count() == 0:
        early.append(info)
gc.callbacks.append(during_startup)

def watch():
    while True:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{os.environ['SERVER_PORT']}/healthcheck", timeout=1).read()
            break
        except OSError:
            time.sleep(0.02)
    print(json.dumps({"enabled": gc.isenabled(), "frozen": gc.get_freeze_count(), "early": len(early)}),
          file=sys.stderr, flush=True)
    os.kill(os.getpid(), signal.SIGTERM)

threading.Thread(target=watch, daemon=True).start()
sys.argv = ["container"]
runpy.run_module("container", run_name="__main__")
"""


def test_the_server_starts_without_collecting_and_collects_once_it_listens() -> None:
    done = run_python(WATCHED_START, env=container_env(SERVER_PORT=str(free_port()), SERVER_LOG_FORMAT="plain"))
    assert done.returncode == 0, done.stderr
    [report] = [json.loads(line) for line in done.stderr.splitlines() if line.startswith("{")]
    # Frozen: the thousands of objects the imports made are never scanned again.
    assert report["enabled"] is True and report["frozen"] > 10_000 and report["early"] == 0, report
