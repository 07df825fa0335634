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


# ---------------------------------------------------------------- flags on the values they qualify

def _records(preds, **kw):
    from clika.metrics.compute import compute_metrics

    return compute_metrics(preds, n_boot=0, **kw)


def test_a_file_cut_short_makes_the_model_partial_on_the_task_with_the_reason():
    """de read with 6 of its item file's 10 items: partial like a missing language, every value flagged."""
    golds = [i % 4 for i in range(10)]
    preds = [p for lang in ("en", "zh", "de") for p in lang_preds(lang, golds, golds, model="cut", task="x_geo")
             if not (lang == "de" and int(p.item_id) >= 6)]
    preds += [p for lang in ("en", "zh", "de") for p in lang_preds(lang, golds, golds, model="full", task="x_geo")]
    counts = {("x_geo", lang): 10 for lang in ("en", "zh", "de")}
    recs = _records(preds, item_counts=counts, expected_langs={"x_geo": ("en", "zh", "de")})
    cut = {(r.metric, r.lang, r.lang_ref, r.aggregate): r for r in recs if r.model == "cut"}
    missing = cut[("missing_items", "de", None, None)]
    assert (missing.value, missing.n) == (4.0, 10) and "partial" in missing.flags and "missing" not in missing.flags
    assert missing.note.startswith("x_geo/de: 6 of 10 items: cut is partial on x_geo")
    # every value of the partial (model, task); on missing_items the flag names the language that is short
    assert all("partial" in r.flags for k, r in cut.items() if k[0] != "missing_items")
    assert [k[1] for k, r in cut.items() if k[0] == "missing_items" and "partial" in r.flags] == ["de"]
    assert cut[("accuracy", "de", None, None)].value == 1.0  # the survivors' accuracy, flagged, not hidden
    assert not any("partial" in r.flags for r in recs if r.model == "full")
    # without an item file to count against, items absent in one language are "missing", not partial
    plain = _records([p for p in preds if p.model == "cut"])
    assert {f for r in plain if r.metric == "missing_items" and r.lang == "de" for f in r.flags} == {"missing"}
    assert not any("partial" in r.flags for r in plain)


def test_a_dominant_language_flags_ra_en_co_co_and_rankc_that_involve_it_and_the_means():
    golds = [i % 4 for i in range(40)]
    right = lambda n: [g if i < n else (g + 1) % 4 for i, g in enumerate(golds)]  # noqa: E731
    preds = (lang_preds("en", right(30), golds) + lang_preds("de", right(24), golds)
             + lang_preds("fr", right(20), golds) + lang_preds("zh", [0] * 40, golds))  # zh: always "A"
    recs = _records(preds)
    flagged = {(r.metric, r.lang, r.lang_ref, r.aggregate) for r in recs if "dominant" in r.flags}
    source = {r.lang for r in recs if r.metric == "dominant_option_flag" and r.value}
    assert source == {"zh"}
    for metric in ("ra", "en_co", "rankc"):
        assert (metric, "zh", "en", None) in flagged and (metric, "de", "en", None) not in flagged
        if any(r.metric == metric and r.aggregate == "mean" and r.value is not None for r in recs):
            assert (metric, None, "en", "mean") in flagged  # the mean averages zh in
    assert ("co", "zh", "de", None) in flagged or ("co", "de", "zh", None) in flagged
    assert not {k for k in flagged if k[0] == "co" and "zh" not in k}
    assert ("accuracy", "zh", None, None) not in flagged  # accuracy is not inflated by a dominant option


def test_an_unparseable_share_above_the_threshold_flags_every_value_counted_over_it():
    from clika.metrics.flags import UNPARSEABLE_FLAG

    golds = [i % 4 for i in range(40)]
    at = int(UNPARSEABLE_FLAG * 40)  # exactly at the threshold: not flagged; one more: flagged
    preds = (lang_preds("en", golds, golds) + lang_preds("de", [None] * at + golds[at:], golds)
             + lang_preds("fr", [None] * (at + 1) + golds[at + 1:], golds))
    recs = _records(preds)
    flagged = {(r.metric, r.lang, r.lang_ref, r.aggregate) for r in recs if "unparseable" in r.flags}
    assert ("unparseable_rate", "fr", None, None) in flagged and ("unparseable_rate", "de", None, None) not in flagged
    for key in (("accuracy", "fr", None, None), ("ra", "fr", "en", None), ("en_co", "fr", "en", None),
                ("ra", None, "en", "mean")):
        assert key in flagged, key
    assert not {k for k in flagged if "fr" not in k and k[3] != "mean"}  # only values counted over fr


def test_polylm_answers_one_option_on_x_name_so_its_en_co_records_carry_the_flag(shared_data):
    """The published case: polylm_multialpaca_13b answers one option on x_name in every language; its
    en-CO of 1.000 must carry "dominant" in its own flags, where a notebook filter on flags finds it."""
    from clika import api

    got = api.score(api.ScoreOptions(shared_data, models=["polylm_multialpaca_13b"], tasks=["x_name"], n_boot=0))
    en_co = [r for r in got.records if r.metric == "en_co"]
    assert len(en_co) == 10 and all(r.value == 1.0 for r in en_co)  # 9 languages and their mean
    assert all("dominant" in r.flags for r in en_co)
    assert all(r.value == 1.0 and "dominant" in r.flags for r in got.records if r.metric == "dominant_option_flag")
