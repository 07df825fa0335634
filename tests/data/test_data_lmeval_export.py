"""A clika run in lm-evaluation-harness's layout: checked against what lm-eval itself writes
and reads, and read back by `clika score --layout lm-eval` to the run's own numbers.

The reference is real: lm-eval's ``simple_evaluate`` on the same tiny random model and a
tiny local multiple_choice task, saved by its own EvaluationTracker.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

pytest.importorskip("lm_eval")

from lm_eval.api.metrics import mean, mean_stderr  # noqa: E402
from lm_eval.utils import (  # noqa: E402
    get_file_datetime,
    get_file_task_name,
    get_results_filenames,
    get_sample_results_filenames,
    hash_string,
    make_table,
)

from clika.api import ScoreOptions, score  # noqa: E402
from clika.data import lmeval_export  # noqa: E402
from clika.data.lmeval_samples import split_task_name  # noqa: E402
from clika.runner import RunOptions, evaluate  # noqa: E402

LANGS = ("en", "zh", "ar")
N_ITEMS = 6
N_BOOT = 40
MODES = ("cloze", "letter", "cloze-norm", "generate")


def geo_items() -> list[dict]:
    """x_geo items whose facts come from each of the three languages' cultures (home_transfer needs them)."""
    return [{"task": "x_geo", "lang": lang, "id": f"g{i}", "question": f"Where is place {i} ({lang})?",
             "options": [f"{lang} option {k} of {i}" for k in range(4)], "answer": i % 4,
             "meta": {"original_lang": LANGS[i % 3]}}
            for lang in LANGS for i in range(N_ITEMS)]


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory) -> Path:
    from tests.backends.tiny_model import build_tiny_model

    return build_tiny_model(tmp_path_factory.mktemp("tiny") / "tiny-llama")


@pytest.fixture(scope="module")
def runs(tiny_model: Path, tmp_path_factory) -> dict:
    """mode -> (EvaluateResult, output folder) of one tiny-model run with --log-samples."""

    work = tmp_path_factory.mktemp("runs")
    data = work / "items.jsonl"
    data.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in geo_items()), encoding="utf-8")
    return {mode: evaluate(RunOptions(model="hf", model_args=f"pretrained={tiny_model},dtype=float32",
                                      data=str(data), mode=mode, limit=N_ITEMS - 1, batch_size=4, n_boot=N_BOOT,
                                      output_dir=work / mode, log_samples=True))
            for mode in MODES}


@pytest.fixture(scope="module")
def reference(tiny_model: Path, tmp_path_factory) -> tuple[dict, list[dict]]:
    """(results, sample lines) that lm-eval 0.4.x writes for a 3-document multiple_choice task."""
    import yaml
    from lm_eval import simple_evaluate
    from lm_eval.loggers import EvaluationTracker
    from lm_eval.tasks import TaskManager

    work = tmp_path_factory.mktemp("lm_eval")
    docs = [{"id": f"d{i}", "question": f"Where is {c}?", "options": ["x", "y", "z", "w"], "answer": i}
            for i, c in enumerate("ABC")]
    (work / "docs.jsonl").write_text("".join(json.dumps(d) + "\n" for d in docs), encoding="utf-8")
    task = {"task": "x_geo_de", "dataset_path": "json", "dataset_kwargs": {"data_files": {"test": str(work / "docs.jsonl")}},
            "test_split": "test", "output_type": "multiple_choice", "doc_to_text": "Question: {{question}}\nAnswer:",
            "doc_to_choice": "options", "doc_to_target": "answer", "target_delimiter": " ",
            "metric_list": [{"metric": "acc", "aggregation": "mean", "higher_is_better": True}]}
    (work / "x_geo_de.yaml").write_text(yaml.safe_dump(task), encoding="utf-8")
    tracker = EvaluationTracker(output_path=str(work / "out"))
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("HF_HUB_OFFLINE", "1")
        mp.setenv("HF_DATASETS_OFFLINE", "1")
        results = simple_evaluate(model="hf", model_args=f"pretrained={tiny_model},dtype=float32",
                                  tasks=["x_geo_de"], task_manager=TaskManager(include_path=str(work)),
                                  log_samples=True, num_fewshot=0, device="cpu", batch_size=2,
                                  evaluation_tracker=tracker)
    samples = results.pop("samples")
    tracker.save_results_aggregated(results=results, samples=samples)
    tracker.save_results_samples(task_name="x_geo_de", samples=samples["x_geo_de"])
    folder = next((work / "out").iterdir())
    written = json.loads(next(folder.glob("results_*.json")).read_text(encoding="utf-8"))
    lines = [json.loads(s) for s in next(folder.glob("samples_*.jsonl")).read_text(encoding="utf-8").splitlines()]
    return written, lines


def files(out: Path) -> tuple[dict, dict[str, list[dict]]]:
    """results_<date>.json and lm-eval task name -> sample lines, of one output folder."""
    (results_path,) = out.glob("results_*.json")
    samples = {get_file_task_name(p.name): [json.loads(s) for s in p.read_text(encoding="utf-8").splitlines()]
               for p in out.glob("samples_*.jsonl")}
    return json.loads(results_path.read_text(encoding="utf-8")), samples


def same_shape(ours, theirs, where: str = "") -> None:
    """ours has theirs' JSON type, recursively through lists (dict keys are compared by the callers)."""
    assert type(ours) is type(theirs), f"{where}: {type(ours).__name__} where lm-eval has {type(theirs).__name__}"
    if isinstance(theirs, list) and theirs and ours:
        same_shape(ours[0], theirs[0], where + "[0]")


def test_results_have_the_keys_and_types_lm_eval_writes(runs, reference):
    ref, _ = reference
    ours, _ = files(runs["cloze"].output_dir)
    required = {"results", "group_subtasks", "configs", "versions", "n-shot", "higher_is_better", "n-samples",
                "config", "git_hash", "date", "task_hashes", "model_source", "model_name", "model_name_sanitized"}
    assert required <= set(ours) and required <= set(ref)
    for key in set(ours) & set(ref) - {"git_hash"}:  # git_hash: null in lm-eval outside a repository
        same_shape(ours[key], ref[key], key)
    ref_task = ref["results"]["x_geo_de"]
    for name, row in ours["results"].items():
        assert split_task_name(name) == ("x_geo", name[-2:]) and name[-2:] in LANGS
        assert set(row) == set(ref_task)  # name, alias, sample_len, acc,none, acc_stderr,none
        for key in row:
            same_shape(row[key], ref_task[key], key)
        assert set(ours["n-samples"][name]) == set(ref["n-samples"]["x_geo_de"])
        assert ours["higher_is_better"][name] == ref["higher_is_better"]["x_geo_de"] == {"acc": True}
        assert type(ours["n-shot"][name]) is int
        for key, value in ours["configs"][name].items():
            if key in ref["configs"]["x_geo_de"]:
                same_shape(value, ref["configs"]["x_geo_de"][key], f"configs.{key}")
    for key, value in ours["config"].items():
        if key in ref["config"] and ref["config"][key] is not None and value is not None:
            same_shape(value, ref["config"][key], f"config.{key}")
    assert {"model", "model_args", "batch_size", "device", "limit"} <= set(ours["config"])


def test_samples_have_the_fields_lm_eval_writes(runs, reference):
    _, ref_lines = reference
    for mode, result in runs.items():
        _, samples = files(result.output_dir)
        assert set(samples) == {f"x_geo_{lang}" for lang in LANGS}
        metric = "acc_norm" if mode == "cloze-norm" else "acc"
        for lines in samples.values():
            assert [s["doc_id"] for s in lines] == list(range(N_ITEMS - 1))
            for s in lines:
                assert set(s) - {metric} == set(ref_lines[0]) - {"acc"} and s["metrics"] == [metric]
                for key in ("doc_id", "doc", "target", "arguments", "filter", "doc_hash", "prompt_hash", "target_hash"):
                    same_shape(s[key], ref_lines[0][key], key)
                # lm-eval's hashes, recomputed with its own function
                assert s["doc_hash"] == hash_string(json.dumps(s["doc"], indent=2, ensure_ascii=False))
                assert s["prompt_hash"] == hash_string(s["arguments"]["gen_args_0"]["arg_0"])
                assert s["target_hash"] == hash_string(s["target"])
                if mode == "generate":
                    assert s["filtered_resps"] == [s["resps"][0][0]] and isinstance(s["filtered_resps"][0], str)
                    assert s["arguments"]["gen_args_0"]["arg_1"]["max_gen_toks"] > 0
                else:
                    same_shape(s["resps"], ref_lines[0]["resps"], "resps")
                    same_shape(s["filtered_resps"], ref_lines[0]["filtered_resps"], "filtered_resps")
                    assert s["filtered_resps"] == [r[0] for r in s["resps"]] and len(s["filtered_resps"]) == 4
                    conts = [a["arg_1"] for a in s["arguments"].values()]
                    assert conts == (list("ABCD") if mode == "letter" else [" " + o for o in s["doc"]["options"]])


def test_lm_evals_own_code_reads_the_results(runs):
    for mode, result in runs.items():
        results, samples = files(result.output_dir)
        metric = "acc_norm" if mode == "cloze-norm" else "acc"
        # what lm-eval prints at the end of a run: | task | version | filter | n-shot | metric | | value | | stderr |
        table = {cells[0]: cells[1:] for cells in ([c.strip() for c in line.strip("|").split("|")]
                                                   for line in make_table(results).splitlines()[2:])}
        by_name = {}
        for name, lines in samples.items():
            scores = [s[metric] for s in lines]
            row = results["results"][name]
            # the value and stderr lm-eval computes from the per-document scores
            assert row[f"{metric},none"] == pytest.approx(mean(scores))
            assert row[f"{metric}_stderr,none"] == pytest.approx(mean_stderr(scores))
            version, filt, n_shot, shown_metric, _, value, _, stderr = table[name]
            assert (filt, int(n_shot), shown_metric) == ("none", results["n-shot"][name], metric)
            assert (float(value), float(stderr)) == pytest.approx((mean(scores), mean_stderr(scores)), abs=5e-5)
            by_name[name] = hash_string("".join(s["doc_hash"] + s["prompt_hash"] + s["target_hash"] for s in lines))
        assert results["task_hashes"] == by_name  # the tracker's cumulative hash
        paths = [str(p) for p in result.lm_eval_paths]
        assert get_results_filenames(paths) == paths[:1] and get_sample_results_filenames(paths) == paths[1:]
        assert {get_file_datetime(Path(p).name).removesuffix(".json") for p in paths} == \
            {Path(paths[0]).stem.removeprefix("results_")}


def test_accuracy_is_the_runs_own_and_n_samples_counts_the_limit(runs):
    for mode, result in runs.items():
        results, _ = files(result.output_dir)
        metric = "acc_norm" if mode == "cloze-norm" else "acc"
        for r in result.records:
            if r.metric == "accuracy" and r.lang in LANGS:
                row = results["results"][f"x_geo_{r.lang}"]
                assert row[f"{metric},none"] == r.value and row["sample_len"] == r.n == N_ITEMS - 1
                assert results["n-samples"][f"x_geo_{r.lang}"] == {"original": N_ITEMS, "effective": N_ITEMS - 1}
        assert results["n-shot"] == {f"x_geo_{lang}": 1 for lang in LANGS}  # the paper template's one-shot example
        assert results["model_name"] == "tiny-llama" and results["config"]["mode"] == mode


@pytest.mark.parametrize("mode", MODES)
def test_score_reads_the_run_back_to_its_own_records(runs, mode):
    result = runs[mode]
    back = score(ScoreOptions(result.output_dir, layout="lm-eval", n_boot=N_BOOT, extract=result_extract(result)))
    assert back.n_predictions == len(result.predictions)
    ours = {r.key: r.to_dict() for r in result.records}
    theirs = {r.key: r.to_dict() for r in back.records}
    assert set(ours) == set(theirs)  # home_transfer included: the documents carry the items' meta
    assert ours == theirs
    assert any(r.metric == "home_transfer" for r in result.records)


def result_extract(result) -> str:
    (results_path,) = result.output_dir.glob("results_*.json")
    return json.loads(results_path.read_text(encoding="utf-8"))["config"]["extract"]


def test_without_log_samples_only_the_results_are_written(tiny_model: Path, tmp_path: Path):
    result = evaluate(RunOptions(model="hf", model_args=f"pretrained={tiny_model},dtype=float32",
                                 tasks=["mini_basic"], langs=["en", "de"], limit=3, n_boot=0, output_dir=tmp_path))
    assert [p.name.split("_")[0] for p in result.lm_eval_paths] == ["results"]
    assert not list(tmp_path.glob("samples_*"))
    results, _ = files(tmp_path)
    assert set(results["results"]) == {"mini_basic_en", "mini_basic_de"}
    assert results["n-shot"] == {"mini_basic_en": 0, "mini_basic_de": 0}  # qa template: no example
    assert results["task_hashes"] == {}


def test_mean_stderr_is_lm_evals():
    for scores in ([1.0, 0.0, 0.0], [1.0] * 7 + [0.0] * 5, [0.0, 0.0], [1.0, 1.0, 1.0, 0.0]):
        assert lmeval_export.mean_stderr(mean(scores), len(scores)) == pytest.approx(mean_stderr(scores))
    assert lmeval_export.mean_stderr(1.0, 1) == "N/A"  # lm-eval's placeholder below two documents
    assert lmeval_export.mean_stderr(None, 0) == "N/A"
    assert math.isclose(lmeval_export.mean_stderr(0.5, 5), math.sqrt(0.25 / 4))


def test_the_model_folder_name_is_lm_evals():
    from lm_eval.utils import sanitize_model_name

    for name in ("org/model", "C:\\m", "a|b?c*[d]", "plain-name"):
        assert lmeval_export.sanitize_model_name(name) == sanitize_model_name(name)


def test_generated_answers_read_back_over_http(tmp_path: Path):
    """Generate mode with answers that can be read: the fake server always says " B!!!..."."""
    from tests.backends.fake_openai_server import FakeServer

    data = tmp_path / "items.jsonl"
    data.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in geo_items()), encoding="utf-8")
    server = FakeServer()
    try:
        result = evaluate(RunOptions(model="openai", model_args=f"model=fake,base_url={server.url},api_key=sk-secret",
                                     data=str(data), mode="generate", extract="smart", n_boot=N_BOOT,
                                     output_dir=tmp_path / "run", log_samples=True))
    finally:
        server.close()
    gold_b = sum(r["answer"] == 1 for r in geo_items() if r["lang"] == "en") / N_ITEMS
    accuracy = {r.lang: r.value for r in result.records if r.metric == "accuracy" and r.lang in LANGS}
    assert accuracy == {lang: pytest.approx(gold_b) for lang in LANGS} and gold_b > 0
    results, samples = files(result.output_dir)
    assert results["config"]["model_args"] == f"model=fake,base_url={server.url},api_key=***"
    assert {s["filtered_resps"][0] for lines in samples.values() for s in lines} == {" B" + "!" * 7}
    back = score(ScoreOptions(result.output_dir, layout="lm-eval", n_boot=N_BOOT, extract="smart"))
    assert {r.key: r.to_dict() for r in back.records} == {r.key: r.to_dict() for r in result.records}
