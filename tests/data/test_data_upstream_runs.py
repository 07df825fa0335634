"""The other runs of a fresh upstream clone: <model>_res.jsonl, <model>_res_<variant>.jsonl, files without uuid."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from clika.data.answers import first_char_choice
from clika.data.predictions_io import read_predictions
from clika.data.reading import PredictionReadResult
from clika.data.upstream_predictions import upstream_run_name
from clika.errors import ConfigError, DataError
from tests.data.upstream_tree import read_upstream_file

MAIN = "_res_bf16_add_simple_example.jsonl"
NAMING = "not named <model>_res.jsonl or <model>_res_<variant>.jsonl"

# Gold options of the small item files below.
GEO_GOLD = [1, 0, 3]  # x_geo: ids 0, 1, 2
COPA_GOLD = [0, 1, 1]  # x_copa: ids 501, 502, 503 (positions 0, 1, 2)
CSQA_GOLD = ["C", "A", "E"]  # x_csqa: ids "d3845adc", "1afa02df", "a7ab086"
CSQA_IDS = ["d3845adc", "1afa02df", "a7ab086"]


def _write(path: Path, records: list[dict]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    return path


def _lang_dir(root: Path, task: str, lang: str) -> Path:
    """<root>/<task>/<lang> with its upstream item file."""
    folder = root / task / lang
    if task == "x_geo":
        _write(folder / f"{lang}_geo_data.jsonl", [
            {"questions": f"q{i}", "answers": ["a", "b", "c", "d"], "label": g, "original_lang": "en", "id": i}
            for i, g in enumerate(GEO_GOLD)
        ])
    elif task == "x_copa":
        _write(folder / "test.jsonl", [
            {"label": g, "id": 501 + i, "premise": f"p{i}", "question": "cause", "choice1": "one", "choice2": "two"}
            for i, g in enumerate(COPA_GOLD)
        ])
    elif task == "x_csqa":
        _write(folder / "validation.jsonl", [
            {"id": item_id, "lang": lang, "answerKey": key,
             "question": {"stem": f"s{i}", "choices": {"label": list("ABCDE"), "text": ["t1", "t2", "t3", "t4", "t5"]}}}
            for i, (item_id, key) in enumerate(zip(CSQA_IDS, CSQA_GOLD))
        ])
    return folder


def _preds(letters: str, gold: list, uuids: list | None, input_field: bool = False) -> list[dict]:
    """Upstream prediction records: answer letters, gold (index or letter), uuids (None: no uuid field)."""
    out = []
    for i, (a, g) in enumerate(zip(letters, gold)):
        rec = {"id": i}
        if input_field:
            rec["input"] = f"Question: q{i}\nAnswer:"
        rec["res"] = f"{a}. something"
        rec["label"] = g if isinstance(g, str) else "ABCDE"[g]
        if uuids is not None:
            rec["uuid"] = uuids[i]
        out.append(rec)
    return out


def _by_model(res: PredictionReadResult) -> dict[str, list[tuple[str, str, str, int | None, int]]]:
    out: dict[str, list] = {}
    for p in res.predictions:
        out.setdefault(p.model, []).append((p.task, p.lang, p.item_id, p.choice, p.gold))
    return out


# --- file names -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("filename", "run"),
    [
        ("llama2_7b_res_bf16_add_simple_example.jsonl", "llama2_7b"),
        ("chatgpt_res.jsonl", "chatgpt"),
        ("llama2_7b_res_visual.jsonl", "llama2_7b@visual"),
        ("llama2_7b_res_fixed_en_prompt.jsonl", "llama2_7b@fixed_en_prompt"),
        ("llama2_7b_res_without_uuid.jsonl", "llama2_7b@without_uuid"),
        ("vicuna_13b_v1.5_res_bf16_add_simple_example.jsonl", "vicuna_13b_v1.5"),
        ("Baichuan2-13B-ChatZH1e-4_res.jsonl", "Baichuan2-13B-ChatZH1e-4"),
        # a model name may contain "_res": the split is at the last one
        ("resnet_res_visual.jsonl", "resnet@visual"),
        ("my_resnet_res.jsonl", "my_resnet"),
        ("foo_res_bar_res.jsonl", "foo_res_bar"),
        ("foo_res_bar_res_visual.jsonl", "foo_res_bar@visual"),
        ("foo_res_bar_res_bf16_add_simple_example.jsonl", "foo_res_bar"),
        # not prediction file names
        ("foo_results.jsonl", None),
        ("_res.jsonl", None),
        ("foo_res_.jsonl", None),
        ("a@b_res.jsonl", None),
        ("foo_res.json", None),
        ("en_geo_data.jsonl", None),
    ],
)
def test_run_names_from_file_names(filename, run):
    assert upstream_run_name(filename) == run


def test_the_forty_shared_file_names_parse_to_their_old_model_names(shared_data: Path):
    names = [f.name for f in (shared_data / "x_geo" / "en").glob("*_res*.jsonl")]
    assert len(names) == 40
    assert all(upstream_run_name(n) == n[: -len(MAIN)] for n in names)


# --- zero-shot runs and variants ---------------------------------------------------


def test_zero_shot_res_file_with_input_is_read_as_the_plain_model(tmp_path: Path):
    folder = _lang_dir(tmp_path, "x_geo", "en")
    _write(folder / "chatgpt_res.jsonl", _preds("BAC", GEO_GOLD, [0, 1, 2], input_field=True))
    _write(folder / f"llama2_7b{MAIN}", _preds("BBD", GEO_GOLD, [0, 1, 2]))
    res = read_predictions(tmp_path, "clika-repo")
    assert res.warnings == []
    assert _by_model(res) == {
        "chatgpt": [("x_geo", "en", "0", 1, 1), ("x_geo", "en", "1", 0, 0), ("x_geo", "en", "2", 2, 3)],
        "llama2_7b": [("x_geo", "en", "0", 1, 1), ("x_geo", "en", "1", 1, 0), ("x_geo", "en", "2", 3, 3)],
    }
    assert [p.raw for p in res.predictions[:1]] == ["B. something"]


def test_variants_are_separate_runs_and_filters_match_names_exactly(tmp_path: Path):
    for lang in ("en", "de"):
        folder = _lang_dir(tmp_path, "x_geo", lang)
        _write(folder / f"llama2_7b{MAIN}", _preds("BAD", GEO_GOLD, [0, 1, 2]))
        _write(folder / "llama2_7b_res_visual.jsonl", _preds("AAA", GEO_GOLD, [0, 1, 2]))
        _write(folder / "llama2_7b_res_fixed_en_prompt.jsonl", _preds("CCC", GEO_GOLD, [0, 1, 2]))
    res = read_predictions(tmp_path, "clika-repo")
    assert Counter((p.model, p.lang) for p in res.predictions) == {
        (m, lang): 3 for m in ("llama2_7b", "llama2_7b@visual", "llama2_7b@fixed_en_prompt") for lang in ("en", "de")
    }
    assert [p.choice for p in res.predictions if p.model == "llama2_7b@visual"] == [0] * 6
    only_visual = read_predictions(tmp_path, "clika-repo", models=["llama2_7b@visual"])
    assert {p.model for p in only_visual.predictions} == {"llama2_7b@visual"} and len(only_visual.predictions) == 6
    plain = read_predictions(tmp_path, "clika-repo", models=["llama2_7b"], langs=["de"])
    assert [(p.model, p.lang, p.choice) for p in plain.predictions] == [("llama2_7b", "de", c) for c in (1, 0, 3)]


def _skips(res: PredictionReadResult) -> list[tuple]:
    """(path, reason, line, detail) of every file the reader skipped."""
    return [(f.path, f.reason, f.line, f.detail) for f in res.files if f.status == "skipped"]


def test_an_unparseable_res_name_is_a_reported_skip_not_a_silent_one(tmp_path: Path):
    folder = _lang_dir(tmp_path, "x_geo", "en")
    _write(folder / f"m{MAIN}", _preds("BAD", GEO_GOLD, [0, 1, 2]))
    _write(folder / "m_results.jsonl", _preds("BAD", GEO_GOLD, [0, 1, 2]))
    _write(folder / "a@b_res.jsonl", _preds("BAD", GEO_GOLD, [0, 1, 2]))
    _write(folder / "M_RES.JSONL", _preds("BAD", GEO_GOLD, [0, 1, 2]))
    _write(folder / "m_res_v2.json", _preds("BAD", GEO_GOLD, [0, 1, 2]))
    res = read_predictions(tmp_path, "clika-repo")
    assert {p.model for p in res.predictions} == {"m"}
    assert res.warnings == []
    assert _skips(res) == [
        ("x_geo/en/M_RES.JSONL", "unknown_name", None,
         f"{NAMING} (names are case-sensitive and end in .jsonl: M_res.jsonl would be read)"),
        ("x_geo/en/a@b_res.jsonl", "unknown_name", None, NAMING),
        ("x_geo/en/m_res_v2.json", "unknown_name", None,
         f"{NAMING} (names are case-sensitive and end in .jsonl: m_res_v2.jsonl would be read)"),
        ("x_geo/en/m_results.jsonl", "unknown_name", None, NAMING),
    ]


# --- uuid: integer, string, absent, mixed ---------------------------------------------


def test_integer_and_string_uuids_align_the_same_items(tmp_path: Path):
    copa = _lang_dir(tmp_path, "x_copa", "en")
    _write(copa / f"a{MAIN}", _preds("ABA", COPA_GOLD, [501, 502, 503]))
    _write(copa / f"b{MAIN}", _preds("ABA", COPA_GOLD, ["501", "502", "503"]))
    geo = _lang_dir(tmp_path, "x_geo", "en")
    _write(geo / f"a{MAIN}", _preds("BAD", GEO_GOLD, [0, 1, 2]))
    _write(geo / f"b{MAIN}", _preds("BAD", GEO_GOLD, ["0", "1", "2"]))
    csqa = _lang_dir(tmp_path, "x_csqa", "en")
    _write(csqa / f"a{MAIN}", _preds("CAE", CSQA_GOLD, CSQA_IDS))
    res = read_predictions(tmp_path, "clika-repo", extract="smart")  # smart: the ids must be item ids
    assert res.warnings == []
    got = _by_model(res)
    assert got["a"][:3] == [("x_csqa", "en", i, c, c) for i, c in zip(CSQA_IDS, (2, 0, 4))]
    assert got["a"][3:] == got["b"] == [
        ("x_copa", "en", "501", 0, 0), ("x_copa", "en", "502", 1, 1), ("x_copa", "en", "503", 0, 1),
        ("x_geo", "en", "0", 1, 1), ("x_geo", "en", "1", 0, 0), ("x_geo", "en", "2", 3, 3),
    ]


def test_without_uuid_files_are_aligned_by_id_and_the_reader_says_so(tmp_path: Path):
    copa = _lang_dir(tmp_path, "x_copa", "en")
    with_uuid = _write(copa / f"m{MAIN}", _preds("ABB", COPA_GOLD, [501, 502, 503]))
    no_uuid = _write(copa / "m_res_without_uuid.jsonl", _preds("ABA", COPA_GOLD, None))
    csqa = _lang_dir(tmp_path, "x_csqa", "zh")
    csqa_no_uuid = _write(csqa / "m_res_without_uuid.jsonl", _preds("CAB", CSQA_GOLD, None))
    res = read_predictions(tmp_path, "clika-repo", extract="smart")
    assert res.warnings == [
        f"{csqa_no_uuid}: no 'uuid' field; items aligned by 'id' as positions in validation.jsonl",
        f"{no_uuid}: no 'uuid' field; items aligned by 'id' as positions in test.jsonl",
    ]
    got = _by_model(res)
    # 'id' is the position in the item file: it gives the same item ids as 'uuid' does
    ids = [i for _, _, i, _, _ in got["m"]]
    assert ids == [i for _, _, i, _, _ in got["m@without_uuid"][3:]] == ["501", "502", "503"]
    assert got["m@without_uuid"] == [
        ("x_csqa", "zh", "d3845adc", 2, 2), ("x_csqa", "zh", "1afa02df", 0, 0), ("x_csqa", "zh", "a7ab086", 1, 4),
        ("x_copa", "en", "501", 0, 0), ("x_copa", "en", "502", 1, 1), ("x_copa", "en", "503", 0, 1),
    ]
    # the file reader on its own aligns the same way
    direct = read_upstream_file(no_uuid, "m", "x_copa", "en", 2)
    assert [(p.item_id, p.choice) for p in direct] == [("501", 0), ("502", 1), ("503", 0)]
    assert len(read_upstream_file(with_uuid, "m", "x_copa", "en", 2)) == 3


def test_without_uuid_an_id_that_does_not_follow_the_items_is_an_error(tmp_path: Path):
    folder = _lang_dir(tmp_path, "x_copa", "en")
    recs = _preds("ABA", COPA_GOLD, None)
    recs[1]["label"] = "A"  # item 502's gold is B
    path = _write(folder / "m_res_without_uuid.jsonl", recs)
    with pytest.raises(DataError) as err:
        read_predictions(tmp_path, "clika-repo")
    assert str(err.value) == (f"{path}:2: label 'A' but item 1 of test.jsonl (id '502') has gold B: "
                              "'id' does not follow the item file's order")
    recs = _preds("ABA", COPA_GOLD, None)
    recs[2]["id"] = 7
    _write(path, recs)
    with pytest.raises(DataError) as err:
        read_predictions(tmp_path, "clika-repo")
    assert str(err.value) == f"{path}:3: field 'id' must be an item position 0-2 in test.jsonl, got 7"
    # a record without any item name is malformed: the file is skipped with its line, the read goes on
    recs = _preds("ABA", COPA_GOLD, None)
    del recs[0]["id"]
    _write(path, recs)
    res = read_predictions(tmp_path, "clika-repo")
    assert res.predictions == [] and _skips(res) == [
        ("x_copa/en/m_res_without_uuid.jsonl", "malformed", 1, "missing fields 'uuid' and 'id' (one of them names "
                                                               "the item)")]


def test_uuid_on_some_lines_only_skips_the_file_naming_the_line(tmp_path: Path):
    folder = _lang_dir(tmp_path, "x_geo", "en")
    recs = _preds("BAD", GEO_GOLD, [0, 1, 2])
    del recs[2]["uuid"]
    path = _write(folder / f"m{MAIN}", recs)
    _write(folder / f"n{MAIN}", _preds("BAD", GEO_GOLD, [0, 1, 2]))
    res = read_predictions(tmp_path, "clika-repo")
    assert {p.model for p in res.predictions} == {"n"}
    assert _skips(res) == [(f"x_geo/en/m{MAIN}", "malformed", 3,
                            "no field 'uuid', but line 1 has one (give 'uuid' on every line or on none)")]
    recs = _preds("BAD", GEO_GOLD, [0, 1, 2])
    del recs[0]["uuid"]
    _write(path, recs)
    assert _skips(read_predictions(tmp_path, "clika-repo")) == [
        (f"x_geo/en/m{MAIN}", "malformed", 2, "field 'uuid' is here but not on line 1 (give 'uuid' on every line "
                                              "or on none)")]
    # a file named on its own is read or refused, never skipped
    with pytest.raises(DataError) as err:
        read_upstream_file(path, "m", "x_geo", "en", 4)
    assert str(err.value) == (f"{path}:2: field 'uuid' is here but not on line 1 "
                              "(give 'uuid' on every line or on none)")


def test_without_uuid_and_without_an_item_file_names_the_prediction_file(tmp_path: Path):
    """'id' can only be aligned through the item file: when there is none, the error says which
    prediction file needed it (not just the folder)."""
    path = _write(tmp_path / "x_copa" / "en" / "m_res_without_uuid.jsonl", _preds("ABA", COPA_GOLD, None))
    with pytest.raises(DataError) as err:
        read_predictions(tmp_path, "clika-repo")
    text = str(err.value)
    assert err.value.path == str(path) and err.value.line == 1 and "\n" not in text
    assert text == (f"{path}:1: no field 'uuid', so 'id' must be aligned through the item file, but there is no "
                    "item file matching 'test.jsonl' beside it")


def test_factual_predictions_without_item_files_score_but_say_home_transfer_is_missing(tmp_path: Path):
    """x_geo prediction files alone are enough to score; only the culture of each fact (home_transfer)
    needs the item file, and the reader says so instead of failing."""
    from clika.metrics.compute import compute_metrics

    alone = {lang: _write(tmp_path / "alone" / "x_geo" / lang / f"m{MAIN}", _preds("BAD", GEO_GOLD, [0, 1, 2]))
             for lang in ("en", "zh")}
    res = read_predictions(tmp_path / "alone", "clika-repo")
    assert _by_model(res)["m"] == [("x_geo", lang, str(i), "ABCD".index(a), g)
                                   for lang in ("en", "zh") for i, (a, g) in enumerate(zip("BAD", GEO_GOLD))]
    assert all(not p.extra for p in res.predictions)
    assert res.warnings == [f"{alone[lang]}: no item file next to it, so no original_lang: home_transfer is not "
                            "computed for it" for lang in ("en", "zh")]
    assert not [r for r in compute_metrics(res.predictions, n_boot=0) if r.metric == "home_transfer"]
    # with the item files, the same predictions carry their items' original_lang
    for lang in ("en", "zh"):
        _write(_lang_dir(tmp_path / "full", "x_geo", lang) / f"m{MAIN}", _preds("BAD", GEO_GOLD, [0, 1, 2]))
    full = read_predictions(tmp_path / "full", "clika-repo")
    assert full.warnings == [] and _by_model(full) == _by_model(res)
    assert {p.extra.get("original_lang") for p in full.predictions} == {"en"}
    assert [r for r in compute_metrics(full.predictions, n_boot=0) if r.metric == "home_transfer"]


# --- ambiguous and empty files --------------------------------------------------------


def test_two_files_for_one_model_stop_with_both_named(tmp_path: Path):
    folder = _lang_dir(tmp_path, "x_geo", "de")
    _write(folder / "x_res.jsonl", _preds("BAD", GEO_GOLD, [0, 1, 2], input_field=True))
    _write(folder / f"x{MAIN}", _preds("BAD", GEO_GOLD, [0, 1, 2]))
    _write(folder / f"y{MAIN}", _preds("BAD", GEO_GOLD, [0, 1, 2]))
    with pytest.raises(DataError) as err:
        read_predictions(tmp_path, "clika-repo")
    assert str(err.value) == (
        f"{folder}: 2 prediction files give model 'x' for x_geo/de: x_res.jsonl, x{MAIN}; keep one, "
        "or rename the others to x_res_<variant>.jsonl to read them as runs x@<variant>"
    )
    # a read that does not select model x is not affected
    assert {p.model for p in read_predictions(tmp_path, "clika-repo", models=["y"]).predictions} == {"y"}


@pytest.mark.parametrize("content", ["", "\n\n  \n"])
def test_an_empty_prediction_file_is_skipped_and_its_model_is_partial(tmp_path: Path, content: str):
    from clika.data.coverage import Coverage

    en = _lang_dir(tmp_path, "x_geo", "en")
    _write(en / f"m{MAIN}", _preds("BAD", GEO_GOLD, [0, 1, 2]))
    he = _lang_dir(tmp_path, "x_geo", "he")
    path = he / f"m{MAIN}"
    path.write_text(content, encoding="utf-8")
    res = read_predictions(tmp_path, "clika-repo")
    assert _skips(res) == [(f"x_geo/he/m{MAIN}", "empty", None, "empty (no records)")]
    assert Coverage.of(res, tmp_path, "clika-repo").partial() == {("m", "x_geo"): ("he",)}
    with pytest.raises(DataError) as err:  # named on its own, it is an error
        read_upstream_file(path, "m", "x_geo", "he", 4)
    assert str(err.value) == f"{path}: empty prediction file (no records); remove it or fill it"


# --- unknown filter values, every layout ---------------------------------------------


def test_unknown_models_and_tasks_list_what_exists_in_the_upstream_layout(tmp_path: Path):
    for task, gold, uuids in (("x_geo", GEO_GOLD, [0, 1, 2]), ("x_copa", COPA_GOLD, [501, 502, 503])):
        folder = _lang_dir(tmp_path, task, "en")
        _write(folder / f"a{MAIN}", _preds("AAA", gold, uuids))
        _write(folder / "b_res_visual.jsonl", _preds("AAA", gold, uuids))
    _write(tmp_path / "x_geo" / "en" / "c_res.jsonl", _preds("AAA", GEO_GOLD, [0, 1, 2]))
    cases = [
        (dict(models=["foo"]), "no model 'foo'; the predictions have: a, b@visual, c"),
        (dict(models=["b", "zz", "a"]), "no models 'b', 'zz'; the predictions have: a, b@visual, c"),
        (dict(tasks=["x_geo", "geo"]), "no task 'geo'; the predictions have: x_copa, x_geo"),
        (dict(tasks=["x_name"]), "no task 'x_name'; the predictions have: x_copa, x_geo"),
        (dict(models=["c"], tasks=["x_copa"]),
         "no predictions of model 'c' for tasks x_copa; the predictions there have: a, b@visual"),
    ]
    for kwargs, message in cases:
        with pytest.raises(ConfigError) as err:
            read_predictions(tmp_path, "clika-repo", **kwargs)
        assert str(err.value) == message
    assert len(read_predictions(tmp_path, "clika-repo", models=["c"], tasks=["x_geo"]).predictions) == 3


def test_unknown_models_and_tasks_list_what_exists_in_the_clika_layout(tmp_path: Path):
    rec = {"model": "m", "task": "x_geo", "lang": "en", "item_id": "0", "prediction": 1, "gold": 1, "n_options": 4}
    path = _write(tmp_path / "predictions.jsonl", [rec, {**rec, "model": "n", "task": "x_copa", "n_options": 2}])
    with pytest.raises(ConfigError) as err:
        read_predictions(path, "clika", models=["foo"])
    assert str(err.value) == "no model 'foo'; the predictions have: m, n"
    with pytest.raises(ConfigError) as err:
        read_predictions(path, "clika", tasks=["x_name"])
    assert str(err.value) == "no task 'x_name'; the predictions have: x_copa, x_geo"
    assert [p.model for p in read_predictions(path, "clika", models=["n"]).predictions] == ["n"]


def test_unknown_models_and_tasks_list_what_exists_in_the_lm_eval_layout(tmp_path: Path):
    folder = tmp_path / "out" / "org__model"
    folder.mkdir(parents=True)
    (folder / "results_2024-05-01T10-00-00.000000.json").write_text(json.dumps({"model_name": "org/model"}))
    rec = {"doc_id": 0, "doc": {"id": 0}, "target": "1", "filter": "none",
           "arguments": {f"gen_args_{i}": {"arg_0": "q", "arg_1": f" {o}"} for i, o in enumerate("abcd")},
           "filtered_resps": [["-3.0", "False"], ["-1.0", "False"], ["-2.0", "False"], ["-4.0", "False"]]}
    _write(folder / "samples_x_geo_en_2024-05-01T10-00-00.000000.jsonl", [rec])
    res = read_predictions(tmp_path / "out", "lm-eval", models=["org/model"], tasks=["x_geo"])
    assert [(p.model, p.task, p.lang, p.item_id, p.choice, p.gold) for p in res.predictions] == [
        ("org/model", "x_geo", "en", "0", 1, 1)]
    with pytest.raises(ConfigError) as err:
        read_predictions(tmp_path / "out", "lm-eval", models=["model"])
    assert str(err.value) == "no model 'model'; the predictions have: org/model"
    with pytest.raises(ConfigError) as err:
        read_predictions(tmp_path / "out", "lm-eval", tasks=["x_copa"])
    assert str(err.value) == "no task 'x_copa'; the predictions have: x_geo"


# --- module structure and the real data ----------------------------------------------


def test_the_layout_readers_do_not_import_the_dispatcher():
    code = ("import sys; import clika.data.lmeval_samples; "
            "assert 'clika.data.predictions_io' not in sys.modules, 'lmeval_samples imports predictions_io'")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_the_forty_shared_models_are_read_as_before(shared_data: Path):
    res = read_predictions(shared_data, "clika-repo", tasks=["x_geo"])
    assert res.warnings == []
    old_names = sorted(f.name[: -len(MAIN)] for f in (shared_data / "x_geo" / "en").glob("*" + MAIN))
    assert len(old_names) == 40
    assert sorted({p.model for p in res.predictions}) == old_names
    per_unit = Counter((p.model, p.lang) for p in res.predictions)
    assert len(per_unit) == 400 and set(per_unit.values()) == {200}
    # item ids are the files' uuids, choices the first-character rule
    path = shared_data / "x_geo" / "ja" / f"bloomz_7b1_mt{MAIN}"
    lines = [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines()]
    mine = [(p.item_id, p.choice) for p in res.predictions if p.model == "bloomz_7b1_mt" and p.lang == "ja"]
    assert mine == [(str(r["uuid"]), first_char_choice(r["res"], 4)) for r in lines]
