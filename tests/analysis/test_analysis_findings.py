"""Findings and strategy summaries on two hand-made worlds: one where each claim holds, one where none does."""

from __future__ import annotations

from pathlib import Path

import pytest
from analysis_synth import block, predictions

from clika.analysis.families import load_families
from clika.analysis.pipeline import analyse
from clika.report.findings_md import findings_markdown, write_compare_folder

REGISTRY = """models:
  base1: {family: t, base: null, strategy: base, pretraining: english_dominant}
  base2: {family: t, base: null, strategy: base, pretraining: english_dominant}
  cp1: {family: t, base: base1, strategy: continued_pretraining, target_lang: zh}
  cp2: {family: t, base: base2, strategy: continued_pretraining, target_lang: zh}
  it1: {family: t, base: base1, strategy: instruction_tuning_en}
  mix: {family: m, base: null, strategy: mixed_multilingual_pretraining, pretraining: mixed_multilingual}
"""
EN = block(0, 20)


def _world(rows: dict[str, tuple[set[int], set[int]]]):
    """rows[model] = (correct in zh, correct in fr); every model gets items 0-19 right in en."""
    correct = {}
    for model, (zh, fr) in rows.items():
        correct[(model, "en")], correct[(model, "zh")], correct[(model, "fr")] = EN, zh, fr
    return predictions(correct)


# Claims hold: cp gains in zh (10 and 20 items) and loses 8 in fr; it1 raises RA and en-CO to 0.9;
# the mixed model (RA 0.8) beats the English bases (0.5) and the cp models' fr (0.1).
TRUE_WORLD = {
    "base1": (block(0, 10), block(0, 10)), "base2": (block(0, 10), block(0, 10)),
    "cp1": (block(0, 20), block(0, 2)), "cp2": (block(0, 30), block(0, 2)),
    "it1": (block(0, 18), block(0, 18)), "mix": (block(0, 16), block(0, 16)),
}
# Claims fail: cp loses 8 items in zh; it1 changes nothing; mix equals the bases; most RA = 1.
FALSE_WORLD = {
    "base1": (EN, EN), "base2": (EN, EN), "cp1": (block(0, 12), EN), "cp2": (block(0, 12), EN),
    "it1": (EN, EN), "mix": (EN, EN),
}


@pytest.fixture()
def registry(tmp_path: Path):
    path = tmp_path / "families.yaml"
    path.write_text(REGISTRY, encoding="utf-8")
    return load_families(path)


def _summary(result, strategy, metric, scope):
    return next(s for s in result.summaries
                if (s.strategy, s.metric, s.stratum, s.task) == (strategy, metric, scope, "all"))


def test_claims_supported_where_true(registry, tmp_path):
    result = analyse(_world(TRUE_WORLD), registry, n_boot=400)
    assert {(a, b) for a, b, _ in result.pairs} == {("base1", "cp1"), ("base2", "cp2"), ("base1", "it1")}
    target = _summary(result, "continued_pretraining", "accuracy", "target")
    assert target.value == pytest.approx((10 / 40 + 20 / 40) / 2) and target.ci_low > 0 and target.note.startswith("2 pairs:")
    others = _summary(result, "continued_pretraining", "accuracy", "others")
    assert others.value == pytest.approx(-8 / 40) and others.ci_high < 0
    gap = _summary(result, "continued_pretraining", "accuracy", "target_minus_others")
    assert gap.value == pytest.approx(((0.25 + 0.2) + (0.5 + 0.2)) / 2)
    it_ra = _summary(result, "instruction_tuning_en", "ra", "non_pivot")
    assert it_ra.value == pytest.approx(0.9 - 0.5)  # RA 10/20 -> 18/20 in zh and fr
    verdicts = {f.key: f.verdict for f in result.findings}
    assert verdicts == {"continued_pretraining": "supported", "mixed_pretraining": "supported",
                        "instruction_tuning": "supported", "far_from_parity": "supported",
                        "home_transfer": "not testable"}  # these items carry no culture (original_lang)
    parity = next(f for f in result.findings if f.key == "far_from_parity")
    # mean non-en RA over the 6 models and 2 languages, by hand: (0.5*4 + 1.0 + 0.1 + 1.5 + 0.1 + 0.9*2 + 0.8*2) / 12
    assert parity.evidence[0].record.value == pytest.approx(8.1 / 12)
    paths = write_compare_folder(result, tmp_path / "out")
    assert all(p.stat().st_size > 0 for p in paths.values())
    assert "**Verdict: supported.**" in paths["findings.md"].read_text(encoding="utf-8")
    assert len(paths["comparisons.jsonl"].read_text(encoding="utf-8").splitlines()) == len(result.comparisons) == 3 * 3 * 7  # a difference and both values, 7 per pair


def test_claims_not_supported_where_false(registry):
    result = analyse(_world(FALSE_WORLD), registry, n_boot=400)
    verdicts = {f.key: f.verdict for f in result.findings}
    assert verdicts == {"continued_pretraining": "not supported", "mixed_pretraining": "not supported",
                        "instruction_tuning": "not supported", "far_from_parity": "not supported",
                        "home_transfer": "not testable"}
    target = _summary(result, "continued_pretraining", "accuracy", "target")
    assert target.value == pytest.approx(-8 / 40) and target.ci_high < 0
    text = findings_markdown(result.findings)
    assert text.count("**Verdict: not supported.**") == 4


def test_claims_without_pairs_are_not_testable(tmp_path):
    path = tmp_path / "r.yaml"
    path.write_text("models:\n  base1: {family: t, base: null, strategy: base}\n", encoding="utf-8")
    result = analyse(_world({"base1": (EN, EN)}), load_families(path), n_boot=50)
    verdicts = {f.key: f.verdict for f in result.findings}
    assert verdicts["continued_pretraining"] == "not testable"
    assert verdicts["instruction_tuning"] == "not testable"
    assert verdicts["mixed_pretraining"] == "not testable"


def test_natural_transfer_pair_by_pair(registry):
    """home_transfer of base1 -> cp1 and base1 -> it1 on items that carry their culture, by hand."""
    from dataclasses import replace

    # items 0-19 come from zh culture, 20-39 from fr; all are right in en and in their own culture
    world = {
        "base1": (block(0, 20) | block(20, 25), block(20, 40) | block(0, 5)),  # 5 of 20 cross in each direction
        "cp1": (block(0, 20) | block(20, 35), block(20, 40) | block(0, 15)),  # 15 of 20
        "it1": (block(0, 20) | block(20, 25), block(20, 40) | block(0, 5)),  # unchanged
    }
    preds = [replace(p, extra={"original_lang": "zh" if int(p.item_id[1:]) < 20 else "fr"})
             for p in _world(world)]
    result = analyse(preds, registry, n_boot=300)
    finding = next(f for f in result.findings if f.key == "home_transfer")
    by_label = {e.label: e.record for e in finding.evidence}
    # base1: zh>en 20/20, zh>fr 5/20, fr>en 20/20, fr>zh 5/20 -> avg 0.625; cp1: (1 + .75 + 1 + .75) / 4 = 0.875
    assert by_label["base1 -> cp1 on x_geo"].value == pytest.approx(0.875 - 0.625)
    assert by_label["base1 -> it1 on x_geo"].value == pytest.approx(0.0)
    assert by_label["continued pretraining: mean change of home_transfer over 1 pair-task(s)"].ci_low > 0
    assert finding.verdict == "partly supported"  # continued pretraining raises it, instruction tuning does not
