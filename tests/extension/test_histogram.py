"""The log-spaced histogram: bucket layout and quantile accuracy."""

from __future__ import annotations

import base64
import json
import math
from array import array

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from python_worker_extension_timer import histogram as histogram_module
from python_worker_extension_timer.histogram import (
    BUCKET_COUNT,
    HIGHEST_NS,
    LOWEST_NS,
    OTEL_BOUNDARIES_NS,
    RATIO,
    RELATIVE_ERROR,
    Histogram,
    bucket_index,
    nearest_rank,
)
from tests.support.tiers import sized

IN_RANGE = st.one_of(
    st.integers(min_value=LOWEST_NS, max_value=int(HIGHEST_NS) - 1),
    # log-uniform: as many small durations as large ones
    st.floats(min_value=math.log(LOWEST_NS), max_value=math.log(HIGHEST_NS) - 1e-9).map(
        lambda x: max(LOWEST_NS, min(int(HIGHEST_NS) - 1, int(math.exp(x))))
    ),
    # typical HTTP latencies, 50 us .. 5 s, clustered so buckets are shared
    st.integers(min_value=50_000, max_value=5_000_000_000),
)
QUANTILES = st.one_of(st.sampled_from([0.0, 0.5, 0.9, 0.99, 1.0]), st.floats(min_value=0.0, max_value=1.0))


def exact_quantile(values, q):
    return sorted(values)[nearest_rank(q, len(values)) - 1]


def filled(values):
    histogram = Histogram()
    for v in values:
        histogram.add(v)
    return histogram


def test_the_documented_error_is_half_the_growth_ratio():
    assert RATIO == 1.02
    assert pytest.approx(0.01) == RELATIVE_ERROR


@settings(max_examples=sized(fast=100, full=300), deadline=None)
@given(values=st.lists(IN_RANGE, min_size=1, max_size=400), q=QUANTILES)
def test_quantiles_are_within_the_documented_relative_error(values, q):
    exact = exact_quantile(values, q)
    estimate = filled(values).quantile(q)
    assert abs(estimate - exact) <= RELATIVE_ERROR * exact * (1 + 1e-12), (estimate, exact)


@settings(max_examples=100, deadline=None)
@given(values=st.lists(st.integers(min_value=0, max_value=LOWEST_NS - 1), min_size=1, max_size=50), q=QUANTILES)
def test_values_below_the_lowest_bucket_have_an_absolute_error_below_it(values, q):
    assert abs(filled(values).quantile(q) - exact_quantile(values, q)) < LOWEST_NS


@given(values=st.lists(IN_RANGE, min_size=1, max_size=100))
def test_estimates_stay_within_the_observed_range(values):
    histogram = filled(values)
    for estimate in histogram.quantiles([0.0, 0.5, 1.0]):
        assert min(values) <= estimate <= max(values)


def test_values_beyond_the_highest_bucket_report_the_maximum():
    histogram = filled([int(HIGHEST_NS) + 5, int(HIGHEST_NS) * 3])
    assert histogram.quantile(0.5) == int(HIGHEST_NS) * 3


def test_an_empty_histogram_has_no_quantiles():
    assert Histogram().quantiles([0.5, 0.9]) == [None, None]


@pytest.mark.parametrize("q", [-0.1, 1.5, float("nan")])
def test_quantiles_outside_zero_to_one_are_rejected(q):
    with pytest.raises(ValueError):
        filled([1000]).quantile(q)


def test_negative_durations_are_recorded_as_zero():
    histogram = filled([-5])
    assert (histogram.min_ns, histogram.max_ns, histogram.total) == (0, 0, 1)


def test_every_bucket_edge_falls_into_the_bucket_it_opens():
    edges = histogram_module._EDGES
    for j in range(BUCKET_COUNT):
        v = math.ceil(edges[j])
        assert bucket_index(v) == j + 1
        assert edges[j] <= v < edges[j + 1]
        if v - 1 >= LOWEST_NS:
            assert bucket_index(v - 1) == j


def test_consecutive_edges_grow_by_at_most_the_ratio():
    edges = histogram_module._EDGES
    assert edges[0] == LOWEST_NS
    assert all(b / a <= RATIO * (1 + 1e-12) for a, b in zip(edges, edges[1:], strict=False))
    assert HIGHEST_NS >= 1e13  # covers durations of at least 2 h 46 min


def test_only_the_buckets_holding_an_opentelemetry_boundary_are_split():
    edges = histogram_module._EDGES
    off_grid = [b for a, b in zip(edges, edges[1:], strict=False) if not math.isclose(b / a, RATIO, rel_tol=1e-12)]
    # each split leaves two narrower buckets, neither growing by the ratio
    assert len(off_grid) == 2 * len(OTEL_BOUNDARIES_NS)


@pytest.mark.parametrize("bound_ns", OTEL_BOUNDARIES_NS)
def test_counts_at_or_below_an_opentelemetry_boundary_are_exact(bound_ns):
    histogram = filled([bound_ns - 1, bound_ns, bound_ns + 1, bound_ns * 2, bound_ns // 2])
    assert histogram.count_at_or_below(bound_ns) == 3


def test_count_at_or_below_is_never_more_than_the_truth_between_edges():
    values = list(range(1000, 100_000, 37))
    histogram = filled(values)
    for bound in (1234, 5000, 77_777):
        assert histogram.count_at_or_below(bound) <= sum(v <= bound for v in values)


@given(st.lists(IN_RANGE, max_size=60), st.lists(IN_RANGE, max_size=60))
def test_merging_two_histograms_equals_recording_everything_in_one(first, second):
    merged = filled(first)
    merged.merge(filled(second))
    assert state_of(merged) == state_of(filled(first + second))
    assert merged.bucket_counts() == filled(first + second).bucket_counts()


@given(st.lists(IN_RANGE, max_size=60), st.lists(IN_RANGE, max_size=60), st.lists(IN_RANGE, max_size=60))
def test_compact_histograms_merge_and_answer_as_if_one_had_recorded_everything(first, second, third):
    merged = filled(first).compact()
    merged.merge(filled(second).compact())
    merged.merge(filled(second).compact())  # the same buckets again
    merged.merge(filled(third))  # a dense one into a compact one
    everything = filled(first + second + second + third)
    assert state_of(merged) == state_of(everything)
    assert merged.bucket_counts() == everything.bucket_counts()
    assert merged.quantiles((0.0, 0.5, 0.9, 0.99, 1.0)) == everything.quantiles((0.0, 0.5, 0.9, 0.99, 1.0))


@given(st.lists(IN_RANGE, max_size=60))
def test_a_histogram_survives_its_packed_form_across_processes(values):
    histogram = filled(values)
    again = Histogram.from_packed(json.loads(json.dumps(histogram.to_packed())))
    assert state_of(again) == state_of(histogram)
    assert again.bucket_counts() == histogram.bucket_counts()


@pytest.mark.parametrize(
    "change",
    [
        {"width": 3},
        {"index": "%%%"},
        {"index": "AAAB"},  # 3 bytes: not whole 2-byte indexes
        {"index": base64.b64encode(array("H", [5, 3]).tobytes()).decode()},  # not ascending
        {"index": base64.b64encode(array("H", [BUCKET_COUNT + 2]).tobytes()).decode()},  # outside the layout
        {"count": ""},  # fewer counts than indexes
    ],
    ids=["width", "base64", "length", "order", "range", "counts"],
)
def test_a_packed_form_that_does_not_fit_is_rejected(change):
    packed = {**filled([500, 5_000]).to_packed(), **change}
    with pytest.raises(ValueError):
        Histogram.from_packed(packed)


@given(st.lists(IN_RANGE, max_size=60))
def test_a_histogram_survives_its_sparse_form(values):
    histogram = filled(values)
    again = Histogram.from_sparse(json.loads(json.dumps(histogram.to_sparse())))
    assert state_of(again) == state_of(histogram)
    assert again.bucket_counts() == histogram.bucket_counts()


@pytest.mark.parametrize("buckets", [[[-1, 1]], [[BUCKET_COUNT + 2, 1]], [[3, -1]]])
def test_a_sparse_form_that_does_not_fit_is_rejected(buckets):
    with pytest.raises(ValueError):
        Histogram.from_sparse({"buckets": buckets, "min_ns": 1, "max_ns": 1})


def test_memory_does_not_depend_on_the_number_of_values():
    histogram = filled(range(100, 10_000_000, 997))
    assert len(histogram.bucket_counts()) == BUCKET_COUNT + 2
    assert sum(histogram.bucket_counts()) == histogram.total


def test_nonempty_buckets_give_upper_bounds_and_counts():
    buckets = filled([50, 1000, 1000, 1010, int(HIGHEST_NS) * 2]).nonempty_buckets()
    assert buckets["counts"] == [1, 3, 1]
    assert buckets["bounds_ns"][0] == LOWEST_NS
    assert 1010 < buckets["bounds_ns"][1] <= 1000 * RATIO**2
    assert buckets["bounds_ns"][2] == int(HIGHEST_NS) * 2


def state_of(histogram: Histogram):
    return histogram.total, histogram.min_ns, histogram.max_ns, histogram.nonempty_buckets()


@given(values=st.lists(st.one_of(IN_RANGE, st.integers(min_value=-1_000, max_value=LOWEST_NS)), max_size=300))
def test_adding_many_at_once_equals_adding_one_by_one(values):
    at_once = Histogram()
    at_once.add_many(values)
    assert state_of(at_once) == state_of(filled(values))


def test_adding_no_values_changes_nothing():
    histogram = filled([5_000])
    histogram.add_many([])
    assert state_of(histogram) == state_of(filled([5_000]))


@given(st.lists(IN_RANGE, max_size=60))
def test_adding_with_precomputed_bucket_indexes_is_the_same(values):
    given_indexes = Histogram()
    given_indexes.add_many(values, [bucket_index(v) for v in values])
    assert given_indexes.bucket_counts() == filled(values).bucket_counts()
    assert state_of(given_indexes) == state_of(filled(values))
