"""A bounded-memory latency histogram with log-spaced buckets.

Layout
------
Durations are recorded in integer nanoseconds. The regular buckets cover
``[LOWEST_NS, HIGHEST_NS)`` and grow by the constant ratio ``RATIO``, except
that the few buckets holding one of OpenTelemetry's advised duration
boundaries (5 ms to 10 s) are split in two there: every such boundary is a
bucket edge, so Prometheus-style cumulative counts at those bounds are exact.
Two more buckets catch the rest: an underflow bucket ``[0, LOWEST_NS)`` and an
overflow bucket ``[HIGHEST_NS, inf)``. Memory does not depend on how many
values were recorded: a histogram being added to holds one counter per bucket,
a finished one (a past minute, a copy, a merge) only its non-empty buckets.

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

Merging
-------
All histograms share one fixed bucket layout, so two of them (of two worker
processes, or of two minutes) merge exactly by adding their counts bucket by
bucket: :meth:`Histogram.merge`. :meth:`Histogram.to_sparse` and
:meth:`Histogram.from_sparse` carry one across processes.

The class is *not* thread-safe by itself: :class:`FunctionStats` guards it.
"""

from __future__ import annotations

import base64
import math
import sys
from array import array
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Mapping, Sequence
from itertools import accumulate, compress, repeat
from operator import add, lt, mul
from typing import Any

__all__ = [
    "Histogram",
    "RATIO",
    "RELATIVE_ERROR",
    "LOWEST_NS",
    "HIGHEST_NS",
    "BUCKET_COUNT",
    "OTEL_BOUNDARIES_SECONDS",
    "OTEL_BOUNDARIES_NS",
    "nearest_rank",
    "bucket_index",
    "upper_edge",
]

#: Growth factor between consecutive bucket bounds (before the splits below).
RATIO = 1.02
#: Documented bound of the relative error of quantile estimates.
RELATIVE_ERROR = (RATIO - 1.0) / 2.0
#: Lower bound of the first regular bucket, in nanoseconds.
LOWEST_NS = 100
#: OpenTelemetry's advised bucket boundaries for durations, in seconds
#: (semantic conventions, ``faas.invoke_duration`` and ``http.server.request.duration``).
OTEL_BOUNDARIES_SECONDS: tuple[float, ...] = (
    0.005,
    0.01,
    0.025,
    0.05,
    0.075,
    0.1,
    0.25,
    0.5,
    0.75,
    1.0,
    2.5,
    5.0,
    7.5,
    10.0,
)
#: The same boundaries in nanoseconds. Durations are integers, so the bucket
#: edge ``b + 1`` after each boundary ``b`` makes counts of values ``<= b``
#: exact (Prometheus ``le`` buckets).
OTEL_BOUNDARIES_NS: tuple[int, ...] = tuple(round(s * 1_000_000_000) for s in OTEL_BOUNDARIES_SECONDS)

_LOG_COUNT = math.ceil(math.log(1e13 / LOWEST_NS) / math.log(RATIO))
# _LOG_EDGES[j] = LOWEST_NS * RATIO**j (to 1e-14 relative), j = 0.._LOG_COUNT: the log-spaced grid. Multiplied up in
# C rather than a power per edge in Python: it is built at every import (a cold start), at less than half the cost.
# Bucket membership is defined by these stored edges (bucket_index settles against them), so it stays exact.
_LOG_EDGES: list[float] = list(accumulate(repeat(RATIO, _LOG_COUNT), mul, initial=float(LOWEST_NS)))


def _split_grid() -> tuple[list[float], list[int], list[float]]:
    """Insert the OpenTelemetry boundaries into the log grid.

    A log bucket holding ``b + 1`` (for a boundary ``b``) strictly inside is
    split in two there, so values ``<= b`` and values ``> b`` never share a
    bucket; splitting only narrows buckets, so the error bound stays. Returns the final edges and, per log-grid index
    (0 = underflow, ``_LOG_COUNT + 1`` = overflow), the final index of its
    first part and the split point (infinity when not split).

    Built from the 14 boundaries, not by scanning the grid: it runs at every import (a cold start).
    """
    split_at: dict[int, float] = {}  # log-grid index -> the edge b + 1 strictly inside that bucket
    for b in OTEL_BOUNDARIES_NS:
        j = bisect_right(_LOG_EDGES, b + 1)
        if 0 < j <= _LOG_COUNT and _LOG_EDGES[j - 1] < b + 1:
            assert j not in split_at, "two boundaries in one log bucket"
            split_at[j] = float(b + 1)
    # A split log bucket j becomes 2 buckets: the first part of each log bucket after it moves one further. Built
    # a run of unshifted buckets at a time (in C), not bucket by bucket.
    first: list[int] = []
    start = shift = 0
    for j in sorted(split_at):
        first.extend(range(start + shift, j + 1 + shift))
        start, shift = j + 1, shift + 1
    first.extend(range(start + shift, _LOG_COUNT + 2 + shift))
    split = [math.inf] * (_LOG_COUNT + 2)
    for j, edge in split_at.items():
        split[j] = edge
    return sorted(_LOG_EDGES + list(split_at.values())), first, split


# _EDGES[k], k = 0..BUCKET_COUNT: regular bucket k (1..BUCKET_COUNT) is
# [_EDGES[k-1], _EDGES[k]); index 0 is the underflow and BUCKET_COUNT + 1 the
# overflow bucket.
_EDGES, _FIRST, _SPLIT = _split_grid()
#: Number of regular buckets.
BUCKET_COUNT = len(_EDGES) - 1
#: Upper end of the last regular bucket, in nanoseconds (about 1e13).
HIGHEST_NS = _EDGES[-1]

_LOG_LOWEST = math.log(LOWEST_NS)
_INV_LOG_RATIO = 1.0 / math.log(RATIO)
_OVERFLOW = BUCKET_COUNT + 1
# Bucket indexes fit the 2-byte array items of compact histograms.
assert _OVERFLOW < 1 << 16
_EMPTY: tuple[array[int], array[int]] = (array("H"), array("I"))
#: Typecode of packed counts by item size, for the packed JSON form.
_COUNT_CODES = {array(code).itemsize: code for code in ("H", "I", "Q")}
assert sorted(_COUNT_CODES) == [2, 4, 8]


def _pack(items: Iterable[tuple[int, int]]) -> tuple[array[int], array[int]]:
    """Non-empty buckets as packed arrays: indexes (2 bytes each) and counts (2 bytes, or 4 or 8 when larger)."""
    pairs = list(items)
    if not pairs:
        return _EMPTY
    counts = [c for _, c in pairs]
    return array("H", [i for i, _ in pairs]), _count_array(counts)


def _count_array(counts: list[int]) -> array[int]:
    """Counts in the smallest array type that holds them."""
    largest = max(counts)
    return array("H" if largest < 1 << 16 else "I" if largest < 1 << 32 else "Q", counts)


def _b64(values: array[int]) -> str:
    """An array as base64 of its little-endian bytes."""
    if sys.byteorder == "big":  # pragma: no cover - the platforms we run on are little-endian
        values = array(values.typecode, values)
        values.byteswap()
    return base64.b64encode(values.tobytes()).decode("ascii")


def _unb64(code: str, text: str) -> array[int]:
    values = array(code, base64.b64decode(text, validate=True))
    if sys.byteorder == "big":  # pragma: no cover
        values.byteswap()
    return values


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
    j = int((math.log(value_ns) - _LOG_LOWEST) * _INV_LOG_RATIO) + 1
    # The logarithm may round across a bound: settle against the stored
    # edges so that bucket membership is exact.
    if value_ns < _LOG_EDGES[j - 1]:
        j -= 1
    elif value_ns >= _LOG_EDGES[j]:
        j += 1
    return _FIRST[j] + (value_ns >= _SPLIT[j])


def upper_edge(index: int) -> float:
    """The upper edge (exclusive) of bucket ``index`` in nanoseconds; infinity for the overflow."""
    if index == _OVERFLOW:
        return math.inf
    return float(LOWEST_NS) if index == 0 else _EDGES[index]


class Histogram:
    """Counts of durations per log-spaced bucket, plus exact min and max.

    Storage
    -------
    A histogram that values are added to holds a dense list of
    ``BUCKET_COUNT + 2`` counters, so adding is an index and an increment.
    Any other histogram (an empty one, a copy, a merge, a finished minute
    after :meth:`compact`, one read from JSON) holds only its non-empty
    buckets, as two packed arrays (2 bytes per bucket index, 2 to 8 per
    count), which are never changed in place and so are shared by copies.
    Reading works the same on both; adding to a compact histogram makes it
    dense again.
    """

    __slots__ = ("_counts", "_sparse", "total", "min_ns", "max_ns")

    def __init__(self) -> None:
        #: Dense counters while values are added; ``None`` while compact.
        self._counts: list[int] | None = None
        #: Indexes and counts of the non-empty buckets, ascending; read only while ``_counts`` is ``None``.
        self._sparse: tuple[array[int], array[int]] = _EMPTY
        #: Number of values recorded.
        self.total = 0
        #: Smallest value recorded, or ``None`` before the first one.
        self.min_ns: int | None = None
        #: Largest value recorded, or ``None`` before the first one.
        self.max_ns: int | None = None

    def add(self, value_ns: int) -> None:
        """Record one duration in nanoseconds (negative values count as 0)."""
        self.add_many((value_ns,))

    def add_many(self, values_ns: Sequence[int], indexes: Sequence[int] | None = None) -> None:
        """Record several durations in nanoseconds at once (negative values count as 0).

        ``indexes``, their :func:`bucket_index` values, saves computing them
        again when the same durations go into several histograms.
        """
        if not values_ns:
            return
        counts = self._counts
        if counts is None:
            counts = self._counts = self._dense()
        for i in map(bucket_index, values_ns) if indexes is None else indexes:
            counts[i] += 1
        self.total += len(values_ns)
        low = max(0, min(values_ns))
        high = max(0, max(values_ns))
        if self.min_ns is None or low < self.min_ns:
            self.min_ns = low
        if self.max_ns is None or high > self.max_ns:
            self.max_ns = high

    def compact(self) -> Histogram:
        """Keep only the non-empty buckets (no more values will be added, e.g. a finished minute); returns self."""
        if self._counts is not None:
            self._sparse = _pack(self._items())
            self._counts = None
        return self

    def copy(self) -> Histogram:
        """An independent, compact copy (used to snapshot under a lock)."""
        other = Histogram()
        other.merge(self)
        return other

    def merge(self, other: Histogram) -> None:
        """Add ``other``'s counts into this histogram, bucket by bucket (exact)."""
        if not other.total:
            return
        counts = self._counts
        if counts is not None:
            for i, c in other._items():
                counts[i] += c
        elif not self.total:
            self._sparse = other._sparse if other._counts is None else _pack(other._items())
        else:
            mine, theirs = self._sparse, other._columns()
            if mine[0] == theirs[0]:  # the same buckets (common): add the counts
                self._sparse = (mine[0], _count_array(list(map(add, mine[1], theirs[1]))))
            else:
                added = dict(zip(*mine, strict=True))
                get = added.get
                for i, c in zip(*theirs, strict=True):
                    added[i] = get(i, 0) + c
                keys = sorted(added)
                self._sparse = (array("H", keys), _count_array(list(map(added.__getitem__, keys))))
        self.total += other.total
        if self.min_ns is None or (other.min_ns is not None and other.min_ns < self.min_ns):
            self.min_ns = other.min_ns
        if self.max_ns is None or (other.max_ns is not None and other.max_ns > self.max_ns):
            self.max_ns = other.max_ns

    def to_sparse(self) -> dict[str, Any]:
        """A JSON-ready form: ``{"buckets": [[index, count], ...], "min_ns", "max_ns"}``."""
        return {
            "buckets": [[i, c] for i, c in self._items()],
            "min_ns": self.min_ns,
            "max_ns": self.max_ns,
        }

    @classmethod
    def from_sparse(cls, data: Mapping[str, Any]) -> Histogram:
        """The histogram :meth:`to_sparse` described (compact).

        Raises
        ------
        ValueError
            A bucket index is outside the layout or a count is negative
            (e.g. a file written by another version of this package).
        """
        histogram = cls()
        added: dict[int, int] = {}
        get = added.get
        for index, count in data.get("buckets", ()):
            if not (0 <= index <= _OVERFLOW) or count < 0:
                raise ValueError(f"bucket {index!r} with count {count!r} does not fit this histogram")
            if count:
                added[index] = get(index, 0) + count
        histogram.total = sum(added.values())
        if histogram.total:
            histogram._sparse = _pack(sorted(added.items()))
            histogram.min_ns = int(data["min_ns"])
            histogram.max_ns = int(data["max_ns"])
        return histogram

    def to_packed(self) -> dict[str, Any]:
        """A compact JSON-ready form (what worker processes publish): the packed arrays in base64.

        ``{"index": base64 of 2-byte indexes, "count": base64 of counts, "width": bytes per
        count, "min_ns", "max_ns"}``, little-endian; read back by :meth:`from_packed`.
        Parsing it takes no per-bucket work, so reading many minutes stays fast.
        """
        indexes, counts = self._columns()
        return {
            "index": _b64(indexes),
            "count": _b64(counts),
            "width": counts.itemsize,
            "min_ns": self.min_ns,
            "max_ns": self.max_ns,
        }

    @classmethod
    def from_packed(cls, data: Mapping[str, Any]) -> Histogram:
        """The histogram :meth:`to_packed` described (compact).

        Raises
        ------
        ValueError
            Not such a form: bad base64 or width, indexes not ascending or outside the
            layout, fewer counts than indexes.
        """
        code = _COUNT_CODES.get(data["width"])
        if code is None:
            raise ValueError(f"counts of {data['width']!r} bytes are not a packed histogram's")
        indexes, counts = _unb64("H", data["index"]), _unb64(code, data["count"])
        if (
            len(indexes) != len(counts)
            or (indexes and indexes[-1] > _OVERFLOW)
            or not all(map(lt, indexes, indexes[1:]))
        ):
            raise ValueError("the packed buckets do not fit this histogram")
        histogram = cls()
        histogram.total = sum(counts)
        if histogram.total:
            histogram._sparse = (indexes, counts)
            histogram.min_ns = int(data["min_ns"])
            histogram.max_ns = int(data["max_ns"])
        return histogram

    def _columns(self) -> tuple[array[int], array[int]]:
        """Indexes and counts of the non-empty buckets, ascending, as arrays (shared when compact)."""
        counts = self._counts
        if counts is None:
            return self._sparse
        if not self.total:
            return _EMPTY
        return array("H", compress(range(len(counts)), counts)), _count_array(list(filter(None, counts)))

    def _items(self) -> Iterable[tuple[int, int]]:
        """``(index, count)`` of the non-empty buckets, ascending."""
        counts = self._counts
        if counts is None:
            return zip(*self._sparse, strict=True)
        return ((i, c) for i, c in enumerate(counts) if c)

    def _dense(self) -> list[int]:
        counts = [0] * (_OVERFLOW + 1)
        for i, c in zip(*self._sparse, strict=True):
            counts[i] = c
        return counts

    def nbytes(self) -> int:
        """Bytes held by the counters (the arrays or the list), for the memory figures."""
        if self._counts is not None:
            return sys.getsizeof(self._counts)
        return sum(sys.getsizeof(part) for part in self._sparse) if self.total else 0

    def count_at_or_below(self, bound_ns: int) -> int:
        """How many values are known to be ``<= bound_ns``.

        Values are integers, so a bucket ``[low, high)`` holds only such
        values when ``high <= bound_ns + 1``. Exact for the OpenTelemetry
        boundaries (:data:`OTEL_BOUNDARIES_NS`), a lower bound otherwise.
        """
        limit = bound_ns + 1
        return sum(c for i, c in self._items() if upper_edge(i) <= limit)

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
        indexes, counts = self._columns()
        seen = list(accumulate(counts))  # values up to and including each bucket
        # The bucket holding the value of rank r is the first whose running count reaches r.
        return [min(hi, max(lo, self._midpoint(indexes[bisect_left(seen, nearest_rank(q, n))]))) for q in qs]

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
        for i, c in self._items():
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
        return tuple(self._dense() if self._counts is None else self._counts)
