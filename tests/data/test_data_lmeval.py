"""lm-evaluation-harness --log_samples output, written by lm-eval's own EvaluationTracker.

The sample dicts are built exactly as lm_eval/evaluator.py (0.4.x) builds them
from its Instances, then handed to the real EvaluationTracker, which sanitises
and writes them; so the files read here are byte-for-byte what lm-eval writes.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

pytest.importorskip("lm_eval")

from lm_eval.loggers import EvaluationTracker  # noqa: E402
from lm_eval.utils import hash_string  # noqa: E402

from clika.data.lmeval_samples import split_task_name  # noqa: E402
from clika.data.predictions_io import read_predictions  # noqa: E402
from clika.errors import DataError  # noqa: E402

GEO_DOCS = [
    {"id": "g0", "question": "Where is Alexandria?", "options": ["Red Sea", "Alexandria", "Cairo", "Dubai"], "answer": 1},
    {"id": "g1", "question": "Where is Dammam?", "options": ["Eastern", "Abu Dhabi", "Sinai", "Jowf"], "answer": 0},
    {"id": "g2", "question": "Where is Giza?", "options": ["Giza", "Luxor", "Aswan", "Suez"], "answer": 0},
]
# Per option loglikelihoods; argmax = chosen option: 1 (right), 2 (wrong), 0 (right; tie with 3, first wins).
GEO_LLS = [[-3.0, -1.0, -2.5, -4.0], [-2.0, -1.5, -0.5, -3.0], [-1.0, -2.0, -3.0, -1.0]]
NAME_DOCS = [{"question": "When was A born?", "options": ["1820", "1828", "1838", "1932"]},
             {"question": "When was B born?", "options": ["1799", "1523", "1876", "69 BC"]},
             {"question": "When was C born?", "options": ["1", "2", "3", "4"]}]
NAME_TARGETS = ["D", "B", "A"]
NAME_OUTPUTS = ["D. 1932", "Answer: B", "I am not sure"]


def _mc_sample(doc_id: int, doc: dict, lls: list[float], target: int) -> dict:
    context = f"Question: {doc['question']}\nAnswer:"
    args = [(context, f" {opt}") for opt in doc["options"]]
    resps = [[(ll, False)] for ll in lls]
    filtered = [r[0] for r in resps]
    acc = 1.0 if max(range(len(lls)), key=lambda i: (lls[i], -i)) == target else 0.0
    sample = {
        "doc_id": doc_id, "doc": doc, "target": target, "arguments": args, "resps": resps,
        "filtered_resps": filtered, "filter": "none", "metrics": ["acc", "acc_norm"],
        "doc_hash": hash_string(json.dumps(doc, indent=2, ensure_ascii=False)),
        "prompt_hash": hash_string(args[0][0]), "target_hash": hash_string(str(target)),
    }
    sample.update({"acc": acc, "acc_norm": acc})
    return sample


def _gen_sample(doc_id: int, doc: dict, output: str, target: str) -> dict:
    context = f"Question: {doc['question']}\nAnswer:"
    args = [(context, {"until": ["\n"], "max_gen_toks": 16})]
    sample = {
        "doc_id": doc_id, "doc": doc, "target": target, "arguments": args, "resps": [[output]],
        "filtered_resps": [output], "filter": "none", "metrics": ["exact_match"],
        "doc_hash": hash_string(json.dumps(doc, indent=2, ensure_ascii=False)),
        "prompt_hash": hash_string(context), "target_hash": hash_string(target),
    }
    sample["exact_match"] = float(output.strip()[:1] == target)
    return sample


@pytest.fixture()
def lm_eval_output(tmp_path: Path) -> Path:
    tracker = EvaluationTracker(output_path=str(tmp_path / "out"))
    tracker.general_config_tracker.log_experiment_args(
        model_source="hf", model_args="pretrained=EleutherAI/pythia-70m,dtype=float32",
        system_instruction=None, chat_template=None, fewshot_as_multiturn=False)
    samples = {
        "clika_x_geo_zh": [_mc_sample(i, d, ll, d["answer"]) for i, (d, ll) in enumerate(zip(GEO_DOCS, GEO_LLS))],
        "x_name_de": [_gen_sample(i, d, o, t) for i, (d, o, t) in enumerate(zip(NAME_DOCS, NAME_OUTPUTS, NAME_TARGETS))],
        "hellaswag": [_mc_sample(0, GEO_DOCS[0], GEO_LLS[0], 1)],
    }
    tracker.save_results_aggregated(results={"results": {}, "configs": {}}, samples=samples)
    for task_name, task_samples in samples.items():
        tracker.save_results_samples(task_name=task_name, samples=task_samples)
    return tmp_path / "out"


def test_files_have_lm_evals_layout(lm_eval_output: Path):
    folder = lm_eval_output / "EleutherAI__pythia-70m"
    names = sorted(p.name.split("_20")[0] for p in folder.iterdir())
    assert names == ["results", "samples_clika_x_geo_zh", "samples_hellaswag", "samples_x_name_de"]
    first = json.loads(next(folder.glob("samples_clika_x_geo_zh_*.jsonl")).read_text(encoding="utf-8").splitlines()[0])
    assert first["filtered_resps"] == [["-3.0", "False"], ["-1.0", "False"], ["-2.5", "False"], ["-4.0", "False"]]
    assert first["target"] == "1" and first["arguments"]["gen_args_1"]["arg_1"] == " Alexandria"


def test_multiple_choice_and_generated_samples_are_read(lm_eval_output: Path):
    res = read_predictions(lm_eval_output, "lm-eval")
    by_task = {}
    for p in res.predictions:
        by_task.setdefault((p.task, p.lang), []).append(p)
    assert set(by_task) == {("x_geo", "zh"), ("x_name", "de")}
    geo = by_task[("x_geo", "zh")]
    assert {p.model for p in res.predictions} == {"EleutherAI/pythia-70m"}  # from results_*.json
    assert [(p.item_id, p.choice, p.gold, p.correct) for p in geo] == [
        ("g0", 1, 1, True), ("g1", 2, 0, False), ("g2", 0, 0, True)]
    assert geo[0].scores == (-3.0, -1.0, -2.5, -4.0) and geo[0].n_options == 4
    name = by_task[("x_name", "de")]
    # first-char rule: "D. 1932" -> D; "Answer: B" -> A (the "A" of "Answer"); "I am..." -> none
    assert [(p.item_id, p.choice, p.gold, p.raw) for p in name] == [
        ("0", 3, 3, "D. 1932"), ("1", 0, 1, "Answer: B"), ("2", None, 0, "I am not sure")]
    # a task it cannot place is skipped with its reason, never silently
    assert [(f.reason, "hellaswag" in (f.detail or "")) for f in res.files if f.status == "skipped"] == \
        [("unknown_name", True)]
    assert not any("disagrees" in w for w in res.warnings)  # our argmax agrees with lm-eval's acc


def test_smart_extraction_on_generated_answers(lm_eval_output: Path):
    res = read_predictions(lm_eval_output, "lm-eval", tasks=["x_name"], extract="smart")
    assert [p.choice for p in res.predictions] == [3, 1, None]
    assert res.extraction_changes == {("EleutherAI/pythia-70m", "x_name", "de"): 1}


def test_task_map_names_unrecognised_tasks(lm_eval_output: Path):
    res = read_predictions(lm_eval_output, "lm-eval", task_map={"hellaswag": ("x_geo", "fr")}, langs=["fr"])
    assert [(p.task, p.lang, p.item_id, p.choice) for p in res.predictions] == [("x_geo", "fr", "g0", 1)]


def test_split_task_name():
    assert split_task_name("x_geo_zh") == ("x_geo", "zh")
    assert split_task_name("clika_x_csqa_ja") == ("x_csqa", "ja")
    assert split_task_name("mmlu") is None


def test_bad_samples_line_names_file_and_line(lm_eval_output: Path):
    path = next((lm_eval_output / "EleutherAI__pythia-70m").glob("samples_clika_x_geo_zh_*.jsonl"))
    lines = path.read_text(encoding="utf-8").splitlines()
    rec = json.loads(lines[1])
    rec["target"] = "7"
    path.write_text("\n".join([lines[0], json.dumps(rec), lines[2]]) + "\n", encoding="utf-8")
    with pytest.raises(DataError) as err:
        read_predictions(lm_eval_output, "lm-eval")
    assert str(err.value) == f"{path}:2: target '7' is out of range for 4 options"


def test_a_nan_loglikelihood_is_no_answer(lm_eval_output: Path):
    path = next((lm_eval_output / "EleutherAI__pythia-70m").glob("samples_clika_x_geo_zh_*.jsonl"))
    lines = path.read_text(encoding="utf-8").splitlines()
    rec = json.loads(lines[0])
    rec["filtered_resps"][2][0] = "nan"  # np.argmax would choose the NaN option
    path.write_text("\n".join([json.dumps(rec), *lines[1:]]) + "\n", encoding="utf-8")
    geo = [p for p in read_predictions(lm_eval_output, "lm-eval").predictions if p.task == "x_geo"]
    assert [p.choice for p in geo] == [None, 2, 0]
