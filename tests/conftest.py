"""Fixtures shared by every test: servers on 127.0.0.1 and clean extension state."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.support.extensions import isolated_extensions  # noqa: E402
from tests.support.servers import ServerProcess, start_container  # noqa: E402


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
