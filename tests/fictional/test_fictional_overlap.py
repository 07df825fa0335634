"""Subject-overlap strata: tokenizer-free (identical / cognate / none), the same for every model."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from clika.conduct.fact_tests import fact_strata
from clika.fictional.generator import generate
from clika.fictional.overlap import COGNATE_DICE, STRATA, dice, normalise, subject_overlap, token_overlap, trigrams
from clika.items import LANGS

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "backends"))
from tiny_model import build_tiny_tokenizer  # noqa: E402


def test_normalisation_and_strata_by_construction():
    assert normalise("ＫＡＴＯＮ-Süd") == "katon sud"  # NFKC, casefold, accents stripped, word breaks
    # {kat, ato, ton, sou, out, uth} vs {kat, ato, ton, sud}: the shared word makes a cognate
    assert subject_overlap("Katon South", "katon-süd") == ("cognate", pytest.approx(2 * 3 / (6 + 4)))
    assert subject_overlap("Zürich", "ZURICH") == ("identical", 1.0)
    # Dice over the trigrams of each word: {ast, str, tra, ral, aly, lyn, san, and, nds} vs {..., san, and, nde}
    stratum, d = subject_overlap("Astralyn Sands", "Astralyn-Sande")
    assert stratum == "cognate" and d == pytest.approx(2 * 8 / (9 + 9))
    assert subject_overlap("Silver Harbor", "Silberhafen") == ("none", pytest.approx(2 * 1 / (8 + 9)))  # "sil" only
    assert subject_overlap("Silver Harbor", "ميناء الفضة") == ("none", 0.0)
    # fragments of two characters or fewer carry no trigram: "Lo Ba" / "Lo Bu" share nothing countable
    assert trigrams("Lo Ba") == set() and dice("Lo Ba", "Lo Bu") == 0.0


def test_the_threshold_separates_a_shared_morpheme_from_a_translation():
    # {wol, olf, roc, ock} vs {wol, olf, lfs, fsf, sfe, fel, els}: "Wolf" is kept in German
    assert subject_overlap("Wolf Rock", "Wolfsfels") == ("cognate", pytest.approx(2 * 2 / (4 + 7)))
    assert 2 * 2 / (4 + 7) >= COGNATE_DICE > 2 * 1 / (8 + 9)  # above it, and "Silver Harbor" / "Silberhafen" below
    assert subject_overlap("Fox Bridge", "Fuchsbrücke") == ("none", 0.0)


@pytest.mark.parametrize("names", ["compound", "transliterated"])
def test_fact_strata_need_no_tokenizer_and_ignore_the_answer(names):
    fset = generate(40, ("de", "ru", "zh", "ar"), seed=3, names=names)
    for target in ("de", "ru", "zh", "ar"):
        split = fset.split(target)
        strata = fact_strata(split)
        assert set(strata) == {f.fact_id for f in fset.facts}
        for f in fset.facts:
            en, tgt = fset.name(f.entity_id, "en"), fset.name(f.entity_id, target)
            assert strata[f.fact_id]["stratum"] == subject_overlap(en, tgt)[0] in STRATA
            assert strata[f.fact_id]["token_overlap"] is None  # no tokenizer given
        if target in ("ru", "zh", "ar"):
            assert {s["stratum"] for s in strata.values()} == {"none"}  # no shared letters with English
    if names == "transliterated":
        assert "identical" in {s["stratum"] for s in fact_strata(fset.split("de")).values()}


def test_token_overlap_ignores_tokens_of_two_characters_or_fewer():
    tokenizer = build_tiny_tokenizer()
    assert token_overlap(tokenizer, "Alexandria", "Alexandria-Ost")
    assert not token_overlap(tokenizer, "Qx-Zy", "Wv-Jk")  # only "-" (and short pieces) in common


@pytest.mark.slow
def test_strata_are_the_same_under_the_gemma_and_smollm2_tokenizers(embedded_gemma, embedded_smollm2):
    from transformers import AutoTokenizer

    gemma, smol = AutoTokenizer.from_pretrained(embedded_gemma), AutoTokenizer.from_pretrained(embedded_smollm2)
    fset = generate(120, LANGS, seed=0)
    differ = 0
    for target in LANGS[1:]:
        split = fset.split(target)
        a, b = fact_strata(split, gemma), fact_strata(split, smol)
        assert {f: s["stratum"] for f, s in a.items()} == {f: s["stratum"] for f, s in b.items()}
        differ += sum(a[f]["token_overlap"] != b[f]["token_overlap"] for f in a)
    assert differ > 0  # the model-tokenizer measure (kept as an extra column) does depend on the model
