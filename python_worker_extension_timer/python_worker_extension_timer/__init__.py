"""Time Azure Functions invocations: a Python worker extension.

Import it first in ``function_app.py`` (with the app setting
``PYTHON_ENABLE_WORKER_EXTENSIONS=1``), so that its start-up record profiles
the app's own imports::

    from python_worker_extension_timer import TimerExtension, timed
    TimerExtension.configure()

See :class:`TimerExtension` for the options and ``TimerExtension.stats()``
for reading the statistics.
"""

# First of all: the start-up record notes when the package was imported and starts the import profiler,
# so that everything imported after this line (azure.functions too, when the worker has not yet) is timed.
from .startup import PROCESS as _PROCESS  # noqa: F401, I001

from ._version import __version__
from .extension import TimerExtension, timed

__all__ = ["TimerExtension", "timed", "__version__"]
