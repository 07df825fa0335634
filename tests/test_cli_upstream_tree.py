"""`clika score / report / compare / findings` on an upstream-shaped tree with every awkward shape of a
real checkout (tests/data/upstream_tree.py): a plain-text _res_visual dump, a one-language variant,
a truncated file, names outside the known shapes, a clika predictions file, an extra language folder,
and a file whose labels disagree with the item file. What must hold: exit codes, the warnings, what
coverage.json says, and the numbers of the complete models, unchanged from scoring a clean tree."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from clika.metrics.record_io import read_records
from tests.data.upstream_tree import UPSTREAM_SUFFIX, add_awkward_shapes, build_tree, read_lines, write_lines

CLIKA = str(Path(sys.executable).with_name("clika"))
MODELS = ["llama2_7b", "llama2_7b_chat", "bloom_7b1", "bloomz_7b1"]
CUT = "llama2_13b"  # its English x_geo file is cut to 150 of 200 lines: partial on x_geo, like a missing language
TASKS = ["x_geo", "x_name"]
VARIANT = "llama2_7b@without_uuid"  # x_geo in English only
ZH_ONLY = "llama2_7b@fixed_en_prompt"  # x_geo in Chinese only: no pivot at all
PARTIAL = {CUT: "x_geo/en: 150 of 200 items",
           VARIANT: "x_geo: en only, 1 of 10 languages; no x_name",
           ZH_ONLY: "x_geo: zh only, 1 of 10 languages; no x_name"}
N_BOOT = "50"


def clika(*args, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([CLIKA, *map(str, args)], capture_output=True, text=True, cwd=cwd,
                          env={**os.environ, "COLUMNS": "100"})


@pytest.fixture(scope="module")
def trees(shared_data, tmp_path_factory):
    root = tmp_path_factory.mktemp("trees")
    clean = build_tree(shared_data, root / "clean", MODELS, TASKS)
    dirty = build_tree(shared_data, root / "dirty", MODELS + [CUT], TASKS)
    made = add_awkward_shapes(shared_data, dirty, model="llama2_7b", cut=CUT)
    return clean, dirty, made, root


@pytest.fixture(scope="module")
def scored(trees):
    clean, dirty, _, root = trees
    runs = {}
    for name, tree in (("clean", clean), ("dirty", dirty)):
        out = root / f"{name}.jsonl"
        runs[name] = (clika("score", "--predictions", tree, "--n-boot", N_BOOT, "-o", out), out)
    return runs


def test_the_tree_scores_with_exit_0_and_every_skip_is_said(scored):
    done, out = scored["dirty"]
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    err = done.stderr
    assert ("warning: skipped 10 files: 1 not JSON lines (e.g. a plain-text dump); 3 name outside the known shapes; "
            "1 a clika predictions file (read it with --layout clika); 5 language outside the task's languages "
            "(name it in --langs to read it)") in err
    assert "complete: 4 models × 2 tasks (x_geo, x_name) × 10 languages" in err
    assert (f"partial, left out of overall values, ranks and claim pools: 3 models: {CUT} ({PARTIAL[CUT]}), "
            f"{ZH_ONLY} ({PARTIAL[ZH_ONLY]}), {VARIANT} ({PARTIAL[VARIANT]})") in err


def test_coverage_json_lists_every_file_with_its_reason(scored, trees):
    _, dirty, made, _ = trees
    cov = json.loads(Path(str(scored["dirty"][1]).replace(".jsonl", ".coverage.json")).read_text(encoding="utf-8"))
    assert cov["files_skipped"] == {"not_json_lines": 1, "unknown_name": 3, "clika_predictions": 1,
                                    "other_language": 5}
    skipped = {f["path"]: f for f in cov["files"] if f["status"] == "skipped"}
    rel = {k: p.relative_to(dirty).as_posix() for k, p in made.items()}
    assert skipped[rel["visual"]]["reason"] == "not_json_lines" and skipped[rel["visual"]]["line"] == 1
    assert {skipped[rel[k]]["reason"] for k in ("gpt4", "v2", "upper")} == {"unknown_name"}
    assert skipped[rel["upper"]]["detail"].endswith(f"LLAMA2_7B{UPSTREAM_SUFFIX} would be read)")
    assert skipped[rel["clika"]]["reason"] == "clika_predictions"
    assert sorted(p for p, f in skipped.items() if f["reason"] == "other_language") == \
        sorted(f"x_geo/es/{m}{UPSTREAM_SUFFIX}" for m in MODELS + [CUT])
    assert cov["complete_models"] == sorted(MODELS)
    assert cov["models"][CUT]["tasks"]["x_geo"]["short_langs"] == {"en": [150, 200]}
    assert cov["partial_models"] == PARTIAL
    assert cov["models"][VARIANT]["tasks"]["x_geo"]["missing_langs"] == ["zh", "ja", "fr", "de", "it", "ru", "pl",
                                                                         "he", "ar"]
    assert [(t["path"], t["n"], t["n_items"]) for t in cov["truncated"]] == [(rel["truncated"], 150, 200)]
    read = [f for f in cov["files"] if f["status"] == "read"]
    assert len(read) == len(MODELS + [CUT]) * 2 * 10 + 2  # every model, task and language, and the variants


def test_the_complete_models_numbers_are_those_of_the_clean_tree(scored):
    clean = {r.key: r.to_dict() for r in read_records(scored["clean"][1])}
    dirty = {r.key: r.to_dict() for r in read_records(scored["dirty"][1]) if r.model in MODELS}
    assert dirty == clean


def test_truncation_and_partial_coverage_are_said_in_the_records_and_the_table(scored):
    done, out = scored["dirty"]
    records = {(r.model, r.task, r.lang, r.metric): r for r in read_records(out)}
    cut = records[(CUT, "x_geo", "en", "missing_items")]
    assert (cut.value, cut.n) == (50.0, 200) and records[(CUT, "x_geo", "en", "accuracy")].n == 150
    absent = records[(VARIANT, "x_geo", "de", "missing_items")]
    assert (absent.value, absent.n) == (200.0, 200) and "partial" in absent.note
    rows = {tuple(line.split()[:2]): line for line in done.stdout.splitlines() if line.split()[:1]}
    assert " 150/200 " in rows[(CUT, "x_geo")]
    assert "partial: 9 of 10 languages missing (zh ja fr de it ru pl he ar)" in rows[(VARIANT, "x_geo")]


def test_redirected_tables_keep_every_column_and_full_names(scored):
    done, _ = scored["dirty"]
    lines = done.stdout.splitlines()
    assert lines[0] == "CLiKA scores (95% bootstrap intervals)"
    assert lines[1].split() == ["model", "task", "n", "accuracy", "en", "RA", "en-CO", "chance",
                                "unparseable", "en", "flags"]
    assert all(len(cell) >= 3 for cell in lines[2].split())  # every column at least as wide as its dashes
    names = {line.split()[0] for line in lines[3:] if line.split() and line.split()[1] in TASKS}
    assert names == set(MODELS + [CUT, VARIANT, ZH_ONLY])


@pytest.mark.parametrize("fmt, sep", [("tsv", "\t"), ("csv", ",")])
def test_format_tsv_and_csv_are_header_and_rows(trees, tmp_path, fmt, sep):
    clean = trees[0]
    done = clika("score", "--predictions", clean, "--tasks", "x_geo", "--models", "llama2_7b", "--n-boot", "0",
                 "--format", fmt, "-o", tmp_path / "m.jsonl")
    assert done.returncode == 0, done.stderr
    rows = list(csv.reader(done.stdout.splitlines(), delimiter=sep))
    assert rows[0][:3] == ["model", "task", "n"] and rows[1][:3] == ["llama2_7b", "x_geo", "200"]
    assert len(rows) == 2 and all(len(r) == len(rows[0]) for r in rows)


def test_the_leaderboard_overall_is_the_mean_of_complete_task_rows_and_partial_is_unranked(scored, tmp_path):
    done = clika("report", scored["dirty"][1], "-o", tmp_path / "rep")
    assert done.returncode == 0, done.stderr
    assert f"partial, left out of overall values, ranks and claim pools: 3 models: {CUT}" in done.stderr
    assert "x_geo/en: 150 of 200 items" in done.stderr  # the files read come from score's coverage.json beside the records
    rows = list(csv.DictReader((tmp_path / "rep" / "leaderboard.csv").open(encoding="utf-8")))
    by = {(r["model"], r["task"]): r for r in rows}
    for model in MODELS:
        overall = by[(model, "overall")]
        for col in ("accuracy_en", "ra", "en_co"):
            mean = sum(float(by[(model, t)][col]) for t in TASKS) / len(TASKS)
            assert float(overall[col]) == pytest.approx(mean, rel=1e-5), (model, col)
    partial = by[(VARIANT, "overall")]
    assert (partial["accuracy_en"], partial["ra"], partial["rank"]) == ("", "", "")
    assert partial["note"].startswith("partial (x_geo: 9 of 10 languages missing")
    cut = by[(CUT, "overall")]  # a file cut short: no overall, no rank, the cut named
    assert (cut["en_co"], cut["rank"]) == ("", "") and "x_geo/en: 150 of 200 items" in cut["note"]
    assert by[(CUT, "x_geo")]["rank"] == "" and by[(CUT, "x_name")]["rank"] != ""
    for variant in PARTIAL:  # listed, flagged, unranked; the one without English too
        assert by[(variant, "x_geo")]["rank"] == "" and "partial" in by[(variant, "x_geo")]["flags"]
        assert by[(variant, "overall")]["rank"] == "" and by[(variant, "overall")]["en_co"] == ""
    ranked = sorted(int(r["rank"]) for r in rows if r["task"] == "overall" and r["rank"])
    assert ranked and ranked[0] == 1
    assert json.loads((tmp_path / "rep" / "coverage.json").read_text(encoding="utf-8"))["partial_models"] == PARTIAL


def test_findings_count_complete_models_and_leave_the_partial_variant_out(trees, tmp_path):
    dirty = trees[1]
    done = clika("findings", "--predictions", dirty, "--n-boot", N_BOOT, "-o", tmp_path / "findings.md")
    assert done.returncode == 0, done.stderr
    text = (tmp_path / "findings.md").read_text(encoding="utf-8")
    # the models with a complete task (the cut one has x_name); what is left out, with why, is counted apart
    assert "predictions of 5 models with complete coverage on x_geo, x_name" in text
    assert (f"Left out: 2350 predictions of 3 partial model-task(s), not counted above: {CUT} on x_geo (1950: "
            f"x_geo/en: 150 of 200 items); {ZH_ONLY} on x_geo (200: no predictions in the pivot language 'en'); "
            f"{VARIANT} on x_geo (200: no predictions in zh ja fr de it ru pl he ar)") in text
    assert f"Generated by `clika findings --predictions {dirty} --n-boot {N_BOOT} --output {tmp_path / 'findings.md'}`" in text
    assert "all 5 models with complete coverage" in text
    assert (tmp_path / "findings.coverage.json").is_file()


def test_labels_that_disagree_with_the_item_file_stop_the_read_unless_trusted_or_excluded(trees, tmp_path):
    _, dirty, _, _ = trees
    source = read_lines(dirty / "x_geo" / "ja" / f"llama2_7b{UPSTREAM_SUFFIX}")
    items = {str(r["id"]): r["label"] for r in read_lines(dirty / "x_geo" / "ja" / "ja_geo_data.jsonl")}
    bad = write_lines(dirty / "x_geo" / "ja" / f"relabelled{UPSTREAM_SUFFIX}", [{**r, "label": "A"} for r in source])
    try:
        n_wrong = sum(items[str(r["uuid"])] != 0 for r in source)
        first = next(i for i, r in enumerate(source, start=1) if items[str(r["uuid"])] != 0)
        args = ("score", "--predictions", dirty, "--models", "relabelled,llama2_7b", "--tasks", "x_geo",
                "--n-boot", "0", "-o", tmp_path / "m.jsonl")
        done = clika(*args)
        assert done.returncode == 1 and "Traceback" not in done.stderr
        [line] = done.stderr.strip().splitlines()
        assert line.startswith(f"error: {bad}: {n_wrong} of {len(source)} labels disagree with the item file "
                               f"ja_geo_data.jsonl (first: line {first}, uuid ")
        assert "pass --trust-labels" in line
        assert not (tmp_path / "m.jsonl").exists()
        trusted = clika(*args, "--trust-labels")
        assert trusted.returncode == 0, trusted.stderr
        assert f"{bad}: {n_wrong} of {len(source)} labels disagree" in trusted.stderr
        assert "scored with the file's labels (--trust-labels)" in trusted.stderr
        excluded = clika("score", "--predictions", dirty, "--tasks", "x_geo", "--n-boot", "0", "--exclude",
                         "relabelled_*", "-o", tmp_path / "e.jsonl")
        assert excluded.returncode == 0, excluded.stderr
        assert "skipped 1 file: 1 matched --exclude" in excluded.stderr
    finally:
        bad.unlink()


def test_compare_pairs_a_partial_variant_but_leaves_it_out_of_the_pools(trees, tmp_path):
    dirty = trees[1]
    done = clika("compare", "--predictions", dirty, "--pair", f"llama2_7b:{VARIANT}", "--tasks", "x_geo",
                 "--n-boot", N_BOOT, "-o", tmp_path / "cmp")
    assert done.returncode == 0, done.stderr
    assert f"x_geo: {VARIANT} is partial (no predictions in zh ja fr de it ru pl he ar): left out of the strategy " \
           "summaries and the claims" in done.stderr
    rows = [json.loads(line) for line in (tmp_path / "cmp" / "comparisons.jsonl").read_text().splitlines()]
    assert {r["lang"] for r in rows} == {"en"} and rows  # compared where both have predictions
    cov = json.loads((tmp_path / "cmp" / "coverage.json").read_text(encoding="utf-8"))
    assert cov["partial_models"] == {v: what.split(";")[0] for v, what in PARTIAL.items()}
    assert "llama2_7b@without_uuid minus llama2_7b" in done.stdout  # the pair's table, plain (redirected)


def test_an_extra_language_is_read_when_langs_names_it(trees, tmp_path):
    dirty = trees[1]
    done = clika("score", "--predictions", dirty, "--tasks", "x_geo", "--models", "llama2_7b", "--langs", "en,de,es",
                 "--n-boot", "0", "-o", tmp_path / "m.jsonl")
    assert done.returncode == 0, done.stderr
    acc = {r.lang: r for r in read_records(tmp_path / "m.jsonl") if r.metric == "accuracy"}
    assert set(acc) == {"en", "de", "es"} and acc["es"].value == acc["de"].value  # es holds de's answers here
    assert "language outside" not in done.stderr


@pytest.mark.slow
def test_the_whole_upstream_tree_scores_and_only_complete_models_get_an_overall_value(shared_data, tmp_path):
    """A stand-in for every file of the pinned commit (tests/data/upstream_tree.py: the 40 shared models
    as they are, the other 6 and the variants under their upstream names with stand-in answers)."""
    from tests.data.upstream_tree import build_whole_tree, tree_paths

    tree = tmp_path / "CLiKA"
    build_whole_tree(shared_data, tree)
    n_res = sum("_res" in p.rsplit("/", 1)[-1] and p.endswith(".jsonl") for p in tree_paths(shared_data))
    done = clika("score", "--predictions", tree, "--n-boot", "0", "-o", tmp_path / "all.jsonl")
    assert done.returncode == 0, done.stderr
    cov = json.loads((tmp_path / "all.coverage.json").read_text(encoding="utf-8"))
    assert cov["files_read"] + cov["files_skipped"]["not_json_lines"] == n_res == 1851
    assert len(cov["complete_models"]) == 46 and sorted(cov["partial_models"]) == [
        "chatgpt@fixed_en_prompt", "chatgpt@without_uuid"]
    report = clika("report", tmp_path / "all.jsonl", "-o", tmp_path / "rep")
    assert report.returncode == 0, report.stderr
    rows = list(csv.DictReader((tmp_path / "rep" / "leaderboard.csv").open(encoding="utf-8")))
    by = {(r["model"], r["task"]): r for r in rows}
    for model in cov["complete_models"]:
        tasks = [t for (m, t) in by if m == model and t != "overall"]
        assert len(tasks) == 4
        for col in ("accuracy_en", "ra", "en_co"):
            mean = sum(float(by[(model, t)][col]) for t in tasks) / 4
            assert float(by[(model, "overall")][col]) == pytest.approx(mean, rel=1e-5), (model, col)
    for variant in cov["partial_models"]:
        assert by[(variant, "overall")]["en_co"] == "" and by[(variant, "overall")]["rank"] == ""
        assert by[(variant, "x_csqa")]["rank"] == "" and "partial" in by[(variant, "x_csqa")]["flags"]
