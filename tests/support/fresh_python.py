"""Running code in a fresh interpreter, where `sys.modules` and the global OpenTelemetry provider start empty."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from collections.abc import Mapping, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

#: An app of two functions timed with @timed, after configure(): prepend or append what a case needs.
TWO_TIMED_FUNCTIONS = """
import azure.functions as func
from python_worker_extension_timer import TimerExtension, timed

TimerExtension.configure()

@timed
def echo(req):
    return func.HttpResponse("x")

@timed
def ui(req):
    return func.HttpResponse("y")
"""


def run_python(
    code: str,
    *args: str,
    cwd: Path = ROOT,
    paths: Sequence[Path] = (),
    env: Mapping[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    """`python -c code args...` in `cwd`, with `paths`, the extension's folder and the repository on the path.

    `env` is the environment (this process's by default); PYTHONPATH is set over it.
    """
    environment = dict(os.environ if env is None else env)
    search = [*paths, ROOT / "python_worker_extension_timer", ROOT]
    environment["PYTHONPATH"] = os.pathsep.join(str(path) for path in search)
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code), *args],
        capture_output=True,
        text=True,
        env=environment,
        cwd=cwd,
        timeout=60,
    )
