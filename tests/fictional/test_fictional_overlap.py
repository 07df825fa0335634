"""Surface-overlap strata of a fact between English and a target language, with a real (tiny) tokenizer."""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

import pytest

from clika.fictional.dataset import fold
from clika.fictional.generator import generate
from clika.fictional.overlap import STRATA, content_tokens, fact_overlaps, surface_overlap

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "backends"))
from tiny_model import build_tiny_tokenizer  # noqa: E402

NON_LATIN = ("zh", "ja", "ru", "he", "ar")


@pytest.fixture(scope="module")
def tokenizer():
    return build_tiny_tokenizer()


def test_strata_by_construction(tokenizer):
    # identical after NFKC + casefold (the full-width letters fold to ASCII)
    assert surface_overlap([("Katon", "ＫＡＴＯＮ")], tokenizer) == "identical"
    assert surface_overlap([("Silver Harbor", "Silberhafen"), ("Katon", "katon")]) == "identical"
    # the target form begins with the English word, so its first token is shared
    shared = [("Alexandria", "Alexandria-Ost")]
    assert content_tokens(tokenizer, "Alexandria") & content_tokens(tokenizer, "Alexandria-Ost")
    assert surface_overlap(shared, tokenizer) == "shared_subword"
    assert surface_overlap(shared) == "none"  # without a tokenizer the middle stratum cannot be told
    # ASCII against Arabic script: byte-level tokens cannot coincide (spaces do not count)
    assert surface_overlap([("Silver Harbor", "ميناء الفضة")], tokenizer) == "none"
    # only punctuation in common: not an overlap
    dash = tokenizer.convert_tokens_to_ids("-")
    assert all(dash in tokenizer.encode(t, add_special_tokens=False) for t in ("Qx-Zy", "Wv-Jk"))
    assert dash not in content_tokens(tokenizer, "Qx-Zy")
    assert surface_overlap([("Qx-Zy", "Wv-Jk")], tokenizer) == "none"


@pytest.mark.parametrize("names", ["compound", "transliterated"])
def test_fact_overlaps_agree_with_the_set(tokenizer, names):
    fset = generate(40, ("de", "ru", "zh", "ar"), seed=3, names=names)
    for target in ("de", "ru", "zh", "ar"):
        bare, tok = fact_overlaps(fset, target), fact_overlaps(fset, target, tokenizer)
        assert set(bare) == set(tok) == {f.fact_id for f in fset.facts}
        for f in fset.facts:
            identical = fset.identical_to_en(f, target)
            assert (bare[f.fact_id] == "identical") == identical == (tok[f.fact_id] == "identical")
            assert bare[f.fact_id] in ("identical", "none") and tok[f.fact_id] in STRATA
            assert tok[f.fact_id] == surface_overlap(fset.name_pairs(f, target), tokenizer)
        if target in NON_LATIN:
            assert set(tok.values()) == {"none"}  # no shared bytes with the ASCII English names
    if names == "transliterated":
        german = Counter(fact_overlaps(fset, "de").values())
        expected = sum(fold(fset.name(f.entity_id, "de")) == fold(fset.name(f.entity_id, "en"))
                       or fold(fset.value(f, "de")) == fold(fset.value(f, "en")) for f in fset.facts)  # fmt: skip
        assert german["identical"] == expected > 0


def test_year_facts_are_judged_on_the_subject_only():
    fset = generate(6, ("de",), seed=1, attributes=("year",))
    assert all(len(fset.name_pairs(f, "de")) == 1 for f in fset.facts)
    assert set(fact_overlaps(fset, "de").values()) == {"none"}  # digits are the same everywhere, names are not
