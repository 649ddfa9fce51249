"""The server's own error answers as a Prometheus family, for the timer extension's `/metrics` exposition.

Imported at the first scrape only (it imports prometheus_client, a tenth of a second): the server registers
`collector` with `python_worker_extension_timer.collectors` by name at start-up, which costs nothing.
"""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client.core import CounterMetricFamily, Metric

from .status_counts import StatusCounts, status_counts

FAMILY = "http_server_errors"
LABELS = ("status_class", "status")


class StatusCollector:
    """`http_server_errors_total{status_class="4xx",status="408"}`: answers the server wrote itself, all processes."""

    def __init__(self, counts: StatusCounts) -> None:
        self._counts = counts

    def collect(self) -> Iterator[Metric]:
        family = CounterMetricFamily(
            FAMILY,
            "Error answers the server wrote itself (timeouts, limits, refusals, failed functions), "
            "every worker process added up.",
            labels=LABELS,
        )
        for status, count in sorted(self._counts.merged().items()):
            family.add_metric([f"{status // 100}xx", str(status)], count)
        yield family


def collector() -> StatusCollector:
    """The collector of this process's view of the counts (the factory the server registers)."""
    return StatusCollector(status_counts())
