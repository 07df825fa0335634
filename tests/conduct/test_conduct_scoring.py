"""Mastery gate, xrr and xrr_ctrl from hand-built correctness vectors."""

from __future__ import annotations

import numpy as np

from clika.conduct.evaluate import Outcome, is_correct, score

T, F = True, False


def _outcome(l_type0, l_type1, en_type1=(T, T, T, T), translation=(T,) * 5):
    return Outcome("zh", np.array([T, T, T, T]), np.array(en_type1), np.array(l_type0), np.array(l_type1),
                   np.array(translation))  # fmt: skip


def _by_metric(records):
    return {r.metric: r for r in records}


def test_correctness_is_nfkc_casefold_containment():
    golds = ["Mythosia", "Mythosia", "Straße", "神话之地", "Mythosia"]
    answers = ["It is on MYTHOSIA.", "Ｍｙｔｈｏｓｉａ", "STRASSE", "星光沙地位于神话之地大洲。", "Mythos"]
    assert is_correct(golds, answers).tolist() == [T, T, T, T, F]


def test_gate_passes_and_xrr_is_computed():
    recs = _by_metric(score(_outcome(l_type0=(T, T, T, T), l_type1=(T, F, T, F)), "m", gate=0.9, n_boot=500, seed=1))
    assert [recs[m].value for m in ("gate_en_type0", "gate_l_type0", "gate_translation")] == [1.0, 1.0, 1.0]
    assert recs["acc_l_type1"].value == 0.5 and recs["acc_l_type1"].n == 4
    assert recs["xrr"].value == 0.5 / 1.0 and recs["xrr_ctrl"].value == 0.5 / 1.0
    assert recs["xrr"].note is None and 0.0 <= recs["xrr"].ci_low <= 0.5 <= recs["xrr"].ci_high <= 1.0
    again = _by_metric(score(_outcome((T, T, T, T), (T, F, T, F)), "m", n_boot=500, seed=1))
    assert (again["xrr"].ci_low, again["xrr"].ci_high) == (recs["xrr"].ci_low, recs["xrr"].ci_high)  # seeded
    assert all(r.model == "m" and r.task == "fictional" and r.lang == "zh" for r in recs.values())


def test_xrr_bootstrap_is_paired_over_facts():
    # l and en type 1 correct on exactly the same facts: every paired resample gives ratio 1
    recs = _by_metric(score(_outcome((T,) * 4, l_type1=(T, F, T, T), en_type1=(T, F, T, T)), "m", gate=0.7))
    assert recs["xrr"].value == 1.0 and (recs["xrr"].ci_low, recs["xrr"].ci_high) == (1.0, 1.0)
    assert recs["xrr_ctrl"].value == 0.75  # 3/4 over 4/4


def test_gate_failure_names_the_failed_parts():
    recs = _by_metric(score(_outcome(l_type0=(T, T, T, F), l_type1=(T, F, F, F), translation=(T, T, F, F, T)), "m"))
    for metric in ("xrr", "xrr_ctrl"):
        assert recs[metric].value is None and recs[metric].ci_low is None
        note = recs[metric].note
        assert "gate failed" in note and "zh type 0 0.75 < 0.90" in note and "name translation 0.60 < 0.90" in note
        assert "English" not in note  # the English parts passed
    assert recs["gate_l_type0"].value == 0.75 and "fails" in recs["gate_l_type0"].note
    assert recs["gate_en_type0"].value == 1.0 and "passes" in recs["gate_en_type0"].note
    assert recs["acc_l_type1"].value == 0.25 and "diagnosis" in recs["acc_l_type1"].note
    assert recs["xrr"].to_dict()["value"] is None  # written as JSON null


def test_undefined_ratio_when_gate_is_zero():
    recs = _by_metric(score(_outcome((F,) * 4, (F,) * 4, en_type1=(F,) * 4), "m", gate=0.0))
    assert recs["xrr"].value is None and "acc_en(type 1) is 0" in recs["xrr"].note
    assert recs["xrr_ctrl"].value is None and "acc_zh(type 0) is 0" in recs["xrr_ctrl"].note
