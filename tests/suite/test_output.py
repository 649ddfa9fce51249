"""pytest's summary is the last thing a test run prints: no access line leaks past it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

LEAKING_TEST = """
import asyncio

from container.loader import build_app
from container.settings import ServerSettings
from tests.support.asgi import http_scope


def test_an_in_process_app_answers_with_its_access_log_on():
    app = build_app(ServerSettings())
    sent = []

    async def receive():
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message):
        sent.append(message)

    asyncio.run(app(http_scope("GET", "/healthcheck", [(b"host", b"127.0.0.1")]), receive, send))
    assert sent[0]["status"] == 200
"""


def sub_pytest(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.heavy  # the guard (tests/support/output_guard.py) checks this in every run; this proves it end to end
def test_the_summary_is_the_last_line_of_a_run_whose_tests_serve_requests_in_process() -> None:
    done = sub_pytest("tests/container/test_server_behaviour.py", "-k", "saturated")
    lines = done.stdout.rstrip("\n").splitlines()
    assert done.returncode == 0, done.stdout
    assert lines[-1].startswith("=") and " passed" in lines[-1], lines[-3:]
    assert " access " not in done.stdout


def test_a_test_that_leaves_access_lines_behind_fails(tmp_path: Path) -> None:
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    (tmp_path / "conftest.py").write_text(
        "from tests.support.output_guard import no_access_lines_left_behind  # noqa: F401\n"
    )
    (tmp_path / "test_leak.py").write_text(LEAKING_TEST)
    done = sub_pytest("-q", "test_leak.py", cwd=tmp_path)
    assert done.returncode == 1, done.stdout
    assert "1 access line(s) left unwritten" in done.stdout
    assert "1 passed, 1 error" in done.stdout
    last = done.stdout.rstrip("\n").splitlines()[-1]
    assert "1 passed, 1 error" in last, "the leaked line was written inside the test's report, not after it"
