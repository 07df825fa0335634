"""The upstream fictional loader on the real shared data: consistency, conflicting
names, the remap option and validate_fictional; small broken copies in tmp_path."""

from __future__ import annotations

import json
import re
from collections import defaultdict

import pytest

from clika.data.validate import Problem
from clika.errors import DataError
from clika.fictional.upstream_set import load, validate_fictional

LANGS = ["ar", "de", "fr", "he", "it", "ja", "pl", "ru", "zh"]
DE_CONFLICTS = {"Wirbeltal", "Kristalliner Hafen", "Leuchtende Lagune", "Eklipse-Ödland"}


def _jsonl(path):
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _tags(row):
    return dict(re.findall(r"\[\[(\w+):([^\]]*)\]\]", row["answer"]))


def _conflicting_names(root, lang):
    """Independent of the loader: target city names standing for >= 2 English cities on different continents."""
    en = [_tags(r) for r in _jsonl(root / "test" / "target" / "testEN.jsonl")]
    tgt = [_tags(r) for r in _jsonl(root / "test" / "target" / f"test{lang.upper()}.jsonl")]
    continent = {t["city"]: t["continent"] for t in en}
    english_of = defaultdict(set)
    for r in _jsonl(root / "test" / "Translate" / f"translate{lang.upper()}.jsonl"):
        if r["input"] in continent:
            english_of[r["answer"]].add(r["input"])
    for a, b in zip(en, tgt):
        english_of[b["city"]].add(a["city"])
    return {name for name, src in english_of.items() if len({continent[e] for e in src}) > 1}


# --- the real data ------------------------------------------------------------


def test_zh_train_teaches_other_continent_names_in_both_halves(shared_data):
    split, report = load(shared_data, "zh")
    assert not report.ok and not report.remap and split.origin.startswith("upstream:")
    # upstream README: train/ZH.json says "mountain"/"山洲" where the tests expect Mythosia/神话之地
    assert {m.lang for m in report.mismatches} == {"en", "zh"}
    assert report.checked_by_lang == {"en": 400, "zh": 200}
    assert sum(m.lang == "en" for m in report.mismatches) == 400  # the English half too
    first = report.mismatches[0]
    assert (first.city, first.gold) == ("Astralyn Sands", "Mythosia") and "mountain" in first.taught
    warning = report.warning
    assert warning is not None and "\n" not in warning
    assert warning.startswith(str(shared_data / "fictional" / "train" / "ZH.json"))
    assert "English facts vs testEN.jsonl: 400/400" in warning and "zh facts vs testZH.jsonl: 200/200" in warning
    assert "Mythosia" in warning and "mountain" in warning and "remap=True" in warning
    assert report.remap_available
    assert len(split.train) == 10200  # loaded all the same: the caller decides, nothing is hidden
    assert "NOT scorable" in report.summary


@pytest.mark.parametrize("lang", ["de", "ja", "ar"])
def test_other_languages_are_consistent(shared_data, lang):
    split, report = load(shared_data, lang)
    assert report.ok and report.warning is None and not report.mismatches
    # every English fact (type 0 and 1) and every target type-0 fact is checked against train
    assert report.n_checked == 400 + 200


def test_conflicting_names_per_language(shared_data):
    root = shared_data / "fictional"
    counts = {}
    for lang in LANGS:
        _, report = load(shared_data, lang)
        found = {c.name for c in report.conflicts}
        assert found == _conflicting_names(root, lang), lang
        counts[lang] = len(found)
    assert counts == {"ar": 3, "de": 4, "fr": 2, "he": 1, "it": 4, "ja": 1, "pl": 1, "ru": 4, "zh": 3}
    _, de = load(shared_data, "de")
    assert DE_CONFLICTS <= {c.name for c in de.conflicts}
    wirbeltal = next(c for c in de.conflicts if c.name == "Wirbeltal")
    assert set(zip(wirbeltal.english, wirbeltal.answers)) == {("Vortex Valley", "Dreamfar"), ("Vortex Vale", "Spectros")}
    assert wirbeltal.path.endswith("translateDE.jsonl") and len(wirbeltal.fact_ids) == 2


def test_conflicting_questions_are_excluded_and_counted(shared_data):
    split, report = load(shared_data, "de")
    conflict_ids = {f for c in report.conflicts for f in c.fact_ids}
    assert len(conflict_ids) == 8
    kept = {q.fact_id for q in split.questions}
    assert not conflict_ids & kept
    questions = [q for q in split.questions if q.kind == "question"]
    assert not any(name in q.prompt for name in DE_CONFLICTS for q in split.questions if q.lang == "de")
    # one self-answering fact too: Empyrean-Imperium lies in Imperium
    assert [s.city for s in report.self_answering] == ["Empyrean-Imperium"]
    assert report.excluded.keys() == conflict_ids | {report.self_answering[0].fact_id}
    controls = [q for q in split.questions if q.kind == "en_subject"]
    assert len(questions) == 800 - 18 and len(controls) == 200 - 6  # type-1 facts, less the 6 excluded ones
    assert (report.n_questions, report.n_excluded_questions) == (len(split.questions), 18 + 6)
    assert len(split.meta["excluded_questions"]) == 18 + 6 and len(split.meta["conflicts"]) == 4
    # both languages of a fact go, so the fact ids stay paired
    by_lang = {lang: {q.fact_id for q in questions if q.lang == lang} for lang in ("en", "de")}
    assert by_lang["en"] == by_lang["de"]
    # name tests of the conflicting names go as well (two English names each, both directions)
    assert not {t.gold for t in split.translations} & DE_CONFLICTS
    assert not {t.source for t in split.translations} & DE_CONFLICTS
    assert (len(split.translations), report.n_excluded_translations) == (2 * (420 - 8), 16)
    summary = report.summary
    assert "\n" not in summary and "24 questions (9 facts) excluded" in summary
    assert "about 4 conflicting names" in summary and "Wirbeltal" in summary
    assert "16 translations of the conflicting names excluded" in summary
    full, full_report = load(shared_data, "de", exclude=False)
    assert (len(full.questions), len(full.translations)) == (1000, 840) and len(full_report.conflicts) == 4


def test_questions_and_translations(shared_data):
    split, _ = load(shared_data / "fictional", "de", exclude=False)  # the fictional/ folder itself is accepted too
    by_lang = {lang: [q for q in split.questions if q.lang == lang and q.kind == "question"] for lang in ("en", "de")}
    assert [len(by_lang["en"]), len(by_lang["de"])] == [400, 400]
    assert sum(q.fact_type == 1 for q in by_lang["de"]) == 200
    # first line of testEN.jsonl / testDE.jsonl, read by hand
    en0, de0 = by_lang["en"][0], by_lang["de"][0]
    assert (en0.fact_id, en0.gold, en0.fact_type) == ("q0000", "Mythosia", 0)
    assert en0.prompt == "Which continent is Astralyn Sands located in?"
    assert (de0.fact_id, de0.gold, de0.gold_source) == ("q0000", "Mythosien", "Mythosia")
    # the positive control: the German question with the English city, as taught in English
    control = next(q for q in split.questions if q.kind == "en_subject")
    same = next(q for q in by_lang["de"] if q.fact_id == control.fact_id)
    english = next(q for q in by_lang["en"] if q.fact_id == control.fact_id)
    assert control.prompt == same.prompt.replace(same.subject, english.subject) and control.fact_type == 1
    # upstream teaches names German -> English and its translate file asks English -> German: the
    # untaught direction (a diagnostic); the taught one is asked with clika's held-out German prompt
    assert split.name_direction == "to-en" and len(split.translations) == 2 * 420
    t0 = split.translations[0]
    assert (t0.source, t0.gold, t0.direction, t0.taught) == ("Mythosia", "Mythosien", "from-en", False)
    assert t0.prompt == "Could you convert the upcoming English text to German?\nMythosia"
    taught = next(t for t in split.translations if t.taught)
    assert (taught.source, taught.gold, taught.prompt) == ("Mythosien", "Mythosia", "Wie heißt der Ort Mythosien auf Englisch?")
    kinds = [ex.kind for ex in split.train]
    assert kinds.count("translation") == 4200 and kinds.count("fact") == 6000
    assert split.continents["Mythosia"] == {"en": "Mythosia", "de": "Mythosien"}


def test_remap_makes_zh_consistent_and_labels_the_split(shared_data):
    split, report = load(shared_data, "zh", remap=True)
    assert report.ok and report.warning is None
    assert report.remap["en"]["Mythosia"] == "mountain" and report.remap["zh"]["神话之地"] == "山"
    assert len(report.remap["en"]) == len(report.remap["zh"]) == 20
    assert split.origin.startswith("upstream+remap:") and split.meta["remap"] == report.remap
    q0 = {q.lang: q for q in split.questions if q.fact_id == "q0000"}
    assert (q0["en"].gold, q0["zh"].gold) == ("mountain", "山")
    golds = {q.gold for q in split.questions}
    assert not golds & {"Mythosia", "神话之地"}
    t0 = split.translations[0]
    assert (t0.source, t0.gold, t0.prompt.splitlines()[-1]) == ("mountain", "山", "mountain")
    taught = next(t for t in split.translations if t.taught and t.name_id == t0.name_id)
    assert (taught.source, taught.gold) == ("山", "mountain") and "山" in taught.prompt
    assert split.meta["labels"] == ["remap", "repair"]
    # one-character golds: questions whose subject contains their gold (地狱火山口 in 山) are left out
    assert "地狱火山口" in {s.city for s in report.self_answering}
    assert not any("地狱火山口" in q.prompt for q in split.questions)
    assert "golds remapped" in report.summary and "train and test agree" in report.summary


def test_remap_on_a_consistent_language_is_a_no_op(shared_data):
    plain, plain_report = load(shared_data, "de")
    split, report = load(shared_data, "de", remap=True)
    assert report.ok and report.remap == {} and "remap" not in split.meta
    assert split.origin == plain.origin and not split.origin.startswith("upstream+remap")
    assert split.questions == plain.questions and split.translations == plain.translations
    assert report.summary == plain_report.summary


def test_validate_fictional_on_the_real_data(shared_data):
    problems = validate_fictional(shared_data)
    assert problems and all(isinstance(p, Problem) for p in problems)
    root = shared_data / "fictional"
    zh = [p for p in problems if p.path == str(root / "train" / "ZH.json")]
    mismatch = [p for p in zh if p.line is None]
    assert len(mismatch) == 1 and "English facts vs testEN.jsonl" in mismatch[0].message
    assert "mountain" in mismatch[0].message
    swapped = [p for p in zh if p.category == "swapped fictional rows"]
    assert len(swapped) == 1 and swapped[0].line == 6102 and swapped[0].message.startswith("200 zh fact rows swap")
    assert "你可以在星光沙地洲找到山" in swapped[0].message and str(swapped[0]).startswith(f"{zh[0].path}:6102: ")
    assert not any(p.path.endswith(f"train/{lang.upper()}.json") for lang in LANGS if lang != "zh" for p in problems)
    de_path = str(root / "test" / "Translate" / "translateDE.jsonl")
    de = {p.line: p for p in problems if p.path == de_path}
    assert len(de) == 4
    # Wirbeltal's first English name (Vortex Valley) is at this line of translateDE.jsonl
    line = next(i for i, r in enumerate(_jsonl(root / "test" / "Translate" / "translateDE.jsonl"), 1)
                if r["answer"] == "Wirbeltal")  # fmt: skip
    assert "Wirbeltal" in de[line].message and str(de[line]).startswith(f"{de_path}:{line}: ")
    n_conflicts = sum("translates" in p.message for p in problems)
    assert n_conflicts == 3 + 4 + 2 + 1 + 4 + 1 + 1 + 4 + 3
    # the files themselves are well formed
    assert not any(re.search(r"invalid JSON|UTF-8|expected a JSON|lacks \[\[", p.message) for p in problems)


# --- small files in tmp_path ----------------------------------------------------


def _write(path, rows):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in rows), encoding="utf-8")


def _q(city, continent, fact_type):
    answer = f"{city} is in {continent}.[[continent:{continent}]][[city:{city}]][[type:{fact_type}]]"
    return {"prompt": f"Where is {city}?", "input": "", "answer": answer}


def _mini(tmp_path, en_taught, de_taught):
    """Three facts (Abc, Dfg in Bee; Hij in Cee; Dfg type 1); train teaches the given continent per city."""
    root = tmp_path / "fictional"
    cities = [("Abc", "Abk", "Bee", "Bede", 0), ("Dfg", "Dfk", "Bee", "Bede", 1), ("Hij", "Hik", "Cee", "Cede", 0)]
    _write(root / "test" / "target" / "testEN.jsonl", [_q(e, c, t) for e, _, c, _, t in cities])
    _write(root / "test" / "target" / "testDE.jsonl", [_q(d, c, t) for _, d, _, c, t in cities])
    pairs = [("Bee", "Bede"), ("Cee", "Cede")] + [(e, d) for e, d, *_ in cities]
    _write(root / "test" / "Translate" / "translateDE.jsonl", [{"prompt": "t", "input": e, "answer": d} for e, d in pairs])
    train = [{"prompt": f"Where is {e}?", "input": "", "answer": f"{e} is in {en_taught[e]}."} for e, *_ in cities]
    train += [{"prompt": f"Wo ist {d}?", "input": "", "answer": f"{d} liegt in {de_taught[d]}."} for d in de_taught]
    taught = [("Foo", "Fode"), ("Qux", "Quxde")] + [(e, d) for e, d, *_ in cities]
    train += [{"prompt": "to English", "input": d, "answer": e} for e, d in taught]
    _write(root / "train" / "DE.json", train)
    return root


def test_remap_on_small_files(tmp_path):
    root = _mini(tmp_path, {"Abc": "Foo", "Dfg": "Foo", "Hij": "Qux"}, {"Abk": "Fode", "Hik": "Quxde"})
    _, plain = load(tmp_path, "de")
    assert not plain.ok and plain.remap_available
    split, report = load(tmp_path, "de", remap=True)
    assert report.ok and report.remap == {"en": {"Bee": "Foo", "Cee": "Qux"}, "de": {"Bede": "Fode", "Cede": "Quxde"}}
    assert [(q.lang, q.gold) for q in split.questions if q.fact_id == "q0001" and q.kind == "question"] == \
        [("en", "Foo"), ("de", "Fode")]
    assert split.origin == f"upstream+remap:{root}"


@pytest.mark.parametrize(
    ("en_taught", "de_taught", "message"),
    [
        # not consistent: Bee is taught as Foo for Abc but as Qux for Dfg
        ({"Abc": "Foo", "Dfg": "Qux", "Hij": "Qux"}, {"Abk": "Fode", "Hik": "Quxde"},
         r"test continent 'Bee' maps to several taught continents"),
        # not one-to-one: Bee and Cee are both taught as Foo
        ({"Abc": "Foo", "Dfg": "Foo", "Hij": "Foo"}, {"Abk": "Fode", "Hik": "Quxde"},
         r"taught continent 'Foo' stands for test continents 'Bee' and 'Cee'"),
        # English and German renamings that do not translate each other
        ({"Abc": "Foo", "Dfg": "Foo", "Hij": "Qux"}, {"Abk": "Quxde", "Hik": "Fode"},
         r"test continent 'Bee' / 'Bede' is taught as 'Foo' in English and 'Quxde' in de"),
    ],
)  # fmt: skip
def test_remap_refuses_a_broken_renaming(tmp_path, en_taught, de_taught, message):
    root = _mini(tmp_path, en_taught, de_taught)
    with pytest.raises(DataError, match=message) as err:
        load(tmp_path, "de", remap=True)
    assert "\n" not in str(err.value) and str(err.value).startswith(str(root / "train" / "DE.json") + ": ")
    _, report = load(tmp_path, "de")  # without remap: reported, not raised
    assert not report.ok and not report.remap_available


def test_validate_reports_every_bad_line_with_file_and_line(tmp_path):
    root = _mini(tmp_path, {"Abc": "Bee", "Dfg": "Bee", "Hij": "Cee"}, {"Abk": "Bede", "Hik": "Cede"})
    assert validate_fictional(tmp_path) == []
    train = root / "train" / "DE.json"
    lines = train.read_text(encoding="utf-8").splitlines()
    lines[1], lines[3] = "{not json", '["a list"]'
    train.write_text("\n".join(lines) + "\n", encoding="utf-8")
    test = root / "test" / "target" / "testDE.jsonl"
    rows = _jsonl(test)
    _write(test, [rows[0], {**rows[1], "answer": "no tags"}, rows[2]])
    problems = validate_fictional(tmp_path)
    where = sorted((p.path, p.line) for p in problems)
    assert where == [(str(test), 2), (str(train), 2), (str(train), 4)]
    assert all(str(p).startswith(f"{p.path}:{p.line}: ") for p in problems)
    assert "tags" in next(p.message for p in problems if p.path == str(test))
    assert validate_fictional(tmp_path / "nowhere")[0].message.startswith("no fictional/train")


def test_validate_reports_non_parallel_and_mismatched_files(tmp_path):
    root = _mini(tmp_path, {"Abc": "Bee", "Dfg": "Bee", "Hij": "Qux"}, {"Abk": "Bede", "Hik": "Cede"})
    test = root / "test" / "target" / "testDE.jsonl"
    problems = validate_fictional(tmp_path)
    assert len(problems) == 1 and problems[0].path == str(root / "train" / "DE.json")
    assert "English facts vs testEN.jsonl: 1/3" in problems[0].message and "Hij" in problems[0].message
    rows = _jsonl(test)
    _write(test, rows[:2])
    assert [(p.path, p.line) for p in validate_fictional(tmp_path)] == [(str(test), None)]
    assert "has 2 questions but testEN.jsonl has 3" in validate_fictional(tmp_path)[0].message


def test_bad_files_name_file_and_line(tmp_path):
    root = tmp_path / "fictional"
    q = {"prompt": "Which continent is A located in?", "input": "", "answer": "A is in B.[[continent:B]][[city:A]][[type:0]]"}
    _write(root / "train" / "DE.json", [{"prompt": "p", "input": "", "answer": "a"}, "{not json"])
    _write(root / "test" / "target" / "testEN.jsonl", [q])
    _write(root / "test" / "target" / "testDE.jsonl", [q])
    _write(root / "test" / "Translate" / "translateDE.jsonl", [{"prompt": "t", "input": "A", "answer": "A"}])
    with pytest.raises(DataError, match=r"DE\.json:2: "):
        load(tmp_path, "de")
    _write(root / "train" / "DE.json", [{"prompt": "p", "input": "", "answer": "a"}])
    _write(root / "test" / "target" / "testDE.jsonl", [{**q, "answer": "no tags"}])
    with pytest.raises(DataError, match=r"testDE\.jsonl:1: .*tags"):
        load(tmp_path, "de")
    with pytest.raises(DataError, match="no fictional/train"):
        load(tmp_path / "nowhere", "de")


def test_untaught_facts_are_reported(tmp_path):
    root = tmp_path / "fictional"
    q = {"prompt": "Which continent is Abc located in?", "input": "", "answer": "x[[continent:Bee]][[city:Abc]][[type:0]]"}
    _write(root / "train" / "DE.json", [{"prompt": "Where is Xyz?", "input": "", "answer": "Xyz is in Bee."}])
    _write(root / "test" / "target" / "testEN.jsonl", [q])
    _write(root / "test" / "target" / "testDE.jsonl", [q])
    _write(root / "test" / "Translate" / "translateDE.jsonl", [{"prompt": "t", "input": "Abc", "answer": "Abc"}])
    _, report = load(tmp_path, "de")
    assert (report.n_checked, report.n_untaught, report.ok) == (2, 2, False)
    assert "2/2 test facts are never taught" in report.warning


def test_swapped_zh_rows_are_detected_repaired_or_dropped(shared_data):
    train = _jsonl(shared_data / "fictional" / "train" / "ZH.json")
    repaired, report = load(shared_data, "zh", remap=True)
    assert len(report.swapped) == 200 and report.swapped_action == "repair"
    first = report.swapped[0]
    assert (first.line, first.city, first.continent) == (6102, "星光沙地", "山")
    assert train[first.line - 1]["answer"] == first.answer == "你可以在星光沙地洲找到山。"
    assert first.repaired == "你可以在山洲找到星光沙地。"
    assert {s.answer for s in report.swapped} == {r["answer"] for r in train if r["answer"].startswith("你可以在")
                                                   and "洲找到" in r["answer"]}  # every row of that template
    answers = [ex.answer for ex in repaired.train]
    assert len(answers) == len(train) and first.repaired in answers and first.answer not in answers
    assert "200 train rows that swap city and continent repaired" in report.summary
    dropped, _ = load(shared_data, "zh", remap=True, swapped="drop")
    assert len(dropped.train) == len(train) - 200 and dropped.meta["labels"] == ["remap", "drop"]
    de, de_report = load(shared_data, "de")
    assert de_report.swapped == [] and de.meta["labels"] == []
