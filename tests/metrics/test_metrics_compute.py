"""compute_metrics: the vectorised bulk path agrees with the per-metric definitions, record layout."""

from __future__ import annotations

import numpy as np
import pytest

from clika.metrics.compute import compute_metrics
from clika.metrics.matrix import build_matrices
from clika.predictions import Prediction
from tests.metrics import oracle as core
from tests.record_keys import by_where, where

LANGS3 = ("en", "zh", "fr")


def random_preds(n=60, seed=0, k=4, models=("m1", "m2"), drop=()):
    """Random answers with ~10% unparseable; `drop` = (lang, item index) pairs left out."""
    rng = np.random.default_rng(seed)
    out = []
    for model in models:
        gold = rng.integers(0, k, n)
        for lang in LANGS3:
            choice = np.where(rng.random(n) < 0.55, gold, rng.integers(0, k, n))
            unparseable = rng.random(n) < 0.1
            for i in range(n):
                if (lang, i) in drop:
                    continue
                c = None if unparseable[i] else int(choice[i])
                out.append(Prediction(model, "x_geo", lang, f"{i:03d}", c, int(gold[i]), k))
    return out


def by_key(records):
    return by_where(records, model=True)


def test_bulk_records_equal_the_per_metric_definitions():
    p = random_preds(drop={("zh", 3), ("fr", 7), ("fr", 8)})
    recs = by_key(compute_metrics(p, n_boot=50))
    for m in build_matrices(p):
        def check(lang, metric, expected, m=m):
            got = recs[(m.model, m.task, lang, metric)]
            assert got.n == expected.n
            if expected.value is None:
                assert got.value is None
            else:
                assert got.value == pytest.approx(expected.value)
            if expected.note:
                assert expected.note in got.note

        for lang in LANGS3:
            check(lang, "accuracy", core.accuracy(m, lang))
            check(lang, "accuracy_adj", core.accuracy(m, lang, adjusted=True))
        for lang in ("zh", "fr"):
            check(lang, "ra", core.ra(m, lang))
            check(lang, "ra_adj", core.ra(m, lang, adjusted=True))
            check(lang, "en_co", core.en_co(m, lang))
            check(lang, "en_co_adj", core.en_co(m, lang, adjusted=True))
        for a, b in (("en", "zh"), ("en", "fr"), ("zh", "fr")):
            check(f"{a}-{b}", "co", core.co(m, a, b))
            check(f"{a}-{b}", "co_adj", core.co(m, a, b, adjusted=True))
            check(f"{a}-{b}", "agreement", core.agreement(m, a, b))
    # zh-fr leaves out item 3 (missing in zh) and items 7, 8 (missing in fr)
    assert "3 item(s) left out" in recs[("m1", "x_geo", "zh-fr", "co")].note


def test_averages_are_means_over_non_pivot_languages():
    recs = by_key(compute_metrics(random_preds(), n_boot=100))
    for metric in ("ra", "ra_adj", "en_co", "en_co_adj"):
        avg = recs[("m1", "x_geo", "avg", metric)]
        parts = [recs[("m1", "x_geo", lang, metric)].value for lang in ("zh", "fr")]
        assert avg.value == pytest.approx(sum(parts) / 2)
        # n of an average: the items behind it, summed over the averaged languages
        assert avg.n == sum(recs[("m1", "x_geo", lang, metric)].n for lang in ("zh", "fr"))
        assert avg.note == "mean over 2 non-en languages"
        assert avg.ci_low <= avg.value <= avg.ci_high


def test_average_skips_undefined_languages_and_says_so():
    # en is exactly at chance, so ra_adj is undefined in every language and so is its average.
    gold = [0] * 8
    en = [0, 0, 1, 1, 1, 1, 1, 1]  # p_en = 2/8 = 1/4 = chance -> ra_adj undefined everywhere
    zh = [0, 0, 0, 0, 1, 1, 1, 1]
    fr = [0, 1, 1, 1, 1, 1, 1, 1]
    p = [Prediction("m", "t", lang, str(i), c, g, 4)
         for lang, ch in (("en", en), ("zh", zh), ("fr", fr)) for i, (c, g) in enumerate(zip(ch, gold))]
    recs = by_key(compute_metrics(p, n_boot=50))
    assert recs[("m", "t", "avg", "ra_adj")].value is None
    assert recs[("m", "t", "avg", "ra_adj")].note == "undefined in every non-en language"
    # ra: zh (4/8)/(2/8) = 2, fr (1/8)/(2/8) = 1/2 -> mean 1.25
    assert recs[("m", "t", "avg", "ra")].value == pytest.approx(1.25)


def test_pairwise_off_keeps_only_pivot_metrics():
    recs = compute_metrics(random_preds(models=("m1",)), n_boot=20, pairwise=False)
    assert not [r for r in recs if "-" in (where(r) or "")]
    assert {r.metric for r in recs} >= {"accuracy", "ra", "en_co", "en_co_adj", "unparseable_rate"}


def test_missing_pivot_is_reported_not_guessed():
    p = [x for x in random_preds(models=("m1",)) if x.lang != "en"]
    recs = by_key(compute_metrics(p, n_boot=20))
    r = recs[("m1", "x_geo", "zh", "ra")]
    assert r.value is None and r.note == "no predictions in the pivot language en"
    assert recs[("m1", "x_geo", "zh-fr", "co")].value is not None


def test_other_pivot():
    p = random_preds(models=("m1",))
    recs = by_key(compute_metrics(p, pivot="zh", n_boot=20))
    (m,) = build_matrices(p)
    assert recs[("m1", "x_geo", "en", "ra")].value == pytest.approx(core.ra(m, "en", pivot="zh").value)
    assert recs[("m1", "x_geo", "fr", "en_co")].value == pytest.approx(core.co(m, "zh", "fr").value)
    assert ("m1", "x_geo", "zh", "ra") not in recs
    assert recs[("m1", "x_geo", "avg", "ra")].note == "mean over 2 non-zh languages"


def test_every_record_is_tidy():
    for r in compute_metrics(random_preds(models=("m1",)), n_boot=20):
        d = r.to_dict()
        assert set(d) <= {"model", "task", "metric", "lang", "lang_ref", "aggregate", "stratum", "value", "ci_low",
                          "ci_high", "p_value", "n", "item_set", "chance", "flags", "note"}
        assert {"model", "task", "lang", "metric", "value", "n"} <= set(d)
        # optional fields are left out of the JSON when None (flags when empty), never written as null
        for optional in ("note", "chance", "stratum", "lang_ref", "aggregate", "p_value"):
            assert (optional in d) == (getattr(r, optional) is not None)
        assert ("flags" in d) == bool(r.flags)
        # identity is explicit: a pair has its other language in lang_ref, a mean its aggregate, never packed
        assert r.lang is None or ("-" not in r.lang and ">" not in r.lang and r.lang != "avg")
        if r.metric == "accuracy":
            assert r.chance == pytest.approx(1 / 4)  # random_preds has 4 options
        if r.value is None:
            assert r.note, r
        if r.ci_low is not None:
            assert r.ci_low <= r.ci_high
