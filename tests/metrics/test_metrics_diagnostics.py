"""Answer diagnostics: unparseable share, option distribution, dominance flag."""

from __future__ import annotations

import pytest

from clika.metrics.diagnostics import diagnose, diagnostic_records, dominance_threshold
from clika.metrics.matrix import build_matrices
from clika.predictions import Prediction


def lang_preds(lang, choices, golds, k=4, model="m", task="t"):
    return [Prediction(model, task, lang, str(i), c, g, k) for i, (c, g) in enumerate(zip(choices, golds))]


def test_always_a_is_flagged_and_balanced_is_not():
    golds = [0, 1, 2, 3, 0, 1, 2, 3, 0, 1]
    # en: 9 x "A" and one unparseable -> shares A .9, B/C/D 0, unparseable .1; .9 > max(.5, 2/4)
    en = lang_preds("en", [0] * 9 + [None], golds)
    # zh: A A A B B B C C D D -> shares .3 .3 .2 .2; top .3 <= .5
    zh = lang_preds("zh", [0, 0, 0, 1, 1, 1, 2, 2, 3, 3], golds)
    (m,) = build_matrices(en + zh)
    d = {x.lang: x for x in diagnose(m)}
    assert d["en"].unparseable_rate == pytest.approx(0.1)
    assert d["en"].option_shares == pytest.approx((0.9, 0.0, 0.0, 0.0))
    assert d["en"].dominant and d["en"].describe() == "answers 'A' on 90% of items"
    assert d["zh"].option_shares == pytest.approx((0.3, 0.3, 0.2, 0.2))
    assert not d["zh"].dominant and d["zh"].unparseable_rate == 0.0

    recs = {(r.lang, r.metric): r for r in diagnostic_records(m)}
    assert recs[("en", "dominant_option_flag")].value == 1.0
    assert "answers 'A' on 90% of items" in recs[("en", "dominant_option_flag")].note
    assert recs[("en", "dominant_option_share")].value == pytest.approx(0.9)
    assert recs[("en", "unparseable_rate")].value == pytest.approx(0.1)
    assert recs[("en", "option_share_A")].value == pytest.approx(0.9)
    assert recs[("zh", "dominant_option_flag")].value == 0.0
    assert recs[("zh", "dominant_option_flag")].note is None
    assert recs[("zh", "option_share_C")].value == pytest.approx(0.2)


def test_always_a_inflates_overlap_for_free():
    """Why the flag matters: two languages answering "A" throughout agree on every item."""
    from clika.metrics import core

    golds = [0, 1, 2, 3] * 5  # 20 items, gold spread evenly
    (m,) = build_matrices(lang_preds("en", [0] * 20, golds) + lang_preds("zh", [0] * 20, golds))
    # correct in both exactly where gold is A: 5 of 5 -> co = 1, agreement = 1, with no knowledge at all
    assert core.co(m, "en", "zh").value == 1.0 and core.agreement(m, "en", "zh").value == 1.0
    assert all(d.dominant for d in diagnose(m))


def test_dominance_threshold_per_option_count():
    # max(.5, 2/k), capped at .8 so that two-option tasks can be flagged
    assert dominance_threshold(2) == 0.8
    assert dominance_threshold(3) == pytest.approx(2 / 3)
    assert dominance_threshold(4) == 0.5 and dominance_threshold(5) == 0.5


def test_two_option_task_flagged_above_80_percent():
    golds = [0, 1] * 10
    (m,) = build_matrices(lang_preds("en", [1] * 17 + [0] * 3, golds, k=2)
                          + lang_preds("zh", [1] * 15 + [0] * 5, golds, k=2))
    d = {x.lang: x for x in diagnose(m)}
    assert d["en"].dominant and d["en"].describe() == "answers 'B' on 85% of items"  # 17/20
    assert not d["zh"].dominant  # 15/20 = .75 <= .8


def test_missing_items_are_counted_per_language():
    en = lang_preds("en", [0, 0, 0], [0, 0, 0])
    zh = [Prediction("m", "t", "zh", "0", 0, 0, 4)]
    (m,) = build_matrices(en + zh)
    recs = {(r.lang, r.metric): r for r in diagnostic_records(m)}
    assert recs[("zh", "missing_items")].value == 2.0 and recs[("zh", "missing_items")].n == 3
    assert recs[("en", "missing_items")].value == 0.0
    # shares are over the language's own items: zh answered A on its 1 item
    assert recs[("zh", "option_share_A")].value == 1.0 and recs[("zh", "option_share_A")].n == 1
