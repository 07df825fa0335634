"""The project's JSONL item format, Hugging Face loading from local files, load_items."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from clika.data import load_items
from clika.data.hub import load_hf
from clika.data.jsonl_items import load_jsonl, write_jsonl
from clika.errors import ConfigError, DataError
from clika.items import Item

ITEMS = [
    Item("x_geo", "factual", "en", "0", "Where is Alexandria?", ("Red Sea", "Alexandria", "Cairo", "Dubai"), 1,
         {"original_lang": "ar"}),
    Item("x_geo", "factual", "zh", "0", "亚历山大在哪里？", ("红海", "亚历山大", "开罗", "迪拜"), 1, {"original_lang": "ar"}),
    Item("x_copa", "basic", "en", "501", "The item was wrapped.", ("It was fragile.", "It was small."), 0,
         {"copa_question": "cause"}),
]


def test_jsonl_round_trip(tmp_path: Path):
    path = write_jsonl(ITEMS, tmp_path / "items.jsonl")
    first = json.loads(path.read_text(encoding="utf-8").splitlines()[1])
    assert first == {"task": "x_geo", "lang": "zh", "id": "0", "question": "亚历山大在哪里？",
                     "options": ["红海", "亚历山大", "开罗", "迪拜"], "answer": 1, "stream": "factual",
                     "meta": {"original_lang": "ar"}}
    back = load_jsonl(path)
    assert back == ITEMS
    assert [i.meta for i in back] == [i.meta for i in ITEMS]
    assert back[2].source == f"{path}:3"


def test_jsonl_defaults_stream_from_task_and_accepts_int_ids(tmp_path: Path):
    path = tmp_path / "a.jsonl"
    path.write_text(json.dumps({"task": "x_name", "lang": "de", "id": 7, "question": "q",
                                "options": ["1", "2", "3", "4"], "answer": 3}) + "\n\n", encoding="utf-8")
    (item,) = load_jsonl(path)
    assert (item.stream, item.item_id, item.gold, item.meta) == ("factual", "7", 3, {})


@pytest.mark.parametrize(
    ("record", "message"),
    [
        ({"task": "x_geo", "lang": "en", "id": "1", "question": "q", "options": ["a", "b"]}, "missing field(s) 'answer'"),
        ({"task": "x_geo", "lang": "en", "id": "1", "question": "q", "options": ["a", "b"], "answer": 2},
         "answer 2 is out of range for 2 options"),
        ({"task": "x_geo", "lang": "en", "id": "1", "question": "q", "options": ["a", "b"], "answer": "B"},
         "field 'answer' must be an integer option index"),
        ({"task": "x_geo", "lang": "en", "id": True, "question": "q", "options": ["a", "b"], "answer": 0},
         "field 'id' must be a string or an integer"),
    ],
)
def test_jsonl_bad_record_names_file_and_line(tmp_path: Path, record, message):
    good = {"task": "x_geo", "lang": "en", "id": "0", "question": "q", "options": ["a", "b"], "answer": 0}
    path = tmp_path / "bad.jsonl"
    path.write_text(json.dumps(good) + "\n" + json.dumps(record) + "\n", encoding="utf-8")
    with pytest.raises(DataError) as err:
        load_jsonl(path)
    assert str(err.value).startswith(f"{path}:2: ") and message in str(err.value)


def test_load_items_jsonl_file_and_folder(tmp_path: Path):
    write_jsonl(ITEMS[:2], tmp_path / "d" / "geo.jsonl")
    write_jsonl(ITEMS[2:], tmp_path / "d" / "copa.jsonl")
    assert load_items(tmp_path / "d" / "geo.jsonl", langs=["zh"]) == [ITEMS[1]]
    assert sorted(load_items(tmp_path / "d"), key=ITEMS.index) == ITEMS
    assert load_items(tmp_path / "d", tasks=["x_copa"]) == [ITEMS[2]]


def test_load_items_rejects_unknown_sources(tmp_path: Path):
    with pytest.raises(ConfigError, match="no such file"):
        load_items(tmp_path / "absent")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ConfigError, match="neither the upstream layout"):
        load_items(tmp_path / "empty")
    with pytest.raises(ConfigError, match="exactly one task"):
        load_items("hf:someone/clika-items")


def test_load_hf_from_a_jsonl_file_with_the_default_columns(tmp_path: Path):
    path = write_jsonl(ITEMS[:2], tmp_path / "geo.jsonl")
    items = load_hf(str(path), task="x_geo")
    assert [(i.lang, i.item_id, i.options, i.gold) for i in items] == [
        (i.lang, i.item_id, i.options, i.gold) for i in ITEMS[:2]]
    assert [i.lang for i in load_hf(str(path), task="x_geo", lang="zh")] == ["zh"]
    # through load_items too
    assert [i.question for i in load_items(f"hf:{path}", tasks=["x_geo"], langs=["en"])] == [ITEMS[0].question]


def test_load_hf_parquet_with_copa_style_columns_and_letter_answers(tmp_path: Path):
    import datasets

    ds = datasets.Dataset.from_dict({
        "idx": [501, 502], "premise": ["The sky turns dark.", "I emptied my pockets."],
        "choice1": ["It's night.", "I found a ticket."], "choice2": ["It's noon.", "I found a weapon."],
        "label": ["A", "B"],
    })
    path = tmp_path / "copa.parquet"
    ds.to_parquet(str(path))
    items = load_hf(str(path), task="x_copa", lang="en",
                    columns={"id": "idx", "question": "premise", "options": ["choice1", "choice2"], "answer": "label"})
    assert [(i.item_id, i.question, i.options, i.gold, i.stream) for i in items] == [
        ("501", "The sky turns dark.", ("It's night.", "It's noon."), 0, "basic"),
        ("502", "I emptied my pockets.", ("I found a ticket.", "I found a weapon."), 1, "basic"),
    ]


def test_load_hf_from_save_to_disk_folder_with_splits(tmp_path: Path):
    import datasets

    test = datasets.Dataset.from_dict({"id": ["a", "b"], "question": ["q1", "q2"],
                                       "options": [["x", "y", "z", "w"], ["1", "2", "3", "4"]],
                                       "answer": [3, 0], "language": ["fr", "fr"]})
    datasets.DatasetDict({"test": test, "validation": test.select([0])}).save_to_disk(str(tmp_path / "saved"))
    items = load_hf(str(tmp_path / "saved"), task="x_name", lang_column="language")
    assert [(i.lang, i.item_id, i.gold, i.options[i.gold]) for i in items] == [("fr", "a", 3, "w"), ("fr", "b", 0, "1")]
    assert len(load_hf(str(tmp_path / "saved"), task="x_name", split="validation", lang_column="language")) == 1
    with pytest.raises(ConfigError, match="split 'train' not found"):
        load_hf(str(tmp_path / "saved"), task="x_name", split="train", lang_column="language")


def test_load_hf_bad_answer_is_a_data_error(tmp_path: Path):
    path = tmp_path / "bad.jsonl"
    path.write_text(json.dumps({"id": "1", "question": "q", "options": ["a", "b"], "answer": 5, "lang": "en"}) + "\n",
                    encoding="utf-8")
    with pytest.raises(DataError, match="row 0: answer 5 is out of range for 2 options"):
        load_hf(str(path), task="x_copa")
