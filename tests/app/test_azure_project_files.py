"""The files `func host start` and an Azure deployment read agree with the app."""

from __future__ import annotations

import fnmatch
import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


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


def ignored_by_funcignore(path: str) -> bool:
    patterns = [p.strip() for p in (ROOT / ".funcignore").read_text().splitlines() if p.strip()]
    first = path.split("/", 1)[0]
    return any(fnmatch.fnmatch(path, p) or fnmatch.fnmatch(first, p) for p in patterns)


@pytest.mark.parametrize("path", ["tests/conftest.py", "benchmarks/run_all.py", "container/server.py",
                                  ".venv/bin/python", "local.settings.json", "Makefile"])
def test_funcignore_keeps_out_of_the_deployment(path: str) -> None:
    assert ignored_by_funcignore(path)


@pytest.mark.parametrize("path", ["function_app.py", "host.json", "requirements.txt", "echo_service/handlers.py",
                                  "python_worker_extension_timer/pyproject.toml"])
def test_funcignore_deploys(path: str) -> None:
    assert not ignored_by_funcignore(path)
