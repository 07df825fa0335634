"""Invariants of the procedural fictional-knowledge generator."""

from __future__ import annotations

import unicodedata

import pytest

from clika.errors import ConfigError
from clika.fictional.dataset import read_split, write_split
from clika.fictional.generator import FictionalSet, fold, generate
from clika.fictional.scripts import render
from clika.items import LANGS

SCRIPT_WORD = {"zh": "CJK UNIFIED IDEOGRAPH", "ja": "KATAKANA", "ru": "CYRILLIC", "he": "HEBREW", "ar": "ARABIC"}


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


def test_deterministic_by_seed_and_independent_of_language_subset():
    a, b = generate(30, ("zh", "de"), seed=7), generate(30, ("zh", "de"), seed=7)
    assert a.cities == b.cities and a.continents == b.continents and a.facts == b.facts
    assert generate(30, ("zh", "de"), seed=8).cities != a.cities
    full = generate(30, LANGS, seed=7)
    assert [c.names["zh"] for c in full.cities] == [c.names["zh"] for c in a.cities]
    assert full.facts == a.facts


def test_every_name_has_one_form_in_every_requested_script():
    fset = generate(40, LANGS, seed=1)
    for entity in (*fset.cities, *fset.continents):
        assert set(entity.names) == set(LANGS)
        for lang, name in entity.names.items():
            letters = [ch for ch in name if ch.isalpha()]
            word = SCRIPT_WORD.get(lang, "LATIN")
            assert letters and all(word in unicodedata.name(ch) for ch in letters), (lang, name)
    subset = generate(5, ("ja",), seed=1)
    assert all(set(e.names) == {"en", "ja"} for e in subset.cities)


def test_no_name_contains_another_in_any_script():
    fset = generate(300, LANGS, seed=2)
    for lang in LANGS:
        names = [fold(e.names[lang]) for e in (*fset.cities, *fset.continents)]
        assert len(set(names)) == len(names)
        continents = [fold(e.names[lang]) for e in fset.continents]
        # containment scoring: no continent occurs inside any other name
        assert not [(c, n) for c in continents for n in names if c != n and c in n]


def test_types_split_and_split_contents():
    fset = generate(11, ("zh",), seed=3)
    type0 = {f.fact_id for f in fset.facts if f.fact_type == 0}
    type1 = {f.fact_id for f in fset.facts if f.fact_type == 1}
    assert len(type0) == 6 and len(type1) == 5 and not type0 & type1
    split = fset.split("zh")
    taught = {(ex.lang, ex.fact_id) for ex in split.train if ex.kind == "fact"}
    assert {f for lang, f in taught if lang == "en"} == type0 | type1
    assert {f for lang, f in taught if lang == "zh"} == type0  # type 1 is never taught in zh
    # questions: every fact in en and zh, type carried over, gold recoverable from the set
    assert len(split.questions) == 22
    facts = {f.fact_id: f for f in fset.facts}
    for q in split.questions:
        assert q.fact_type == facts[q.fact_id].fact_type
        assert q.gold == fset.value(facts[q.fact_id], q.lang)
        assert fset.name(facts[q.fact_id].entity_id, q.lang) in q.prompt
    # every training answer of a fact states that fact's gold value, in its language
    gold = {(q.lang, q.fact_id): q.gold for q in split.questions}
    for ex in split.train:
        if ex.kind == "fact":
            assert gold[(ex.lang, ex.fact_id)] in ex.answer


def test_translation_pairs_consistent():
    fset = generate(8, ("ru", "ar"), seed=4)
    split = fset.split("ar")
    assert len(split.translations) == len(fset.cities) + len(fset.continents)
    for t in split.translations:
        assert t.source == fset.name(t.name_id, "en") and t.gold == fset.name(t.name_id, "ar")
        assert t.source in t.prompt and "Arabic" in t.prompt
    taught = {(ex.prompt, ex.answer) for ex in split.train if ex.kind == "translation"}
    assert all((t.prompt, t.gold) in taught for t in split.translations)  # the tested pairs are taught
    assert all(ex.lang == "ar" for ex in split.train if ex.kind == "translation")


def test_year_attribute_and_sizes():
    fset = generate(4, ("de",), seed=5, attributes=("continent", "year"))
    assert len(fset.facts) == 8
    years = [f for f in fset.facts if f.attribute == "year"]
    assert all(1100 <= int(f.value) < 1900 and fset.value(f, "de") == f.value for f in years)
    q = next(q for q in fset.split("de").questions if q.attribute == "year" and q.lang == "de")
    assert q.prompt.startswith("In welchem Jahr") and q.gold.isdigit()
    assert len(generate(2000, LANGS, seed=6).cities) == 2000


@pytest.mark.parametrize("kwargs", [dict(n_facts=1), dict(n_facts=5, langs=("xx",)), dict(n_facts=5, attributes=("colour",))])
def test_bad_arguments(kwargs):
    with pytest.raises(ConfigError):
        generate(**kwargs)
    with pytest.raises(ConfigError):
        generate(4, ("de",)).split("zh")


def test_jsonl_round_trip(tmp_path):
    fset = generate(9, ("he", "ja"), seed=9, attributes=("continent", "year"))
    back = FictionalSet.read(fset.write(tmp_path / "set"))
    assert (back.cities, back.continents, back.facts, back.langs) == (fset.cities, fset.continents, fset.facts, fset.langs)
    split = fset.split("he")
    again = read_split(write_split(split, tmp_path / "split"), "he")
    assert (again.train, again.questions, again.translations) == (split.train, split.questions, split.translations)
    assert "\\u" not in (tmp_path / "split" / "questions.jsonl").read_text(encoding="utf-8")  # readable UTF-8
