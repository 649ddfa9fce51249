"""Other collectors for :func:`.prometheus.exposition`, registered without importing ``prometheus_client``.

A process that hosts the app (a web server, say) may count things of its own that belong beside the
invocations on the same ``/metrics`` page, without the function that serves the page knowing about it.
It registers a *factory* at start-up, which imports nothing, so ``prometheus_client`` (a tenth of a second
to import) still loads only at the first scrape; each factory is called once, at the first exposition, and
its collector (anything with a ``collect()`` that yields ``prometheus_client`` metric families) is then
collected at every exposition, after the timer's own families::

    def server_collector():
        from my_server.metrics import ServerCollector  # imports prometheus_client, at the first scrape

        return ServerCollector()

    register_collector(server_collector)
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

__all__ = ["register_collector", "registered_collectors", "unregister_collector"]

#: Each registered factory with its collector once made.
_registered: list[tuple[Callable[[], Any], list[Any]]] = []
_lock = threading.Lock()


def register_collector(factory: Callable[[], Any]) -> None:
    """Add the collector ``factory()`` makes to every exposition of this process (the factory runs once)."""
    with _lock:
        _registered.append((factory, []))


def unregister_collector(factory: Callable[[], Any]) -> None:
    """Take ``factory``'s collector out of the expositions again (no error if it was not registered)."""
    with _lock:
        _registered[:] = [entry for entry in _registered if entry[0] is not factory]


def registered_collectors() -> list[Any]:
    """The collectors of the registered factories, in the order registered, each made at its first use."""
    with _lock:
        for factory, made in _registered:
            if not made:
                made.append(factory())
        return [made[0] for _, made in _registered]
