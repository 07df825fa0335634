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
from clika.fictional.templates import (
    ATTRIBUTES,
    LANGUAGE_FORMS,
    TRAIN_TRANSLATION_PROMPTS,
    native_name_prompt,
    translation_prompt,
)  # fmt: skip
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
    assert (split.source, split.name_direction) == ("en", "to-en")  # the paper's data
    taught = {(ex.lang, ex.fact_id) for ex in split.train if ex.kind == "fact"}
    assert {f for lang, f in taught if lang == "en"} == type0 | type1
    assert {f for lang, f in taught if lang == "zh"} == type0  # type 1 is never taught in zh
    # questions: every fact in en and zh, plus the en_subject control of every type-1 fact
    questions = [q for q in split.questions if q.kind == "question"]
    controls = [q for q in split.questions if q.kind == "en_subject"]
    assert len(questions) == 2 * len(fset.facts) and {q.fact_id for q in controls} == type1
    facts = {f.fact_id: f for f in fset.facts}
    for q in questions:
        fact = facts[q.fact_id]
        assert q.fact_type == fact.fact_type and q.gold == fset.value(fact, q.lang)
        assert q.gold_source == fset.value(fact, "en")
        assert q.subject == fset.name(fact.entity_id, q.lang) and q.subject in q.prompt
    # every training answer of a fact states that fact's gold value, in its language
    gold = {(q.lang, q.fact_id): q.gold for q in questions}
    for ex in split.train:
        if ex.kind == "fact":
            assert gold[(ex.lang, ex.fact_id)] in ex.answer
    assert split.meta["names"] == "compound" and split.meta["warnings"] == fset.warnings
    assert split.continents == {k.entity_id: {"en": k.names["en"], "zh": k.names["zh"]} for k in fset.continents}


@pytest.mark.parametrize("target", TARGETS)
def test_controls_hold_the_english_subject_and_nothing_else_of_english(target):
    fset = generate(40, (target,), seed=4)
    split = fset.split(target)
    controls = [q for q in split.questions if q.kind == "en_subject"]
    assert len(controls) == sum(f.fact_type == 1 for f in fset.facts)
    template = ATTRIBUTES["continent"].held_out[target]
    english_frame = ATTRIBUTES["continent"].held_out["en"].split("{name}")[0]
    for q in controls:
        fact = next(f for f in fset.facts if f.fact_id == q.fact_id)
        assert q.lang == target and q.subject == fset.name(fact.entity_id, "en")
        assert q.prompt == template.format(name=q.subject)  # the target's frame, only the subject is English
        assert english_frame not in q.prompt and fset.name(fact.entity_id, target) not in q.prompt
        assert (q.gold, q.gold_source) == (fset.value(fact, target), fset.value(fact, "en"))


@pytest.mark.parametrize("direction", ["to-en", "from-en", "both"])
@pytest.mark.parametrize("target", ["ar", "de", "ja"])
def test_each_name_direction_teaches_the_rows_it_names(direction, target):
    fset = generate(30, (target,), seed=4)
    split = fset.split(target, direction)
    entities = (*fset.cities, *fset.continents)
    ways = {"to-en": [(target, "en")], "from-en": [("en", target)], "both": [(target, "en"), ("en", target)]}
    expected = [(translation_prompt(e.names[src], src, tgt, p), e.names[tgt], e.entity_id)
                for src, tgt in ways[direction] for e in entities for p in TRAIN_TRANSLATION_PROMPTS]  # fmt: skip
    trained = [(ex.prompt, ex.answer, ex.entity_id) for ex in split.train if ex.kind == "translation"]
    assert trained == expected and all(ex.lang == target for ex in split.train if ex.kind == "translation")
    # the name tests: both directions, the taught ones marked, held-out prompts never trained
    tests = split.translations
    assert {(t.direction, t.taught) for t in tests} == {("to-en", direction in ("to-en", "both")),
                                                        ("from-en", direction in ("from-en", "both"))}
    assert len(tests) == 2 * len(entities)  # compound names never fold to the English form
    train_prompts = {ex.prompt for ex in split.train}
    for t in tests:
        src, tgt = (target, "en") if t.direction == "to-en" else ("en", target)
        e = next(x for x in entities if x.entity_id == t.name_id)
        assert (t.source, t.gold) == (e.names[src], e.names[tgt])
        assert t.prompt == native_name_prompt(t.source, src, tgt) and t.prompt not in train_prompts
        assert LANGUAGE_FORMS[src][tgt] in t.prompt  # written in the name's language, naming the one asked for
    assert split.name_direction == direction and f"name_direction={direction}" in split.origin


def test_source_language_replaces_english():
    fset = generate(20, ("de", "fr"), seed=2)
    split = fset.split("fr", "to-en", source="de")
    assert split.source == "de" and {ex.lang for ex in split.train if ex.kind == "fact"} == {"de", "fr"}
    taught_fr = {ex.fact_id for ex in split.train if ex.kind == "fact" and ex.lang == "fr"}
    assert taught_fr == {f.fact_id for f in fset.facts if f.fact_type == 0}
    controls = [q for q in split.questions if q.kind == "en_subject"]
    assert controls and all(q.subject == fset.name(q.fact_id.split(":")[0], "de") for q in controls)
    names = [ex for ex in split.train if ex.kind == "translation"]
    assert all(ex.answer == fset.name(ex.entity_id, "de") for ex in names)  # to-en: into the source language
    assert set(split.continents[fset.continents[0].entity_id]) == {"de", "fr"}
    with pytest.raises(ConfigError):
        fset.split("de", source="de")


def test_year_attribute_and_sizes():
    fset = generate(4, ("de",), seed=5, attributes=("continent", "year"))
    assert len(fset.facts) == 8
    years = [f for f in fset.facts if f.attribute == "year"]
    assert all(1100 <= int(f.value) < 1900 and fset.value(f, "de") == f.value for f in years)
    q = next(q for q in fset.split("de").questions if q.attribute == "year" and q.lang == "de")
    assert q.prompt == ATTRIBUTES["year"].held_out["de"].format(name=q.subject) and q.gold.isdigit()
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
    split = fset.split("he", "both")
    again = read_split(write_split(split, tmp_path / "split"), "he")
    assert (again.train, again.questions, again.translations) == (split.train, split.questions, split.translations)
    assert (again.source, again.name_direction, again.continents) == ("en", "both", split.continents)
    test_rows = [json.loads(x) for x in (tmp_path / "split" / "test_he.jsonl").read_text("utf-8").splitlines()]
    assert {r["kind"] for r in test_rows} == {"question", "en_subject", "translation_to_en", "translation_from_en"}
    train_rows = [json.loads(x) for x in (tmp_path / "split" / "train_he.jsonl").read_text("utf-8").splitlines()]
    assert {tuple(sorted(r)) for r in train_rows} == {("answer", "fact_id", "kind", "lang", "prompt"),
                                                       ("answer", "entity_id", "kind", "lang", "prompt")}
    assert "\\u" not in (tmp_path / "split" / "test_he.jsonl").read_text(encoding="utf-8")  # readable UTF-8
