"""Package surface: exports, the single version, typing marker."""

from __future__ import annotations

from pathlib import Path

import pytest

try:
    import tomllib
except ImportError:  # Python 3.10
    tomllib = pytest.importorskip("tomli")

import python_worker_extension_timer as package
from python_worker_extension_timer import _version

PROJECT_DIR = Path(__file__).resolve().parents[2] / "python_worker_extension_timer"


def test_exports_timer_extension_and_version():
    assert package.__all__ == ["TimerExtension", "timed", "__version__"]
    assert package.timed == package.TimerExtension.timed
    assert package.TimerExtension.__name__ == "TimerExtension"


def test_the_version_has_a_single_source():
    assert package.__version__ == _version.__version__ == "1.4.0"
    pyproject = tomllib.loads((PROJECT_DIR / "pyproject.toml").read_text())
    assert "version" not in pyproject["project"]
    assert "version" in pyproject["project"]["dynamic"]
    assert pyproject["tool"]["setuptools"]["dynamic"]["version"] == {
        "attr": "python_worker_extension_timer._version.__version__"
    }


def test_pyproject_metadata():
    project = tomllib.loads((PROJECT_DIR / "pyproject.toml").read_text())["project"]
    assert project["requires-python"] == ">=3.10"
    assert project["dependencies"] == ["azure-functions >= 1.7.0"]
    assert project["readme"] == {"file": "readme.md", "content-type": "text/markdown"}
    for version in ("3.10", "3.11", "3.12"):
        assert f"Programming Language :: Python :: {version}" in project["classifiers"]
    assert "Typing :: Typed" in project["classifiers"]


def test_the_package_is_marked_typed():
    assert (Path(package.__file__).parent / "py.typed").is_file()
