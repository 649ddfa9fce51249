"""Time Azure Functions invocations: a Python worker extension.

Import it in ``function_app.py`` (with the app setting
``PYTHON_ENABLE_WORKER_EXTENSIONS=1``)::

    from python_worker_extension_timer import TimerExtension
    TimerExtension.configure()

See :class:`TimerExtension` for the options and ``TimerExtension.stats()``
for reading the statistics.
"""

import sys as _sys

from ._compat import warn_if_unsupported as _warn_if_unsupported
from ._version import __version__
from .extension import TimerExtension, timed

__all__ = ["TimerExtension", "timed", "__version__"]

_warn_if_unsupported(_sys.version_info)
