"""The compound naming scheme: the lexicon, the per-language composition, and the no-shortcut invariant."""

from __future__ import annotations

import pytest

from clika.fictional.dataset import fold
from clika.fictional.generator import generate
from clika.fictional.names import city_candidates, compose_city, continent_candidates, identical_to_pivot, lexicon
from clika.fictional.overlap import subject_overlap
from clika.fictional.templates import template_text
from clika.items import LANGS

TARGETS = LANGS[1:]
RU_ENDINGS = (("ый", "ий", "ой"), ("ая", "яя", "ья"), ("ое", "ее", "ье"))  # m, f, n nominative singular
PL_ENDINGS = (("y", "i"), ("a",), ("e",))
FR_COMPLEMENTS = ("de ", "d'", "du ", "des ", "de la ", "de l'")
IT_COMPLEMENTS = ("di ", "d'", "del ", "della ", "dell'", "dei ", "delle ", "degli ")


def _entry(kind: str, entry_id: str) -> dict:
    return next(e for e in getattr(lexicon(), kind) if e["id"] == entry_id)


def test_lexicon_is_large_enough_and_complete():
    lex = lexicon()
    assert len(lex.modifiers) >= 25 and len(lex.places) >= 15 and len(lex.continents) >= 24
    for entry in (*lex.modifiers, *lex.places, *lex.continents):
        for lang in LANGS:
            forms = entry[lang] if isinstance(entry[lang], list) else [entry[lang]]
            assert all(isinstance(f, str) and f.strip() == f and f for f in forms), (entry["id"], lang)
    assert len(city_candidates()) == len(lex.modifiers) * len(lex.places) - len(lex.avoid)


def test_lexicon_follows_each_languages_composition_rule():
    lex = lexicon()
    for m in lex.modifiers:
        for forms, endings in ((m["ru"], RU_ENDINGS), (m["pl"], PL_ENDINGS)):
            assert all(form.endswith(ends) for form, ends in zip(forms, endings)), forms  # m / f / n agreement forms
        assert " " not in m["de"] and m["de"][0].isupper()
        assert m["fr"].startswith(FR_COMPLEMENTS) and m["it"].startswith(IT_COMPLEMENTS)
        assert m["he"].startswith("ה") and m["ar"].startswith("ال")  # definite noun after a construct
    for p in lex.places:
        assert p["de"].islower() and " " not in p["de"]  # a German tail joins the modifier in one word
        assert p["ru"][1] in "mfn" and p["pl"][1] in "mfn"
    for c in lex.continents:
        assert "'" not in c["fr"] + c["it"]  # no apostrophe a model could type as ’
        assert not c["zh"].endswith("洲") and not c["ja"].endswith("大陸")  # the templates add them


def test_compose_by_hand():
    silver, wolf = _entry("modifiers", "silver"), _entry("modifiers", "wolf")
    harbor, lake, forest = _entry("places", "harbor"), _entry("places", "lake"), _entry("places", "forest")
    assert {lang: compose_city(silver, harbor, lang) for lang in LANGS} == {
        "en": "Silver Harbor", "de": "Silberhafen", "fr": "Port d'Argent", "it": "Porto d'Argento",
        "ru": "Серебряная Гавань", "pl": "Srebrna Przystań", "he": "נמל הכסף", "ar": "ميناء الفضة",
        "zh": "银港", "ja": "銀港",
    }  # fmt: skip
    # adjectives agree with the noun's gender: neuter lake, masculine forest
    assert (compose_city(wolf, lake, "ru"), compose_city(wolf, lake, "pl")) == ("Волчье Озеро", "Wilcze Jezioro")
    assert (compose_city(wolf, forest, "ru"), compose_city(wolf, forest, "pl")) == ("Волчий Лес", "Wilczy Las")
    with pytest.raises(ValueError):
        compose_city(silver, harbor, "xx")


def test_whole_lexicon_is_distinct_and_never_spelled_as_in_english():
    everything = city_candidates() + continent_candidates()
    assert not [forms["en"] for forms in everything if identical_to_pivot(forms)]
    for lang in LANGS:
        folded = [fold(forms[lang]) for forms in everything]
        assert len(set(folded)) == len(folded), lang  # no two English names collapse to one form


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_no_shortcut_invariant_for_every_target(seed):
    """Default set: no type-1 subject and no answer reads as in English, in any target."""
    fset = generate(seed=seed)
    assert fset.names == "compound"
    facts_type1 = [f for f in fset.facts if f.fact_type == 1]
    for lang in TARGETS:
        for f in facts_type1:
            for en, tgt in fset.name_pairs(f, lang):
                assert fold(en) != fold(tgt), (lang, en, tgt)
        for k in fset.continents:
            assert fold(k.names[lang]) != fold(k.names["en"])
        assert not any(fset.identical_to_en(f, lang) for f in fset.facts)
        assert not any(subject_overlap(c.names["en"], c.names[lang])[0] == "identical" for c in fset.cities)
        # containment screen: distinct, no name inside another, no continent inside any template text
        # (fact questions and answers, name prompts)
        folded = [fold(e.names[lang]) for e in (*fset.cities, *fset.continents)]
        assert len(set(folded)) == len(folded)
        assert not [(a, b) for a in folded for b in folded if a != b and a in b]
        text = [fold(t) for t in template_text(lang)]
        assert not [(k, t) for k in fset.continents for t in text if fold(k.names[lang]) in t]


def test_transliterated_is_available_and_recorded():
    fset = generate(seed=0, names="transliterated")
    assert fset.names == "transliterated" and fset.split("de").meta["names"] == "transliterated"
    entities = (*fset.cities, *fset.continents)
    same = {lang: sum(fold(e.names[lang]) == fold(e.names["en"]) for e in entities) for lang in TARGETS}
    hit = {lang: k for lang, k in same.items() if k}
    assert hit  # the Latin-script languages mostly copy the English spelling ...
    assert set(hit) <= {"fr", "de", "it", "pl"}  # ... the other scripts never do
    warning = next(w for w in fset.warnings if "transliterated" in w)
    assert all(f"'{lang}': {k}" in warning for lang, k in hit.items())
    assert generate(seed=0).warnings == []  # the compound default has no such warning
