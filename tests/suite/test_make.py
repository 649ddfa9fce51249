"""The Makefile's housekeeping: `make clean` removes every output of a build, a test run or a benchmark."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

OUTPUTS = [
    ".venv/bin/python",
    ".venv/py3.13/bin/python",
    "build/lib/x.py",
    "dist/echo-0.1.tar.gz",
    "echo.egg-info/PKG-INFO",
    "test-artifacts/page.png",
    "benchmarks/results/run.md",
    ".pytest_cache/README.md",
    ".hypothesis/examples/x",
    ".mypy_cache/3.10/x.json",
    ".ruff_cache/CACHEDIR.TAG",
    "container/__pycache__/server.cpython-311.pyc",
    "python_worker_extension_timer/build/lib/python_worker_extension_timer/__init__.py",
    "python_worker_extension_timer/dist/python_worker_extension_timer-1.0.0-py3-none-any.whl",
    "python_worker_extension_timer/python_worker_extension_timer.egg-info/PKG-INFO",
    "python_worker_extension_timer/python_worker_extension_timer/__pycache__/x.pyc",
]


def make_env() -> dict[str, str]:
    """This environment without what an outer `make test` passes down (its job server is not ours)."""
    return {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL")}


SOURCES = ["container/server.py", "python_worker_extension_timer/pyproject.toml", "benchmarks/run_all.py"]


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_make_clean_removes_every_build_output_and_keeps_the_sources(tmp_path: Path) -> None:
    shutil.copy(ROOT / "Makefile", tmp_path / "Makefile")
    for relative in OUTPUTS + SOURCES:
        (tmp_path / relative).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / relative).write_text("x")
    done = subprocess.run(
        ["make", "--no-print-directory", "clean"], cwd=tmp_path, env=make_env(), capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    left = sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*") if p.is_file())
    assert left == sorted(["Makefile", *SOURCES])
    assert not (tmp_path / "python_worker_extension_timer" / "build").exists()


def test_the_readme_names_exactly_the_tests_the_python_313_pass_runs() -> None:
    [assignment] = re.findall(r"^TESTS313 \?= (.+)$", (ROOT / "Makefile").read_text(), re.MULTILINE)
    readme = (ROOT / "README.md").read_text()
    [sentence] = [s for s in re.split(r"\.\s", readme) if "again, in the same tier, under Python 3.13" in s]
    named = re.findall(r"`(tests/[^`]*)`", sentence)
    assert named == assignment.split()
