"""The validation report's one verdict rule and its stability check, on synthetic cases.

A claim is a region for an estimate; with the estimate's 95% interval the verdict is supported
(interval inside), contradicted (interval entirely outside) or inconclusive (neither, or no
interval). Two seed sets are judged alone and pooled (sim/validation/evidence.py).
"""

import math

import numpy as np
import pytest

from sim.outputs.intervals import mean_interval
from sim.validation.evidence import (
    CONTRADICTED,
    INCONCLUSIVE,
    SUPPORTED,
    Region,
    combine,
    estimate,
    greater,
    judge,
    judge_all,
    less,
    verdict,
    within,
)

nan = math.nan


@pytest.mark.parametrize(
    ("low", "high", "region", "expected"),
    [
        # one-sided "> 0"
        (0.1, 0.5, greater(0.0), SUPPORTED),
        (-0.5, -0.1, greater(0.0), CONTRADICTED),
        (-0.1, 0.5, greater(0.0), INCONCLUSIVE),
        (0.0, 0.5, greater(0.0), INCONCLUSIVE),  # 0 itself is outside an open region
        (-0.5, 0.0, greater(0.0), CONTRADICTED),  # touches the open end from outside: all outside
        (0.0, 0.5, greater(0.0, or_equal=True), SUPPORTED),
        (0.0, 0.0, greater(0.0), CONTRADICTED),  # an effect of exactly zero is not "> 0"
        # one-sided "<= -0.5"
        (-0.9, -0.6, less(-0.5, or_equal=True), SUPPORTED),
        (-0.6, -0.4, less(-0.5, or_equal=True), INCONCLUSIVE),
        (-0.4, -0.1, less(-0.5, or_equal=True), CONTRADICTED),
        (-1.0, -0.5, less(-0.5, or_equal=True), SUPPORTED),
        (-0.5, -0.2, less(-0.5), CONTRADICTED),
        # two-sided "in [13, 26]"
        (14.0, 20.0, within(13, 26), SUPPORTED),
        (13.0, 26.0, within(13, 26), SUPPORTED),
        (10.0, 20.0, within(13, 26), INCONCLUSIVE),
        (10.0, 30.0, within(13, 26), INCONCLUSIVE),  # covers the region and sticks out both sides
        (1.0, 1.0, within(13, 26), CONTRADICTED),
        (30.0, 40.0, within(13, 26), CONTRADICTED),
        (1.0, 12.9, within(13, 26), CONTRADICTED),
    ],
)
def test_verdict_rule(low, high, region, expected):
    assert verdict(low, high, region) == expected


@pytest.mark.parametrize(("low", "high"), [(nan, nan), (nan, 1.0), (0.5, nan), (-math.inf, 1.0)])
def test_no_interval_is_inconclusive(low, high):
    for region in (greater(0.0), less(0.0), within(0.0, 1.0)):
        assert verdict(low, high, region) == INCONCLUSIVE


def test_bad_interval_and_empty_region_are_errors():
    with pytest.raises(ValueError, match="wrong way round"):
        verdict(1.0, 0.0, greater(0.0))
    with pytest.raises(ValueError, match="empty"):
        Region(low=2.0, high=1.0)
    with pytest.raises(ValueError, match="empty"):
        Region(low=nan)


def test_region_text_and_points():
    assert greater(0.0).text() == "> 0"
    assert greater(0.5, or_equal=True).text(100, "%") == ">= 50%"
    assert less(-0.5, or_equal=True).text(100, "%") == "<= -50%"
    assert within(13, 26).text() == "in [13, 26]"
    r = greater(0.0)
    assert not r.holds(0.0) and r.holds(1e-9) and r.below(0.0) and not r.above(1e9)


def test_combine_parts_of_a_claim():
    assert combine([SUPPORTED, SUPPORTED]) == SUPPORTED
    assert combine([SUPPORTED, INCONCLUSIVE]) == INCONCLUSIVE
    assert combine([SUPPORTED, CONTRADICTED]) == CONTRADICTED
    assert combine([INCONCLUSIVE, CONTRADICTED]) == CONTRADICTED
    assert combine([]) == INCONCLUSIVE


def test_estimate_uses_the_one_interval_method():
    v = np.array([1.0, 2.0, 4.0, 3.0, 5.0, np.nan])
    e = estimate(v)
    m, lo, hi = mean_interval(v)
    assert (e.mean, e.low, e.high, e.n) == (m, lo, hi, 5)
    assert "no interval" in estimate([1.0, 2.0]).text()


def test_clear_effect_is_stable_on_both_seed_sets():
    rng = np.random.default_rng(0)
    a, b = rng.normal(1.0, 0.2, 20), rng.normal(1.0, 0.2, 20)
    j = judge(a, b, greater(0.0))
    assert (j.pooled, j.first, j.second) == (SUPPORTED, SUPPORTED, SUPPORTED)
    assert j.stable and j.stability == "stable"
    assert j.estimates[0].mean == pytest.approx(np.concatenate([a, b]).mean())


def test_a_verdict_that_one_set_alone_does_not_give_is_flagged():
    a = np.array([1.0, 1.1, 0.9, 1.2, 1.0, 0.95])  # clearly above 0
    b = np.array([1.0, -1.0, 0.9, -0.8, 0.1, -0.2])  # straddles 0
    j = judge(a, b, greater(0.0))
    assert j.first == SUPPORTED and j.second == INCONCLUSIVE
    assert not j.stable
    assert "set 1: supported" in j.stability and "set 2: inconclusive" in j.stability


def test_too_few_replications_in_a_set_is_inconclusive_there():
    j = judge([1.0, 1.1], [1.2, 0.9], greater(0.0))
    assert j.first == j.second == INCONCLUSIVE  # 2 < MIN_REPLICATIONS: no interval
    assert j.pooled == SUPPORTED  # 4 pooled: an interval, all above 0
    assert not j.stable


def test_parts_combine_per_seed_set():
    yes = judge([1.0, 1.1, 0.9], [1.0, 1.2, 0.8], greater(0.0))
    no = judge([-1.0, -1.1, -0.9], [-1.0, -1.2, -0.8], greater(0.0))
    j = judge_all([yes, no])
    assert (j.pooled, j.first, j.second) == (CONTRADICTED,) * 3
    assert len(j.estimates) == 2
