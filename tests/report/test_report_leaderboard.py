"""The leaderboard (rows, overall, rank key, flags, CSV) and reference results (`--reference published`)."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from clika.errors import ConfigError, DataError
from clika.metrics.compute import compute_metrics
from clika.metrics.record_io import write_records
from clika.predictions import Prediction
from clika.report.flags import FlagIndex
from clika.report.leaderboard import (
    OVERALL,
    RANK_KEY,
    Cell,
    LeaderboardRow,
    build_leaderboard,
    csv_columns,
    headline_columns,
    items_difference,
    rank_rows,
    write_leaderboard_csv,
)
from clika.report.reference import (
    SUFFIX,
    load_reference,
    reference_files,
    with_reference,
)
from tests.record_keys import where

CLIKA = str(Path(sys.executable).with_name("clika"))
N = 24
LANGS = ("en", "zh", "fr")


def synth(models=("strong", "weak", "lazy"), tasks=(("x_geo", 4), ("x_copa", 2))) -> list[Prediction]:
    """strong / weak: right on a block of items per language (wrong answers pick the next option);
    lazy: always answers option 0 (gold is i % k, so it is at chance and one option dominates)."""
    right = {"strong": {"en": range(20), "zh": range(16), "fr": range(4, 20)},
             "weak": {"en": range(14), "zh": range(6), "fr": range(2, 10)}}
    preds = []
    for task, k in tasks:
        for model in models:
            for lang in LANGS:
                for i in range(N):
                    gold = i % k
                    choice = 0 if model == "lazy" else (gold if i in right[model][lang] else (gold + 1) % k)
                    extra = {"original_lang": LANGS[i % 3]} if task == "x_geo" else {}
                    preds.append(Prediction(model, task, lang, str(i), choice, gold, k, extra=extra))
    return preds


@pytest.fixture(scope="module")
def resamples():
    return {}


@pytest.fixture(scope="module")
def records(resamples):
    return compute_metrics(synth(), n_boot=100, resamples=resamples)


def _rec(records, model, task, lang, metric):
    return next(r for r in records if (r.model, r.task, where(r), r.metric) == (model, task, lang, metric))


def test_columns_come_from_the_registry():
    assert [c.name for c in headline_columns()] == ["accuracy_en", "ra", "en_co", "rankc", "xrr"]
    assert csv_columns(headline_columns())[:5] == ("model", "task", "accuracy_en", "accuracy_en_ci_low",
                                                   "accuracy_en_ci_high")


def test_task_rows_hold_the_records_and_the_overall_row_is_the_mean(records, resamples):
    board = build_leaderboard(records, resamples=resamples)
    assert list(board) == [OVERALL, "x_copa", "x_geo"]
    for task in ("x_copa", "x_geo"):
        for row in board[task]:
            for col, lang, m in (("accuracy_en", "en", "accuracy"), ("ra", "avg", "ra"), ("en_co", "avg", "en_co")):
                rec = _rec(records, row.model, task, lang, m)
                cell = row.cells[col]
                assert (cell.value, cell.ci_low, cell.ci_high) == (rec.value, rec.ci_low, rec.ci_high)
            acc = _rec(records, row.model, task, "en", "accuracy")
            assert row.n == acc.n and row.chance == acc.chance
            assert row.value("rankc") is None  # generate-style predictions carry no per-option scores
    for row in board[OVERALL]:
        tasks = [next(r for r in board[t] if r.model == row.model) for t in ("x_copa", "x_geo")]
        for col in ("accuracy_en", "ra", "en_co"):
            if row.value(col) is None:
                continue
            assert row.value(col) == pytest.approx(sum(t.value(col) for t in tasks) / 2)
            # the interval of the mean: the two tasks' resamples averaged resample by resample
            both = (tasks[0].cells[col].resamples + tasks[1].cells[col].resamples) / 2
            assert (row.cells[col].ci_low, row.cells[col].ci_high) == pytest.approx(
                tuple(np.nanpercentile(both, [2.5, 97.5])), abs=1e-6)
        assert row.n == sum(t.n for t in tasks)
    without = build_leaderboard(records)  # no resamples: the mean has no interval and says so
    assert all(r.cells["en_co"].ci_low is None and "no interval" in r.note for r in without[OVERALL]
               if r.value("en_co") is not None)


def test_rank_key_and_the_unranked(records):
    board = build_leaderboard(records)
    for task, rows in board.items():
        ranked = [r for r in rows if r.rank is not None]
        assert [r.rank for r in ranked] == list(range(1, len(ranked) + 1))
        assert [r.value("en_co") for r in ranked] == sorted((r.value("en_co") for r in ranked), reverse=True)
        lazy = next(r for r in rows if r.model == "lazy")
        assert lazy.rank is None and lazy in rows[len(ranked):]  # unranked rows come after the ranked ones
        if task != OVERALL:
            assert "English accuracy not above chance" in lazy.note and "dominant option in English" in lazy.note
            assert lazy.flags.startswith("dominant option in 3/3 languages") and "English at chance" in lazy.flags
    # ties on en-CO are broken by RA, equal keys share a rank
    def row(name, ra, en_co, rankable=True):
        return LeaderboardRow(name, "t", {"ra": Cell(ra), "en_co": Cell(en_co)}, rankable=rankable)

    rows = [row("a", 0.5, 0.7), row("b", 0.9, 0.7), row("c", 0.9, 0.7), row("d", 1.0, 0.9, False)]
    assert [(r.model, r.rank) for r in rank_rows(rows)] == [("b", 1), ("c", 1), ("a", 3), ("d", None)]


def test_flags_summary_counts_languages(records):
    flags = FlagIndex(records)
    dominant = {(r.task, r.lang) for r in records if r.model == "lazy" and r.metric == "dominant_option_flag" and r.value}
    assert dominant == {(t, lang) for t in ("x_copa", "x_geo") for lang in LANGS}
    summary = flags.summary("lazy", ["x_copa", "x_geo"])
    assert summary.startswith(f"dominant option in {len(dominant)}/{len(dominant)} (task, language) cells")
    assert "English at chance on x_copa, x_geo" in summary
    assert not flags.at_chance("strong", "x_geo")


def test_csv_round_trips(records, tmp_path):
    board = build_leaderboard(records)
    path = write_leaderboard_csv(board, tmp_path / "leaderboard.csv")
    with path.open(newline="") as fh:
        reader = csv.DictReader(fh)
        rows = list(reader)
    assert tuple(reader.fieldnames) == csv_columns(headline_columns())
    assert len(rows) == sum(len(v) for v in board.values())
    strong = next(r for r in board["x_geo"] if r.model == "strong")
    got = next(r for r in rows if (r["model"], r["task"]) == ("strong", "x_geo"))
    assert float(got["en_co"]) == pytest.approx(strong.value("en_co"), rel=1e-5)
    assert float(got["ra_ci_low"]) == pytest.approx(strong.cells["ra"].ci_low, rel=1e-5)
    assert got["rank"] == str(strong.rank) and got["source"] == ""


def test_packaged_reference_has_provenance_and_what_the_report_needs():
    records_path, meta_path = reference_files("published")
    assert records_path.stat().st_size < 1.8e6  # 1,649,789 bytes as built, with the item set of each per-language value
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    assert meta["commit"] == "51059fe908ae2508740732056d8db3eba6c0f751" and "RiverGao/CLiKA" in meta["repository"]
    assert {"n_boot", "seed", "clika_version"} <= set(meta)
    records, _ = load_reference("published")
    assert len(records) == meta["n_records"] and len({r.model for r in records}) == len(meta["models"]) == 40
    assert {r.metric for r in records} == set(meta["metrics"])
    acc = [r for r in records if r.metric == "accuracy"]
    assert all(r.chance is not None and r.ci_low is not None and r.n > 0 for r in acc)
    assert all(r.item_set for r in acc)  # so a run on other questions is never ranked beside them
    assert {where(r) for r in records if r.metric == "ra"} >= {"avg", "zh"}


def test_with_reference_marks_yours_and_renames_a_clash(records):
    mine = [r for r in records if r.model == "strong"]
    clash = [replace(r, model="llama2_7b") for r in mine]
    merged, yours, meta = with_reference(mine + clash, "published")
    assert yours == {"strong", "llama2_7b"} and meta["commit"].startswith("51059fe")
    models = {r.model for r in merged}
    assert "llama2_7b" + SUFFIX in models and len(models) == 42
    assert {r.task for r in merged} == {"x_copa", "x_geo"}  # only your tasks
    board = build_leaderboard(merged, yours=yours)
    assert {r.source for r in board["x_geo"]} == {"yours", "reference"}
    assert [r.model for r in board["x_geo"] if r.source == "yours"] and len(board["x_geo"]) == 42
    with pytest.raises(DataError, match="no task in common"):
        with_reference([replace(r, task="mini_factual") for r in mine], "published")
    with pytest.raises(ConfigError, match="unknown --reference"):
        with_reference(mine, "nonsense")


def test_cli_report_with_reference(records, tmp_path):
    """`clika report RUN --reference published --html`: your model among the 40, in the CSV and the page."""
    run = tmp_path / "run"
    write_records([r for r in records if r.model == "strong" and r.task == "x_geo"], run / "metrics.jsonl")
    done = subprocess.run([CLIKA, "report", str(run), "--output", str(tmp_path / "rep"), "--html",
                           "--reference", "published"], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    with (tmp_path / "rep" / "leaderboard.csv").open(newline="") as fh:
        rows = [r for r in csv.DictReader(fh) if r["task"] == "x_geo"]
    assert len(rows) == 41 and [r["model"] for r in rows if r["source"] == "yours"] == ["strong"]
    html = (tmp_path / "rep" / "report.html").read_text(encoding="utf-8")
    assert html.count('class="badge b-yours"') >= 2 and "51059fe908ae" in html
    assert html.count('<details class="model"') == 1  # a section for your model only
    bad = subprocess.run([CLIKA, "report", str(run), "--output", str(tmp_path / "rep2"), "--reference", "nope"],
                         capture_output=True, text=True, check=False)
    assert bad.returncode == 1 and len(bad.stderr.strip().splitlines()) == 1 and "unknown --reference" in bad.stderr


# ---------------------------------------------------------------- ranks only on the same items

def _placed(records, spec="published"):
    """Your records placed among the published ones: (x_geo rows by model, overall rows by model)."""
    merged, yours, _ = with_reference(records, spec)
    board = build_leaderboard(merged, yours=yours)
    return {r.model: r for r in board["x_geo"]}, {r.model: r for r in board[OVERALL]}


def test_a_model_scored_on_fewer_languages_is_not_ranked_above_the_reference(shared_data, tmp_path):
    """Issue 24: llama2_13b's own x_geo answers on en, zh, de only, renamed, ranked #1 (en-CO over 2
    languages) above llama2_13b itself (en-CO over 9). Against a reference that cannot be recomputed on
    your languages (a metrics file: `published` can, tests/report/test_report_reference_items.py) it is
    listed, not ranked, and says why."""
    from clika.api import ScoreOptions, score

    scored = score(ScoreOptions(shared_data, models=["llama2_13b"], tasks=["x_geo"], langs=["en", "zh", "de"],
                                n_boot=0)).records
    write_records(load_reference("published")[0], tmp_path / "published.jsonl")
    rows, overall = _placed([replace(r, model="mymodel") for r in scored], tmp_path / "published.jsonl")
    mine, published = rows["mymodel"], rows["llama2_13b"]
    assert mine.value("en_co") > published.value("en_co")  # the number that ranked it first
    assert mine.rank is None and published.rank is not None
    assert mine.note == "not ranked: computed on en, zh, de (2 of the references' 9 non-English languages)"
    assert overall["mymodel"].rank is None and "x_geo not ranked: computed on en, zh, de" in overall["mymodel"].note
    # the reference is ranked as it is without you: 40 rows, ranks 1..40 in en-CO order
    alone = build_leaderboard(load_reference("published")[0])["x_geo"]
    assert [(r.model, r.rank) for r in rows.values() if r.model != "mymodel"] == [(r.model, r.rank) for r in alone]
    assert "other languages, another n per language" in RANK_KEY and "same n on other questions" in RANK_KEY


def test_a_limit_run_is_not_ranked_against_the_full_reference(shared_data, tmp_path):
    """The first 50 items of each language, scored as `clika run --limit 50` scores them (no item file to
    call it partial): listed with its n, not ranked among the 200-item references, in leaderboard.csv too."""
    from clika.api import ReportOptions, read_predictions_checked, report

    predictions = read_predictions_checked(shared_data, "clika-repo", models=["llama2_13b"], tasks=["x_geo"]).predictions
    first = set(list(dict.fromkeys(p.item_id for p in predictions if p.lang == "en"))[:50])
    records = compute_metrics([replace(p, model="mymodel") for p in predictions if p.item_id in first], n_boot=0)
    rows, _ = _placed(records)
    assert rows["mymodel"].rank is None and rows["mymodel"].n == 50
    assert rows["mymodel"].note == "not ranked: n = 50 of the references' 200 items per language (--limit or a subset)"
    assert "is not known" in with_reference(records, "published")[2]["not_recomputed"]["x_geo"]
    write_records(records, tmp_path / "run" / "metrics.jsonl")
    written = report(ReportOptions(tmp_path / "run", tmp_path / "rep", reference="published"))
    with written["leaderboard"].open(newline="") as fh:
        got = {(r["model"], r["task"]): r for r in csv.DictReader(fh)}
    assert got[("mymodel", "x_geo")]["rank"] == "" and "n = 50 of the references' 200" in got[("mymodel", "x_geo")]["note"]
    assert got[("llama2_13b", "x_geo")]["rank"] != ""


def test_the_same_number_of_items_on_other_questions_is_not_ranked_against_the_reference(shared_data):
    """llama2_13b's x_geo answers on the last 150 items against the references recomputed on the first 150:
    the same languages and n, other questions. The records' item sets tell them apart: listed, not ranked.
    The same answers on the first 150 items are ranked (the reference recomputed on them)."""
    from clika.api import read_predictions_checked

    predictions = read_predictions_checked(shared_data, "clika-repo", models=["llama2_13b"], tasks=["x_geo"]).predictions
    ids = list(dict.fromkeys(p.item_id for p in predictions if p.lang == "en"))
    first, last = set(ids[:150]), set(ids[-150:])
    mine = [replace(p, model="mymodel") for p in predictions if p.item_id in last]
    # the reference's rows as --reference recomputes them on a user's items: here on the first 150
    reference = compute_metrics([p for p in predictions if p.item_id in first], n_boot=0)
    records = compute_metrics(mine, n_boot=0)
    accuracy = {r.lang: r for r in records if (r.metric, r.aggregate) == ("accuracy", None)}
    assert {r.n for r in accuracy.values()} == {150} and len({r.item_set for r in accuracy.values()}) == 1
    rows = {r.model: r for r in build_leaderboard(records + reference, yours={"mymodel"})["x_geo"]}
    assert rows["mymodel"].rank is None and rows["llama2_13b"].rank == 1
    assert rows["mymodel"].note.startswith("not ranked: other items than the references' in en, zh, ja")
    assert "(the same number of items, other questions)" in rows["mymodel"].note
    same = compute_metrics([replace(p, model="mymodel") for p in predictions if p.item_id in first], n_boot=0)
    rows = {r.model: r for r in build_leaderboard(same + reference, yours={"mymodel"})["x_geo"]}
    assert rows["mymodel"].rank == rows["llama2_13b"].rank == 1  # the same answers on the same items: equal


def test_without_a_reference_rows_are_ranked_on_the_items_most_rows_share():
    """Two of your own runs on other languages are not ranked against each other either; ties go to the
    wider one. The difference is said in words, languages and n alike."""
    runs = [p for p in synth(("strong", "weak")) if not (p.model == "weak" and p.lang == "fr")]
    rows = {r.model: r for r in build_leaderboard(compute_metrics(runs, n_boot=0))["x_geo"]}
    assert rows["strong"].rank == 1 and rows["weak"].rank is None
    assert rows["weak"].note == "not ranked: computed on en, zh (1 of the ranked rows' 2 non-English languages)"
    theirs = {lang: 200 for lang in ("en", "zh", "ja", "de")}
    assert items_difference(dict(theirs), theirs, "the references'") == []
    assert items_difference({"en": 200, "zh": 200, "ko": 200}, theirs, "the references'") == [
        "computed on en, zh, ko (1 of the references' 3 non-English languages, and ko)"]
    assert items_difference({**theirs, "de": 197}, theirs, "the references'") == [
        "n differs in 1 language(s) (de 197, the references' 200)"]
    assert items_difference({lang: 300 for lang in theirs}, theirs, "the references'") == [
        "n = 300 items per language, the references' 200"]


def _xrr(model, target, value, condition=None):
    from clika.metrics.records import Record

    return Record(model=model, task="fictional", condition=condition, metric="xrr", lang=target, lang_ref="en",
                  value=value, ci_low=value - 0.1, ci_high=value + 0.1, n=40)


def test_two_conditions_of_one_target_never_collide_in_the_leaderboard_or_the_cd_report():
    """XRR of one model and target under the paper's protocol and under names-both: two runs in the CD
    section, and the leaderboard's XRR mean over targets takes one condition, never both."""
    from clika.report.cd_tables import cd_markdown, runs_of

    records = [_xrr("a", "de", 0.3), _xrr("a", "de", 0.6, "names-both"), _xrr("a", "ru", 0.5),
               _xrr("b", "de", 0.2, "names-both"), _xrr("b", "ru", 0.4, "names-both"),
               _xrr("c", "de", 0.2, "names-both"), _xrr("c", "de", 0.4, "gate-english")]
    assert set(runs_of(records)) == {("a", None, "en", "de"), ("a", "names-both", "en", "de"), ("a", None, "en", "ru"),
                                     ("b", "names-both", "en", "de"), ("b", "names-both", "en", "ru"),
                                     ("c", "names-both", "en", "de"), ("c", "gate-english", "en", "de")}
    text = cd_markdown(records)
    assert "- **a**, fictional, en -> de" in text and "- **a**, fictional+names-both, en -> de" in text
    assert "| a | en -> de (names-both) | all |" in text and "| a | en -> de | all |" in text
    overall = {r.model: r for r in build_leaderboard(records)[OVERALL]}
    assert overall["a"].value("xrr") == pytest.approx((0.3 + 0.5) / 2)  # the paper's protocol, not 0.6 too
    assert "mean over en->de, en->ru" in overall["a"].note and "names-both left out" in overall["a"].note
    assert overall["b"].value("xrr") == pytest.approx(0.3) and "XRR (names-both): mean over" in overall["b"].note
    assert overall["c"].value("xrr") is None and "2 conditions" in overall["c"].note
