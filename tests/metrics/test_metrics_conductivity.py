"""CD metrics from hand-built correctness vectors: gate, xrr, xrr_ctrl, cd_transfer, strata, intervals."""

from __future__ import annotations

import zlib

import numpy as np
import pytest

from clika.conduct.evaluate import is_correct
from clika.metrics.conductivity import FactOutcomes, conductivity_records, gate_failure

T, F = True, False


def _outcome(l_type0, l_type1, en_type1=(T, T, T, T), translation=(T,) * 5, strata=None, n_continents=4):
    return FactOutcomes("zh", np.array([T, T, T, T]), np.array(en_type1), np.array(l_type0), np.array(l_type1),
                        np.array(translation), None if strata is None else np.array(strata), None, n_continents)


def _by_metric(records, stratum=None):
    return {r.metric: r for r in records if r.stratum == stratum}


def test_correctness_is_nfkc_casefold_containment():
    golds = ["Mythosia", "Mythosia", "Straße", "神话之地", "Mythosia"]
    answers = ["It is on MYTHOSIA.", "Ｍｙｔｈｏｓｉａ", "STRASSE", "星光沙地位于神话之地大洲。", "Mythos"]
    assert [is_correct(g, a) for g, a in zip(golds, answers)] == [T, T, T, T, F]


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
    assert not _by_metric(records, "overlap=shared_subword")  # no fact in that stratum: no records


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
    acc = [l1[row][strata[row] == "none"].mean() if (strata[row] == "none").any() else np.nan for row in idx]
    expected = tuple(np.nanpercentile(acc, [2.5, 97.5]))
    assert (recs["acc_l_type1"].ci_low, recs["acc_l_type1"].ci_high) == pytest.approx(expected)


def test_gate_failure_names_the_failed_parts_and_withholds_every_cd_metric():
    records = conductivity_records(_outcome((T, T, T, F), (T, F, F, F), translation=(T, T, F, F, T)), "m")
    recs = _by_metric(records)
    for metric in ("xrr", "xrr_ctrl", "cd_transfer"):
        assert recs[metric].value is None and recs[metric].ci_low is None
        note = recs[metric].note
        assert "gate failed" in note and "zh type 0 0.75 < 0.90" in note and "name translation 0.60 < 0.90" in note
        assert "English" not in note  # the English parts passed
    assert recs["gate_l_type0"].value == 0.75 and "fails" in recs["gate_l_type0"].note
    assert recs["gate_en_type0"].value == 1.0 and "passes" in recs["gate_en_type0"].note
    assert recs["acc_l_type1"].value == 0.25 and "diagnosis" in recs["acc_l_type1"].note
    assert recs["xrr"].to_dict()["value"] is None  # written as JSON null
    assert gate_failure(records).startswith("not measured: the mastery gate failed")


def test_undefined_ratios_say_why():
    recs = _by_metric(conductivity_records(_outcome((F,) * 4, (F,) * 4, en_type1=(F,) * 4), "m", gate=0.0))
    assert recs["xrr"].value is None and "acc_en(type 1) is 0" in recs["xrr"].note
    assert recs["xrr_ctrl"].value is None and "acc_zh(type 0) is 0" in recs["xrr_ctrl"].note
    assert recs["cd_transfer"].value is None and "no type-1 fact" in recs["cd_transfer"].note
