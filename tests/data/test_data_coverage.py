"""clika.data.coverage: the complete-coverage rule, the summary and coverage.json."""

from __future__ import annotations

import json
from pathlib import Path

from clika.data.coverage import Coverage, complete_models, coverage_path, expected_langs_of, partial_cells
from clika.data.predictions_io import read_predictions, write_predictions_jsonl
from clika.data.reading import FileEntry, PredictionReadResult
from clika.predictions import Prediction


def _preds(model: str, task: str, langs: str, n: int = 2) -> list[Prediction]:
    return [Prediction(model, task, lang, str(i), 0, 0, 4) for lang in langs.split() for i in range(n)]


def test_partial_cells_name_the_missing_languages_in_the_tasks_order():
    by_cell = {("a", "t"): {"en", "zh", "de"}, ("b", "t"): {"en"}, ("b", "u"): {"en", "fr"}}
    expected = {"t": ("en", "zh", "de"), "u": ("en", "fr")}
    assert partial_cells(by_cell, expected) == {("b", "t"): ("zh", "de")}
    # a model is complete only with every task, none of them partial
    tasks = {"a": ["t"], "b": ["t", "u"], "c": ["t", "u"]}
    assert complete_models(tasks, {("b", "t")}, ["t", "u"]) == ["c"]
    assert complete_models(tasks, {("b", "t")}, ["t"]) == ["a", "c"]


def test_expected_languages_without_a_layout_are_the_union_of_what_was_read_within_langs():
    by_cell = {("a", "t"): {"en", "zh"}, ("b", "t"): {"en", "de"}, ("a", "u"): {"en"}}
    assert expected_langs_of(by_cell) == {"t": ("en", "zh", "de"), "u": ("en",)}
    assert expected_langs_of(by_cell, ["en", "de"]) == {"t": ("en", "de"), "u": ("en",)}


def test_clika_layout_coverage_counts_predictions_and_finds_the_partial_model(tmp_path: Path):
    path = write_predictions_jsonl(_preds("full", "x_geo", "en zh de") + _preds("half", "x_geo", "en zh", n=1),
                                   tmp_path / "predictions.jsonl")
    read = read_predictions(path, "clika")
    cov = Coverage.of(read, path, "clika")
    assert cov.counts[("full", "x_geo", "de")] == 2 and cov.counts[("half", "x_geo", "en")] == 1
    assert cov.expected == {"x_geo": ("en", "zh", "de")}
    assert cov.partial() == {("half", "x_geo"): ("de",)} and cov.complete_models() == ["full"]
    lines = dict((text.split(":")[0], level) for level, text in cov.summary())
    assert lines["complete"] == "info" and lines["partial, left out of overall values, ranks and claim pools"] \
        == "warning"


def test_summary_counts_skips_by_reason_and_verbose_lists_each(tmp_path: Path):
    read = PredictionReadResult(_preds("m", "x_geo", "en zh"))
    read.files = [FileEntry("x_geo/en/m_res.jsonl", "read", model="m", task="x_geo", lang="en", n=2, n_items=3),
                  FileEntry("x_geo/zh/m_res.jsonl", "read", model="m", task="x_geo", lang="zh", n=2, n_items=2)]
    read.skip("x_geo/en/a_res_visual.jsonl", "not_json_lines", "invalid JSON: Expecting value (column 1)", 1)
    read.skip("x_geo/en/b_res_visual.jsonl", "not_json_lines", "invalid JSON: Expecting value (column 1)", 1)
    read.skip("x_geo/en/old_res.jsonl", "excluded")
    cov = Coverage.of(read, tmp_path, "clika-repo")
    short = [text for _, text in cov.summary()]
    assert ("skipped 2 files: 2 not JSON lines (e.g. a plain-text dump) (--verbose lists them; coverage.json has "
            "every file)") in short
    assert "skipped 1 file: 1 matched --exclude (--verbose lists them; coverage.json has every file)" in short
    # a file cut short (2 of its item file's 3) makes the model partial, said like a missing language
    assert "partial, left out of overall values, ranks and claim pools: 1 model: m (x_geo/en: 2 of 3 items)" in short
    verbose = [text for _, text in cov.summary(verbose=True)]
    assert "  skipped x_geo/en/b_res_visual.jsonl: invalid JSON: Expecting value (column 1) (line 1)" in verbose
    assert dict(cov.summary())  # every line has a level


def test_coverage_json_round_trips_and_sits_beside_the_output(tmp_path: Path):
    read = PredictionReadResult(_preds("m", "x_geo", "en zh") + _preds("v", "x_geo", "en"))
    read.skip("x_geo/en/x.txt", "unknown_name")
    cov = Coverage.of(read, tmp_path, "clika")
    path = cov.write(coverage_path(tmp_path / "out" / "scores.jsonl"))
    assert path == tmp_path / "out" / "scores.coverage.json"
    assert coverage_path(tmp_path / "cmp") == tmp_path / "cmp" / "coverage.json"
    back = Coverage.read(path)
    assert (back.counts, back.expected, back.files) == (cov.counts, cov.expected, cov.files)
    d = json.loads(path.read_text(encoding="utf-8"))
    assert d["partial_models"] == {"v": "x_geo: en only, 1 of 2 languages"}
    assert d["files_skipped"] == {"unknown_name": 1}


def test_merged_sources_expect_every_language_either_expects(tmp_path: Path):
    a = Coverage("a", "clika", counts={("m", "t", "en"): 1, ("m", "t", "zh"): 1}, expected={"t": ("en", "zh")})
    b = Coverage("b", "clika-repo", counts={("n", "t", "en"): 1, ("n", "t", "de"): 1}, expected={"t": ("en", "de")})
    merged = Coverage.merge([a, b])
    assert merged.expected == {"t": ("en", "zh", "de")}
    assert merged.partial() == {("m", "t"): ("de",), ("n", "t"): ("zh",)}
