"""The release as a user meets it: `make publish` to a package index, then `pip install` by name, then an app.

A real package index server (pypiserver) runs on 127.0.0.1 with a temporary packages folder and no
authentication. `make publish` builds, checks and uploads the sdist and the wheel with twine; a fresh
virtual environment installs `python_worker_extension_timer[prometheus]` by name from that index (its
dependencies from the indexes pip is configured with: the network), and serves the readme's quick start
with our server. Heavy: it downloads, so only the full tier runs it.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import venv
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

import python_worker_extension_timer
from tests.support.polling import eventually
from tests.support.readme_app import write_app
from tests.support.servers import ROOT, container_process, free_port

pytestmark = pytest.mark.heavy

NAME = "python_worker_extension_timer"
VERSION = python_worker_extension_timer.__version__
VENV = Path(sys.prefix)  # the venv running the tests: it has build and twine (requirements-dev.txt)


def run(*args: object, cwd: Path | None = None, env: dict[str, str] | None = None) -> str:
    done = subprocess.run(
        [str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True, timeout=600, check=False
    )
    assert done.returncode == 0, f"{args}\nstdout:\n{done.stdout}\nstderr:\n{done.stderr}"
    return done.stdout


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A package index on 127.0.0.1 that accepts uploads from anyone and never redirects elsewhere."""
    packages = tmp_path_factory.mktemp("packages")
    port = free_port()
    log = open(packages.parent / "pypiserver.log", "wb")  # noqa: SIM115 - handed to the server, closed below
    command = [sys.executable, "-m", "pypiserver", "run", "--host", "127.0.0.1", "--port", str(port)]
    server = subprocess.Popen(
        [*command, "--authenticate", ".", "--passwords", ".", "--disable-fallback", str(packages)],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    log.close()
    url = f"http://127.0.0.1:{port}"

    def answers() -> bool:
        try:
            return httpx.get(f"{url}/simple/", timeout=1).status_code == 200
        except httpx.TransportError:
            return server.poll() is not None

    try:
        assert eventually(answers, bool, timeout=30), "pypiserver did not start"
        assert server.poll() is None, (packages.parent / "pypiserver.log").read_text()
        yield url
    finally:
        server.terminate()
        server.wait(10)


@pytest.fixture(scope="module")
def published(index: str, tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    """`make publish` from a copy of the project (so no dist/ lands in the work tree); the files on the index."""
    copy = tmp_path_factory.mktemp("repository")
    shutil.copy(ROOT / "Makefile", copy / "Makefile")
    shutil.copytree(
        ROOT / NAME,
        copy / NAME,
        ignore=shutil.ignore_patterns("build", "dist", "*.egg-info", "__pycache__", "*.pyc"),
    )
    env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL", "TWINE_REPOSITORY")}
    env.update(TWINE_REPOSITORY_URL=f"{index}/", TWINE_USERNAME="tester", TWINE_PASSWORD="unused")
    output = run(
        "make", "--no-print-directory", "-o", f"{VENV}/.test-installed", f"VENV={VENV}", "publish", cwd=copy, env=env
    )
    assert output.count("PASSED") == 2, output  # twine check --strict, both files
    listing = httpx.get(f"{index}/simple/{NAME}/", timeout=10, follow_redirects=True).text
    return sorted(f for f in (f"{NAME}-{VERSION}-py3-none-any.whl", f"{NAME}-{VERSION}.tar.gz") if f in listing)


def test_make_publish_uploads_the_sdist_and_the_wheel(published: list[str]) -> None:
    assert published == [f"{NAME}-{VERSION}-py3-none-any.whl", f"{NAME}-{VERSION}.tar.gz"]


@pytest.fixture(scope="module")
def installed(index: str, published: list[str], tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    """A fresh venv where the readme's requirements, and our server's, were installed by name; pip's report."""
    root = tmp_path_factory.mktemp("adopter")
    app = root / "app"
    write_app(app)
    fresh = root / "venv"
    venv.create(fresh, with_pip=True)
    python = fresh / "bin" / "python"
    (root / "release.txt").write_text(f"{NAME}=={VERSION}\n")  # this release, not another of the same name
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")}
    run(
        python, "-m", "pip", "install", "--quiet", "--report", root / "report.json",
        "--extra-index-url", f"{index}/simple/",
        "-r", app / "requirements.txt",
        "-r", ROOT / "container" / "requirements.txt", "orjson",  # our server, which serves the app
        "-c", root / "release.txt", "-c", ROOT / "constraints.txt",
        cwd=root, env=env,
    )  # fmt: skip
    return python, json.loads((root / "report.json").read_text())


def test_pip_installs_the_package_by_name_from_the_index_with_the_extra(
    index: str, installed: tuple[Path, dict]
) -> None:
    _, report = installed
    by_name = {item["metadata"]["name"].replace("-", "_").lower(): item for item in report["install"]}
    timer = by_name[NAME]
    assert timer["metadata"]["version"] == VERSION
    assert timer["download_info"]["url"].startswith(index)
    assert timer["requested_extras"] == ["prometheus"]
    assert "prometheus_client" in by_name and "azure_functions" in by_name


def test_the_readme_app_runs_on_the_installed_package(installed: tuple[Path, dict], tmp_path: Path) -> None:
    python, _ = installed
    app = tmp_path / "app"
    write_app(app)
    # PYTHONPATH: our server's code (container/); the timer comes from the fresh venv.
    server = container_process(python=python, cwd=app, ready_path="/api/timer/stats", PYTHONPATH=str(ROOT))
    server.start(tmp_path / "server.log", ready_timeout=60)
    try:
        base = server.base_url
        assert httpx.get(f"{base}/api/hello/Ada", timeout=10).text == "Hello, Ada!"
        stats = httpx.get(f"{base}/api/timer/stats", timeout=10).json()
        assert stats["version"] == VERSION and stats["functions"]["hello"]["count"] == 1
        assert "Latency histogram of hello" in httpx.get(f"{base}/api/timer/ui", timeout=10).text
        metrics = httpx.get(f"{base}/api/timer/metrics", timeout=10)
        assert metrics.status_code == 200 and 'faas_invocations_total{function="hello"' in metrics.text
        where = run(python, "-c", f"import {NAME} as p; print(p.__file__)", cwd=app)
        assert Path(where.strip()).is_relative_to(python.parent.parent)
    finally:
        server.stop()
