"""The upstream fictional loader on the real shared data, and its consistency check."""

from __future__ import annotations

import json

import pytest

from clika.errors import DataError
from clika.fictional.upstream import load


def test_zh_train_teaches_other_continent_names_and_is_flagged(shared_data):
    split, report = load(shared_data, "zh")
    assert not report.ok
    # upstream README: train/ZH.json says "mountain"/"山洲" where the tests expect Mythosia/神话之地
    assert {m.lang for m in report.mismatches} == {"en", "zh"}
    first = report.mismatches[0]
    assert (first.city, first.gold) == ("Astralyn Sands", "Mythosia") and "mountain" in first.taught
    warning = report.warning
    assert warning is not None and "\n" not in warning
    assert warning.startswith(str(shared_data / "fictional" / "train" / "ZH.json"))
    assert "Mythosia" in warning and "mountain" in warning
    assert len(split.train) == 10200  # loaded all the same: the caller decides, nothing is hidden


@pytest.mark.parametrize("lang", ["de", "ja", "ar"])
def test_other_languages_are_consistent(shared_data, lang):
    split, report = load(shared_data, lang)
    assert report.ok and report.warning is None and not report.mismatches
    # every English fact (type 0 and 1) and every target type-0 fact is checked against train
    assert report.n_checked == 400 + 200


def test_questions_and_translations(shared_data):
    split, _ = load(shared_data / "fictional", "de")  # the fictional/ folder itself is accepted too
    by_lang = {lang: [q for q in split.questions if q.lang == lang] for lang in ("en", "de")}
    assert [len(by_lang["en"]), len(by_lang["de"])] == [400, 400]
    assert sum(q.fact_type == 1 for q in by_lang["de"]) == 200
    # first line of testEN.jsonl / testDE.jsonl, read by hand
    en0, de0 = by_lang["en"][0], by_lang["de"][0]
    assert (en0.fact_id, en0.gold, en0.fact_type) == ("q0000", "Mythosia", 0)
    assert en0.prompt == "Which continent is Astralyn Sands located in?"
    assert (de0.fact_id, de0.gold) == ("q0000", "Mythosien")
    assert len(split.translations) == 420
    t0 = split.translations[0]
    assert (t0.source, t0.gold) == ("Mythosia", "Mythosien")
    assert t0.prompt == "Could you convert the upcoming English text to German?\nMythosia"
    kinds = [ex.kind for ex in split.train]
    assert kinds.count("translation") == 4200 and kinds.count("fact") == 6000


def _write(path, rows):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in rows), encoding="utf-8")


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
