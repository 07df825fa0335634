"""Paired comparisons on hand-made predictions: deltas, CI signs, McNemar p-values written out by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest
from analysis_synth import block, predictions

from clika.analysis.compare import compare_models, comparison_rows, mcnemar_exact, resolve_pairs, row_test, significant
from clika.analysis.families import load_families
from clika.analysis.stats import build_task_stats
from clika.errors import ConfigError
from clika.metrics.bootstrap import percentile_ci

# A: items 0-19 right in every language. B: the same, plus 20-29 in zh (10 more, none fewer);
# in fr B gains 20-27 (8) and loses 0-2 (3).
CORRECT = {
    ("A", "en"): block(0, 20), ("A", "zh"): block(0, 20), ("A", "fr"): block(0, 20),
    ("B", "en"): block(0, 20), ("B", "zh"): block(0, 30), ("B", "fr"): block(3, 28),
}


def _records(n_boot=400, seed=0):
    stats, notes = build_task_stats(predictions(CORRECT), n_boot=n_boot, seed=seed)
    recs, _ = compare_models(stats, [("A", "B", None)])
    return {(r.lang, r.metric): r for r, _, _ in comparison_rows(recs)}, notes


def _rows(recs):
    """{(lang, metric): (delta, A's value, B's value)} of a comparison's records."""
    return {(r.lang, r.metric): (r, a, b) for r, a, b in comparison_rows(recs)}


def test_a_comparison_is_records_a_difference_and_both_values_on_the_shared_items():
    stats, _ = build_task_stats(predictions(CORRECT), n_boot=100)
    recs, _ = compare_models(stats, [("A", "B", "instruction_tuning_en")])
    delta, a, b = _rows(recs)[("zh", "accuracy")]
    assert (delta.model, delta.model_ref, delta.strategy) == ("B", "A", "instruction_tuning_en")
    assert (a.model, a.model_ref, a.stratum) == ("A", None, "items shared with B")
    assert (b.model, b.stratum) == ("B", "items shared with A")
    assert delta.item_set == a.item_set == b.item_set is not None and delta.n == a.n == 40
    assert len({r.key for r in recs}) == len(recs)  # every record its own key: one file holds them all


def test_known_shift_delta_and_ci_sign():
    recs, notes = _records()
    assert notes == []
    zh = recs[("zh", "accuracy")]
    _, a, b = _rows(compare_models(build_task_stats(predictions(CORRECT), n_boot=400)[0],
                                   [("A", "B", None)])[0])[("zh", "accuracy")]
    assert zh.n == 40 and a.value == pytest.approx(0.5) and b.value == pytest.approx(0.75)
    assert zh.value == pytest.approx(10 / 40)
    # the interval inverting McNemar: 10 discordant items, all B's: Clopper-Pearson [0.6915, 1] of pi,
    # scaled by 10/40: [0.25 (2 x 0.6915 - 1), 0.25] (given 10 discordant items, the delta is at most 0.25)
    assert zh.ci_low == pytest.approx(0.25 * (2 * 0.025 ** (1 / 10) - 1))  # lower CP bound: (alpha/2)^(1/10)
    assert 0 < zh.ci_low < zh.value == zh.ci_high and significant(zh)
    en = recs[("en", "accuracy")]
    assert (en.value, en.ci_low, en.ci_high, en.p_value) == (0.0, 0.0, 0.0, 1.0)
    # RA(zh): A 0.5/0.5 = 1, B 0.75/0.5 = 1.5. en-CO(zh): A 20/20 = 1, B 20/30.
    assert recs[("zh", "ra")].value == pytest.approx(0.5) and recs[("zh", "ra")].ci_low > 0
    assert recs[("zh", "en_co")].value == pytest.approx(2 / 3 - 1) and recs[("zh", "en_co")].ci_high < 0
    assert row_test("ra") == "bootstrap" and row_test("accuracy") == "mcnemar_exact"
    assert recs[("zh", "ra")].p_value < 0.01
    assert ("en", "ra") not in recs and ("en", "en_co") not in recs  # 1 by definition


def test_mcnemar_exact_against_hand_computation():
    recs, _ = _records()
    # zh: 10 discordant, all for B: p = 2 * 0.5**10
    assert recs[("zh", "accuracy")].p_value == pytest.approx(2 * 0.5**10)
    # fr: 8 for B, 3 for A, n = 11: p = 2 * P(X <= 3) = 2 * (C(11,0)+C(11,1)+C(11,2)+C(11,3)) / 2**11
    hand = 2 * (1 + 11 + 55 + 165) / 2048
    assert recs[("fr", "accuracy")].p_value == pytest.approx(hand)
    assert hand == pytest.approx(0.2265625)
    assert recs[("fr", "accuracy")].value == pytest.approx(5 / 40)
    assert recs[("fr", "accuracy")].note == "discordant items: 8 only B correct, 3 only A correct"
    a, b = np.zeros(5, bool), np.zeros(5, bool)
    assert mcnemar_exact(a, b) == (0, 0, 1.0)


def test_bootstrap_is_seeded_and_paired():
    def run(seed):
        stats, _ = build_task_stats(predictions(CORRECT), n_boot=400, seed=seed)
        recs, deltas = compare_models(stats, [("A", "B", None)])
        return {(r.lang, r.metric): r for r, _, _ in comparison_rows(recs)}, deltas[0]

    (first, boot), (again, _), (other, _) = run(7), run(7), run(8)
    key = ("fr", "en_co")  # a bootstrap row: its interval comes from the seeded resamples
    assert (first[key].ci_low, first[key].ci_high) == (again[key].ci_low, again[key].ci_high)
    assert (first[key].ci_low, first[key].ci_high) != (other[key].ci_low, other[key].ci_high)
    # an accuracy row's interval inverts McNemar's test: exact, the same whatever the seed
    acc = ("fr", "accuracy")
    assert (first[acc].ci_low, first[acc].ci_high) == (other[acc].ci_low, other[acc].ci_high)
    # The resamples the pools use are paired: the delta is the share of the 10 discordant items,
    # sd = sqrt(.25 * .75 / 40) = 0.068, a 95% CI about 0.27 wide. Unpaired (0.5 vs 0.75 resampled
    # independently) it would be sd = sqrt((.25 + .1875) / 40) = 0.105, about 0.41 wide.
    low, high = percentile_ci(boot.boot["accuracy"][boot.langs.index("zh")])
    assert 0.2 < high - low < 0.35


def test_a_model_missing_items_is_compared_on_the_common_items_and_says_so():
    # B has no item q5 at all: the comparison pairs the 39 items both have, and notes it.
    preds = [p for p in predictions(CORRECT) if not (p.model == "B" and p.item_id == "q5")]
    stats, _ = build_task_stats(preds, n_boot=200)
    recs, _ = compare_models(stats, [("A", "B", None)])
    zh, a, b = _rows(recs)[("zh", "accuracy")]
    assert zh.n == 39 and "39 items" in zh.note and "1 item(s) left out" in zh.note
    # A's value in the comparison is on the 39 common items (q5 was right for A): 19/39.
    assert a.value == pytest.approx(19 / 39) and b.value == pytest.approx(29 / 39)


def test_pairs_from_registry_and_bad_pairs(tmp_path):
    user = tmp_path / "r.yaml"
    user.write_text("models:\n  A: {family: t, base: null, strategy: base}\n"
                    "  B: {family: t, base: A, strategy: instruction_tuning_en}\n", encoding="utf-8")
    reg = load_families(user)
    stats, _ = build_task_stats(predictions(CORRECT), n_boot=50)
    assert resolve_pairs(stats, reg, None)[0] == [("A", "B", "instruction_tuning_en")]
    assert resolve_pairs(stats, reg, ["B:A"])[0] == [("B", "A", None)]
    with pytest.raises(ConfigError, match="no predictions"):
        resolve_pairs(stats, reg, ["A:C"])
    with pytest.raises(ConfigError, match="MODEL_A:MODEL_B"):
        resolve_pairs(stats, reg, ["AB"])


def test_point_values_agree_with_compute_metrics():
    from clika.metrics import compute

    rng = np.random.default_rng(3)
    correct = {(m, lang): set(np.flatnonzero(rng.random(40) < q).tolist())
               for m, q in (("A", 0.4), ("B", 0.7)) for lang in ("en", "zh", "fr")}
    preds = predictions(correct)
    stats = build_task_stats(preds, n_boot=20)[0]["x_geo"]
    theirs = {(r.model, r.lang, r.metric): r.value for r in compute.compute_metrics(preds, n_boot=0)}
    for mi, model in enumerate(stats.models):
        for li, lang in enumerate(stats.langs):
            assert stats.values["accuracy"][mi, li] == pytest.approx(theirs[(model, lang, "accuracy")])
            if lang != "en":
                for metric in ("ra", "en_co"):
                    mine, ref = stats.values[metric][mi, li], theirs[(model, lang, metric)]
                    assert (ref is None and math.isnan(mine)) or mine == pytest.approx(ref)


def test_a_comparison_carries_the_flags_that_qualify_either_side(shared_data):
    """polylm_multialpaca_13b answers one option on x_name in every language: its RA and en-CO carry
    "dominant" in `clika score`, and so do its values in a comparison and every difference they enter."""
    from clika.api import read_predictions_checked
    from clika.metrics.compute import compute_metrics

    models = ["llama2_13b", "polylm_multialpaca_13b"]
    preds = read_predictions_checked(shared_data, "clika-repo", models=models, tasks=["x_name"]).predictions
    scored = {(r.model, r.metric, r.lang): r.flags for r in compute_metrics(preds, n_boot=0)
              if r.aggregate is None and r.stratum is None}
    stats, _ = build_task_stats(preds, n_boot=0)
    rows = comparison_rows(compare_models(stats, [(models[0], models[1], None)])[0])
    flagged = [(d, b) for d, _, b in rows if d.metric in ("ra", "en_co")]
    assert len(flagged) == 2 * 9
    for delta, polylm in flagged:
        assert "dominant" in scored[(polylm.model, polylm.metric, polylm.lang)]
        assert "dominant" in polylm.flags and "dominant" in delta.flags
    for _, a, b in rows:  # each side carries what `clika score` says of it, and no more
        for side in (a, b):
            assert ("dominant" in side.flags) == ("dominant" in scored[(side.model, side.metric, side.lang)])
