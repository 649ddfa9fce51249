"""The two tiers: the fast one by default, the full one under `--full` (or TEST_TIER=full), heavy tests only there."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
HEAVY_TEST = "tests/app/test_dependency_lock.py::test_pip_installs_exactly_the_locked_versions_from_requirements_txt"


def run(args: list[str], **env: str) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if k != "TEST_TIER"} | env
    return subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=environment, capture_output=True, text=True, timeout=120
    )


@pytest.mark.parametrize("env, size", [({}, "fast"), ({"TEST_TIER": "full"}, "full")])
def test_sized_follows_the_tier_of_the_environment(env: dict[str, str], size: str) -> None:
    done = run(["-c", "from tests.support.tiers import sized; print(sized(fast='fast', full='full'))"], **env)
    assert done.stdout.strip() == size, done.stderr


@pytest.mark.parametrize("flags, collected", [([], False), (["--full"], True)])
def test_a_heavy_test_runs_only_in_the_full_tier(flags: list[str], collected: bool) -> None:
    done = run(["-m", "pytest", "--collect-only", "-q", *flags, HEAVY_TEST])
    assert (HEAVY_TEST in done.stdout) is collected, done.stdout + done.stderr
