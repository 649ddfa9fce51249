"""A constant-memory latency histogram with log-spaced buckets.

Layout
------
Durations are recorded in integer nanoseconds. The regular buckets cover
``[LOWEST_NS, HIGHEST_NS)`` and grow by the constant ratio ``RATIO``: bucket
``i`` (1-based) is ``[LOWEST_NS * RATIO**(i-1), LOWEST_NS * RATIO**i)``.
Two more buckets catch the rest: an underflow bucket ``[0, LOWEST_NS)`` and an
overflow bucket ``[HIGHEST_NS, inf)``. The bucket array is allocated once, so
memory does not depend on how many values were recorded.

Accuracy
--------
A quantile is estimated as the arithmetic midpoint of the bucket holding it,
clamped to the smallest and largest value recorded. For a value ``v`` in a
regular bucket ``[a, a*r)`` the midpoint ``m = a*(1+r)/2`` satisfies
``|m - v| / v <= (r - 1) / 2`` (the worst case is ``v = a``); clamping to the
observed range can only move the estimate closer to ``v``. Hence every
quantile of values within ``[LOWEST_NS, HIGHEST_NS)`` is reported with a
relative error of at most :data:`RELATIVE_ERROR` = ``(RATIO - 1) / 2`` = 1 %
against the exact nearest-rank quantile (``sorted(values)[ceil(q*n) - 1]``).

Values below ``LOWEST_NS`` (100 ns) are estimated with an absolute error below
100 ns; values from ``HIGHEST_NS`` (about 2 h 50 min) on are reported as the
largest value recorded.

The class is *not* thread-safe by itself: :class:`FunctionStats` guards it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

__all__ = [
    "Histogram",
    "RATIO",
    "RELATIVE_ERROR",
    "LOWEST_NS",
    "HIGHEST_NS",
    "BUCKET_COUNT",
    "nearest_rank",
    "bucket_index",
]

#: Growth factor between consecutive bucket bounds.
RATIO = 1.02
#: Documented bound of the relative error of quantile estimates.
RELATIVE_ERROR = (RATIO - 1.0) / 2.0
#: Lower bound of the first regular bucket, in nanoseconds.
LOWEST_NS = 100
#: Number of regular buckets.
BUCKET_COUNT = math.ceil(math.log(1e13 / LOWEST_NS) / math.log(RATIO))

# _EDGES[j] = LOWEST_NS * RATIO**j, j = 0..BUCKET_COUNT. Regular bucket i
# (1..BUCKET_COUNT) is [_EDGES[i-1], _EDGES[i]); index 0 is the underflow and
# BUCKET_COUNT + 1 the overflow bucket.
_EDGES: list[float] = [LOWEST_NS * RATIO**j for j in range(BUCKET_COUNT + 1)]
#: Upper end of the last regular bucket, in nanoseconds (about 1e13).
HIGHEST_NS = _EDGES[-1]

_LOG_LOWEST = math.log(LOWEST_NS)
_INV_LOG_RATIO = 1.0 / math.log(RATIO)
_OVERFLOW = BUCKET_COUNT + 1


def nearest_rank(q: float, n: int) -> int:
    """1-based rank of the ``q`` quantile among ``n`` sorted values.

    This is the nearest-rank definition, ``max(1, ceil(q * n))``, that the
    estimates are measured against.
    """
    return max(1, math.ceil(q * n))


def bucket_index(value_ns: int) -> int:
    """Index of the bucket that holds ``value_ns`` (0 = underflow)."""
    if value_ns < LOWEST_NS:
        return 0
    if value_ns >= HIGHEST_NS:
        return _OVERFLOW
    i = int((math.log(value_ns) - _LOG_LOWEST) * _INV_LOG_RATIO) + 1
    # The logarithm may round across a bound: settle against the stored
    # edges so that bucket membership is exact.
    if value_ns < _EDGES[i - 1]:
        i -= 1
    elif value_ns >= _EDGES[i]:
        i += 1
    return i


class Histogram:
    """Counts of durations per log-spaced bucket, plus exact min and max.

    Memory is constant: ``BUCKET_COUNT + 2`` counters, allocated up front.
    """

    __slots__ = ("_counts", "total", "min_ns", "max_ns")

    def __init__(self) -> None:
        self._counts: list[int] = [0] * (BUCKET_COUNT + 2)
        #: Number of values recorded.
        self.total = 0
        #: Smallest value recorded, or ``None`` before the first one.
        self.min_ns: int | None = None
        #: Largest value recorded, or ``None`` before the first one.
        self.max_ns: int | None = None

    def add(self, value_ns: int) -> None:
        """Record one duration in nanoseconds (negative values count as 0)."""
        self.add_many((value_ns,))

    def add_many(self, values_ns: Sequence[int]) -> None:
        """Record several durations in nanoseconds at once (negative values count as 0)."""
        if not values_ns:
            return
        counts = self._counts
        for i in map(bucket_index, values_ns):
            counts[i] += 1
        self.total += len(values_ns)
        low = max(0, min(values_ns))
        high = max(0, max(values_ns))
        if self.min_ns is None or low < self.min_ns:
            self.min_ns = low
        if self.max_ns is None or high > self.max_ns:
            self.max_ns = high

    def copy(self) -> Histogram:
        """An independent copy (used to snapshot under a lock)."""
        other = Histogram.__new__(Histogram)
        other._counts = self._counts[:]
        other.total = self.total
        other.min_ns = self.min_ns
        other.max_ns = self.max_ns
        return other

    def quantiles(self, qs: Sequence[float]) -> list[float | None]:
        """Estimate several quantiles in one pass over the buckets.

        Parameters
        ----------
        qs: Sequence[float]
            Quantiles in ``[0, 1]``, e.g. ``(0.5, 0.9, 0.99)``.

        Returns
        -------
        List[Optional[float]]
            Estimates in nanoseconds, in the order of ``qs``; ``None`` for
            all of them when nothing was recorded. The relative error bound is
            described in the module documentation.
        """
        for q in qs:
            if not 0.0 <= q <= 1.0:
                raise ValueError(f"quantile must be within [0, 1], got {q!r}")
        n = self.total
        if n == 0:
            return [None for _ in qs]
        lo = float(self.min_ns)  # type: ignore[arg-type]
        hi = float(self.max_ns)  # type: ignore[arg-type]
        wanted = sorted((nearest_rank(q, n), k) for k, q in enumerate(qs))
        out: list[float | None] = [None] * len(qs)
        seen = 0
        w = 0
        counts = self._counts
        for i, c in enumerate(counts):
            if not c:
                continue
            seen += c
            while w < len(wanted) and wanted[w][0] <= seen:
                out[wanted[w][1]] = min(hi, max(lo, self._midpoint(i)))
                w += 1
            if w == len(wanted):
                break
        return out

    def quantile(self, q: float) -> float | None:
        """Estimate one quantile in nanoseconds (see :meth:`quantiles`)."""
        return self.quantiles((q,))[0]

    def _midpoint(self, i: int) -> float:
        if i == 0:
            return LOWEST_NS / 2.0
        if i == _OVERFLOW:
            return float(self.max_ns)  # type: ignore[arg-type]
        return (_EDGES[i - 1] + _EDGES[i]) / 2.0

    def nonempty_buckets(self) -> dict[str, list[Any]]:
        """Upper bounds (ns) and counts of the non-empty buckets, ascending.

        The overflow bucket has no finite upper bound: it is reported with
        the largest value recorded instead, so the result stays JSON-ready.
        """
        bounds: list[float] = []
        counts: list[int] = []
        for i, c in enumerate(self._counts):
            if not c:
                continue
            if i == 0:
                upper = float(LOWEST_NS)
            elif i == _OVERFLOW:
                upper = float(self.max_ns)  # type: ignore[arg-type]
            else:
                upper = _EDGES[i]
            bounds.append(upper)
            counts.append(c)
        return {"bounds_ns": bounds, "counts": counts}

    def bucket_counts(self) -> tuple[int, ...]:
        """The raw bucket counts: underflow, the regular buckets, overflow."""
        return tuple(self._counts)
