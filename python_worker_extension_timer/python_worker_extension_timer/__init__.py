"""Time Azure Functions invocations: a Python worker extension.

Import it first in ``function_app.py`` (with the app setting
``PYTHON_ENABLE_WORKER_EXTENSIONS=1``), so that its start-up record profiles
the app's own imports::

    from python_worker_extension_timer import TimerExtension, timed
    TimerExtension.configure()

See :class:`TimerExtension` for the options and ``TimerExtension.stats()``
for reading the statistics.

``import python_worker_extension_timer.startup`` alone starts the start-up
record and the import profiler without defining the extension (so nothing
registers with the worker): a server that embeds apps does it first, so its
own imports are in the profile (``python -m container`` does).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._version import __version__

# First of all: the start-up record notes when the package was imported and starts the import profiler,
# so that everything imported after this line (azure.functions too, when the worker has not yet) is timed.
from .startup import PROCESS as _PROCESS  # noqa: F401, I001

if TYPE_CHECKING:
    from .extension import TimerExtension, timed

__all__ = ["TimerExtension", "timed", "__version__"]


def __getattr__(name: str) -> Any:
    """``TimerExtension`` and ``timed`` are defined (and the extension registered) when first asked for."""
    if name in ("TimerExtension", "timed"):
        from . import extension

        value = getattr(extension, name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
