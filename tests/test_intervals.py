"""The one interval method: inside the measure's range, none with too few replications, deterministic."""

import numpy as np
import pytest

from sim.outputs.intervals import (
    MIN_REPLICATIONS,
    expanded_quantiles,
    mean_interval,
    mean_intervals,
    paired_interval,
)


def test_interval_of_shares_stays_in_zero_one():
    # three replications of a survival share, one of them 0: a t-interval would leave [0, 1]
    m, lo, hi = mean_interval([1.0, 1.0, 0.0])
    assert m == pytest.approx(2 / 3)
    assert 0.0 <= lo <= m <= hi <= 1.0


def test_interval_of_a_promoter_score_stays_in_range():
    m, lo, hi = mean_interval([100.0, -100.0, 100.0, 90.0])
    assert -100.0 <= lo <= m <= hi <= 100.0


def test_no_interval_with_too_few_replications():
    for values in ([5.0], [5.0, 7.0], [5.0, np.nan, 7.0]):
        m, lo, hi = mean_interval(values)
        assert np.isfinite(m)
        assert np.isnan(lo) and np.isnan(hi)
    assert MIN_REPLICATIONS == 3


@pytest.mark.parametrize(("n", "least"), [(5, 0.91), (8, 0.93), (20, 0.935)])
def test_interval_covers_the_mean_of_a_normal_sample_about_95_percent_even_with_few_replications(n, least):
    """The expanded percentile keeps its coverage at 5 replications (the plain one covers about 85%)."""
    rng = np.random.default_rng(1)
    samples = rng.normal(10.0, 2.0, size=(4000, n))
    _, lo, hi = mean_intervals(samples)
    covered = np.mean((lo <= 10.0) & (10.0 <= hi))
    assert least <= covered <= 0.97


def test_the_expanded_quantiles_widen_with_few_replications_and_tend_to_the_plain_ones():
    lo3, hi3 = expanded_quantiles(3)
    lo40, hi40 = expanded_quantiles(40)
    assert lo3 < 1e-6 and hi3 > 1 - 1e-6  # three replications: about their range
    assert 0.02 < lo40 < 0.025 and 0.975 < hi40 < 0.98


def test_rows_are_independent_of_their_neighbours_and_deterministic():
    rows = np.array([[1.0, 2.0, 3.0, 4.0], [3.0, 1.0, np.nan, 2.0], [0.0, 0.0, 0.0, 1.0]])
    together = mean_intervals(rows)
    alone = [mean_interval(r) for r in rows]
    for i, (m, lo, hi) in enumerate(alone):
        assert together[0][i] == m and together[1][i] == lo and together[2][i] == hi
    again = mean_intervals(rows)
    assert all(np.array_equal(a, b, equal_nan=True) for a, b in zip(together, again, strict=True))


def test_a_paired_difference_of_identical_arms_is_exactly_zero():
    a = [3.0, 5.0, 8.0, 1.0]
    assert paired_interval(a, a) == (0.0, 0.0, 0.0)
