"""The upstream CLiKA layout, read from the real shared data."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from clika.data import load_items
from clika.data.upstream_items import load_upstream, task_lang_dirs
from clika.errors import DataError
from clika.items import LANGS, LETTERS
from clika.tasks import builtin_registry

EXPECTED_COUNTS = {"x_csqa": 1000, "x_copa": 500, "x_geo": 200, "x_name": 180}


@pytest.fixture(scope="module")
def upstream_items(shared_data: Path):
    return load_upstream(shared_data)


def test_all_tasks_and_languages_load_with_upstream_counts(upstream_items):
    counts = Counter((i.task, i.lang) for i in upstream_items)
    assert counts == {(t, lang): n for t, n in EXPECTED_COUNTS.items() for lang in LANGS}


def test_options_and_gold_follow_the_task_spec(upstream_items):
    for item in upstream_items:
        assert item.n_options == builtin_registry()[item.task].n_options
        assert 0 <= item.gold < item.n_options
        assert isinstance(item.item_id, str)


def test_items_align_across_languages_by_id(upstream_items):
    ids = {}
    for item in upstream_items:
        ids.setdefault((item.task, item.lang), set()).add(item.item_id)
    for task in EXPECTED_COUNTS:
        assert all(ids[(task, lang)] == ids[(task, "en")] for lang in LANGS)


def test_zh_trans_lang_field_is_ignored_folder_is_trusted(shared_data: Path):
    path = shared_data / "x_csqa" / "ZH_trans" / "validation.jsonl"
    first = json.loads(path.read_text(encoding="utf-8").splitlines()[0])
    assert first["lang"] == "en"  # the upstream quirk this test is about
    items = load_upstream(shared_data, tasks=["x_csqa"], langs=["zh"])
    assert len(items) == 1000 and {i.lang for i in items} == {"zh"}
    assert items[0].item_id == first["id"]
    assert items[0].question == first["question"]["stem"]
    assert items[0].gold == "ABCDE".index(first["answerKey"])


def test_each_label_kind_is_read(shared_data: Path):
    # csqa: letter; copa: 0/1 plus cause/effect; geo/name: index plus original_lang.
    csqa = load_upstream(shared_data, ["x_csqa"], ["en"])[0]
    assert (csqa.item_id, csqa.options[csqa.gold]) == ("d3845adc08414fda", "hospital")
    copa = load_upstream(shared_data, ["x_copa"], ["en"])[0]
    raw = json.loads((shared_data / "x_copa/en/test.jsonl").read_text(encoding="utf-8").splitlines()[0])
    assert copa.item_id == str(raw["id"]) and copa.gold == raw["label"]
    assert copa.meta == {"copa_question": raw["question"]} and copa.question == raw["premise"]
    geo = load_upstream(shared_data, ["x_geo"], ["en"])[0]
    assert geo.options[geo.gold] == "Alexandria Governorate" and geo.meta["original_lang"] == "ar"


def test_task_lang_dirs_map_folder_names_to_codes(shared_data: Path):
    dirs = task_lang_dirs(shared_data, "x_csqa")
    assert list(dirs) == list(LANGS)
    assert dirs["zh"].name == "ZH_trans" and dirs["ar"].name == "ar_trans" and dirs["en"].name == "en"
    assert task_lang_dirs(shared_data, "x_copa")["de"].name == "DE"


@pytest.mark.parametrize("task", list(EXPECTED_COUNTS))
def test_model_inputs_are_the_items_in_order(upstream_items, model_inputs, task):
    for lang in LANGS:
        pairs = model_inputs(task, lang)
        items = [i for i in upstream_items if i.task == task and i.lang == lang]
        assert len(pairs) == EXPECTED_COUNTS[task]
        assert [gold for _, gold in pairs] == [LETTERS[i.gold] for i in items]
        assert all(i.question in prompt for (prompt, _), i in zip(pairs, items))


def test_load_items_recognises_the_upstream_folder(shared_data: Path):
    items = load_items(shared_data, tasks=["x_name"], langs=["he", "ar"])
    assert Counter(i.lang for i in items) == {"he": 180, "ar": 180}


def _write(path: Path, lines: list[str]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_bad_copa_label_names_file_and_line(tmp_path: Path):
    good = {"premise": "p", "choice1": "a", "choice2": "b", "question": "cause", "label": 0, "id": 1}
    bad = {**good, "id": 2, "label": 2}
    path = _write(tmp_path / "x_copa" / "en" / "test.jsonl", [json.dumps(good), json.dumps(bad)])
    with pytest.raises(DataError) as err:
        load_upstream(tmp_path)
    assert str(err.value).startswith(f"{path}:2: ") and "label 2 is out of range for 2 options" in str(err.value)


def test_unknown_csqa_answer_key_is_an_error(tmp_path: Path):
    rec = {"id": "q1", "question": {"stem": "s", "choices": {"label": list("ABCDE"), "text": list("vwxyz")}},
           "answerKey": "F"}
    path = _write(tmp_path / "x_csqa" / "FR_trans" / "validation.jsonl", [json.dumps(rec)])
    with pytest.raises(DataError, match="answerKey 'F'") as err:
        load_upstream(tmp_path)
    assert err.value.path == str(path) and err.value.line == 1
