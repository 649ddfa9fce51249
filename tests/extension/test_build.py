"""The package builds, passes twine's checks and installs into a clean venv.

It builds an sdist and a wheel, creates one virtual environment without system
site-packages for the whole session (`fresh_venv`: created without pip, which
this interpreter's pip installs into with `--python`, so no venv pays for its
own pip), checks that the app without the package fails clearly, then installs
the wheel with its dependency (azure-functions) from the package registry.
"""

from __future__ import annotations

import email
import importlib.metadata
import os
import shutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.version import Version

import python_worker_extension_timer

PROJECT_DIR = Path(__file__).resolve().parents[2] / "python_worker_extension_timer"
VERSION = python_worker_extension_timer.__version__
NAME = "python_worker_extension_timer"
REPO_ROOT = PROJECT_DIR.parent


def run(*args: object, cwd: Path | None = None, timeout: int = 300) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")}
    result = subprocess.run([str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    assert result.returncode == 0, f"{args}\nstdout:\n{result.stdout}\nstderr:\n{result.stderr}"
    return result


def setuptools_is_recent() -> bool:
    try:
        return Version(importlib.metadata.version("setuptools")) >= Version("77")
    except importlib.metadata.PackageNotFoundError:
        return False


@pytest.fixture(scope="module")
def artifacts(tmp_path_factory) -> dict:
    """Build from a copy, so no build/ or *.egg-info lands in the work tree."""
    root = tmp_path_factory.mktemp("build")
    source = root / "source"
    shutil.copytree(
        PROJECT_DIR,
        source,
        ignore=shutil.ignore_patterns("build", "dist", "*.egg-info", "__pycache__", "*.pyc"),
    )
    outdir = root / "dist"
    isolation = ["--no-isolation"] if setuptools_is_recent() else []
    run(sys.executable, "-m", "build", "--sdist", "--wheel", *isolation, "--outdir", outdir, source)
    return {
        "sdist": outdir / f"{NAME}-{VERSION}.tar.gz",
        "wheel": outdir / f"{NAME}-{VERSION}-py3-none-any.whl",
        "root": root,
    }


def test_both_artifacts_are_built(artifacts):
    assert artifacts["sdist"].is_file()
    assert artifacts["wheel"].is_file()


def test_twine_check_strict_passes(artifacts):
    result = run(sys.executable, "-m", "twine", "check", "--strict", artifacts["sdist"], artifacts["wheel"])
    assert result.stdout.count("PASSED") == 2


def test_the_sdist_contains_readme_license_and_py_typed(artifacts):
    with tarfile.open(artifacts["sdist"]) as sdist:
        names = {name.split("/", 1)[1] for name in sdist.getnames() if "/" in name}
    for required in ("readme.md", "LICENSE", "pyproject.toml", f"{NAME}/py.typed", f"{NAME}/__init__.py"):
        assert required in names


def test_the_wheel_contains_py_typed_and_license_and_no_tests(artifacts):
    with zipfile.ZipFile(artifacts["wheel"]) as wheel:
        names = set(wheel.namelist())
        metadata = email.message_from_bytes(wheel.read(f"{NAME}-{VERSION}.dist-info/METADATA"))
    assert f"{NAME}/py.typed" in names
    assert f"{NAME}-{VERSION}.dist-info/licenses/LICENSE" in names
    assert all(n.startswith((f"{NAME}/", f"{NAME}-{VERSION}.dist-info/")) for n in names)
    assert metadata["Version"] == VERSION
    assert metadata["Requires-Python"] == ">=3.10"
    assert 'prometheus_client<1,>=0.20; extra == "prometheus"' in metadata.get_all("Requires-Dist")
    assert "prometheus" in metadata.get_all("Provides-Extra")
    assert metadata["Description-Content-Type"] == "text/markdown"


def test_the_wheel_ships_every_module_of_the_source_tree_sub_packages_included(artifacts):
    package = PROJECT_DIR / NAME
    sources = {f"{NAME}/{path.relative_to(package).as_posix()}" for path in package.rglob("*.py")}
    assert f"{NAME}/page/document.py" in sources
    with zipfile.ZipFile(artifacts["wheel"]) as wheel:
        assert sources <= set(wheel.namelist())


def wheel_metadata(artifacts) -> email.message.Message:
    with zipfile.ZipFile(artifacts["wheel"]) as wheel:
        return email.message_from_bytes(wheel.read(f"{NAME}-{VERSION}.dist-info/METADATA"))


def test_the_wheel_lists_python_310_to_313(artifacts):
    """The versions the suite runs on: `make test` runs the extension's tests under 3.13 too."""
    versions = [
        c.rsplit(" :: ", 1)[1]
        for c in wheel_metadata(artifacts).get_all("Classifier")
        if c.startswith("Programming Language :: Python :: 3.")
    ]
    assert versions == ["3.10", "3.11", "3.12", "3.13"]


def test_the_only_install_requirement_is_azure_functions(artifacts):
    requires = [Requirement(r) for r in wheel_metadata(artifacts).get_all("Requires-Dist")]
    base = [r for r in requires if r.marker is None or "extra" not in str(r.marker)]
    assert [str(r) for r in base] == ["azure-functions>=1.7.0"]


@pytest.mark.parametrize(
    "python, accepted, refused",
    [
        ("3.10", ["1.7.0", "1.21.0", "1.26.0"], ["1.6.0"]),
        ("3.11", ["1.7.0", "1.21.0", "1.26.0"], ["1.6.0"]),
        ("3.12", ["1.7.0", "1.21.0", "1.26.0"], ["1.6.0"]),
        # 3.13+: the app gets azure-functions 2.x (Azure's azure-functions-runtime worker); the extension and
        # @timed work on it, so the package must accept it there.
        ("3.13", ["2.0.0", "2.3.0"], ["1.6.0"]),
        ("3.14", ["2.0.0", "2.3.0"], ["1.6.0"]),
    ],
)
def test_azure_functions_1_installs_below_313_and_2_from_313(artifacts, python, accepted, refused):
    environment = {"python_version": python, "python_full_version": f"{python}.0", "extra": ""}
    requires = [Requirement(r) for r in wheel_metadata(artifacts).get_all("Requires-Dist")]
    applying = [
        r for r in requires if r.name == "azure-functions" and (r.marker is None or r.marker.evaluate(environment))
    ]
    assert applying, f"no azure-functions requirement applies on Python {python}"
    for version in accepted:
        assert all(r.specifier.contains(version) for r in applying), (python, version)
    for version in refused:
        assert not all(r.specifier.contains(version) for r in applying), (python, version)


def pip_install(venv: Path, *requirements: object) -> None:
    """This interpreter's pip installs into `venv` (whose interpreter it runs for the install)."""
    pip = [sys.executable, "-m", "pip", "--python", venv / "bin" / "python", "install", "--quiet"]
    run(*pip, "--disable-pip-version-check", *requirements, timeout=600)


@pytest.fixture(scope="session")
def fresh_venv(tmp_path_factory) -> Path:
    """One virtual environment for the session (no system site-packages): the app's imports, not the package."""
    venv = tmp_path_factory.mktemp("venv") / "venv"
    run(sys.executable, "-m", "venv", "--without-pip", venv)
    pip_install(venv, "azure-functions", "orjson", "msgspec")
    return venv


def package_location(python: Path, cwd: Path) -> str:
    """Where `python` imports the package from, run in `cwd`; "" when it is not importable."""
    script = "import importlib.util as u; s = u.find_spec('python_worker_extension_timer'); print(s and s.origin or '')"
    return run(python, "-c", script, cwd=cwd).stdout.strip()


# Before `installed_venv` installs the wheel into the same venv (pytest runs a module's tests in order).
def test_without_the_install_function_app_fails_with_a_clear_message(fresh_venv, tmp_path):
    python = fresh_venv / "bin" / "python"
    assert package_location(python, cwd=tmp_path) == "", "the package is already installed in the fresh venv"
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")}
    done = subprocess.run(
        [str(python), "-c", "import function_app"], cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode != 0
    assert "python_worker_extension_timer is not installed" in done.stderr
    assert "pip install -r requirements.txt" in done.stderr


@pytest.fixture(scope="module")
def installed_venv(artifacts, fresh_venv) -> Path:
    """The fresh venv with the wheel installed (its dependency, azure-functions, resolved by pip)."""
    pip_install(fresh_venv, artifacts["wheel"])
    return fresh_venv


def test_the_wheel_installs_into_a_fresh_venv_and_imports(artifacts, installed_venv):
    venv = installed_venv
    python = venv / "bin" / "python"
    # cwd outside the repository, so only the installed package is importable.
    result = run(
        python,
        "-c",
        "import python_worker_extension_timer as p, azure.functions as f;"
        "from python_worker_extension_timer import TimerExtension;"
        "assert issubclass(TimerExtension, f.AppExtensionBase);"
        "print(p.__version__); print(p.__file__)",
        cwd=artifacts["root"],
    )
    version, location = result.stdout.split()
    assert version == VERSION
    assert Path(location).is_relative_to(venv)


def test_from_the_repository_root_the_installed_package_wins_over_the_project_folder(installed_venv):
    """The project folder shares the package's name; the installed package must still be the one imported."""
    python = installed_venv / "bin" / "python"
    result = run(python, "-c", "import python_worker_extension_timer as p; print(p.__file__)", cwd=REPO_ROOT)
    assert Path(result.stdout.strip()).is_relative_to(installed_venv)
