"""Reading predictions: the upstream *_res_* files and clika's predictions.jsonl."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from clika.data.answers import first_char_choice
from clika.data.predictions_io import read_predictions, write_predictions_jsonl
from clika.data.upstream_items import load_upstream
from clika.errors import ConfigError, DataError
from clika.items import LANGS
from clika.predictions import Prediction
from tests.data.upstream_tree import read_upstream_file

COUNTS = {"x_csqa": 1000, "x_copa": 500, "x_geo": 200, "x_name": 180}


@pytest.fixture(scope="module")
def upstream_predictions(shared_data: Path):
    return read_predictions(shared_data, "clika-repo")


def test_forty_upstream_models(upstream_predictions):
    models = sorted({p.model for p in upstream_predictions.predictions})
    assert len(models) == 40
    assert {"llama2_7b", "bloomz_7b1_mt", "vicuna_13b_v1.5", "Baichuan2-13B-ChatZH1e-4"} <= set(models)


def test_all_upstream_predictions_are_read_with_gold_matching_the_items(shared_data: Path, upstream_predictions):
    preds = upstream_predictions.predictions
    assert len(preds) == 40 * 10 * sum(COUNTS.values())  # 752,000
    per_unit = Counter((p.model, p.task, p.lang) for p in preds)
    assert len(per_unit) == 40 * 4 * 10
    assert all(n == COUNTS[task] for (_, task, _), n in per_unit.items())
    gold = {(i.task, i.lang, i.item_id): i.gold for i in load_upstream(shared_data)}
    assert all(gold[(p.task, p.lang, p.item_id)] == p.gold for p in preds)
    assert upstream_predictions.extraction_changes == {} and upstream_predictions.warnings == []


def test_upstream_choice_is_the_first_character_rule(shared_data: Path):
    path = shared_data / "x_geo" / "ru" / "llama2_7b_res_bf16_add_simple_example.jsonl"
    lines = [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines()]
    preds = read_upstream_file(path, "llama2_7b", "x_geo", "ru", 4)
    assert [p.choice for p in preds] == [first_char_choice(r["res"], 4) for r in lines]
    assert [p.raw for p in preds] == [r["res"] for r in lines]
    assert [p.item_id for p in preds] == [str(r["uuid"]) for r in lines]
    # hand check of the accuracy the upstream rule gives for this file
    expected_acc = sum(r["res"].strip()[:1] == r["label"] for r in lines) / len(lines)
    assert sum(p.correct for p in preds) / len(preds) == expected_acc


def test_filters_and_smart_extraction_count_changes(shared_data: Path):
    res = read_predictions(shared_data, "clika-repo", models=["llama2_7b"], tasks=["x_copa"],
                           langs=["ru", "en"], extract="smart")
    assert Counter((p.model, p.lang) for p in res.predictions) == {("llama2_7b", "ru"): 500, ("llama2_7b", "en"): 500}
    assert res.warnings == []
    plain = read_predictions(shared_data, "clika-repo", models=["llama2_7b"], tasks=["x_copa"], langs=["ru", "en"])
    for lang in ("ru", "en"):
        changed = sum(a.choice != b.choice for a, b in zip(plain.predictions, res.predictions) if a.lang == lang)
        assert res.extraction_changes[("llama2_7b", "x_copa", lang)] == changed


def test_unknown_model_or_task_lists_what_the_predictions_have(shared_data: Path, upstream_predictions):
    models = ", ".join(sorted({p.model for p in upstream_predictions.predictions}))
    with pytest.raises(ConfigError) as err:
        read_predictions(shared_data, "clika-repo", models=["llama2_7b", "nope"], tasks=["x_copa"])
    assert str(err.value) == f"no model 'nope'; the predictions have: {models}"
    with pytest.raises(ConfigError) as err:
        read_predictions(shared_data, "clika-repo", tasks=["x_geo", "x_nope"])
    assert str(err.value) == "no task 'x_nope'; the predictions have: x_copa, x_csqa, x_geo, x_name"


def _upstream_tree(tmp_path: Path, lines: list[str]) -> Path:
    folder = tmp_path / "x_geo" / "en"
    folder.mkdir(parents=True)
    (folder / "m1_res_bf16_add_simple_example.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    items = [{"id": i, "questions": f"q{i}", "answers": ["a", "b", "c", "d"], "label": gold, "original_lang": "en"}
             for i, gold in enumerate([1, 2])]  # the item file beside them: not predictions
    (folder / "en_geo_data.jsonl").write_text("".join(json.dumps(r) + "\n" for r in items), encoding="utf-8")
    return folder / "m1_res_bf16_add_simple_example.jsonl"


GOOD = '{"id": 0, "res": "B.", "label": "B", "uuid": 0}'


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ('{"id": 1, "res": "A", "label": "B", "uuid": 1', "invalid JSON"),
        ('{"id": 1, "res": "A", "uuid": 1}', "missing field 'label'"),
        ('{"id": 1, "res": "A", "label": "E", "uuid": 1}', "field 'label' must be a letter A-D, got 'E'"),
        ('{"id": 1, "res": 3, "label": "A", "uuid": 1}', "field 'res' must be a string, got int"),
        ('{"id": 1, "res": "A", "label": "A", "uuid": 1.5}', "field 'uuid' must be a string or an integer"),
        ('{"id": 1, "res": "A", "label": "A", "uuid": 0}', "duplicate uuid '0'"),
        ('[1, 2]', "expected a JSON object"),
    ],
)
def test_malformed_upstream_line_skips_the_file_naming_file_and_line(tmp_path: Path, bad, message):
    """In a tree, a file with a malformed line is skipped (its model becomes partial) and the skip
    names the line; the same file named on its own is an error naming file and line."""

    path = _upstream_tree(tmp_path, [GOOD, "", bad])
    res = read_predictions(tmp_path, "clika-repo")
    assert res.predictions == []
    [skip] = [f for f in res.files if f.status == "skipped"]
    assert (skip.path, skip.reason, skip.line) == ("x_geo/en/m1_res_bf16_add_simple_example.jsonl", "malformed", 3)
    assert message in skip.detail
    with pytest.raises(DataError) as err:
        read_upstream_file(path, "m1", "x_geo", "en", 4)
    assert str(err.value).startswith(f"{path}:3: ") and message in str(err.value)


def test_a_plain_text_file_is_skipped_as_not_json_lines(tmp_path: Path):
    path = _upstream_tree(tmp_path, ["Question: where is Alexandria?", "Answer: B"])
    res = read_predictions(tmp_path, "clika-repo")
    [skip] = [f for f in res.files if f.status == "skipped"]
    assert (skip.path, skip.reason, skip.line) == (path.relative_to(tmp_path).as_posix(), "not_json_lines", 1)
    assert skip.detail.startswith("invalid JSON")


def test_invalid_utf8_names_the_line(tmp_path: Path):
    path = _upstream_tree(tmp_path, [GOOD])
    path.write_bytes(path.read_bytes() + b'{"id": 1, "res": "\xff\xfe", "label": "A", "uuid": 1}\n')
    [skip] = [f for f in read_predictions(tmp_path, "clika-repo").files if f.status == "skipped"]
    assert (skip.reason, skip.line) == ("malformed", 2) and skip.detail.startswith("invalid UTF-8")


def test_null_res_is_an_unparseable_answer(tmp_path: Path):
    _upstream_tree(tmp_path, [GOOD, '{"id": 1, "res": null, "label": "C", "uuid": 1}'])
    preds = read_predictions(tmp_path, "clika-repo").predictions
    assert [(p.choice, p.gold, p.correct) for p in preds] == [(1, 1, True), (None, 2, False)]


CLIKA_PREDS = [
    Prediction("m", "x_geo", "en", "0", 1, 1, 4, raw="B."),
    Prediction("m", "x_geo", "en", "1", None, 2, 4, raw="no idea"),
    Prediction("m", "x_copa", "zh", "501", 0, 1, 2, scores=(-0.5, -1.25)),
]


def test_clika_predictions_round_trip(tmp_path: Path):
    path = write_predictions_jsonl(CLIKA_PREDS, tmp_path / "predictions.jsonl")
    rec = json.loads(path.read_text(encoding="utf-8").splitlines()[2])
    assert rec == {"model": "m", "task": "x_copa", "lang": "zh", "item_id": "501", "prediction": 0, "gold": 1,
                   "n_options": 2, "correct": False, "scores": [-0.5, -1.25]}
    assert read_predictions(path, "clika").predictions == CLIKA_PREDS
    assert read_predictions(tmp_path, "clika", langs=["zh"]).predictions == CLIKA_PREDS[2:]
    # in a folder, other JSONL files (metric records of the same run) are not predictions
    (tmp_path / "metrics.jsonl").write_text('{"model": "m", "metric": "ra"}\n', encoding="utf-8")
    assert read_predictions(tmp_path, "clika").predictions == CLIKA_PREDS


@pytest.mark.parametrize(
    ("record", "message"),
    [
        ({"model": "m", "task": "x_geo", "lang": "en", "item_id": "9", "prediction": 4, "gold": 0, "n_options": 4},
         "field 'prediction' must be null or an option index below 4, got 4"),
        ({"model": "m", "task": "x_geo", "lang": "en", "item_id": "9", "prediction": 1, "gold": 0, "n_options": 4,
          "correct": True}, "field 'correct' is True"),
        ({"model": "m", "task": "x_geo", "lang": "en", "prediction": 1, "gold": 0, "n_options": 4},
         "missing field(s) 'item_id'"),
        ({"model": "m", "task": "x_geo", "lang": "en", "item_id": "0", "prediction": 1, "gold": 1, "n_options": 4},
         "duplicate prediction for m/x_geo/en/0"),
    ],
)
def test_malformed_clika_prediction(tmp_path: Path, record, message):
    path = write_predictions_jsonl(CLIKA_PREDS[:1], tmp_path / "p.jsonl")
    with path.open("a", encoding="utf-8") as fh:
        fh.write(json.dumps(record) + "\n")
    with pytest.raises(DataError) as err:
        read_predictions(path, "clika")
    assert str(err.value).startswith(f"{path}:2: ") and message in str(err.value)


def test_unknown_layout_and_extractor_are_config_errors(tmp_path: Path):
    with pytest.raises(ConfigError, match="unknown predictions layout"):
        read_predictions(tmp_path, "csv")
    with pytest.raises(ConfigError, match="unknown answer extraction rule"):
        read_predictions(tmp_path, "clika", extract="llm")
    with pytest.raises(ConfigError, match="not an upstream CLiKA folder"):
        read_predictions(tmp_path, "clika-repo")


def test_langs_constant_covers_every_upstream_folder(shared_data: Path):
    from clika.data.upstream_items import task_lang_dirs

    for task in COUNTS:
        assert set(task_lang_dirs(shared_data, task)) == set(LANGS)
