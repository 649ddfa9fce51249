"""The suite's two tiers: fast (`make test`, the default) and full (`make test-all`, what CI runs).

Both tiers run the same tests. A test whose cost grows with a size takes `sized(fast=..., full=...)`: the fast
size still proves the behaviour (fewer rows in flight, fewer calls, a shorter load), the full size is the one
that proves more (the long soak, the million-call memory curve, full-size concurrency). A test with no smaller
version worth running is marked `@pytest.mark.heavy` and runs only in the full tier.

The full tier is chosen by `pytest --full` or `TEST_TIER=full` in the environment (`--full` sets it, so the
processes a test starts see it too); tests/conftest.py reads both before any test module is imported.
"""

from __future__ import annotations

import os
from typing import TypeVar

T = TypeVar("T")

ENVIRONMENT_VARIABLE = "TEST_TIER"
FULL = os.environ.get(ENVIRONMENT_VARIABLE, "").strip().lower() == "full"


def sized(fast: T, full: T) -> T:
    """The fast size in the default tier, the full size under `--full`."""
    return full if FULL else fast


def select_full(full: bool) -> None:
    """Called by tests/conftest.py at configuration time, before test modules read their sizes."""
    global FULL
    FULL = full or FULL
    if FULL:
        os.environ[ENVIRONMENT_VARIABLE] = "full"
