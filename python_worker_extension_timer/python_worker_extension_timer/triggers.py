"""Each function's trigger kind, from the app's own function metadata, as OpenTelemetry names it.

OpenTelemetry's FaaS conventions label an invocation with ``faas.trigger``:
``http``, ``pubsub`` (queues, topics, event streams), ``datasource`` (a change
in a store), ``timer`` or ``other``. A function's kind follows from the
``type`` of its trigger binding (:data:`FAAS_TRIGGERS`), read once from the
app's decorators (:mod:`.app_functions`), so it is the same for every call of
the function, however the call ended, and the same in Prometheus, in
OpenTelemetry and in ``stats()``.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable, Iterable

from .app_functions import registered_functions
from .startup import PROCESS

__all__ = ["APP_TRIGGERS", "FAAS_TRIGGERS", "OTHER", "AppTriggers", "faas_trigger"]

OTHER = "other"

#: The ``type`` of a trigger binding (as the host reads it, any case) to OpenTelemetry's ``faas.trigger``.
FAAS_TRIGGERS: dict[str, str] = {
    "httptrigger": "http",
    "timertrigger": "timer",
    "queuetrigger": "pubsub",
    "servicebustrigger": "pubsub",
    "eventhubtrigger": "pubsub",
    "eventgridtrigger": "pubsub",
    "kafkatrigger": "pubsub",
    "rabbitmqtrigger": "pubsub",
    "blobtrigger": "datasource",
    "cosmosdbtrigger": "datasource",
    "sqltrigger": "datasource",
    "mysqltrigger": "datasource",
}


def faas_trigger(trigger_type: str | None) -> str:
    """OpenTelemetry's ``faas.trigger`` for a trigger binding's ``type``; ``other`` for the rest."""
    return FAAS_TRIGGERS.get((trigger_type or "").lower(), OTHER)


class AppTriggers:
    """The trigger kind of each function of the app, read when first asked for.

    Parameters
    ----------
    modules: Callable[[], Iterable[str]]
        The names of the modules that may hold the app's ``FunctionApp``
        (the app's script module first); those not imported are skipped.

    A name the app does not know is ``other``, and stays so until
    :meth:`forget` (the timer forgets when the app's module finished
    importing, so nothing asked for too early sticks).
    """

    def __init__(self, modules: Callable[[], Iterable[str]]) -> None:
        self.modules = modules
        self._kinds: dict[str, str] = {}
        self._lock = threading.Lock()

    def of(self, name: str) -> str:
        """The kind of function ``name``: ``http``, ``timer``, ``pubsub``, ``datasource`` or ``other``."""
        kind = self._kinds.get(name)
        if kind is None:
            kind = self._read(name)
        return kind

    def forget(self) -> None:
        """Read the app again at the next question (its module finished importing, or a test changed it)."""
        with self._lock:
            self._kinds = {}

    def _read(self, name: str) -> str:
        imported = [module for module in (sys.modules.get(m) for m in self.modules()) if module is not None]
        try:
            found = {function.name: faas_trigger(function.trigger_type) for function in registered_functions(imported)}
        except Exception:  # never let reading the app's metadata break a call: unknown is "other"
            found = {}
        with self._lock:
            kinds = {**self._kinds, **found}
            kinds.setdefault(name, OTHER)
            self._kinds = kinds
            return kinds[name]


#: The app of this process: its script module (``function_app``), else a module defining ``@timed`` functions.
APP_TRIGGERS = AppTriggers(PROCESS.app_module_names)
PROCESS.on_app_loaded(lambda module: APP_TRIGGERS.forget())
