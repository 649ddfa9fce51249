"""The bounded table of invocations that started and have not finished.

The worker calls the post-invocation hook only when the function returns; when
it raises, the start recorded by the pre-invocation hook would stay forever.
:class:`InFlight` therefore bounds its table in two ways:

* by age: entries older than ``max_age_ns`` are evicted;
* by count: when more than ``max_count`` entries are open, the oldest are
  evicted until at most ``low_water`` (90 % of ``max_count``) remain. The
  10 % hysteresis makes the O(n) sweep happen at most once per
  ``max_count // 10`` new entries, so eviction costs O(1) amortised.

Sweeps are cheap to trigger: :meth:`InFlight.start` compares its timestamp
with the time of the next scheduled sweep (every ``max_age_ns / 4``) and the
table size with ``max_count``; only then does it sweep. An entry is
therefore evicted between ``max_age`` and ``1.25 * max_age`` after it
started while invocations keep arriving, and exactly when its age exceeds
``max_age`` at an explicit :meth:`InFlight.sweep` call (``stats()`` does one).

Every eviction is reported to the ``on_evict`` callback as a mapping of
function name to number of evicted entries, so the caller can count them as
abandoned.

Concurrency: :meth:`start` and :meth:`finish` use single dictionary
operations, which are atomic under CPython's GIL, and take no lock. A sweep
holds a lock against other sweeps only; it takes an atomic snapshot of the
table and removes victims with ``dict.pop``, so an invocation that finishes
while a sweep is running is counted either as finished or as evicted, never
both.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable, Mapping

__all__ = ["InFlight", "EvictionCallback"]

#: Receives ``{function_name: evicted_count}`` after each sweep that evicted.
EvictionCallback = Callable[[Mapping[str, int]], None]

_NEG_INF = float("-inf")


class InFlight:
    """Start times keyed by invocation id, bounded by age and count.

    Parameters
    ----------
    max_age_ns: int
        Entries older than this many nanoseconds are evicted. Must be > 0.
    max_count: int
        The table never keeps more than this many entries after a sweep.
        Must be >= 1.
    on_evict: EvictionCallback, optional
        Called with ``{function_name: count}`` after a sweep evicted
        entries.
    """

    __slots__ = ("_starts", "_lock", "_limits", "_next_sweep", "_max_count", "_on_evict")

    def __init__(
        self,
        max_age_ns: int,
        max_count: int,
        on_evict: EvictionCallback | None = None,
    ) -> None:
        self._starts: dict[Hashable, tuple[int, str]] = {}
        self._lock = threading.Lock()
        self._on_evict = on_evict
        self._next_sweep: float = _NEG_INF
        self.set_limits(max_age_ns, max_count)

    def set_limits(self, max_age_ns: int, max_count: int) -> None:
        """Replace the limits; the next :meth:`start` sweeps with them."""
        if max_age_ns <= 0:
            raise ValueError(f"max_age_ns must be > 0, got {max_age_ns}")
        if max_count < 1:
            raise ValueError(f"max_count must be >= 1, got {max_count}")
        low_water = max(1, max_count - max_count // 10)
        interval = max(1, max_age_ns // 4)
        # One tuple assignment: a concurrent sweep sees old or new limits,
        # never a mix.
        self._limits = (max_age_ns, max_count, low_water, interval)
        self._max_count = max_count
        self._next_sweep = _NEG_INF

    @property
    def max_age_ns(self) -> int:
        """The age limit in nanoseconds."""
        return self._limits[0]

    @property
    def max_count(self) -> int:
        """The count limit."""
        return self._limits[1]

    def start(self, key: Hashable, function_name: str, now_ns: int) -> None:
        """Record that invocation ``key`` of ``function_name`` started.

        A second start with the same key replaces the first one (the first
        is then neither finished nor abandoned).
        """
        starts = self._starts
        starts[key] = (now_ns, function_name)
        if now_ns >= self._next_sweep or len(starts) > self._max_count:
            self.sweep(now_ns, wait=False)

    def finish(self, key: Hashable) -> tuple[int, str] | None:
        """Remove and return ``(start_ns, function_name)`` of ``key``.

        Returns ``None`` when the key is unknown: never started, already
        finished, evicted, or cleared.
        """
        return self._starts.pop(key, None)

    def sweep(self, now_ns: int, wait: bool = True) -> int:
        """Evict entries that are too old or too many; return how many.

        Parameters
        ----------
        now_ns: int
            The current reading of the clock the starts were taken with.
        wait: bool
            Whether to wait for a sweep running on another thread (True) or
            to return 0 at once (False, used on the hot path).
        """
        if not self._lock.acquire(blocking=wait):
            return 0
        try:
            max_age_ns, max_count, low_water, interval = self._limits
            self._next_sweep = now_ns + interval
            starts = self._starts
            # list() of a dict view runs in C without releasing the GIL:
            # an atomic snapshot.
            snapshot = list(starts.items())
            cutoff = now_ns - max_age_ns
            victims = [key for key, (t0, _) in snapshot if t0 < cutoff]
            remaining = len(snapshot) - len(victims)
            if remaining > max_count:
                young = sorted((t0, n, key) for n, (key, (t0, _)) in enumerate(snapshot) if t0 >= cutoff)
                victims.extend(key for _, _, key in young[: remaining - low_water])
            evicted: dict[str, int] = {}
            pop = starts.pop
            for key in victims:
                entry = pop(key, None)
                if entry is not None:
                    name = entry[1]
                    evicted[name] = evicted.get(name, 0) + 1
        finally:
            self._lock.release()
        if evicted and self._on_evict is not None:
            self._on_evict(evicted)
        return sum(evicted.values())

    def clear(self) -> None:
        """Forget every open invocation without counting it as abandoned."""
        self._starts.clear()
        self._next_sweep = _NEG_INF

    def ids(self) -> list[Hashable]:
        """The invocation ids open now (a copy)."""
        return list(self._starts)

    def __len__(self) -> int:
        return len(self._starts)
