"""Estimate.mean and Estimate.minus: resample by resample, paired by position, NaN propagating, n and
flags combined as documented; and the mean's interval through to_records."""

from __future__ import annotations

import numpy as np
import pytest

from clika.metrics.bootstrap import percentile_ci
from clika.metrics.estimate import Estimate, Keyed, to_records

NAN = np.nan


def test_mean_is_taken_resample_by_resample():
    a = Estimate(np.array([0.2, 0.1, 0.3, 0.5]), 10, chance=0.25, flags=("dominant",))
    b = Estimate(np.array([0.6, 0.5, 0.7, 0.1]), 30, chance=0.5, flags=("partial", "dominant"))
    m = Estimate.mean([a, b])
    assert m.samples.tolist() == pytest.approx([0.4, 0.3, 0.5, 0.3])
    assert m.value == pytest.approx(0.4) and m.n == 40 and m.chance == pytest.approx(0.375)
    assert m.flags == ("dominant", "partial") and m.note is None and m.p_value is None and m.exact is None


def test_mean_propagates_nan_and_keeps_resamples_only_when_all_have_them():
    a = Estimate(np.array([0.2, NAN, 0.3]), 5)
    b = Estimate(np.array([0.4, 0.5, 0.5]), 5, chance=0.5)
    m = Estimate.mean([a, b])
    assert m.value == pytest.approx(0.3) and np.isnan(m.samples[1]) and m.samples[2] == pytest.approx(0.4)
    assert m.chance is None  # not every estimate has one
    assert Estimate.mean([Estimate(np.array([NAN, 0.1, 0.2]), 1), b]).value is None
    point_only = Estimate.mean([Estimate.of(0.2, 3), b])
    assert point_only.samples.tolist() == pytest.approx([0.3])  # a point value: no resamples to pair
    shorter = Estimate.mean([Estimate(np.array([0.2, 0.1]), 3), b])
    assert len(shorter.samples) == 1
    with pytest.raises(ValueError):
        Estimate.mean([])


def test_minus_is_paired_by_position():
    a = Estimate(np.array([0.6, 0.5, 0.7, NAN]), 40, chance=0.25, flags=("interval",))
    b = Estimate(np.array([0.2, 0.1, 0.4, 0.3]), 38, chance=0.25, flags=("left_out",))
    d = a.minus(b)
    assert d.samples[:3].tolist() == pytest.approx([0.4, 0.4, 0.3]) and np.isnan(d.samples[3])
    assert d.n == 38 and d.chance is None and d.flags == ("interval", "left_out")
    assert a.minus(Estimate.of(0.5, 40)).samples.tolist() == pytest.approx([0.1])  # point only
    assert Estimate.of(None, 1).minus(b).value is None


def test_the_mean_interval_through_to_records_is_the_percentile_interval_of_the_averaged_resamples():
    rng = np.random.default_rng(0)
    parts = [Estimate(np.concatenate([[x], rng.normal(x, 0.05, 500)]), 100) for x in (0.3, 0.5, 0.6)]
    m = Estimate.mean(parts)
    (record,) = to_records("m", "t", [Keyed("accuracy", m)])
    low, high = percentile_ci(np.mean(np.stack([p.samples[1:] for p in parts]), axis=0))
    assert record.value == pytest.approx(np.mean([0.3, 0.5, 0.6]))
    assert (record.ci_low, record.ci_high) == pytest.approx((float(low), float(high)))
    assert record.n == 300
