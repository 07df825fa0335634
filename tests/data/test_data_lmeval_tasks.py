"""`clika data export`: clika's items as an lm-evaluation-harness task folder and as a Hugging Face
datasets folder, checked with the real tools.

- lm-eval's own TaskManager loads the exported folder (moved elsewhere first) and builds, for
  every document, exactly the requests clika's prompt code builds: the paper's prompt byte for
  byte as upstream's model inputs have it, the option letters, the qa prompt with the option
  texts; its regex filter reads a generated answer as upstream's first-character rule does.
- The real ``lm_eval`` command runs the exported tasks on the embedded Gemma 3 270M; ``clika
  score --layout lm-eval`` reads its samples back to lm-eval's own accuracy in each language,
  and the options chosen are `clika run`'s on the same items.
- ``datasets.load_dataset(DIR, name)`` loads each configuration offline, row for row clika's items.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

pytest.importorskip("lm_eval")

from clika import api  # noqa: E402
from clika.data import load_items  # noqa: E402
from clika.data.answers import first_char_choice  # noqa: E402
from clika.data.export import MANIFEST, units  # noqa: E402
from clika.data.jsonl_items import item_from_record, item_to_record  # noqa: E402
from clika.data.lmeval_samples import VARIANTS, export_task_name, split_task_name  # noqa: E402
from clika.data.lmeval_tasks import FALLBACK, first_letter_regex  # noqa: E402
from clika.errors import ConfigError  # noqa: E402
from clika.prompts import build_requests  # noqa: E402

BIN = Path(sys.executable).parent
LANGS = ["en", "de"]
LIMIT = 4  # documents per lm-eval task in the real run
TOLERANCE = 1e-3  # log-likelihoods of lm-eval's hf model and clika's hf backend agree to this (fp32, other batches)


def clika(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([str(BIN / "clika"), *args], capture_output=True, text=True, cwd=cwd, timeout=300,
                          env={**os.environ, "COLUMNS": "200"})


def offline_env(tmp_path: Path) -> dict[str, str]:
    """No network, and a datasets cache of the test's own."""
    return {**os.environ, "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1",
            "HF_DATASETS_CACHE": str(tmp_path / "hf-cache"), "TOKENIZERS_PARALLELISM": "false"}


@pytest.fixture(scope="module")
def geo_copa(shared_data: Path) -> list:
    return load_items(shared_data, ["x_geo", "x_copa"], LANGS)


def test_task_names_and_their_variants_split_back():
    for variant in VARIANTS:
        name = export_task_name("x_geo", "de", variant)
        assert split_task_name(name) == ("x_geo", "de")
    assert [export_task_name("x_csqa", "zh", v) for v in VARIANTS] == [
        "clika_x_csqa_zh", "clika_x_csqa_zh_gen", "clika_x_csqa_zh_cloze"]
    assert split_task_name("x_geo_de_gen") is None  # a variant suffix only after clika's export prefix


def test_lm_eval_loads_the_moved_folder_and_asks_clikas_prompts(tmp_path: Path, shared_data: Path, geo_copa,
                                                                 model_inputs, monkeypatch):
    from lm_eval.tasks import TaskManager

    written = api.export(api.ExportOptions(tmp_path / "first", "lm-eval", shared_data, ["x_geo", "x_copa"], LANGS))
    assert written.counts == {("x_geo", "en"): 200, ("x_geo", "de"): 200, ("x_copa", "en"): 500,
                              ("x_copa", "de"): 500}
    assert "no license file" in (tmp_path / "first" / "README.md").read_text(encoding="utf-8")
    folder = tmp_path / "elsewhere"  # copied to another place: the documents travel with the YAML files
    shutil.move(tmp_path / "first", folder)
    monkeypatch.chdir(tmp_path)
    manager = TaskManager(include_path=str(folder), include_defaults=False)
    assert set(written.names) <= set(manager.all_tasks) and set(written.groups) <= set(manager.all_groups)

    # upstream's exact prompt of every item (its model_input files, in item-file order)
    upstream = {(task, lang): dict(zip((i.item_id for i in geo_copa if (i.task, i.lang) == (task, lang)),
                                       (prompt for prompt, _ in model_inputs(task, lang))))
                for task in ("x_geo", "x_copa") for lang in LANGS}
    tasks = manager.load([export_task_name(t, lang, v) for t in ("x_geo", "x_copa") for lang in LANGS
                          for v in VARIANTS])["tasks"]
    by_unit = units(geo_copa)
    for variant in VARIANTS:
        for (task, lang), unit in by_unit.items():
            lm_task = tasks[export_task_name(task, lang, variant)]
            lm_task.build_all_requests(limit=None, rank=0, world_size=1)
            docs = list(lm_task.test_docs())
            # every document keeps its CLiKA id, in English's order in every language
            assert [d["clika_id"] for d in docs] == [i.item_id for i in by_unit[(task, "en")]]
            assert [d["clika_id"] for d in docs] == [i.item_id for i in unit]
            ours = build_requests(unit, variant.template, variant.mode)
            instances = {}
            for inst in lm_task.instances:
                instances.setdefault(inst.doc_id, []).append(inst.arguments)
            for k, (item, request) in enumerate(zip(unit, ours)):
                args = instances[k]
                assert {context for context, _ in args} == {request.prompt}
                if variant.template == "paper":
                    assert request.prompt == upstream[(task, lang)][item.item_id]  # byte for byte
                if variant.mode == "generate":
                    assert args == [(request.prompt, {"until": [], "max_gen_toks": 8, "do_sample": False})]
                    assert lm_task.doc_to_target(docs[k]) == item.gold_letter
                else:
                    assert tuple(cont for _, cont in args) == request.continuations  # "A"... or " text"...
                    assert lm_task.doc_to_target(docs[k]) == item.gold

    groups = manager.load(["clika_x_geo", "clika_cloze"])
    assert sorted(groups["tasks"]) == sorted([f"clika_x_geo_{lang}" for lang in LANGS]
                                             + [f"clika_{t}_{lang}_cloze" for t in ("x_geo", "x_copa") for lang in LANGS])
    assert groups["group_map"]["clika_cloze"] == ["clika_x_geo_cloze", "clika_x_copa_cloze"]


@pytest.mark.parametrize("n_options", [2, 4, 5])
def test_the_gen_filter_is_upstreams_first_character_rule(n_options: int):
    from lm_eval.filters.extraction import RegexFilter

    rule = RegexFilter(regex_pattern=first_letter_regex(n_options), group_select=0, fallback=FALLBACK)
    answers = ["B", " B. Kairo", "\n\nC)", "A", "b", "E", "D. x", "", "   ", "Answer: B", "\u3000B", "Bob",
               "[invalid]", "(A)", "C\nA"]
    (filtered,) = rule.apply([answers], [None])
    for raw, kept in zip(answers, filtered):
        choice = first_char_choice(raw, n_options)
        assert (kept == FALLBACK) == (choice is None), raw  # no letter <-> unparseable
        assert first_char_choice(kept, n_options) == choice, raw  # what clika reads back from the filtered answer


def test_export_errors_are_one_line_and_a_second_export_replaces_the_first(tmp_path: Path, shared_data: Path):
    out = tmp_path / "tasks"
    first = clika("data", "export", "--data-dir", str(shared_data), "--tasks", "x_geo,x_copa", "--langs", "en,de",
                  "-o", str(out))
    assert first.returncode == 0, first.stderr
    assert "wrote 12 lm-eval tasks and 9 groups (1400 items)" in first.stdout
    again = clika("data", "export", "--data-dir", str(shared_data), "--tasks", "x_geo", "--langs", "en,zh,de",
                  "-o", str(out))
    assert again.returncode == 0, again.stderr
    left = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())
    assert not [p for p in left if "copa" in p]  # nothing of the first selection is left for lm-eval to find
    assert json.loads((out / MANIFEST).read_text())["files"] == [p for p in left if p != MANIFEST]
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("keep me")
    for args, words in [
        (["--format", "csv", "-o", str(tmp_path / "x")], "unknown --format 'csv' (choose lm-eval or hf)"),
        (["-o", str(tmp_path / "mine")], "the folder is not empty and holds no earlier clika export"),
        (["--langs", "de", "-o", str(tmp_path / "y")], "must include the pivot language 'en'"),
        (["--tasks", "x_nope", "-o", str(tmp_path / "z")], "x_nope"),
    ]:
        proc = clika("data", "export", "--data-dir", str(shared_data), *args)
        assert proc.returncode == 1 and words in proc.stderr, proc.stderr
        assert len(proc.stderr.strip().splitlines()) == 1 and "Traceback" not in proc.stderr
    assert (tmp_path / "mine" / "notes.txt").read_text() == "keep me"


def test_score_refuses_two_variants_of_one_task_at_once(tmp_path: Path):
    """Samples written by lm-eval's own EvaluationTracker for clika_x_geo_de and clika_x_geo_de_gen."""
    from lm_eval.loggers import EvaluationTracker

    doc = {"clika_id": "7", "question": "q", "options": ["a", "b", "c", "d"], "answer": 2, "answer_letter": "C"}
    lls = [(-3.0, False), (-2.0, False), (-1.0, False), (-4.0, False)]  # C, the gold option, is the most likely
    mc = {"doc_id": 0, "doc": doc, "target": 2, "arguments": [("p", letter) for letter in "ABCD"],
          "resps": [[ll] for ll in lls], "filtered_resps": lls, "filter": "none", "metrics": ["acc"], "doc_hash": "h", "prompt_hash": "h", "target_hash": "h", "acc": 1.0}
    gen = {"doc_id": 0, "doc": doc, "target": "C", "arguments": [("p", {"until": []})], "resps": [[" C. c"]],
           "filtered_resps": ["C"], "filter": "first_letter", "metrics": ["exact_match"], "doc_hash": "h",
           "prompt_hash": "h", "target_hash": "h", "exact_match": 1.0}
    tracker = EvaluationTracker(output_path=str(tmp_path / "out"))
    tracker.general_config_tracker.log_experiment_args(model_source="hf", model_args="pretrained=org/m",
                                                       system_instruction=None, chat_template=None,
                                                       fewshot_as_multiturn=False)
    samples = {"clika_x_geo_de": [mc], "clika_x_geo_de_gen": [gen], "clika_x_geo_en_gen": [gen]}
    tracker.save_results_aggregated(results={"results": {}, "configs": {}}, samples=samples)
    for name, lines in samples.items():
        tracker.save_results_samples(task_name=name, samples=lines)
    with pytest.raises(ConfigError, match="lm-eval tasks 'clika_x_geo_de' and 'clika_x_geo_de_gen' are both x_geo"):
        api.score(api.ScoreOptions(tmp_path / "out", layout="lm-eval", n_boot=0))
    back = api.score(api.ScoreOptions(tmp_path / "out", layout="lm-eval", n_boot=0,
                                      exclude=["samples_clika_x_geo_de_2*"]))
    acc = {r.lang: r for r in back.records if r.metric == "accuracy"}
    assert acc["de"].value == 1.0 and acc["de"].note == "from lm-eval clika_x_geo_de_gen: exact_match,first_letter"
    ra = next(r for r in back.records if r.metric == "ra" and r.lang == "de")
    assert ra.note.endswith("from lm-eval clika_x_geo_de_gen: exact_match,first_letter; "
                            "clika_x_geo_en_gen: exact_match,first_letter")


def _results(out: Path) -> dict:
    (path,) = out.rglob("results_*.json")
    return json.loads(path.read_text(encoding="utf-8"))


@pytest.mark.slow  # the lm_eval command and clika runs on the embedded model (about a minute on one core)
def test_lm_eval_run_reads_back_to_lm_evals_accuracy_and_clika_runs_choices(tmp_path: Path, shared_data: Path,
                                                                            embedded_gemma: Path):
    tasks_dir, out = tmp_path / "tasks", tmp_path / "out"
    exported = clika("data", "export", "--format", "lm-eval", "--data-dir", str(shared_data), "--tasks", "x_geo",
                     "--langs", ",".join(LANGS), "--output", str(tasks_dir))
    assert exported.returncode == 0, exported.stderr
    names = {v: [export_task_name("x_geo", lang, v) for lang in LANGS] for v in VARIANTS}
    run = subprocess.run([str(BIN / "lm_eval"), "--model", "hf", "--model_args",
                          f"pretrained={embedded_gemma},dtype=float32", "--include_path", str(tasks_dir),
                          "--tasks", ",".join(n for v in VARIANTS for n in names[v]), "--limit", str(LIMIT),
                          "--log_samples", "--output_path", str(out), "--device", "cpu"],
                         capture_output=True, text=True, cwd=tmp_path, env=offline_env(tmp_path), timeout=600)
    assert run.returncode == 0, run.stderr[-3000:]
    theirs = _results(out)["results"]

    for variant in VARIANTS:  # one variant at a time: the others excluded
        others = [f"--exclude=samples_{n}_2*" for v in VARIANTS if v != variant for n in names[v]]
        records_path = tmp_path / f"lm-eval{variant.suffix}.jsonl"
        scored = clika("score", "--layout", "lm-eval", "--predictions", str(out), "--n-boot", "0", *others,
                       "-o", str(records_path))
        assert scored.returncode == 0, scored.stderr
        records = [json.loads(line) for line in records_path.read_text(encoding="utf-8").splitlines()]
        for lang, name in zip(LANGS, names[variant]):
            (acc,) = [r for r in records if r["metric"] == "accuracy" and r["lang"] == lang]
            metric = f"{variant.metric},{variant.filter}"
            assert acc["value"] == theirs[name][metric] and acc["n"] == LIMIT  # clika's accuracy is lm-eval's
            assert acc["note"] == f"from lm-eval {name}: {metric}"

    # clika run on the same items with the same prompt, in each variant's mode: the same options chosen
    read = api.read_predictions_checked(out, "lm-eval", exclude=[f"samples_{n}_2*" for n in names[VARIANTS[0]]
                                                                  + names[VARIANTS[1]]])
    cloze_lm = {(p.lang, p.item_id): p for p in read.predictions}
    read = api.read_predictions_checked(out, "lm-eval", exclude=[f"samples_{n}_2*" for v in VARIANTS[1:]
                                                                  for n in names[v]])
    letter_lm = {(p.lang, p.item_id): p for p in read.predictions}
    ties = 0
    for mode, template, lm in (("letter", "paper", letter_lm), ("cloze", "qa", cloze_lm)):
        ours = api.evaluate(api.RunOptions(model="hf", model_args=f"pretrained={embedded_gemma},dtype=float32",
                                           tasks=["x_geo"], langs=LANGS, data=str(shared_data), mode=mode,
                                           template=template, limit=LIMIT, n_boot=0,
                                           output_dir=tmp_path / f"run-{mode}"))
        mine = {(p.lang, p.item_id): p for p in ours.predictions}
        assert set(mine) == set(lm) and len(lm) == LIMIT * len(LANGS)
        for key, p in mine.items():
            top = sorted(p.scores, reverse=True)
            if top[0] - top[1] < TOLERANCE:
                ties += 1
                continue  # a tie within float noise: either option may win
            assert p.choice == lm[key].choice, (mode, key)
            # the log-likelihoods too, up to fp32 sums in other batch shapes (1.3e-4 seen on a 20-token option)
            assert p.scores == pytest.approx(lm[key].scores, abs=TOLERANCE), (mode, key)
    assert ties == 0  # none on these items: every choice was compared


def test_hf_export_loads_offline_row_for_row_clikas_items(tmp_path: Path, shared_data: Path):
    items = load_items(shared_data, ["x_geo", "x_copa", "x_csqa"], LANGS)
    written = api.export(api.ExportOptions(tmp_path / "hf", "hf", shared_data, ["x_geo", "x_copa", "x_csqa"], LANGS))
    card = (tmp_path / "hf" / "README.md").read_text(encoding="utf-8")
    header = yaml.safe_load(card.split("---\n")[1])
    assert [c["config_name"] for c in header["configs"]] == written.names == [
        f"{t}_{lang}" for t in ("x_geo", "x_copa", "x_csqa") for lang in LANGS]
    assert header["license"] == "unknown" and "no license file" in card
    assert re.search(r"upstream commit `[0-9a-f]{40}`", card)

    script = ("import datasets, json, sys\n"
              "out = {name: datasets.load_dataset(sys.argv[1], name, split='test').to_list() for name in sys.argv[2:]}\n"
              "print(json.dumps(out, ensure_ascii=False))\n")
    proc = subprocess.run([sys.executable, "-c", script, str(tmp_path / "hf"), *written.names], capture_output=True,
                          text=True, cwd=tmp_path, env=offline_env(tmp_path), timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    loaded = json.loads(proc.stdout)
    for (task, lang), unit in units(items).items():
        rows = loaded[f"{task}_{lang}"]
        assert rows == [item_to_record(i) for i in unit]  # clika's item format, in English's order
        assert [item_from_record(row) for row in rows] == list(unit)  # ... and back to the very items
        assert [i.meta for i in unit] == [item_from_record(row).meta for row in rows]
