"""Per-function invocation statistics.

One :class:`FunctionStats` per function name holds the number of completed
invocations, errors, abandoned invocations, the exact minimum, mean and
maximum duration and a :class:`~.histogram.Histogram` for percentiles. Every
method is thread-safe. :meth:`FunctionStats.record` is on the path of every
invocation, so it usually takes no lock: it appends the duration to a queue
(atomic in CPython), which is folded into the histogram under a private lock
once it holds :data:`PENDING_LIMIT` durations and before every read.
"""

from __future__ import annotations

import threading
from collections import deque
from typing import Any

from .clock import NS_PER_MS
from .histogram import Histogram

__all__ = ["FunctionStats", "PERCENTILES"]

#: Percentiles reported by :meth:`FunctionStats.snapshot`, as (key, quantile).
PERCENTILES = (("p50_ms", 0.50), ("p90_ms", 0.90), ("p99_ms", 0.99))
_QUANTILES = tuple(q for _, q in PERCENTILES)
#: Durations queued by :meth:`FunctionStats.record` before they are folded into the histogram.
PENDING_LIMIT = 256


def _ms(value_ns: float | None) -> float | None:
    """Nanoseconds to milliseconds, rounded to the nanosecond."""
    if value_ns is None:
        return None
    return round(value_ns / NS_PER_MS, 6)


class FunctionStats:
    """Thread-safe statistics of one function.

    Counters
    --------
    count:
        Completed invocations, i.e. those whose post-invocation hook ran.
        Only these have a duration.
    errors:
        Completed invocations that returned an HTTP response with status
        >= 500, *plus* abandoned invocations (the worker skips the
        post-invocation hook when the function raises, which is the usual
        reason for an invocation to be abandoned). The error rate is thus
        ``errors / (count + abandoned)``.
    abandoned:
        Invocations whose start was recorded but that never completed
        within ``max_age_seconds`` or were evicted because more than
        ``max_in_flight`` invocations were open.

    Parameters
    ----------
    name: str
        The function name, as the worker reports it in ``context``.
    """

    __slots__ = ("name", "_lock", "_errors", "_abandoned", "_sum_ns", "_hist", "_pending")

    def __init__(self, name: str) -> None:
        self.name = name
        self._lock = threading.Lock()
        self._errors = 0
        self._abandoned = 0
        self._sum_ns = 0
        self._hist = Histogram()
        self._pending: deque[int] = deque()

    def record(self, duration_ns: int, error: bool = False) -> None:
        """Record one completed invocation.

        Parameters
        ----------
        duration_ns: int
            The duration in nanoseconds; negative values (a clock that went
            backwards) are recorded as 0.
        error: bool
            Whether the invocation counts as an error (HTTP status >= 500).
        """
        if duration_ns < 0:
            duration_ns = 0
        if error:  # rare: queued and counted under the lock, so a reader sees both or neither
            with self._lock:
                self._pending.append(duration_ns)
                self._fold()
                self._errors += 1
            return
        pending = self._pending
        pending.append(duration_ns)
        if len(pending) >= PENDING_LIMIT:
            with self._lock:
                self._fold()

    def _fold(self) -> None:
        """Move the queued durations into the histogram; the caller holds the lock.

        Only folders take from the queue, and they hold the lock, so the
        length read here is a lower bound while other threads append.
        """
        take = self._pending.popleft
        durations = [take() for _ in range(len(self._pending))]
        self._hist.add_many(durations)
        self._sum_ns += sum(durations)

    def record_abandoned(self, n: int = 1) -> None:
        """Count ``n`` invocations that started but never completed.

        They count in both ``abandoned`` and ``errors``; they have no
        duration and do not count in ``count``.
        """
        with self._lock:
            self._abandoned += n
            self._errors += n

    @property
    def count(self) -> int:
        """Completed invocations."""
        with self._lock:
            self._fold()
            return self._hist.total

    @property
    def errors(self) -> int:
        """5xx responses plus abandoned invocations."""
        return self._errors

    @property
    def abandoned(self) -> int:
        """Invocations evicted from the in-flight table without completing."""
        return self._abandoned

    def snapshot(self) -> dict[str, Any]:
        """A JSON-ready copy of the statistics, in milliseconds.

        Returns
        -------
        dict
            ``{"count", "errors", "abandoned", "min_ms", "mean_ms",
            "max_ms", "p50_ms", "p90_ms", "p99_ms", "histogram":
            {"bounds_ms": [...], "counts": [...]}}``. The duration fields
            are ``None`` while ``count`` is 0. ``histogram`` lists the upper
            bound and count of each non-empty bucket, ascending.
        """
        with self._lock:
            self._fold()
            hist = self._hist.copy()
            errors = self._errors
            abandoned = self._abandoned
            sum_ns = self._sum_ns
        count = hist.total
        result: dict[str, Any] = {
            "count": count,
            "errors": errors,
            "abandoned": abandoned,
            "min_ms": _ms(hist.min_ns),
            "mean_ms": _ms(sum_ns / count) if count else None,
            "max_ms": _ms(hist.max_ns),
        }
        for (key, _), value in zip(PERCENTILES, hist.quantiles(_QUANTILES)):
            result[key] = _ms(value)
        buckets = hist.nonempty_buckets()
        result["histogram"] = {
            "bounds_ms": [_ms(b) for b in buckets["bounds_ns"]],
            "counts": buckets["counts"],
        }
        return result

    def __repr__(self) -> str:
        return (
            f"FunctionStats(name={self.name!r}, count={self.count}, "
            f"errors={self._errors}, abandoned={self._abandoned})"
        )
