"""Which functions of an app would go untimed, and one warning that names them.

The Python 3.13+ worker runs no extension hooks, nor does the 4.x worker
while ``PYTHON_ENABLE_WORKER_EXTENSIONS`` is off: there only functions
decorated with ``@timed`` are timed. When the app's module has been imported,
its ``FunctionApp`` lists every function; those without the decorator are
named in one warning through :mod:`logging` (where the worker's log handling
sees it), those of the Blueprints it registered included, from whichever
module. Nothing is said when every function is timed, or when hooks run.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Mapping
from types import ModuleType

from .settings import ENABLE_FLAG, LAST_WITH_HOOKS, THIS_PYTHON, hooks_run

__all__ = ["ENABLE_FLAG", "hooks_run", "untimed_functions", "warn_if_untimed"]

logger = logging.getLogger("python_worker_extension_timer")


def untimed_functions(module: ModuleType) -> list[str]:
    """The functions of every ``FunctionApp`` in ``module`` that are not decorated with ``@timed``.

    Those of the Blueprints the app registered included, wherever they were
    defined (see :mod:`.app_functions`, which never calls ``get_functions()``).
    """
    from .app_functions import registered_functions  # here: only a process without hooks asks
    from .decorator import is_timed

    functions = registered_functions([module])
    return sorted({function.name for function in functions if not is_timed(function.user_function)})


def warn_if_untimed(
    module_name: str, environ: Mapping[str, str] = os.environ, version_info: tuple[int, ...] = THIS_PYTHON
) -> list[str]:
    """Warn once, naming them, when functions of the app module ``module_name`` would go untimed here."""
    module = sys.modules.get(module_name)
    if module is None or hooks_run(environ, version_info):
        return []
    untimed = untimed_functions(module)
    if untimed:
        why = (
            f"Python {version_info[0]}.{version_info[1]}'s worker runs no extension hooks"
            if tuple(version_info[:2]) > LAST_WITH_HOOKS
            else f"{ENABLE_FLAG} is not 1/true, so the worker runs no extension hooks"
        )
        logger.warning(
            "python_worker_extension_timer: %s, and %d function%s of %s %s not decorated with @timed, so %s "
            "untimed: %s. Put @timed under @app.route (from python_worker_extension_timer import timed).",
            why,
            len(untimed),
            "" if len(untimed) == 1 else "s",
            module_name,
            "is" if len(untimed) == 1 else "are",
            "it goes" if len(untimed) == 1 else "they go",
            ", ".join(untimed),
        )
    return untimed
