"""Round numbers for the page's axes and short figures for its labels, shared by every chart.

Durations are drawn on log scales whose ends and ticks are 1, 2 or 5 times a power of ten, so
the axes read at a glance whatever the latency.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

NICE_STEPS = (1.0, 2.0, 5.0)


def nice_floor(value: float) -> float:
    """The largest 1, 2 or 5 times a power of ten that is <= value (value > 0)."""
    exponent = math.floor(math.log10(value))
    for step in reversed(NICE_STEPS):
        candidate = step * 10.0**exponent
        if candidate <= value * (1 + 1e-9):
            return candidate
    return 10.0 ** (exponent - 1) * 5


def nice_ceil(value: float) -> float:
    """The smallest 1, 2 or 5 times a power of ten that is >= value (value > 0)."""
    exponent = math.floor(math.log10(value))
    for step in (*NICE_STEPS, 10.0):
        candidate = step * 10.0**exponent
        if candidate >= value * (1 - 1e-9):
            return candidate
    return 10.0 ** (exponent + 1)


def axis_range(bounds_ms: Sequence[float]) -> tuple[float, float]:
    """A log-scale range from a round number below the fastest to one above the slowest bucket."""
    positive = [bound for bound in bounds_ms if bound > 0] or [1e-4]
    low, high = nice_floor(min(positive)), nice_ceil(max(positive))
    if high <= low:
        high = nice_ceil(low * 1.5)
    return low, high


def log_ticks(low: float, high: float) -> list[float]:
    """Round durations to label on a log axis from low to high: every 1-2-5 step, or decades if crowded."""
    steps = NICE_STEPS if math.log10(high / low) <= 3 else (1.0,)
    ticks = []
    for exponent in range(math.floor(math.log10(low)), math.ceil(math.log10(high)) + 1):
        for step in steps:
            value = step * 10.0**exponent
            if low * (1 - 1e-9) <= value <= high * (1 + 1e-9):
                ticks.append(value)
    return ticks


def format_ms(value: float) -> str:
    """Milliseconds with as many digits as matter: 1,234 / 12.3 / 0.0456."""
    if value >= 100:
        return f"{value:,.0f}"
    if value >= 1:
        return f"{value:.1f}"
    return f"{value:.3g}"


def ms_or_dash(value: float | None) -> str:
    """A duration from the statistics for a cell or a label: "12.3 ms", or "–" when there is none."""
    return "–" if value is None else f"{format_ms(float(value))} ms"


def format_count(value: float) -> str:
    """A count axis label of at most four characters: 500, 1k, 20k, 1M."""
    for divisor, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if value >= divisor:
            return f"{value / divisor:g}{suffix}"
    return f"{value:g}"


def format_tick(value: float) -> str:
    """A duration tick: whole milliseconds from 1 up, else as short as it goes (0.05)."""
    return f"{value:,.0f}" if value >= 1 else f"{value:g}"
