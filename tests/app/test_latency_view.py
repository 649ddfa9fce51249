"""The latency page's pieces: re-binning the extension's buckets and drawing them."""

from __future__ import annotations

import pytest

from echo_service import pages
from echo_service.latency_view import DISPLAY_BINS, histogram_svg, rebin

SNAPSHOT = {
    "pid": 42,
    "functions": {
        "echo": {"count": 3, "errors": 1, "abandoned": 0, "p50_ms": 0.5, "p90_ms": 2.0, "p99_ms": 2.0, "max_ms": 2.0,
                 "histogram": {"bounds_ms": [0.5, 0.51, 2.0], "counts": [1, 1, 1]}},
        "<b>ui</b>": {"count": 0, "errors": 0, "abandoned": 0, "p50_ms": None, "p90_ms": None, "p99_ms": None,
                      "max_ms": None, "histogram": {"bounds_ms": [], "counts": []}},
    },
}


@pytest.mark.parametrize(
    "bounds, counts",
    [([1.0], [5]), ([0.1, 0.2, 50.0], [1, 2, 3]), ([0.01 * 1.02**i for i in range(500)], list(range(500)))],
)
def test_rebinning_keeps_every_count_in_at_most_the_display_bins(bounds, counts) -> None:
    bars = rebin(bounds, counts)
    assert sum(count for _, _, count in bars) == sum(counts)
    assert len(bars) <= DISPLAY_BINS
    assert all(low <= high for low, high, _ in bars)


def test_no_buckets_no_bars() -> None:
    assert rebin([], []) == []


def test_the_histogram_is_an_accessible_inline_svg_with_a_bar_per_bin() -> None:
    svg = histogram_svg("echo", [0.5, 2.0], [3, 1])
    assert svg.startswith('<svg class="histogram" role="img" aria-label="Latency histogram of echo"')
    assert svg.count('<rect class="bar"') == DISPLAY_BINS
    assert "3 invocations" in svg


def test_the_latency_page_lists_each_function_with_its_figures_escaped() -> None:
    page = pages.latency_page(SNAPSHOT)
    assert '<td data-stat="count">3</td>' in page and '<td data-stat="errors">1</td>' in page
    assert '<td data-stat="p50">0.5 ms</td>' in page
    assert "&lt;b&gt;ui&lt;/b&gt;" in page and "<b>ui</b>" not in page
    assert "No completed invocation" in page


def test_the_latency_page_explains_when_there_are_no_statistics() -> None:
    assert "PYTHON_ENABLE_WORKER_EXTENSIONS" in pages.latency_page({"functions": {}})
