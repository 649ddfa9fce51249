"""The files `func host start` and an Azure deployment read agree with the app."""

from __future__ import annotations

import fnmatch
import json
from pathlib import Path

import pytest
from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[2]


def test_host_json_has_no_sampling_settings_that_opentelemetry_mode_ignores() -> None:
    """Under "telemetryMode": "OpenTelemetry" the host does not apply logging.applicationInsights (Microsoft's
    OpenTelemetry how-to for Functions): such settings would only suggest a sampling that does not happen."""
    host = json.loads((ROOT / "host.json").read_text())
    assert host["telemetryMode"] == "OpenTelemetry"
    assert "applicationInsights" not in host.get("logging", {})


def test_host_json_is_version_2_with_the_extension_bundle_and_no_route_prefix() -> None:
    host = json.loads((ROOT / "host.json").read_text())
    assert host["version"] == "2.0"
    assert host["extensionBundle"]["id"] == "Microsoft.Azure.Functions.ExtensionBundle"
    assert host["extensions"]["http"]["routePrefix"] == ""


def test_local_settings_run_python_with_worker_extensions_on() -> None:
    values = json.loads((ROOT / "local.settings.json").read_text())["Values"]
    assert values["FUNCTIONS_WORKER_RUNTIME"] == "python"
    assert values["AzureWebJobsStorage"]
    assert values["PYTHON_ENABLE_WORKER_EXTENSIONS"] == "1"
    assert values["CHARACTER_NAME"] == "I"


def test_requirements_install_the_functions_library_and_the_timer_extension() -> None:
    lines = [line.strip() for line in (ROOT / "requirements.txt").read_text().splitlines()]
    assert any(line.startswith("azure-functions") for line in lines)
    assert "./python_worker_extension_timer" in lines
    assert (ROOT / "python_worker_extension_timer" / "pyproject.toml").is_file()


def requirements(path: Path) -> list[Requirement]:
    """The named requirements of a pip requirements file (no comments, options or local paths)."""
    lines = (line.split(" #", 1)[0].strip() for line in path.read_text().splitlines())
    return [Requirement(line) for line in lines if line and not line.startswith(("#", "-", "."))]


def azure_functions_for(python: str) -> list[Requirement]:
    environment = {"python_version": python, "python_full_version": f"{python}.0"}
    return [
        r
        for r in requirements(ROOT / "requirements.txt")
        if r.name == "azure-functions" and (r.marker is None or r.marker.evaluate(environment))
    ]


@pytest.mark.parametrize("python", ["3.10", "3.11", "3.12"])
def test_below_python_313_the_app_gets_azure_functions_1(python: str) -> None:
    """Azure's worker for 3.10-3.12 (the one that runs worker extensions) goes with the 1.x library."""
    [requirement] = azure_functions_for(python)
    assert requirement.specifier.contains("1.21.0") and requirement.specifier.contains("1.26.0")
    assert not requirement.specifier.contains("1.20.0")
    assert not requirement.specifier.contains("2.0.0") and not requirement.specifier.contains("2.0.0rc1", True)


@pytest.mark.parametrize("python", ["3.13", "3.14"])
def test_from_python_313_the_app_gets_azure_functions_2(python: str) -> None:
    """3.13+ is served by azure-functions-runtime, which goes with the 2.x library."""
    [requirement] = azure_functions_for(python)
    assert requirement.specifier.contains("2.0.0") and requirement.specifier.contains("2.3.0")
    assert not requirement.specifier.contains("1.26.0")
    assert not requirement.specifier.contains("3.0.0")


def test_the_azure_functions_split_is_by_environment_markers_on_the_python_version() -> None:
    markers = sorted(str(r.marker) for r in requirements(ROOT / "requirements.txt") if r.name == "azure-functions")
    assert markers == ['python_version < "3.13"', 'python_version >= "3.13"']


@pytest.mark.parametrize("path", ["requirements.txt", "container/requirements.txt", "requirements-dev.txt"])
def test_every_requirement_line_parses(path: str) -> None:
    """A malformed specifier or marker would make pip reject the whole file."""
    for requirement in requirements(ROOT / path):
        if requirement.marker is not None:
            requirement.marker.evaluate()


def matches(pattern: str, path: str) -> bool:
    """gitignore's rule: a pattern with a slash is anchored to the root, one without matches a name at any depth."""
    if "/" in pattern:
        anchored = pattern.lstrip("/")
        return fnmatch.fnmatch(path, anchored) or path.startswith(anchored + "/")
    return any(fnmatch.fnmatch(segment, pattern) for segment in path.split("/"))


def ignored_by_funcignore(path: str) -> bool:
    patterns = [line.strip().rstrip("/") for line in (ROOT / ".funcignore").read_text().splitlines()]
    return any(matches(pattern, path) for pattern in patterns if pattern and not pattern.startswith("#"))


@pytest.mark.parametrize(
    "path",
    [
        "tests/conftest.py",
        "benchmarks/run_all.py",
        "container/server.py",
        ".venv/bin/python",
        "local.settings.json",
        "Makefile",
        "tests/app/test_azure_infra.py",
        "infra/main.bicep",
        "infra/app/api.bicep",
        "azure.yaml",
        ".azure/dev/.env",
        "container/sql/01_setup.sql",
        "container/Dockerfile",
        ".mypy_cache/3.11/function_app.data.json",
        ".ruff_cache/0.17.0/12345",
        "echo_service/__pycache__/handlers.cpython-312.pyc",
        "echo_service/.mypy_cache/CACHEDIR.TAG",
        "python_worker_extension_timer/build/lib/python_worker_extension_timer/extension.py",
        "python_worker_extension_timer/dist/python_worker_extension_timer-1.2.0-py3-none-any.whl",
        "python_worker_extension_timer/python_worker_extension_timer.egg-info/PKG-INFO",
        "requirements.lock",
        "tools/requirements_lock.py",
    ],
)
def test_funcignore_keeps_out_of_the_deployment(path: str) -> None:
    assert ignored_by_funcignore(path)


@pytest.mark.parametrize(
    "path",
    [
        "function_app.py",
        "host.json",
        "requirements.txt",
        "constraints.txt",
        "echo_service/handlers.py",
        "python_worker_extension_timer/pyproject.toml",
        "python_worker_extension_timer/python_worker_extension_timer/__init__.py",
    ],
)
def test_funcignore_deploys(path: str) -> None:
    assert not ignored_by_funcignore(path)
