"""Invariants of the procedural fictional-knowledge generator."""

from __future__ import annotations

import json
import unicodedata
from collections import Counter

import pytest

from clika.errors import ConfigError
from clika.fictional.dataset import read_split, write_split
from clika.fictional.generator import MIN_TYPE1, FictionalSet, fold, generate
from clika.fictional.scripts import render
from clika.fictional.templates import HELD_OUT_TRANSLATION_PROMPT, TRAIN_TRANSLATION_PROMPTS, translation_prompt
from clika.items import LANGS

TARGETS = LANGS[1:]
SCRIPT_WORDS = {
    "transliterated": {"zh": ("CJK UNIFIED IDEOGRAPH",), "ja": ("KATAKANA",), "ru": ("CYRILLIC",), "he": ("HEBREW",),
                       "ar": ("ARABIC",)},
    "compound": {"zh": ("CJK UNIFIED IDEOGRAPH",), "ja": ("CJK UNIFIED IDEOGRAPH", "KATAKANA"), "ru": ("CYRILLIC",),
                 "he": ("HEBREW",), "ar": ("ARABIC",)},
}  # fmt: skip


def test_render_by_hand():
    # k-a / t-o-n, spelled by the tables in scripts.py
    syl = (("k", "a", ""), ("t", "o", "n"))
    expected = {
        "en": "Katon", "de": "Katon", "fr": "Katon", "pl": "Katon", "it": "Caton",
        "ru": "Катон", "ja": "カトン", "zh": "卡托恩", "he": "קטון", "ar": "كاتون",
    }  # fmt: skip
    assert {lang: render(syl, lang) for lang in LANGS} == expected
    # Italian keeps k hard before e/i with "ch"; German/Polish write v as w; French u as ou
    assert render((("k", "e", ""), ("v", "u", "")), "it") == "Chevu"
    assert render((("k", "e", ""), ("v", "u", "")), "de") == "Kewu"
    assert render((("k", "e", ""), ("v", "u", "")), "fr") == "Kevou"


@pytest.mark.parametrize("names", ["compound", "transliterated"])
def test_deterministic_by_seed_and_independent_of_language_subset(names):
    a, b = generate(30, ("zh", "de"), seed=7, names=names), generate(30, ("zh", "de"), seed=7, names=names)
    assert a.cities == b.cities and a.continents == b.continents and a.facts == b.facts
    assert generate(30, ("zh", "de"), seed=8, names=names).cities != a.cities
    full = generate(30, LANGS, seed=7, names=names)
    assert [c.names["zh"] for c in full.cities] == [c.names["zh"] for c in a.cities]
    assert [c.names["de"] for c in full.continents] == [c.names["de"] for c in a.continents]
    assert full.facts == a.facts and full.names == a.names == names


def test_defaults_are_sized_for_a_measurement():
    fset = generate()
    assert fset.names == "compound" and fset.langs == LANGS
    assert len(fset.facts) >= 100 and len(fset.continents) >= 10
    assert sum(f.fact_type == 1 for f in fset.facts) >= MIN_TYPE1 and fset.warnings == []
    used = Counter(f.value for f in fset.facts)
    assert set(used) == {k.entity_id for k in fset.continents}  # every continent is the answer of some fact


@pytest.mark.parametrize("n_facts", [6, 20, 59, 60, 61])
def test_warning_below_min_type1(n_facts):
    fset = generate(n_facts, ("de",), seed=1)
    n_type1 = sum(f.fact_type == 1 for f in fset.facts)
    wide = [w for w in fset.warnings if "type-1" in w]
    assert bool(wide) == (n_type1 < MIN_TYPE1)
    if wide:
        assert str(n_type1) in wide[0] and "wide" in wide[0]


@pytest.mark.parametrize("names", ["compound", "transliterated"])
def test_every_name_has_one_form_in_every_requested_script(names):
    fset = generate(40, LANGS, seed=1, names=names)
    for entity in (*fset.cities, *fset.continents):
        assert set(entity.names) == set(LANGS)
        for lang, name in entity.names.items():
            letters = [ch for ch in name if ch.isalpha()]
            words = SCRIPT_WORDS[names].get(lang, ("LATIN",))
            assert letters and all(any(w in unicodedata.name(ch) for w in words) for ch in letters), (lang, name)
    subset = generate(5, ("ja",), seed=1, names=names)
    assert all(set(e.names) == {"en", "ja"} for e in subset.cities)


@pytest.mark.parametrize("names", ["compound", "transliterated"])
def test_no_name_contains_another_in_any_script(names):
    fset = generate(300, LANGS, seed=2, names=names)
    for lang in LANGS:
        names_l = [fold(e.names[lang]) for e in (*fset.cities, *fset.continents)]
        assert len(set(names_l)) == len(names_l)  # two English names never collapse to one form
        assert not [(a, b) for a in names_l for b in names_l if a != b and a in b]


@pytest.mark.parametrize("seed,n_facts,attributes", [(0, 120, ("continent",)), (3, 11, ("continent",)),
                                                     (5, 47, ("continent", "year")), (9, 200, ("continent",))])
def test_types_alternate_inside_every_continent(seed, n_facts, attributes):
    fset = generate(n_facts, ("de",), seed=seed, attributes=attributes)
    continent_of = {f.entity_id: f.value for f in fset.facts if f.attribute == "continent"}
    type_of = {f.entity_id: f.fact_type for f in fset.facts}
    per = Counter((continent_of[c], t) for c, t in type_of.items())
    for k in fset.continents:
        assert abs(per[(k.entity_id, 0)] - per[(k.entity_id, 1)]) <= 1, k.entity_id
    totals = Counter(type_of.values())
    assert abs(totals[0] - totals[1]) <= 1 and sum(totals.values()) == n_facts
    assert all(f.fact_type == type_of[f.entity_id] for f in fset.facts)  # a city's facts share its type


def test_split_contents():
    fset = generate(11, ("zh",), seed=3)
    type0 = {f.fact_id for f in fset.facts if f.fact_type == 0}
    type1 = {f.fact_id for f in fset.facts if f.fact_type == 1}
    assert type0 and type1 and not type0 & type1 and len(type0 | type1) == len(fset.facts)
    split = fset.split("zh")
    taught = {(ex.lang, ex.fact_id) for ex in split.train if ex.kind == "fact"}
    assert {f for lang, f in taught if lang == "en"} == type0 | type1
    assert {f for lang, f in taught if lang == "zh"} == type0  # type 1 is never taught in zh
    # questions: every fact in en and zh, type carried over, gold and subject recoverable from the set
    assert len(split.questions) == 2 * len(fset.facts)
    facts = {f.fact_id: f for f in fset.facts}
    for q in split.questions:
        fact = facts[q.fact_id]
        assert q.fact_type == fact.fact_type and q.gold == fset.value(fact, q.lang)
        assert q.subject == fset.name(fact.entity_id, q.lang) and q.subject in q.prompt
    # every training answer of a fact states that fact's gold value, in its language
    gold = {(q.lang, q.fact_id): q.gold for q in split.questions}
    for ex in split.train:
        if ex.kind == "fact":
            assert gold[(ex.lang, ex.fact_id)] in ex.answer
    assert split.meta["names"] == "compound" and split.meta["warnings"] == fset.warnings


@pytest.mark.parametrize("names", ["compound", "transliterated"])
@pytest.mark.parametrize("target", ["ar", "de", "it"])
@pytest.mark.parametrize("mode", ["held-out", "reverse"])
def test_gate_translation_test_uses_a_held_out_prompt_and_optionally_the_untrained_direction(names, target, mode):
    fset = generate(40, (target,), seed=4, names=names)
    split = fset.split(target, mode)
    entities = (*fset.cities, *fset.continents)
    trained = [ex for ex in split.train if ex.kind == "translation"]
    # taught English -> target only, once per training prompt
    expected = {(translation_prompt(e.names["en"], "en", target, p), e.names[target])
                for e in entities for p in TRAIN_TRANSLATION_PROMPTS}  # fmt: skip
    assert {(ex.prompt, ex.answer) for ex in trained} == expected and len(trained) == len(expected)
    assert HELD_OUT_TRANSLATION_PROMPT not in TRAIN_TRANSLATION_PROMPTS
    # tested with the held-out prompt (English -> target, or target -> English with "reverse"),
    # names spelled as in English left out
    kept = [e for e in entities if fold(e.names[target]) != fold(e.names["en"])]
    assert [t.name_id for t in split.translations] == [e.entity_id for e in kept]
    train_prompts = {ex.prompt for ex in split.train}
    src, tgt = ("en", target) if mode == "held-out" else (target, "en")
    for t in split.translations:
        assert (t.lang, t.source, t.gold) == (target, fset.name(t.name_id, src), fset.name(t.name_id, tgt))
        assert t.prompt == translation_prompt(t.source, src, tgt, HELD_OUT_TRANSLATION_PROMPT)
        assert t.prompt not in train_prompts
        if mode == "reverse":
            assert not any(ex.answer == t.gold for ex in trained)  # the answer was never a training target
    assert split.meta["translations_left_out"] == len(entities) - len(kept)
    if names == "compound":
        assert len(kept) == len(entities)


def test_year_attribute_and_sizes():
    fset = generate(4, ("de",), seed=5, attributes=("continent", "year"))
    assert len(fset.facts) == 8
    years = [f for f in fset.facts if f.attribute == "year"]
    assert all(1100 <= int(f.value) < 1900 and fset.value(f, "de") == f.value for f in years)
    q = next(q for q in fset.split("de").questions if q.attribute == "year" and q.lang == "de")
    assert q.prompt.startswith("In welchem Jahr") and q.gold.isdigit()
    assert len(generate(2000, LANGS, seed=6, names="transliterated").cities) == 2000
    with pytest.raises(ConfigError, match="transliterated"):
        generate(2000, LANGS, seed=6)  # more cities than the compound lexicon holds


@pytest.mark.parametrize("kwargs", [dict(n_facts=1), dict(n_facts=5, langs=("xx",)), dict(n_facts=5, attributes=("colour",)),
                                    dict(n_facts=5, names="pseudo"), dict(n_facts=5, n_continents=1),
                                    dict(n_facts=5, n_continents=500)])  # fmt: skip
def test_bad_arguments(kwargs):
    with pytest.raises(ConfigError):
        generate(**kwargs)
    with pytest.raises(ConfigError):
        generate(4, ("de",)).split("zh")


def test_facts_jsonl_has_one_inspectable_row_per_fact_and_language(tmp_path):
    fset = generate(9, ("he", "de"), seed=9, attributes=("continent", "year"), names="transliterated")
    rows = [json.loads(x) for x in (fset.write(tmp_path / "set") / "facts.jsonl").read_text("utf-8").splitlines()]
    assert len(rows) == len(fset.facts) * len(fset.langs)
    assert {(r["fact_id"], r["lang"]) for r in rows} == {(f.fact_id, lang) for f in fset.facts for lang in fset.langs}
    facts = {f.fact_id: f for f in fset.facts}
    continent_of = {f.entity_id: f.value for f in fset.facts if f.attribute == "continent"}
    for r in rows:
        f, lang = facts[r["fact_id"]], r["lang"]
        assert (r["type"], r["entity_id"], r["names"]) == (f.fact_type, f.entity_id, "transliterated")
        assert r["subject"] == fset.name(f.entity_id, lang) and r["answer"] == fset.value(f, lang)
        assert r["question"] == fset.question(f, lang).prompt and r["subject"] in r["question"]
        assert r["continent_id"] == continent_of[f.entity_id]
        same = fold(r["subject"]) == fold(fset.name(f.entity_id, "en")) or (
            f.attribute == "continent" and fold(r["answer"]) == fold(fset.value(f, "en")))
        assert r["identical_to_en"] is same
    assert any(r["identical_to_en"] for r in rows if r["lang"] == "de")  # transliterated: German copies English
    assert not any(r["identical_to_en"] for r in rows if r["lang"] == "he")


@pytest.mark.parametrize("names", ["compound", "transliterated"])
def test_jsonl_round_trip(tmp_path, names):
    fset = generate(9, ("he", "ja"), seed=9, attributes=("continent", "year"), names=names)
    back = FictionalSet.read(fset.write(tmp_path / "set"))
    assert (back.cities, back.continents, back.facts, back.langs) == (fset.cities, fset.continents, fset.facts, fset.langs)
    assert (back.names, back.warnings, back.seed) == (fset.names, fset.warnings, fset.seed) and fset.warnings
    split = fset.split("he")
    again = read_split(write_split(split, tmp_path / "split"), "he")
    assert (again.train, again.questions, again.translations) == (split.train, split.questions, split.translations)
    assert "\\u" not in (tmp_path / "split" / "questions.jsonl").read_text(encoding="utf-8")  # readable UTF-8
