"""The single place that holds the package version.

``pyproject.toml`` reads it through setuptools' dynamic ``version`` attribute
and :mod:`python_worker_extension_timer` re-exports it as ``__version__``.
"""

__version__ = "1.4.0"
