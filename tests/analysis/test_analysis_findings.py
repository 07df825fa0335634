"""Findings and strategy summaries on two hand-made worlds: one where each claim holds, one where none does."""

from __future__ import annotations

from pathlib import Path

import pytest
from analysis_synth import block, predictions

from clika.analysis.findings import findings_markdown
from clika.analysis.pipeline import analyse, write_outputs
from clika.analysis.registry import load_registry

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
    return load_registry(path)


def _summary(result, strategy, metric, scope):
    return next(s for s in result.summaries
                if (s.strategy, s.metric, s.scope, s.task) == (strategy, metric, scope, "all"))


def test_claims_supported_where_true(registry, tmp_path):
    result = analyse(_world(TRUE_WORLD), registry, n_boot=400)
    assert {(a, b) for a, b, _ in result.pairs} == {("base1", "cp1"), ("base2", "cp2"), ("base1", "it1")}
    target = _summary(result, "continued_pretraining", "accuracy", "target")
    assert target.mean_delta == pytest.approx((10 / 40 + 20 / 40) / 2) and target.ci_low > 0 and target.n_pairs == 2
    others = _summary(result, "continued_pretraining", "accuracy", "others")
    assert others.mean_delta == pytest.approx(-8 / 40) and others.ci_high < 0
    gap = _summary(result, "continued_pretraining", "accuracy", "target_minus_others")
    assert gap.mean_delta == pytest.approx(((0.25 + 0.2) + (0.5 + 0.2)) / 2)
    it_ra = _summary(result, "instruction_tuning_en", "ra", "non_pivot")
    assert it_ra.mean_delta == pytest.approx(0.9 - 0.5)  # RA 10/20 -> 18/20 in zh and fr
    verdicts = {f.key: f.verdict for f in result.findings}
    assert verdicts == {"continued_pretraining": "supported", "mixed_pretraining": "supported",
                        "instruction_tuning": "supported", "far_from_parity": "supported"}
    parity = next(f for f in result.findings if f.key == "far_from_parity")
    # mean non-en RA over the 6 models and 2 languages, by hand: (0.5*4 + 1.0 + 0.1 + 1.5 + 0.1 + 0.9*2 + 0.8*2) / 12
    assert parity.evidence[0].value.mean == pytest.approx(8.1 / 12)
    paths = write_outputs(result, tmp_path / "out")
    assert all(p.stat().st_size > 0 for p in paths.values())
    assert "**Verdict: supported.**" in paths["findings.md"].read_text(encoding="utf-8")
    assert len(paths["comparisons.jsonl"].read_text(encoding="utf-8").splitlines()) == len(result.comparisons) == 3 * 7


def test_claims_not_supported_where_false(registry):
    result = analyse(_world(FALSE_WORLD), registry, n_boot=400)
    verdicts = {f.key: f.verdict for f in result.findings}
    assert verdicts == {"continued_pretraining": "not supported", "mixed_pretraining": "not supported",
                        "instruction_tuning": "not supported", "far_from_parity": "not supported"}
    target = _summary(result, "continued_pretraining", "accuracy", "target")
    assert target.mean_delta == pytest.approx(-8 / 40) and target.ci_high < 0
    text = findings_markdown(result.findings)
    assert text.count("**Verdict: not supported.**") == 4


def test_claims_without_pairs_are_not_testable(tmp_path):
    path = tmp_path / "r.yaml"
    path.write_text("models:\n  base1: {family: t, base: null, strategy: base}\n", encoding="utf-8")
    result = analyse(_world({"base1": (EN, EN)}), load_registry(path), n_boot=50)
    verdicts = {f.key: f.verdict for f in result.findings}
    assert verdicts["continued_pretraining"] == "not testable"
    assert verdicts["instruction_tuning"] == "not testable"
    assert verdicts["mixed_pretraining"] == "not testable"
