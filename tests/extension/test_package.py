"""Package surface: exports, the single version, typing marker, Python support."""

from __future__ import annotations

import importlib
import sys
import warnings
from pathlib import Path

import pytest

try:
    import tomllib
except ImportError:  # Python 3.10
    tomllib = pytest.importorskip("tomli")

import python_worker_extension_timer as package
from python_worker_extension_timer import _compat, _version

PROJECT_DIR = Path(__file__).resolve().parents[2] / "python_worker_extension_timer"


def test_exports_timer_extension_and_version():
    assert package.__all__ == ["TimerExtension", "timed", "__version__"]
    assert package.timed == package.TimerExtension.timed
    assert package.TimerExtension.__name__ == "TimerExtension"


def test_the_version_has_a_single_source():
    assert package.__version__ == _version.__version__ == "1.2.0"
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


@pytest.mark.parametrize(
    "version_info, warns",
    [
        ((3, 10, 0), False),
        ((3, 11, 9), False),
        ((3, 12, 7), False),
        ((3, 13, 0), True),
        ((3, 14, 1), True),
        ((4, 0), True),
    ],
)
def test_the_unsupported_python_warning(version_info, warns):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert _compat.warn_if_unsupported(version_info) is warns
    assert len(caught) == int(warns)
    if warns:
        assert caught[0].category is RuntimeWarning
        assert "no longer runs worker extensions" in str(caught[0].message)
        assert "@timed" in str(caught[0].message)


def test_importing_on_python_313_warns_once_and_still_imports(monkeypatch):
    monkeypatch.setattr(sys, "version_info", (3, 13, 0, "final", 0))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        module = importlib.reload(package)
    monkeypatch.undo()
    importlib.reload(package)
    assert [w.category for w in caught] == [RuntimeWarning]
    assert module.TimerExtension is package.TimerExtension


@pytest.mark.skipif(sys.version_info >= (3, 13), reason="3.13+ warns by design")
def test_importing_on_a_supported_python_does_not_warn():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        importlib.reload(package)
    assert caught == []
