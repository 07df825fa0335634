"""`clika report --reference published` recomputes the 40 published models on your languages and items
(issue 24 item 2), from the packaged per-item answers (clika.report.reference_items), so that your rows
and theirs are ranked on the same items."""

from __future__ import annotations

import csv
import hashlib
import json
from dataclasses import replace

import pytest

from clika.metrics.records import Record
from clika.report.leaderboard import OVERALL, RECOMPUTED, build_leaderboard, headline_columns
from clika.report.reference import (
    describe_items,
    load_reference,
    reference_files,
    reference_items_file,
    run_items,
    with_reference,
    your_items,
)
from clika.report.reference_items import ReferenceItems, kept

LANGS = ["en", "zh", "de"]
N_ITEMS = 50  # the first items of each task, in the pivot language's order, as `clika run --limit 50` selects
ITEMS_BOUND = 300_000  # bytes: the packaged per-item answers (198,559 as built from the 752,000 predictions)
TASKS = ("x_copa", "x_csqa", "x_geo", "x_name")


@pytest.fixture(scope="module")
def meta() -> dict:
    return json.loads(reference_files("published")[1].read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def limited_run(shared_data, tmp_path_factory, meta):
    """llama2_13b's own upstream answers on en, zh, de and the first 50 items of each task, renamed mymodel,
    as a run folder: predictions.jsonl (clika layout) and metrics.jsonl scored from it with clika.api.score,
    with the reference's n_boot and seed."""
    from clika.api import ScoreOptions, read_predictions_checked, score
    from clika.data.predictions_io import write_predictions_jsonl

    preds = read_predictions_checked(shared_data, "clika-repo", models=["llama2_13b"], langs=LANGS).predictions
    first = {t: set(list(dict.fromkeys(p.item_id for p in preds if p.task == t and p.lang == "en"))[:N_ITEMS])
             for t in TASKS}
    run = tmp_path_factory.mktemp("run")
    write_predictions_jsonl([replace(p, model="mymodel") for p in preds if p.item_id in first[p.task]],
                            run / "predictions.jsonl")
    score(ScoreOptions(run / "predictions.jsonl", layout="clika", output=run / "metrics.jsonl",
                       n_boot=meta["n_boot"], seed=meta["seed"]))
    return run


def test_the_packaged_answers_are_small_and_give_back_the_published_predictions(shared_data, meta):
    from clika.api import read_predictions_checked

    path = reference_items_file("published")
    assert path.stat().st_size < ITEMS_BOUND
    assert meta["items_file"] == path.name and meta["items_sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    items = ReferenceItems.load(path)
    assert len(items.models) == 40 and set(items.tasks) == set(TASKS)
    assert sum(len(items.predictions(t)) for t in items.tasks) == meta["n_predictions"]
    # one model and task against the upstream files: choice (None when unparseable), gold, k and culture
    upstream = read_predictions_checked(shared_data, "clika-repo", models=["llama2_13b"], tasks=["x_geo"]).predictions

    def essentials(preds):
        return sorted((p.lang, p.item_id, p.choice, p.gold, p.n_options, p.extra.get("original_lang")) for p in preds)

    assert essentials(p for p in items.predictions("x_geo") if p.model == "llama2_13b") == essentials(upstream)


def _rows(path) -> dict[tuple[str, str], dict]:
    with path.open(newline="") as fh:
        return {(r["model"], r["task"]): r for r in csv.DictReader(fh)}


def test_the_reference_is_recomputed_on_your_languages_and_items(limited_run, tmp_path):
    """Your run on en, zh, de and 50 items per task, made of llama2_13b's own answers: the recomputed
    llama2_13b row equals yours value for value, both are ranked, and every ranked row is on those items."""
    from clika.api import ReportOptions, report

    written = report(ReportOptions(limited_run, tmp_path / "rep", html=True, reference="published"))
    rows = _rows(written["leaderboard"])
    values = [f"{c.name}{s}" for c in headline_columns() for s in ("", "_ci_low", "_ci_high")]
    for task in (OVERALL, *TASKS):
        mine, published = rows[("mymodel", task)], rows[("llama2_13b", task)]
        assert [mine[v] for v in values] == [published[v] for v in values], task
        assert mine["en_co"] != "" and mine["en_co_ci_low"] != ""  # the overall interval too
        assert mine["n"] == published["n"] and mine["rank"] == published["rank"] != ""  # tied, both ranked
        assert (mine["source"], published["source"]) == ("yours", "reference")
        assert published["note"].endswith(f"{RECOMPUTED} (en, zh, de; {N_ITEMS} items per language)")
        task_rows = [r for (_, t), r in rows.items() if t == task]
        assert len(task_rows) == 41
        if task != OVERALL:  # the ranking is over your items: every ranked row has n = 50 in English
            assert {r["n"] for r in task_rows if r["rank"]} == {str(N_ITEMS)}
    html = (tmp_path / "rep" / "report.html").read_text(encoding="utf-8")
    assert f"{RECOMPUTED[0].upper()}{RECOMPUTED[1:]}, so that their rows are ranked beside yours" in html
    assert f"x_csqa, x_copa, x_geo, x_name (en, zh, de; {N_ITEMS} items per language)" in html


def test_the_recomputed_records_are_yours_record_for_record(limited_run, meta):
    """Through the one metrics path (compute_metrics) on the same items with the same n_boot and seed: every
    record the reference keeps, with its interval, n, chance and flags, and the same resamples."""
    from clika.report.tables import load_results

    mine = load_results(limited_run)
    resamples: dict = {}
    placed, yours, got = with_reference(mine, "published", run_items([limited_run]), resamples)
    assert yours == {"mymodel"} and got["not_recomputed"] == {}
    assert got["recomputed"] == {t: f"en, zh, de; {N_ITEMS} items per language" for t in TASKS}
    reference = [r for r in placed if r.model == "llama2_13b"]
    assert {r.lang for r in reference if r.metric == "accuracy"} == set(LANGS)

    def by_key(records: list[Record]) -> dict:
        return {r.key[1:]: (r.value, r.ci_low, r.ci_high, r.n, r.chance, r.flags) for r in records}

    assert by_key(reference) == by_key(kept(mine))
    en_co = next(r for r in reference if r.metric == "en_co" and r.aggregate == "mean" and r.task == "x_geo")
    assert len(resamples[en_co.key]) == meta["n_boot"]


def test_a_run_on_every_item_of_fewer_languages_needs_no_predictions(shared_data):
    """Metrics alone, scored on en, zh, de with every item: n per language is the reference's, so the items
    are known (all of them) and the reference is recomputed on those languages; yours is ranked beside it."""
    from clika.api import ScoreOptions, score

    scored = score(ScoreOptions(shared_data, models=["llama2_13b"], tasks=["x_geo"], langs=LANGS, n_boot=0)).records
    merged, yours, got = with_reference([replace(r, model="mymodel") for r in scored], "published")
    assert got["recomputed"] == {"x_geo": "en, zh, de; 200 items per language"}
    rows = {r.model: r for r in build_leaderboard(merged, yours=yours, recomputed=got["recomputed"])["x_geo"]}
    mine, published = rows["mymodel"], rows["llama2_13b"]
    assert mine.rank is not None and mine.rank == published.rank
    assert [mine.value(c.name) for c in headline_columns()] == [published.value(c.name) for c in headline_columns()]


def test_items_that_cannot_be_matched_keep_the_reference_as_it_is(meta):
    """Not recomputed, and why: items not known (metrics only, fewer items than the reference), your models
    on different items, or items the reference lacks. Your rows then stay unranked (clika.report.leaderboard)."""
    ref = ReferenceItems.load(reference_items_file("published"))
    ids = sorted(ref.tasks["x_geo"].ids_of("en"))

    def acc(model: str, lang: str, n: int) -> Record:
        return Record(model=model, task="x_geo", metric="accuracy", lang=lang, value=0.5, n=n)

    records = [acc(m, lang, 10) for m in ("a", "b") for lang in ("en", "zh")]
    first, other = {lang: ids[:10] for lang in ("en", "zh")}, {lang: ids[10:20] for lang in ("en", "zh")}
    assert your_items(records, {}, ref)["x_geo"][0] is None  # no predictions: which 10 is not known
    assert "not known" in your_items(records, {}, ref)["x_geo"][1]
    got = your_items(records, {("a", "x_geo"): first, ("b", "x_geo"): other}, ref)["x_geo"]
    assert got == (None, "your models were scored on different items")
    unknown = {**first, "zh": ["nope", *ids[:9]]}
    got = your_items(records, {("a", "x_geo"): unknown, ("b", "x_geo"): unknown}, ref)
    assert got["x_geo"] == (None, "your languages or item ids are not all the reference's")
    got = your_items(records, {("a", "x_geo"): first, ("b", "x_geo"): {"en": ids[:10], "zh": ids[:9]}}, ref)
    assert got["x_geo"][0] is None  # predictions of another run than these records
    got = your_items(records, {("a", "x_geo"): first, ("b", "x_geo"): first}, ref)["x_geo"]
    assert got == ({lang: frozenset(v) for lang, v in first.items()}, "")
    assert describe_items(got[0]) == "en, zh; 10 items per language"
    assert describe_items({"en": ids[:10], "zh": ids[:8]}) == "en 10, zh 8 items"
    # every item of every language: nothing to recompute, the packaged records are used as they are
    full = [acc("a", lang, 200) for lang in ref.tasks["x_geo"].langs]
    merged, _, got_meta = with_reference(full, "published")
    assert got_meta["recomputed"] == {} and got_meta["not_recomputed"] == {}
    assert sum(r.n for r in merged if r.model == "llama2_13b" and r.task == "x_geo" and r.metric == "accuracy") == 2000


def test_the_packaged_rows_carry_their_item_sets_so_other_questions_are_never_ranked_beside_them(shared_data):
    """Every item of x_geo in every language, but under other item ids (another version of the data, say):
    the reference cannot be recomputed on them and stays as packaged; its rows carry the item set of each
    language, so yours (the same languages and n) is listed unranked as "other questions", not ranked."""
    from clika.api import read_predictions_checked
    from clika.metrics.compute import compute_metrics
    from clika.metrics.core import item_set_id

    preds = read_predictions_checked(shared_data, "clika-repo", models=["llama2_13b"], tasks=["x_geo"]).predictions
    packaged = [r for r in load_reference("published")[0] if r.task == "x_geo" and r.model == "llama2_13b"]
    en = next(r for r in packaged if (r.metric, r.lang) == ("accuracy", "en"))
    assert en.item_set == item_set_id(p.item_id for p in preds if p.lang == "en")

    renamed = [replace(p, model="mymodel", item_id="v2-" + p.item_id) for p in preds]
    mine = compute_metrics(renamed, n_boot=0)
    items = {("mymodel", "x_geo"): {lang: frozenset(p.item_id for p in renamed if p.lang == lang)
                                    for lang in {p.lang for p in renamed}}}
    merged, yours, got = with_reference(mine, "published", items)
    assert got["not_recomputed"] == {"x_geo": "your languages or item ids are not all the reference's"}
    rows = {r.model: r for r in build_leaderboard(merged, yours=yours)["x_geo"]}
    assert rows["mymodel"].rank is None and rows["llama2_13b"].rank is not None
    assert "(the same number of items, other questions)" in rows["mymodel"].note
