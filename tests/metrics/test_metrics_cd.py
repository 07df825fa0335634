"""CD metrics from hand-built correctness vectors: gate, xrr, the controls (lenient and strict), cd_transfer,
strata, exact and bootstrap intervals, binomial tests against chance, pooling, older outcomes and the verdict
rule with its margin."""

from __future__ import annotations

import zlib

import numpy as np
import pytest
from scipy.stats import binom, binomtest

from clika.metrics import cd
from clika.metrics.cd import (
    FactOutcomes,
    cd_verdict,
    clopper_pearson,
    conductivity_records,
    detectable_accuracy,
    gate_failure,
    pool,
)  # fmt: skip

T, F = True, False


def _outcome(l_type0, l_type1, en_type1=(T, T, T, T), translation=(T,) * 5, strata=None, n_continents=4, **kw):
    return FactOutcomes("zh", np.array([T, T, T, T]), np.array(en_type1), np.array(l_type0), np.array(l_type1),
                        np.array(translation), strata_type1=None if strata is None else np.array(strata),
                        n_continents=n_continents, **kw)


def _by_metric(records, stratum=None):
    return {r.metric: r for r in records if r.stratum == stratum}


def test_gate_passes_and_every_cd_metric_is_computed_with_chance_and_n():
    records = conductivity_records(_outcome((T,) * 4, (T, F, T, F)), "m", gate=0.9, n_boot=500, seed=1)
    recs = _by_metric(records)
    assert [recs[m].value for m in ("gate_en_type0", "gate_l_type0", "gate_translation")] == [1.0, 1.0, 1.0]
    assert recs["acc_l_type1"].value == 0.5 and recs["acc_l_type1"].n == 4 and recs["acc_l_type1"].chance == 0.25
    assert recs["xrr"].value == 0.5 and recs["xrr_ctrl"].value == 0.5
    assert recs["cd_transfer"].value == 0.5 and recs["cd_transfer"].n == 4  # 2 of the 4 right in English
    assert recs["xrr"].note is None and 0.0 <= recs["xrr"].ci_low <= 0.5 <= recs["xrr"].ci_high <= 1.0
    again = _by_metric(conductivity_records(_outcome((T,) * 4, (T, F, T, F)), "m", n_boot=500, seed=1))
    assert (again["xrr"].ci_low, again["xrr"].ci_high) == (recs["xrr"].ci_low, recs["xrr"].ci_high)  # seeded
    assert gate_failure(records) is None
    assert all(r.model == "m" and r.task == "fictional" and r.lang == "zh" for r in records)


def test_xrr_and_transfer_intervals_match_an_explicit_paired_resampling_loop():
    en1 = np.array([T, T, F, T, T, F, T, T])
    l1 = np.array([T, F, F, T, F, F, T, F])
    o = FactOutcomes("de", np.ones(8, bool), en1, np.ones(8, bool), l1, np.ones(3, bool), n_continents=5)
    assert (o.l_type1_any == l1).all() and not o.ctrl_type1.any()  # the controls default to "not asked"
    recs = _by_metric(conductivity_records(o, "m", gate=0.7, n_boot=300, seed=3))  # en type 1 is 6/8
    rng = np.random.default_rng([3, zlib.crc32(b"fictional/de/type1")])
    idx = rng.integers(0, 8, size=(300, 8))
    xrr, transfer = [], []
    for row in idx:  # the same facts drawn for English and German: paired
        e, g = en1[row], l1[row]
        xrr.append(g.mean() / e.mean() if e.mean() > 0 else np.nan)
        transfer.append((e & g).sum() / e.sum() if e.sum() > 0 else np.nan)
    for metric, samples in (("xrr", xrr), ("cd_transfer", transfer)):
        lo, hi = np.nanpercentile(samples, [2.5, 97.5])
        assert (recs[metric].ci_low, recs[metric].ci_high) == pytest.approx((lo, hi)), metric
    assert recs["cd_transfer"].value == pytest.approx(3 / 6)


def test_strata_report_the_same_metrics_on_their_facts():
    strata = ["identical", "identical", "none", "none"]
    records = conductivity_records(_outcome((T,) * 4, (T, T, F, T), strata=strata), "m", n_boot=100)
    same = _by_metric(records, "overlap=identical")
    none = _by_metric(records, "overlap=none")
    assert same["acc_l_type1"].value == 1.0 and same["acc_l_type1"].n == 2
    assert none["acc_l_type1"].value == 0.5 and none["xrr"].value == 0.5 and none["cd_transfer"].value == 0.5
    assert not _by_metric(records, "overlap=cognate")  # no fact in that stratum: no records


def test_a_stratum_is_resampled_inside_the_overall_resample():
    rng = np.random.default_rng(0)
    en1, l1 = rng.random(24) < 0.9, rng.random(24) < 0.4
    everything = conductivity_records(_outcome((T,) * 4, l1, en1, strata=["none"] * 24), "m", n_boot=400)
    overall, stratum = _by_metric(everything), _by_metric(everything, "overlap=none")
    for metric in ("acc_l_type1", "xrr", "cd_transfer"):  # the same facts: the same interval, not another draw
        assert (stratum[metric].ci_low, stratum[metric].ci_high) == (overall[metric].ci_low, overall[metric].ci_high)
    # A stratum of some facts: its explicit loop draws all 24 and keeps the stratum's share of each draw.
    strata = np.array(["identical"] * 8 + ["none"] * 16)
    recs = _by_metric(conductivity_records(_outcome((T,) * 4, l1, en1, strata=list(strata)), "m", n_boot=400), "overlap=none")
    idx = np.random.default_rng([0, zlib.crc32(b"fictional/zh/type1")]).integers(0, 24, size=(400, 24))
    xrr = []
    for row in idx:
        keep = strata[row] == "none"
        e, g = en1[row][keep], l1[row][keep]
        xrr.append(g.mean() / e.mean() if keep.any() and e.any() else np.nan)
    expected = tuple(np.nanpercentile(xrr, [2.5, 97.5]))
    assert (recs["xrr"].ci_low, recs["xrr"].ci_high) == pytest.approx(expected)
    # the stratum's accuracy is a share of its own facts: the exact interval of its hits of n
    acc = recs["acc_l_type1"]
    assert (acc.ci_low, acc.ci_high) == pytest.approx(clopper_pearson(l1[strata == "none"].sum(), 16))


def test_gate_failure_names_the_failed_parts_and_withholds_every_cd_metric():
    records = conductivity_records(_outcome((T, T, T, F), (T, F, F, F), translation=(T, T, F, F, T)), "m")
    recs = _by_metric(records)
    for metric in ("xrr", "xrr_ctrl", "cd_transfer"):
        assert recs[metric].value is None and recs[metric].ci_low is None
        note = recs[metric].note
        assert "gate failed" in note and "zh type 0 0.75 < 0.90" in note and "name translation" in note
        assert "0.60 < 0.90" in note and "en type" not in note  # the English parts passed
    assert recs["gate_l_type0"].value == 0.75 and "fails" in recs["gate_l_type0"].note
    assert recs["gate_en_type0"].value == 1.0 and "passes" in recs["gate_en_type0"].note
    assert recs["acc_l_type1"].value == 0.25 and "diagnosis" in recs["acc_l_type1"].note
    assert recs["xrr"].to_dict()["value"] is None  # written as JSON null
    assert gate_failure(records).startswith("not measured: the mastery gate failed")
    verdict = cd_verdict(records)  # the reason does not repeat the label it is printed after
    assert verdict.label == "not measured" and verdict.reason.startswith("the mastery gate failed")


def test_undefined_ratios_say_why():
    recs = _by_metric(conductivity_records(_outcome((F,) * 4, (F,) * 4, en_type1=(F,) * 4), "m", gate=0.0))
    assert recs["xrr"].value is None and "acc_en(type 1) is 0" in recs["xrr"].note
    assert recs["xrr_ctrl"].value is None and "acc_zh(type 0) is 0" in recs["xrr_ctrl"].note
    assert recs["cd_transfer"].value is None and "no type-1 fact" in recs["cd_transfer"].note


def test_controls_and_their_gap_are_paired_with_xrr():
    en1 = np.array([T] * 8)
    l1 = np.array([T, F, F, F, F, F, F, F])  # 1/8 in the target language
    lany = np.array([T, T, F, F, F, F, F, F])  # one more answered with the English continent
    ctrl = np.array([T, T, T, T, T, T, F, F])  # 6/8 with the English subject
    strict = np.array([T, T, T, T, F, F, F, F])  # 4/8 of the controls answered with the target-language name
    o = _outcome((T,) * 4, l1, en_type1=en1, l_type1_any=lany, ctrl_type1=ctrl, ctrl_type1_strict=strict,
                 n_continents=8)
    recs = _by_metric(conductivity_records(o, "m", n_boot=400, seed=2))
    assert recs["xrr"].value == 1 / 8 and recs["xrr_en_answer"].value == 2 / 8 and recs["xrr_en_subject"].value == 6 / 8
    assert recs["acc_en_subject"].value == 6 / 8 and recs["acc_en_subject_strict"].value == 4 / 8
    assert recs["xrr_en_subject_strict"].value == 4 / 8
    # like for like: lenient minus lenient, strict minus strict
    assert recs["control_gap"].value == pytest.approx(6 / 8 - 2 / 8)
    assert recs["control_gap_strict"].value == pytest.approx(4 / 8 - 1 / 8)
    assert recs["acc_en_subject_strict"].p_value == pytest.approx(binomtest(4, 8, 1 / 8, alternative="greater").pvalue)
    # one-sided exact binomial tests against chance 1/8, as scipy computes them
    assert recs["acc_l_type1"].p_value == pytest.approx(binomtest(1, 8, 1 / 8, alternative="greater").pvalue)
    assert recs["acc_en_subject"].p_value == pytest.approx(binomtest(6, 8, 1 / 8, alternative="greater").pvalue)
    assert recs["xrr_en_subject"].chance == recs["acc_l_type1"].chance == 1 / 8
    # the gap is paired: every resample's gap is control - xrr on the same facts, so its interval lies above 0
    assert recs["control_gap"].ci_low > 0 and recs["control_gap_strict"].ci_low > 0


def test_multi_answers_copies_and_the_untaught_direction_are_reported():
    o = _outcome((T,) * 4, (T, F, F, F), translation=(T, T, T, F), names_copy=np.array([F, F, F, T]),
                 names_untaught=np.array([F, F, T, F]), multi_type1=np.array([F, T, F, F]))
    recs = _by_metric(conductivity_records(o, "m", gate=0.5, n_boot=100))
    assert recs["name_copy_rate"].value == 0.25 and recs["name_untaught"].value == 0.25
    assert recs["multi_answer"].value == 0.25 and recs["gate_translation"].value == 0.75
    # --translation-test reverse: the untaught direction is part of the gate
    strict = _by_metric(conductivity_records(o, "m", gate=0.5, gate_untaught=True, n_boot=100))
    assert strict["gate_translation"].value == 4 / 8 and strict["xrr"].value == 0.25


def test_name_directions_get_their_own_gate_records():
    o = _outcome((T,) * 4, (T, F, F, F), translation=(T, T, F, T), names_direction=np.array(
        ["to-en", "to-en", "from-en", "from-en"], dtype=object))
    recs = conductivity_records(o, "m", n_boot=50)
    by_dir = {r.stratum: r.value for r in recs if r.metric == "gate_translation"}
    assert by_dir == {None: 0.75, "direction=to-en": 1.0, "direction=from-en": 0.5}


def test_pooling_seeds_concatenates_facts():
    a = _outcome((T,) * 4, (T, F, F, F), fact_ids=("f1", "f2", "f3", "f4"))
    b = _outcome((T,) * 4, (T, T, T, F), fact_ids=("f1", "f2", "f3", "f4"))
    pooled = pool([a, b])
    assert len(pooled.l_type1) == 8 and pooled.l_type1.sum() == 4 and pooled.fact_ids == a.fact_ids * 2
    assert _by_metric(conductivity_records(pooled, "m", n_boot=0))["xrr"].value == 0.5
    with pytest.raises(ValueError):
        pool([a, _outcome((T,) * 4, (T, F, F, F), n_continents=5)])


def test_pooled_seeds_are_resampled_on_two_levels_and_say_so():
    from clika.metrics.seeds import two_level_counts

    # seed a: every target answer wrong, seed b: every one right; within a seed no variation
    a = _outcome((T,) * 4, (F, F, F, F), fact_ids=("f1", "f2", "f3", "f4"))
    b = _outcome((T,) * 4, (T, T, T, T), fact_ids=("f1", "f2", "f3", "f4"))
    pooled = pool([a, b])
    assert pooled.seeds_type1.tolist() == [0, 0, 0, 0, 1, 1, 1, 1] and pooled.seeds_names.tolist() == [0] * 5 + [1] * 5
    assert pool([pooled, a]).seeds_type1.tolist() == [0] * 4 + [1] * 4 + [2] * 4  # pools of pools stay apart
    acc = _by_metric(conductivity_records(pooled, "m", n_boot=400))["acc_l_type1"]
    # resampling facts alone would keep the value near 0.5; resampling seeds gives 0 and 1 a quarter
    # of the time each, so the interval is the whole [0, 1]
    assert (acc.value, acc.n) == (0.5, 8) and (acc.ci_low, acc.ci_high) == (0.0, 1.0)
    assert "two-level bootstrap over 2 seeds" in acc.note and "exact" not in acc.note
    counts = two_level_counts(pooled.l_type1[:, None], pooled.seeds_type1, 400, 0, "x")
    assert set(np.unique(counts)) <= {0.0, 4.0, 8.0}  # whole seeds drawn, facts within them
    assert acc.p_value > 0.05  # a bootstrap p-value: half the resamples draw seed a only or are at 0.5
    single = _by_metric(conductivity_records(a, "m", n_boot=400))["acc_l_type1"]
    assert "exact" in single.note  # one seed keeps the exact binomial interval


def test_a_pooled_accuracy_tests_chance_on_its_two_level_resamples():
    """Over seeds, p against chance is the share of two-level resamples at or below chance: small for accuracies
    well above chance in every seed, large for accuracies below it; and the verdict reads it (a pooled positive
    control above chance is not 'at chance')."""
    ids = ("f1", "f2", "f3", "f4", "f5", "f6", "f7", "f8")
    above = [_outcome((T,) * 8, (T,) * 7 + (F,), en_type1=(T,) * 8, fact_ids=ids, ctrl_type1_strict=np.ones(8, bool))
             for _ in range(3)]
    below = [_outcome((T,) * 8, (F,) * 8, en_type1=(T,) * 8, fact_ids=ids, ctrl_type1_strict=np.ones(8, bool))
             for _ in range(3)]
    for runs in (above, below):
        for run in runs:
            run.en_type0 = np.ones(8, bool)
    hi = _by_metric(conductivity_records(pool(above), "m", n_boot=400))
    lo = _by_metric(conductivity_records(pool(below), "m", n_boot=400))
    assert hi["acc_l_type1"].p_value < 0.01 and hi["acc_en_subject_strict"].p_value < 0.01
    assert lo["acc_l_type1"].p_value == 1.0 and lo["acc_en_subject_strict"].p_value < 0.01
    assert cd_verdict(list(lo.values())).label == cd.NO_TRANSFER  # not "control at chance"


def test_clopper_pearson_is_scipys_exact_interval_and_gives_the_issues_bounds():
    for k, n in ((0, 10), (5, 60), (4, 60), (7, 60), (60, 60), (13, 17)):
        ci = binomtest(k, n).proportion_ci(method="exact")
        assert clopper_pearson(k, n) == pytest.approx((ci.low, ci.high), abs=1e-12)
    assert [round(clopper_pearson(k, 60)[1], 3) for k in (5, 4, 7)] == [0.184, 0.162, 0.226]
    assert clopper_pearson(0, 0) is None
    # printed bounds round up, with as many decimals as it takes to compare with chance + margin as the numbers do
    assert (cd._ceil(0.16101, 3), cd._digits(0.1831, 0.18333), cd._ceil(0.1831, 4)) == ("0.162", 4, "0.1831")


def test_every_share_carries_its_exact_interval_and_every_ratio_its_bootstrap():
    rng = np.random.default_rng(4)
    n = 30
    o = FactOutcomes("de", rng.random(n) < 0.95, rng.random(n) < 0.9, rng.random(n) < 0.95, rng.random(n) < 0.3,
                     rng.random(12) < 0.9, ctrl_type1=rng.random(n) < 0.7, ctrl_type1_strict=rng.random(n) < 0.5,
                     multi_type1=rng.random(n) < 0.1, negated_type1=rng.random(n) < 0.1, n_continents=12)
    recs = _by_metric(conductivity_records(o, "m", gate=0.5, n_boot=300))
    shares = ("acc_l_type1", "acc_en_subject", "acc_en_subject_strict", *cd.GATE_PARTS, "multi_answer",
              "negated_answer", "name_copy_rate")
    for metric in shares:
        r = recs[metric]
        ci = binomtest(round(r.value * r.n), r.n).proportion_ci(method="exact")
        assert (r.ci_low, r.ci_high) == pytest.approx((ci.low, ci.high)), metric
        assert "exact" in r.note, metric
    assert recs["negated_answer"].value == pytest.approx(o.negated_type1.mean())
    for metric in ("xrr", "xrr_en_subject_strict", "control_gap", "control_gap_strict", "cd_transfer"):
        assert recs[metric].note is None or "exact" not in recs[metric].note  # the paired bootstrap


def test_outcomes_without_the_strict_control_still_load_and_say_what_is_not_computed():
    o = _outcome((T,) * 4, (T, F, F, F), ctrl_type1=np.array([T, T, T, F]), fact_ids=("f1", "f2", "f3", "f4"))
    data = o.to_dict()
    for key in ("ctrl_type1_strict", "negated_type1"):  # as an outcomes.json written before them
        data.pop(key)
    old = FactOutcomes.from_dict(data)
    assert old.ctrl_type1_strict is None and old.negated_type1 is None
    recs = _by_metric(conductivity_records(old, "m", n_boot=50))
    for metric in ("acc_en_subject_strict", "xrr_en_subject_strict", "control_gap_strict", "negated_answer"):
        assert recs[metric].value is None and "not computed" in recs[metric].note, metric
    assert recs["acc_en_subject"].value == 0.75 and recs["control_gap"].value is not None
    new = _outcome((T,) * 4, (T, F, F, F), ctrl_type1_strict=np.array([T, F, F, F]), fact_ids=o.fact_ids)
    assert pool([new, old]).ctrl_type1_strict is None  # a pooled field one run lacks is lacking
    assert FactOutcomes.from_dict(new.to_dict()).ctrl_type1_strict.tolist() == [T, F, F, F]


def test_detectable_accuracy_is_the_exact_power_point():
    n, chance = 60, 1 / 12
    found = detectable_accuracy(n, chance)
    critical = cd.critical_count(n, chance)
    assert binom.sf(critical - 1, n, chance) <= 0.05 < binom.sf(critical - 2, n, chance)
    assert found == pytest.approx(0.20245, abs=1e-5)  # the issue's 0.2025
    assert binom.sf(critical - 1, n, found) == pytest.approx(0.8)
    power_at_020 = binom.sf(critical - 1, n, 0.20)
    assert power_at_020 == pytest.approx(0.787, abs=5e-4) and power_at_020 < 0.8  # 0.20 is not detectable
    assert detectable_accuracy(24, 1 / 8) > detectable_accuracy(120, 1 / 8) > 1 / 8
    assert detectable_accuracy(3, 0.5) is None  # 3 of 3 does not reject chance 1/2 at 0.05


def _verdict(l1, ctrl, n_continents=12, gate_ok=True, strict=True, margin=cd.MARGIN):
    n = len(l1)
    extra = {"ctrl_type1_strict": np.array(ctrl)} if strict else {}
    o = _outcome((T,) * 4 if gate_ok else (F,) * 4, np.array(l1), en_type1=np.ones(n, bool),
                 ctrl_type1=np.array(ctrl), n_continents=n_continents, **extra)
    return cd_verdict(conductivity_records(o, "m", n_boot=400, seed=0), margin=margin)


def _hits(k, n=60):
    return [T] * k + [F] * (n - k)


def test_no_transfer_needs_the_exact_bound_below_chance_plus_margin():
    strong = _hits(54)
    four, five, seven = (_verdict(_hits(k), strong) for k in (4, 5, 7))
    assert four.label == "no transfer detected"  # 4/60: bound 0.162 < 1/12 + 0.10 = 0.183
    assert five.label == seven.label == "inconclusive (chance or weak)"  # 0.184 and 0.226 reach it
    assert four.upper == pytest.approx(clopper_pearson(4, 60)[1]) and four.detectable == pytest.approx(0.20245, abs=1e-5)
    # every verdict states the bound (rounded up), the margin and the detectable accuracy (rounded up)
    assert "acc_l_type1 ≤ 0.162 at 95%" in four.reason and "margin 0.10" in four.reason and "0.203 or more" in four.reason
    assert "≤ 0.184 at 95%" in five.reason and "chance + margin = 0.183 " in five.reason
    assert "≤ 0.226 at 95%" in seven.reason
    assert _verdict(_hits(5), strong, margin=0.11).label == "no transfer detected"  # the margin is an option
    assert "margin 0.11" in _verdict(_hits(5), strong, margin=0.11).reason


def test_verdicts_follow_the_strict_control_and_the_test_against_chance():
    strong = _hits(54)
    assert _verdict(_hits(20), strong).label == "weak"  # 0.33: above chance, far below the control
    assert _verdict(strong, strong).label == "high"
    weak_or_high = _verdict([T, T, T, F, F], [T, T, T, T, F])  # 5 facts: the gap cannot be told
    assert weak_or_high.label == "inconclusive (weak or high)"
    at_chance = _verdict(_hits(4), _hits(4))  # the control itself is at chance
    assert at_chance.label == "inconclusive (control at chance)" and "acc_en_subject_strict" in at_chance.reason
    assert "acc_l_type1 ≤" in at_chance.reason
    assert _verdict(_hits(4), strong, gate_ok=False).label == "not measured"
    assert set(cd.VERDICTS) >= {_verdict(_hits(k), strong).label for k in (4, 7, 20, 54)}


def test_the_verdict_uses_the_strict_pair_and_the_lenient_one_only_for_older_records():
    # lenient control strong, strict control at chance (the control answered in English): like for like
    # with acc_l_type1 (strict), the run cannot show retrieval in the target language
    o = _outcome((T,) * 4, np.array(_hits(4)), en_type1=np.ones(60, bool), ctrl_type1=np.array(_hits(54)),
                 ctrl_type1_strict=np.array(_hits(4)), n_continents=12)
    assert cd_verdict(conductivity_records(o, "m", n_boot=200)).label == "inconclusive (control at chance)"
    older = _verdict(_hits(4), _hits(54), strict=False)
    assert older.label == "no transfer detected" and "lenient pair" in older.reason


def test_a_run_with_nothing_scored_is_not_measured_and_says_why():
    """Refused data (upstream ZH contradicting its tests) leaves xrr without a value: its note is the verdict's reason."""
    from clika.metrics.records import Record

    refused = [Record(model="m", task="fictional", metric=m, lang="zh", lang_ref="en", value=None,
                      note="ZH.json: inconsistent with the tests") for m in ("xrr", "acc_l_type1", "gate_en_type0")]
    verdict = cd_verdict(refused)
    assert (verdict.label, verdict.reason) == ("not measured", "ZH.json: inconsistent with the tests")
