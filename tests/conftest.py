"""Fixtures shared by every test: servers on 127.0.0.1, clean extension state, and the two tiers.

Tiers (see tests/support/tiers.py): `pytest` runs the fast tier, `pytest --full` (or TEST_TIER=full) the full
one. Give a costly test two sizes with `sized(fast=..., full=...)`; mark a test that has no useful smaller
version `@pytest.mark.heavy` (it then runs only in the full tier). Thread-race tests take `fast_switching`.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from hypothesis import settings

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.support import tiers  # noqa: E402
from tests.support.extensions import isolated_extensions  # noqa: E402
from tests.support.output_guard import no_access_lines_left_behind  # noqa: E402, F401 - autouse, for every test
from tests.support.servers import ServerProcess, start_container  # noqa: E402

# Property tests check behaviour, never speed: no per-example deadline (a busy machine made them fail at random;
# speed goals live in benchmarks/).
settings.register_profile("no-deadline", deadline=None)
settings.load_profile("no-deadline")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--full",
        action="store_true",
        help="the full tier (make test-all): full sizes, and the tests marked heavy; also TEST_TIER=full",
    )


def pytest_configure(config: pytest.Config) -> None:
    tiers.select_full(config.getoption("--full"))


def pytest_report_header(config: pytest.Config) -> str:
    if tiers.FULL:
        return "tier: full (sized() tests at full size, heavy tests included)"
    return "tier: fast (sized() tests at fast size, heavy tests deselected; --full or make test-all runs them)"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if tiers.FULL:
        return
    heavy = [item for item in items if item.get_closest_marker("heavy")]
    if heavy:
        config.hook.pytest_deselected(items=heavy)
        items[:] = [item for item in items if not item.get_closest_marker("heavy")]


@pytest.fixture
def fast_switching() -> Iterator[None]:
    """The interpreter switches threads every 100 µs instead of 5 ms: races show within far fewer calls."""
    previous = sys.getswitchinterval()
    sys.setswitchinterval(1e-4)
    try:
        yield
    finally:
        sys.setswitchinterval(previous)


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """The local runner (`python -m container`) with default settings and extensions on."""
    process = start_container(tmp_path_factory.mktemp("server"), PYTHON_ENABLE_WORKER_EXTENSIONS="1")
    yield process
    process.stop()


@pytest.fixture(scope="session")
def bob_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    process = start_container(tmp_path_factory.mktemp("bob"), CHARACTER_NAME="Bob")
    yield process
    process.stop()


@pytest.fixture(autouse=True)
def fresh_app_settings() -> Iterator[None]:
    """The app reads its settings once per process: each test reads the environment it set up."""
    from echo_service import settings

    settings.reload()
    yield
    settings.reload()


@pytest.fixture
def client(server: ServerProcess) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.base_url, timeout=30) as http:
        yield http


@pytest.fixture
def clean_extensions() -> Iterator[None]:
    """Registered worker extensions restored after the test, as if nothing had been imported."""
    with isolated_extensions():
        yield
