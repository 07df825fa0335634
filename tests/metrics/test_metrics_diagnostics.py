"""Answer diagnostics: unparseable share, option distribution, the dominant-option flag."""

from __future__ import annotations

from math import comb

import pytest

from clika.metrics.diagnostics import diagnose, run_warnings
from clika.metrics.matrix import build_matrices
from clika.predictions import Prediction


def diagnostic_records(m, item_counts=None, absent=()):
    """The diagnostics of one matrix, through the registry and the one estimate -> record step."""
    from clika.metrics.catalog import all_metrics
    from clika.metrics.compute import MatrixContext, estimates
    from clika.metrics.estimate import to_records

    names = {d.name for d in all_metrics() if d.level == "diagnostic"}
    ctx = MatrixContext(item_counts=item_counts or {}, absent=absent)
    return to_records(m.model, m.task, estimates(m, ctx, metric_names=names))


def lang_preds(lang, choices, golds, k=4, model="m", task="t"):
    return [Prediction(model, task, lang, str(i), c, g, k) for i, (c, g) in enumerate(zip(choices, golds))]


def binomial_sf(x: int, n: int, p: float) -> float:
    """P(X >= x), X ~ Binomial(n, p), written out."""
    return sum(comb(n, j) * p**j * (1 - p) ** (n - j) for j in range(x, n + 1))


def test_always_a_is_flagged_and_balanced_is_not():
    golds = [0, 1, 2, 3] * 5  # 20 items, gold share 1/4 each
    en = lang_preds("en", [0] * 19 + [None], golds)  # 19 x "A" and one unparseable
    zh = lang_preds("zh", [0, 1, 2, 3] * 5, golds)  # right on every item: shares equal the gold shares
    (m,) = build_matrices(en + zh)
    d = {x.lang: x for x in diagnose(m)}
    assert d["en"].unparseable_rate == pytest.approx(0.05)
    assert d["en"].option_shares == pytest.approx((0.95, 0.0, 0.0, 0.0))
    assert d["en"].gold_shares == pytest.approx((0.25,) * 4)
    # one-sided binomial against max(gold share, 1/k) = 0.25, Bonferroni x 4
    assert d["en"].p_value == pytest.approx(min(1.0, 4 * binomial_sf(19, 20, 0.25)))
    assert d["en"].excess == pytest.approx(0.70) and d["en"].dominant
    assert d["en"].describe().startswith("answers 'A' on 95% of items ('A' is right on 25%)")
    assert not d["zh"].dominant and d["zh"].excess == pytest.approx(0.0)  # a perfect model is never flagged

    recs = {(r.lang, r.metric): r for r in diagnostic_records(m)}
    assert recs[("en", "dominant_option_flag")].value == 1.0
    assert "chosen significantly more often" in recs[("en", "dominant_option_flag")].note
    assert recs[("en", "dominant_option_share")].value == pytest.approx(0.95)
    assert recs[("en", "option_share_A")].value == pytest.approx(0.95)
    assert recs[("zh", "dominant_option_flag")].value == 0.0 and recs[("zh", "dominant_option_flag")].note is None


def test_crossing_half_is_not_enough_when_the_option_is_often_right():
    # "A" is gold on 45 of 100 items and chosen on 51: 6 points above its gold share.
    golds = [0] * 45 + [1] * 20 + [2] * 20 + [3] * 15
    choices = [0] * 51 + [1] * 19 + [2] * 15 + [3] * 15
    (m,) = build_matrices(lang_preds("en", choices, golds))
    (d,) = diagnose(m)
    assert d.top_option == 0 and d.top_share == pytest.approx(0.51)
    assert d.excess == pytest.approx(0.06) and not d.dominant  # it would need 0.45 + 0.55 / 2 = 72.5%


def test_a_small_excess_in_a_small_sample_is_not_significant():
    # 5 items: "B" chosen twice although it is never gold -> excess over 1/k is 0.15 and p is large
    (m,) = build_matrices(lang_preds("en", [1, 1, 0, 2, 3], [0, 0, 0, 2, 3]))
    (d,) = diagnose(m)
    assert d.top_option == 1 and d.p_value == pytest.approx(min(1.0, 4 * binomial_sf(2, 5, 0.25)))
    assert not d.dominant


def test_always_a_inflates_overlap_for_free():
    """Why the flag matters: two languages answering "A" throughout agree on every item."""
    from tests.metrics import oracle as core

    golds = [0, 1, 2, 3] * 5  # 20 items, gold spread evenly
    (m,) = build_matrices(lang_preds("en", [0] * 20, golds) + lang_preds("zh", [0] * 20, golds))
    # correct in both exactly where gold is A: 5 of 5 -> co = 1, agreement = 1, with no knowledge at all
    assert core.co(m, "en", "zh").value == 1.0 and core.agreement(m, "en", "zh").value == 1.0
    assert all(d.dominant for d in diagnose(m))
    assert any("chosen far more often than it is right" in w for w in run_warnings(diagnostic_records(m)))


def test_the_share_must_reach_halfway_from_the_fair_share_to_always():
    golds = [0, 1, 2, 3] * 25  # 100 items, gold share 1/4: flagged from 62.5% "A" on
    below = lang_preds("en", [0] * 60 + [1, 2, 3] * 13 + [1], golds)
    at = lang_preds("zh", [0] * 63 + [1, 2, 3] * 12 + [1], golds)
    (m,) = build_matrices(below + at)
    d = {x.lang: x for x in diagnose(m)}
    assert d["en"].top_share == pytest.approx(0.60) and d["en"].p_value < 0.01 and not d["en"].dominant
    assert d["zh"].top_share == pytest.approx(0.63) and d["zh"].dominant


def test_two_option_task():
    golds = [0, 1] * 20
    (m,) = build_matrices(lang_preds("en", [1] * 38 + [0] * 2, golds, k=2)
                          + lang_preds("zh", [1] * 24 + [0] * 16, golds, k=2))
    d = {x.lang: x for x in diagnose(m)}
    assert d["en"].dominant  # 95% "B", right on 50%
    assert not d["zh"].dominant  # 60% "B": 10 points above 0.5


def test_missing_items_are_counted_per_language():
    en = lang_preds("en", [0, 0, 0], [0, 0, 0])
    zh = [Prediction("m", "t", "zh", "0", 0, 0, 4)]
    (m,) = build_matrices(en + zh)
    recs = {(r.lang, r.metric): r for r in diagnostic_records(m)}
    assert recs[("zh", "missing_items")].value == 2.0 and recs[("zh", "missing_items")].n == 3
    assert recs[("en", "missing_items")].value == 0.0
    # shares are over the language's own items: zh answered A on its 1 item
    assert recs[("zh", "option_share_A")].value == 1.0 and recs[("zh", "option_share_A")].n == 1
