"""requirements.lock pins what runs, for every supported Python, and pip installs exactly that.

The lock is read as pip reads it (packaging's requirement and marker parsers); the pip tests run
the real pip of this interpreter against the package index, with `--dry-run`.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from tools import requirements_lock

ROOT = Path(__file__).resolve().parents[2]
SUPPORTED_PYTHONS = ("3.10", "3.11", "3.12", "3.13")
RUNTIME_REQUIREMENTS = ("requirements.txt", "container/requirements.txt")


def environment(python: str) -> dict[str, str]:
    """Marker values of CPython `python` on Linux x86_64, where Azure and the image run."""
    return {
        "python_version": python,
        "python_full_version": f"{python}.0",
        "implementation_name": "cpython",
        "platform_python_implementation": "CPython",
        "sys_platform": "linux",
        "platform_system": "Linux",
        "platform_machine": "x86_64",
        "os_name": "posix",
    }


@dataclass(frozen=True)
class Pin:
    requirement: Requirement
    hashes: tuple[str, ...]

    @property
    def name(self) -> str:
        return canonicalize_name(self.requirement.name)

    @property
    def version(self) -> str:
        (specifier,) = self.requirement.specifier
        assert specifier.operator == "==", self.requirement
        return specifier.version

    def applies_to(self, python: str) -> bool:
        return self.requirement.marker is None or self.requirement.marker.evaluate(environment(python))


def lock_pins() -> list[Pin]:
    """Each `name==version ; marker` entry of the lock with its `--hash` options."""
    pins: list[Pin] = []
    for entry in (ROOT / "requirements.lock").read_text().split("\n"):
        if not entry or entry.startswith("#"):
            continue
        if entry.lstrip().startswith("--hash="):
            pins[-1] = Pin(pins[-1].requirement, (*pins[-1].hashes, entry.strip().removesuffix("\\").strip()))
        elif not entry.startswith(" "):
            pins.append(Pin(Requirement(entry.removesuffix("\\").strip()), ()))
    return pins


def pins_for(python: str) -> dict[str, Pin]:
    found: dict[str, Pin] = {}
    for pin in lock_pins():
        if pin.applies_to(python):
            assert pin.name not in found, f"{pin.name} is pinned twice for Python {python}"
            found[pin.name] = pin
    return found


def named_requirements(path: str) -> list[Requirement]:
    """The named requirements of a requirements file (no options, no local paths)."""
    lines = (line.split(" #", 1)[0].strip() for line in (ROOT / path).read_text().splitlines())
    return [Requirement(line) for line in lines if line and not line.startswith(("#", "-", "."))]


def runtime_cases() -> Iterator[tuple[str, str, Requirement]]:
    for path in RUNTIME_REQUIREMENTS:
        for requirement in named_requirements(path):
            for python in SUPPORTED_PYTHONS:
                if requirement.marker is None or requirement.marker.evaluate(environment(python)):
                    yield path, python, requirement


@pytest.mark.parametrize("path, python, requirement", list(runtime_cases()), ids=str)
def test_every_runtime_dependency_is_locked_with_hashes_for_each_supported_python(
    path: str, python: str, requirement: Requirement
) -> None:
    pin = pins_for(python).get(canonicalize_name(requirement.name))
    assert pin is not None, f"{requirement} ({path}) has no pin for Python {python}"
    assert requirement.specifier.contains(pin.version, prereleases=True), f"{pin.requirement} outside {requirement}"
    assert pin.hashes and all(h.startswith("--hash=sha256:") for h in pin.hashes)


@pytest.mark.parametrize("python", SUPPORTED_PYTHONS)
def test_every_pin_of_the_lock_has_hashes(python: str) -> None:
    assert [name for name, pin in pins_for(python).items() if not pin.hashes] == []


@pytest.mark.parametrize("python", SUPPORTED_PYTHONS)
def test_the_application_insights_exporter_is_locked_for_every_python(python: str) -> None:
    """Whichever Python Azure's remote build uses, the worker finds azure-monitor-opentelemetry."""
    assert "azure-monitor-opentelemetry" in pins_for(python)


@pytest.mark.parametrize("python", SUPPORTED_PYTHONS)
def test_the_timer_extension_is_not_in_the_lock_but_its_dependencies_are(python: str) -> None:
    """A local folder has no hash: the image installs it beside the lock, from the lock's packages alone."""
    pins = pins_for(python)
    assert "python-worker-extension-timer" not in pins
    assert {"azure-functions", "setuptools"} <= set(pins)


def test_the_lock_matches_its_inputs_and_constraints_are_its_pins() -> None:
    assert requirements_lock.problems() == []


def test_requirements_txt_takes_its_versions_from_the_lock() -> None:
    assert "-c constraints.txt" in (ROOT / "requirements.txt").read_text().splitlines()


@pytest.fixture
def inputs_copy(tmp_path: Path) -> Path:
    """The lock's inputs and outputs in a folder of their own."""
    for relative in (*requirements_lock.INPUTS, requirements_lock.LOCK, requirements_lock.CONSTRAINTS):
        (tmp_path / relative).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / relative, tmp_path / relative)
    return tmp_path


@pytest.mark.parametrize(
    "relative, edit",
    [
        ("requirements.txt", lambda text: text.replace("orjson>=3.10,<4", "orjson>=3.11,<4")),
        ("requirements.txt", lambda text: text + "httpx>=0.27\n"),
        ("container/requirements.txt", lambda text: text.replace("uvicorn>=0.30,<1", "uvicorn>=0.31,<1")),
        (
            "python_worker_extension_timer/pyproject.toml",
            lambda text: text.replace("azure-functions >= 1.7.0", "azure-functions >= 1.8.0"),
        ),
        (
            "python_worker_extension_timer/pyproject.toml",
            lambda text: text.replace('dependencies = ["azure-functions >= 1.7.0"]', 'dependencies = ["orjson"]'),
        ),
        ("constraints.txt", lambda text: text.replace("orjson==", "orjson>=")),
    ],
)
def test_the_check_fails_when_an_input_changed_without_a_new_lock(inputs_copy: Path, relative: str, edit) -> None:
    path = inputs_copy / relative
    path.write_text(edit(path.read_text()))
    assert requirements_lock.problems(inputs_copy) != []


def test_the_check_ignores_comments(inputs_copy: Path) -> None:
    path = inputs_copy / "requirements.txt"
    path.write_text("# a new comment\n" + path.read_text().replace("orjson>=3.10,<4", "orjson>=3.10,<4  # fast"))
    assert requirements_lock.problems(inputs_copy) == []


def test_make_lock_check_fails_on_a_stale_lock(inputs_copy: Path) -> None:
    """The command CI runs (through `make test`), against a copy whose requirements.txt gained a package."""
    (inputs_copy / "requirements.txt").write_text((ROOT / "requirements.txt").read_text() + "httpx>=0.27\n")
    (inputs_copy / "tools").mkdir()
    shutil.copy2(ROOT / "tools" / "requirements_lock.py", inputs_copy / "tools" / "requirements_lock.py")
    done = subprocess.run(
        [sys.executable, "tools/requirements_lock.py", "check"], cwd=inputs_copy, capture_output=True, text=True
    )
    assert done.returncode == 1
    assert "changed since requirements.lock was made" in done.stderr and "make lock" in done.stderr


# --------------------------------------------------------------------------- what pip does


def pip_env() -> dict[str, str]:
    """This interpreter's pip with only the package index: no configuration file, no extra wheel folders."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PIP_") or k in ("PIP_CERT", "PIP_DEFAULT_TIMEOUT")}
    env.update(PIP_CONFIG_FILE=os.devnull, PIP_DISABLE_PIP_VERSION_CHECK="1")
    return env


def pip(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pip", *args], cwd=ROOT, env=pip_env(), capture_output=True, text=True, timeout=300
    )


@pytest.mark.heavy  # asks the package index: the full tier (CI) runs it
def test_pip_installs_exactly_the_locked_versions_from_requirements_txt(tmp_path: Path) -> None:
    """What Azure's remote build runs: `pip install -r requirements.txt`, here as a dry run on this Python."""
    report = tmp_path / "report.json"
    done = pip(
        "install", "--dry-run", "--ignore-installed", "--quiet", "--report", str(report), "-r", "requirements.txt"
    )
    assert done.returncode == 0, done.stderr
    installed = {
        canonicalize_name(item["metadata"]["name"]): item["metadata"]["version"]
        for item in json.loads(report.read_text())["install"]
    }
    python = f"{sys.version_info.major}.{sys.version_info.minor}"
    locked = {name: pin.version for name, pin in pins_for(python).items()}
    assert installed.pop("python-worker-extension-timer")
    assert {name: version for name, version in installed.items() if locked.get(name) != version} == {}


def test_pip_refuses_the_hashed_lock_next_to_the_local_extension_folder(tmp_path: Path) -> None:
    """Why requirements.txt names constraints.txt and not the lock itself, and why the image installs the
    extension in a second step: any hash turns hash checking on, and a folder has none."""
    together = tmp_path / "requirements.txt"
    together.write_text(f"-c {ROOT / 'requirements.lock'}\n./python_worker_extension_timer\n")
    done = pip("install", "--dry-run", "--ignore-installed", "-r", str(together))
    assert done.returncode != 0
    assert "Can't verify hashes" in done.stderr
