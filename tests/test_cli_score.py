"""`clika score` end to end on real upstream predictions, checked against an independent pandas computation."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from clika.metrics.flags import UNPARSEABLE_FLAG
from clika.metrics.record_io import read_records
from tests.record_keys import where

CLIKA = str(Path(sys.executable).with_name("clika"))
MODELS = ("llama2_7b", "bloomz_7b1")
LANGS = ("en", "zh", "ja", "fr", "de", "it", "ru", "pl", "he", "ar")


def run(*args):
    return subprocess.run([CLIKA, *args], capture_output=True, text=True, env={**os.environ, "COLUMNS": "200"})


def upstream_frame(data: Path, task: str = "x_geo") -> pd.DataFrame:
    """The upstream files read with pandas and the paper's rule: first character of the stripped answer."""
    frames = []
    for model in MODELS:
        for lang in LANGS:
            f = data / task / lang / f"{model}_res_bf16_add_simple_example.jsonl"
            df = pd.read_json(f, lines=True, dtype={"uuid": str})
            frames.append(pd.DataFrame({
                "model": model, "lang": lang, "uuid": df["uuid"].astype(str),
                "answer": df["res"].fillna("").str.strip().str[:1], "gold": df["label"],
            }))
    df = pd.concat(frames, ignore_index=True)
    df["correct"] = df["answer"] == df["gold"]
    df["parsed"] = df["answer"].isin(list("ABCD"))
    return df


@pytest.fixture(scope="module")
def scored(shared_data, tmp_path_factory):
    out = tmp_path_factory.mktemp("score") / "metrics.jsonl"
    args = ["score", "--predictions", str(shared_data), "--layout", "clika-repo", "--tasks", "x_geo",
            "--n-boot", "200", "--out", str(out)]
    for m in MODELS:
        args += ["--model", m]
    done = run(*args)
    assert done.returncode == 0, done.stderr
    return done, {(r.model, where(r), r.metric): r for r in read_records(out) if r.stratum is None}, upstream_frame(shared_data)


def test_records_match_an_independent_pandas_computation(scored):
    _, recs, df = scored
    for model in MODELS:
        mine = df[df.model == model].pivot(index="uuid", columns="lang")
        correct, answer, parsed = mine["correct"], mine["answer"], mine["parsed"]
        p = correct.mean()
        for lang in LANGS:
            assert recs[(model, lang, "accuracy")].value == pytest.approx(p[lang])
            assert recs[(model, lang, "accuracy")].n == 200
            assert recs[(model, lang, "accuracy_adj")].value == pytest.approx((p[lang] - 0.25) / 0.75)
        ras, cos = [], []
        for lang in LANGS[1:]:
            inter = (correct["en"] & correct[lang]).sum()
            union = (correct["en"] | correct[lang]).sum()
            ras.append(p[lang] / p["en"])
            cos.append(inter / union)
            assert recs[(model, lang, "ra")].value == pytest.approx(ras[-1])
            assert recs[(model, lang, "en_co")].value == pytest.approx(cos[-1])
            e = p["en"] * p[lang] / (p["en"] + p[lang] - p["en"] * p[lang])
            assert recs[(model, lang, "en_co_adj")].value == pytest.approx((cos[-1] - e) / (1 - e))
            r = recs[(model, lang, "ra")]
            assert r.ci_low <= r.value <= r.ci_high
        assert recs[(model, "avg", "ra")].value == pytest.approx(sum(ras) / len(ras))
        assert recs[(model, "avg", "en_co")].value == pytest.approx(sum(cos) / len(cos))
        agree = ((answer["zh"] == answer["ja"]) & parsed["zh"]).mean()
        assert recs[(model, "zh-ja", "agreement")].value == pytest.approx(agree)
        unparseable = 1 - parsed["he"].mean()
        assert recs[(model, "he", "unparseable_rate")].value == pytest.approx(unparseable)
        share_a = (answer["he"] == "A").mean()
        assert recs[(model, "he", "option_share_A")].value == pytest.approx(share_a)


def test_summary_table_is_printed(scored):
    done, recs, _ = scored
    assert "CLiKA scores" in done.stdout
    for model in MODELS:
        assert model in done.stdout
        assert f"{recs[(model, 'en', 'accuracy')].value:.3f}" in done.stdout
        assert f"{recs[(model, 'avg', 'en_co')].value:.3f}" in done.stdout


def test_csv_output_and_smart_extraction_count(shared_data, tmp_path):
    from clika import api

    out = tmp_path / "m.csv"
    done = run("score", "--predictions", str(shared_data), "--tasks", "x_geo", "--langs", "en,he",
               "--model", "llama2_7b", "--extract", "smart", "--n-boot", "50", "--out", str(out))
    assert done.returncode == 0, done.stderr
    expected = api.score(api.ScoreOptions(shared_data, tasks=["x_geo"], langs=["en", "he"], models=["llama2_7b"],
                                          extract="smart", n_boot=50))
    changed = sum(expected.extraction_changes.values())
    assert f"smart extraction changed {changed} of 400 answers" in done.stderr
    assert out.read_text(encoding="utf-8").startswith("model,model_ref,strategy,task,condition,metric,lang,lang_ref,aggregate,stratum,value,"
                                                      "ci_low,ci_high,p_value,n,item_set,chance,flags,note\n")
    assert read_records(out) == [r for r in expected.records]


@pytest.mark.parametrize("args, message", [
    (["--out", "x.txt"], "--output: must end in .jsonl or .csv, got 'x.txt'"),
    (["--layout", "nope", "--out", "x.jsonl"], "unknown --layout 'nope'"),
    (["--langs", "zh,ja", "--out", "x.jsonl"], "must include the pivot language 'en'"),
    (["--n-boot", "-1", "--out", "x.jsonl"], "--n-boot must be >= 0, got -1"),
])
def test_bad_options_are_one_line_errors(shared_data, tmp_path, args, message):
    done = run("score", "--predictions", str(shared_data), "--tasks", "x_geo", "--model", "llama2_7b",
               *[str(tmp_path / a) if a.startswith("x.") else a for a in args])
    assert done.returncode == 1
    assert len(done.stderr.strip().splitlines()) == 1 and message in done.stderr, done.stderr


def test_malformed_prediction_line_names_file_and_line(tmp_path):
    bad = tmp_path / "preds.jsonl"
    good = {"model": "m", "task": "x_geo", "lang": "en", "item_id": "1", "prediction": 0, "gold": 0, "n_options": 4}
    bad.write_text(json.dumps(good) + "\n" + '{"model": "m", "task"\n', encoding="utf-8")
    done = run("score", "--predictions", str(bad), "--layout", "clika", "--out", str(tmp_path / "o.jsonl"))
    assert done.returncode == 1 and len(done.stderr.strip().splitlines()) == 1
    assert f"{bad}:2" in done.stderr


def test_unparseable_answers_are_a_column_and_a_flag_and_unrank_the_row(tmp_path):
    """76% of the English answers unreadable (cut off mid-sentence): RA above 1 means nothing, and the
    table and the leaderboard say so where the number is read."""
    rows = [{"model": "cut_off", "task": "x_geo", "lang": "en", "item_id": str(i), "gold": 0, "n_options": 4,
             "prediction": None if i < 76 else 0} for i in range(100)]
    rows += [{"model": "cut_off", "task": "x_geo", "lang": "zh", "item_id": str(i), "gold": 0, "n_options": 4,
              "prediction": 0 if i % 2 else 1} for i in range(100)]
    preds = tmp_path / "predictions.jsonl"
    preds.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    done = run("score", "--predictions", str(preds), "--layout", "clika", "--n-boot", "0",
               "--out", str(tmp_path / "m.jsonl"))
    assert done.returncode == 0, done.stderr
    [row] = [line for line in done.stdout.splitlines() if line.startswith("cut_off")]
    ra = next(r for r in read_records(tmp_path / "m.jsonl") if r.metric == "ra" and where(r) == "avg")
    assert ra.value == pytest.approx(0.5 / 0.24)
    assert f"{ra.value:.3f}" in row and " 76% " in row and "unparseable 1/2 langs" in row
    report = run("report", str(tmp_path / "m.jsonl"), "-o", str(tmp_path / "rep"))
    assert report.returncode == 0, report.stderr
    board = list(csv.DictReader((tmp_path / "rep" / "leaderboard.csv").open(encoding="utf-8")))
    x_geo = next(r for r in board if r["task"] == "x_geo")
    assert x_geo["rank"] == "" and f"more than {UNPARSEABLE_FLAG:.0%} of the English answers unparseable" in x_geo["note"]
