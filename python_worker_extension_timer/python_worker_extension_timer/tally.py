"""What is known of a set of finished invocations, in a form that merges exactly.

A :class:`Tally` holds a duration histogram, the sum of the durations, the
errors and the abandoned invocations. Two tallies (of two worker processes,
or of two minutes) merge by adding them, bucket by bucket, so a merged view
is the same as if one process had recorded everything.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .clock import NS_PER_MS
from .histogram import Histogram

__all__ = ["Tally", "PERCENTILES", "minute_summary"]

#: Percentiles reported by :meth:`Tally.summary`, as (key, quantile).
PERCENTILES = (("p50_ms", 0.50), ("p90_ms", 0.90), ("p99_ms", 0.99))
_QUANTILES = tuple(q for _, q in PERCENTILES)


def _ms(value_ns: float | None) -> float | None:
    """Nanoseconds to milliseconds, rounded to the nanosecond."""
    if value_ns is None:
        return None
    return round(value_ns / NS_PER_MS, 6)


class Tally:
    """Durations (histogram and sum), errors and abandoned invocations; not thread-safe by itself."""

    __slots__ = ("hist", "sum_ns", "errors", "abandoned")

    def __init__(self) -> None:
        self.hist = Histogram()
        self.sum_ns = 0
        self.errors = 0
        self.abandoned = 0

    @property
    def count(self) -> int:
        """Completed invocations (those with a duration)."""
        return self.hist.total

    def merge(self, other: Tally) -> None:
        """Add ``other`` into this tally (exact)."""
        self.hist.merge(other.hist)
        self.sum_ns += other.sum_ns
        self.errors += other.errors
        self.abandoned += other.abandoned

    def copy(self) -> Tally:
        other = Tally()
        other.merge(self)
        return other

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form, read back by :meth:`from_dict`."""
        return {
            "histogram": self.hist.to_packed(),
            "sum_ns": self.sum_ns,
            "errors": self.errors,
            "abandoned": self.abandoned,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Tally:
        """The tally :meth:`to_dict` wrote; ``ValueError``/``KeyError``/``TypeError`` if it is not one."""
        tally = cls()
        tally.hist = Histogram.from_packed(data["histogram"])
        tally.sum_ns = int(data["sum_ns"])
        tally.errors = int(data["errors"])
        tally.abandoned = int(data["abandoned"])
        return tally

    def summary(self) -> dict[str, Any]:
        """The statistics users read, in milliseconds.

        Returns
        -------
        dict
            ``{"count", "errors", "abandoned", "min_ms", "mean_ms",
            "max_ms", "p50_ms", "p90_ms", "p99_ms", "histogram":
            {"bounds_ms": [...], "counts": [...]}}``. The duration fields
            are ``None`` while ``count`` is 0. ``histogram`` lists the upper
            bound and count of each non-empty bucket, ascending.
        """
        hist = self.hist
        count = hist.total
        result: dict[str, Any] = {
            "count": count,
            "errors": self.errors,
            "abandoned": self.abandoned,
            "min_ms": _ms(hist.min_ns),
            "mean_ms": _ms(self.sum_ns / count) if count else None,
            "max_ms": _ms(hist.max_ns),
        }
        for (key, _), value in zip(PERCENTILES, hist.quantiles(_QUANTILES), strict=True):
            result[key] = _ms(value)
        buckets = hist.nonempty_buckets()
        result["histogram"] = {
            "bounds_ms": [_ms(b) for b in buckets["bounds_ns"]],
            "counts": buckets["counts"],
        }
        return result


_EMPTY_MINUTE = {"calls": 0, "errors": 0, **{key: None for key, _ in PERCENTILES}, "max_ms": None}


def minute_summary(start: str, tally: Tally | None) -> dict[str, Any]:
    """One minute of the history: ``{"start", "calls", "errors", "p50_ms", "p90_ms", "p99_ms", "max_ms"}``.

    ``start`` is the minute's start as given; ``tally`` is ``None`` for a
    minute without calls, whose durations are then ``None``. Lighter than
    :meth:`Tally.summary`: the history has many minutes.
    """
    if tally is None:
        return {"start": start, **_EMPTY_MINUTE}
    hist = tally.hist
    result: dict[str, Any] = {"start": start, "calls": hist.total, "errors": tally.errors}
    for (key, _), value in zip(PERCENTILES, hist.quantiles(_QUANTILES), strict=True):
        result[key] = _ms(value)
    result["max_ms"] = _ms(hist.max_ns)
    return result
