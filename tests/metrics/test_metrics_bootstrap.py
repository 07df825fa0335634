"""Paired percentile bootstrap: determinism, pairing, NaN resamples, agreement with an explicit loop."""

from __future__ import annotations

import zlib

import numpy as np
import pytest

from clika.metrics.bootstrap import p_value_vs_zero, percentile_ci, percentile_intervals, resample_weights
from clika.metrics.compute import compute_metrics
from clika.predictions import Prediction
from tests.record_keys import by_where


def two_lang_preds(n=100, seed=3):
    """en and zh answers on n 4-option items; zh is right more often where en is right."""
    rng = np.random.default_rng(seed)
    gold = rng.integers(0, 4, n)
    en_right = rng.random(n) < 0.6
    zh_right = np.where(en_right, rng.random(n) < 0.8, rng.random(n) < 0.3)
    out = []
    for lang, right in (("en", en_right), ("zh", zh_right)):
        choice = np.where(right, gold, (gold + 1) % 4)
        out += [Prediction("m", "x_geo", lang, f"q{i:03d}", int(c), int(g), 4) for i, (c, g) in enumerate(zip(choice, gold))]
    return out, gold, en_right, zh_right


def by_key(records):
    return by_where(records)


def test_same_inputs_same_interval_and_seed_matters():
    p, *_ = two_lang_preds()
    a, b = by_key(compute_metrics(p, n_boot=300)), by_key(compute_metrics(list(reversed(p)), n_boot=300))
    assert a[("zh", "en_co")].ci_low == b[("zh", "en_co")].ci_low
    assert a[("zh", "en_co")].ci_high == b[("zh", "en_co")].ci_high
    c = by_key(compute_metrics(p, n_boot=300, seed=1))
    assert (c[("zh", "en_co")].ci_low, c[("zh", "en_co")].ci_high) != (a[("zh", "en_co")].ci_low, a[("zh", "en_co")].ci_high)


def test_interval_contains_point_estimate_of_a_simple_accuracy():
    # 60 of 100 right: binomial standard error sqrt(.6 * .4 / 100) = 0.049, so the
    # 95% interval is about 0.6 +- 0.096.
    p = [Prediction("m", "x_geo", "en", str(i), 0 if i < 60 else 1, 0, 4) for i in range(100)]
    acc = by_key(compute_metrics(p))[("en", "accuracy")]
    assert acc.value == pytest.approx(0.6)
    assert acc.ci_low < 0.6 < acc.ci_high
    assert 0.48 <= acc.ci_low <= 0.53 and 0.67 <= acc.ci_high <= 0.72


def task_rng(seed: int, task: str) -> np.random.Generator:
    """The resampler's generator: seeded by (seed, task name), so tasks resample independently."""
    return np.random.default_rng([seed, zlib.crc32(task.encode())])


def test_weights_are_multiplicities_of_a_seeded_index_matrix():
    for key in ("", "x_geo"):
        w = resample_weights(7, 5, 42, key)
        idx = task_rng(42, key).integers(0, 7, size=(5, 7))
        expected = np.stack([np.bincount(row, minlength=7) for row in idx])
        assert (w == expected).all() and (w.sum(axis=1) == 7).all()
    # two tasks with the same number of items are resampled independently
    assert not (resample_weights(7, 5, 42, "x_geo") == resample_weights(7, 5, 42, "x_name")).all()


def test_intervals_match_an_explicit_paired_resampling_loop():
    """Resample items jointly with the same seeded indices, compute en_co per resample by hand."""
    p, gold, en_right, zh_right = two_lang_preds(n=80)
    n_boot = 200
    rec = by_key(compute_metrics(p, n_boot=n_boot, seed=5))
    idx = task_rng(5, "x_geo").integers(0, 80, size=(n_boot, 80))
    # item ids q000..q079 sort in creation order, so column i is item i
    co = [(en_right[r] & zh_right[r]).sum() / (en_right[r] | zh_right[r]).sum() for r in idx]
    ra = [zh_right[r].mean() / en_right[r].mean() for r in idx]
    assert rec[("zh", "en_co")].ci_low == pytest.approx(np.percentile(co, 2.5))
    assert rec[("zh", "en_co")].ci_high == pytest.approx(np.percentile(co, 97.5))
    assert rec[("zh", "ra")].ci_low == pytest.approx(np.percentile(ra, 2.5))
    assert rec[("zh", "ra")].ci_high == pytest.approx(np.percentile(ra, 97.5))


def test_percentile_intervals_equal_numpy_percentile_without_nan():
    samples = np.random.default_rng(0).normal(size=(1000, 3))
    iv = percentile_intervals(samples)
    assert iv.low == pytest.approx(np.percentile(samples, 2.5, axis=0))
    assert iv.high == pytest.approx(np.percentile(samples, 97.5, axis=0))
    assert iv.note(0) is None


def test_nan_resamples_are_counted_and_withhold_the_interval_when_too_many():
    samples = np.tile(np.arange(100, dtype=float)[:, None], (1, 2))
    samples[:3, 0] = np.nan  # 3% undefined: interval of the 97 defined values, reported
    samples[:10, 1] = np.nan  # 10% undefined: no interval
    iv = percentile_intervals(samples)
    assert iv.low[0] == pytest.approx(np.percentile(np.arange(3, 100), 2.5))
    assert iv.note(0) == "interval from 97 of 100 resamples (3 undefined)"
    assert np.isnan(iv.low[1]) and np.isnan(iv.high[1])
    assert iv.note(1) == "no interval: undefined in 10 of 100 resamples"


def test_record_reports_undefined_resamples():
    # 30 items, en gets only item 0 right: p_en = 1/30. A resample without item 0
    # (probability (29/30)^30 = 36%) has p_en = 0 and an undefined ra -> interval withheld.
    p = [Prediction("m", "t", "en", f"{i:02d}", 0 if i == 0 else 1, 0, 4) for i in range(30)]
    p += [Prediction("m", "t", "zh", f"{i:02d}", 0 if i < 5 else 1, 0, 4) for i in range(30)]
    ra = by_key(compute_metrics(p, n_boot=500))[("zh", "ra")]
    assert ra.value == pytest.approx((5 / 30) / (1 / 30))
    assert ra.ci_low is None and ra.ci_high is None
    assert "no interval: undefined in" in ra.note and "of 500 resamples" in ra.note


def test_no_bootstrap_gives_no_interval():
    p, *_ = two_lang_preds()
    rec = by_key(compute_metrics(p, n_boot=0))
    assert rec[("zh", "en_co")].value is not None and rec[("zh", "en_co")].ci_low is None


def test_the_p_value_is_withheld_exactly_where_the_interval_is():
    boot = np.linspace(0.01, 0.2, 1000)
    assert p_value_vs_zero(boot) == 0  # every resample above 0: below what 1000 resolve (printed < 1/1001)
    few_undefined, many_undefined = boot.copy(), boot.copy()
    few_undefined[:50] = np.nan  # 5%: still reported
    many_undefined[:51] = np.nan  # over 5%: neither an interval nor a p-value
    assert np.isfinite(p_value_vs_zero(few_undefined)) and np.isfinite(percentile_ci(few_undefined)[0])
    assert np.isnan(p_value_vs_zero(many_undefined)) and np.isnan(percentile_ci(many_undefined)[0])


@pytest.mark.parametrize("level", [0.95, 0.9, 0.8, 0.5])
def test_the_p_value_inverts_the_interval(level):
    """p < 1 - level exactly when the level interval excludes 0, on the same resamples: one test, so a
    row never reads significant by its interval and not by its p-value. Ties and zeros included
    (every third draw rounded), and sizes where 0 falls between the order statistics a bound
    interpolates."""
    from clika.metrics.bootstrap import percentile_intervals

    rng = np.random.default_rng(1)
    for trial in range(600):
        x = rng.normal(rng.normal(0, 0.3), 0.15, int(rng.integers(2, 300)))
        if trial % 3 == 0:
            x = np.round(x, 1)
        interval = percentile_intervals(x.reshape(-1, 1), level)
        excludes = interval.low[0] > 0 or interval.high[0] < 0
        assert excludes == (p_value_vs_zero(x) < 1 - level), (len(x), level)
