"""The two-level (seeds, then facts within a seed) bootstrap and the between-seed spread."""

from __future__ import annotations

import numpy as np
import pytest

from clika.metrics.bootstrap import resample_weights
from clika.metrics.records import Record
from clika.metrics.seeds import seed_spread, spread_text, two_level_counts, two_level_weights


def test_one_seed_is_the_one_level_resampler():
    w = two_level_weights(["s0"] * 7, 50, 3, "k")
    assert np.array_equal(w, resample_weights(7, 50, 3, "k"))


def test_seeds_are_drawn_whole_then_facts_within_them():
    groups = np.array([0] * 4 + [1] * 6 + [2] * 5)
    w = two_level_weights(groups, 400, 0, "fictional")
    assert w.shape == (400, 15) and np.all(w == np.round(w)) and np.all(w >= 0)
    per_group = np.stack([w[:, groups == g].sum(axis=1) for g in range(3)], axis=1)
    sizes = np.array([4, 6, 5])
    copies = per_group / sizes  # each drawn copy of a seed draws as many facts as the seed has
    assert np.all(copies == np.round(copies)) and np.all(copies.sum(axis=1) == 3)  # three seeds drawn per resample
    assert (copies == 0).any()  # some resamples leave a seed out entirely
    # every seed and every fact is drawn about equally often
    assert np.allclose(copies.mean(axis=0), 1, atol=0.15)
    assert np.allclose(w.mean(axis=0), 1, atol=0.2)


def test_draws_are_keyed_and_labels_need_not_be_contiguous():
    groups = ["b", "a", "b", "a", "b", "c"]
    a, b = two_level_weights(groups, 100, 1, "x"), two_level_weights(groups, 100, 1, "x")
    assert np.array_equal(a, b) and not np.array_equal(a, two_level_weights(groups, 100, 1, "y"))
    labels = np.array(groups)
    for row in a:
        drawn = {g: row[labels == g].sum() / (labels == g).sum() for g in "abc"}
        assert all(v == round(v) for v in drawn.values()) and sum(drawn.values()) == 3


def test_training_randomness_widens_the_interval():
    # Two seeds whose trained models disagree completely: facts alone would give a narrow interval
    # around 0.5; the seeds resampled give the honest spread (0, 0.5 or 1).
    groups = np.repeat([0, 1], 50)
    right = np.concatenate([np.ones(50), np.zeros(50)])[:, None]
    two = two_level_counts(right, groups, 2000, 0, "k")[:, 0] / 100
    one = (resample_weights(100, 2000, 0, "k") @ right)[:, 0] / 100
    assert one.std() < 0.06 and two.std() > 0.3
    assert set(np.unique(np.round(two, 6))) == {0.0, 0.5, 1.0}
    w = two_level_weights(groups, 2000, 0, "k")
    assert np.array_equal(two, (w @ right.astype(np.float32))[:, 0].astype(np.float64) / 100)


def test_seed_spread_and_its_text():
    def rec(metric, value, stratum=None):
        return Record(model="m", task="fictional", metric=metric, lang="de", lang_ref="en", value=value,
                      stratum=stratum)

    spread = seed_spread([[rec("xrr", 0.4), rec("xrr", 0.3, "overlap=none")],
                          [rec("xrr", 0.6), rec("xrr", None, "overlap=none")], [rec("xrr", 0.5)]])
    assert spread[("xrr", None)] == pytest.approx((0.4, 0.6, 3))
    assert spread[("xrr", "overlap=none")] == pytest.approx((0.3, 0.3, 1))
    assert spread_text(spread[("xrr", None)], 3) == "between seeds 0.4–0.6"
    assert spread_text(spread[("xrr", "overlap=none")], 3) == "between seeds 0.3–0.3 (1 of 3 seeds have a value)"
    assert spread_text(None, 2) == "no value in any of the 2 seeds"
