"""A run in lm-evaluation-harness's output layout (lm-eval 0.4.x), so that lm-eval-based tooling reads
clika runs and ``clika score --layout lm-eval`` reads them back.

lm-eval run with ``--output_path OUT/results.json --log_samples`` writes into OUT

    results_<date>.json            the aggregated results (EvaluationTracker.save_results_aggregated)
    samples_<task>_<date>.jsonl    one line per document (save_results_samples)

where <date> is ``datetime.now().isoformat()`` with ":" made "-". clika writes the same files under the same names
into the run's output folder, for lm-eval's file-name helpers (``get_file_task_name``, ``get_results_filenames``) and
clika.data.lmeval_samples. Each (task, language) is one lm-eval task ``<task>_<lang>`` (``x_geo_de``).

What each number is (docs/data-format.md): ``acc,none`` is the run's own accuracy (as in metrics.jsonl; ``acc_norm,
none`` in cloze-norm mode, lm-eval's name for the per-character rule); ``acc_stderr,none`` is lm-eval's ``mean_stderr``
of the 0/1 scores, sqrt(p(1-p)/(n-1)), "N/A" below two documents, not clika's bootstrap interval. Sample lines mirror
lm-eval's after its sanitising: every value in resps/filtered_resps is a string; ``is_greedy`` is "None" (not kept).
"""

from __future__ import annotations

import json
import math
import re
import subprocess
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from hashlib import sha256
from pathlib import Path
from typing import Any, Protocol

from clika.data.export import write_text
from clika.data.lines import write_json_lines
from clika.data.lmeval_samples import lm_eval_task_name
from clika.items import Item
from clika.predictions import Prediction
from clika.tasks import TaskRegistry

FILTER = "none"  # lm-eval's name for "no filter": the one filter clika's answers pass through


class RequestLike(Protocol):
    """What a sample's ``arguments`` are built from (clika.prompts.ChoiceRequest)."""

    @property
    def prompt(self) -> str: ...

    @property
    def continuations(self) -> tuple[str, ...]: ...


@dataclass(frozen=True)
class LmEvalRun:
    """What results_<date>.json says about the run besides its numbers."""

    backend: str  # --model: hf, vllm, openai, ...
    model_name: str  # the model's name in clika's records
    model_args: Mapping[str, Any]  # parsed, secrets already scrubbed (clika.store.scrub_secrets)
    mode: str
    batch_size: int
    device: str
    limit: int | None
    extract: str
    data: str | None
    templates: Mapping[str, str]  # task -> template asked with
    n_boot: int
    seed: int
    max_gen_toks: int = 0  # generate mode: new tokens per answer


def metric_name(mode: str) -> str:
    """lm-eval's name for the accuracy a mode computes."""
    return "acc_norm" if mode == "cloze-norm" else "acc"


def mean_stderr(p: float | None, n: int) -> float | str:
    """lm-eval's ``mean_stderr`` of n 0/1 scores with mean p: sample std (ddof 1) / sqrt(n)."""
    return "N/A" if p is None or n < 2 else math.sqrt(p * (1.0 - p) / (n - 1))


def hash_string(text: str) -> str:
    """lm-eval's ``hash_string``: the SHA-256 hex digest of the UTF-8 text."""
    return sha256(text.encode("utf-8")).hexdigest()


def sanitize_model_name(name: str) -> str:
    """lm-eval's ``sanitize_model_name`` (its model folder name)."""
    return re.sub(r"[\"<>:/|\\?*\[\]]+", "__", name)


def greedy_kwargs(max_gen_toks: int) -> dict[str, Any]:
    """Generate mode's settings in lm-eval's words: greedy, no stop string."""
    return {"until": [], "max_gen_toks": max_gen_toks, "do_sample": False}


def _gen_kwargs(run: LmEvalRun) -> dict[str, Any] | None:
    return greedy_kwargs(run.max_gen_toks) if run.mode == "generate" else None


def sample_line(doc_id: int, item: Item, pred: Prediction, request: RequestLike, run: LmEvalRun) -> dict[str, Any]:
    """One samples line, as lm-eval's evaluator builds it and its tracker writes it."""
    metric = metric_name(run.mode)
    doc = {"id": item.item_id, "question": item.question, "options": list(item.options), "answer": item.gold}
    if item.meta:
        doc["meta"] = item.meta
    if run.mode == "generate":
        target = item.gold_letter  # generated answers are read as letters
        arguments = {"gen_args_0": {"arg_0": request.prompt, "arg_1": _gen_kwargs(run)}}
        raw = pred.raw or ""
        resps, filtered = [[raw]], [raw]
    else:
        target = str(item.gold)
        arguments = {f"gen_args_{i}": {"arg_0": request.prompt, "arg_1": cont}
                     for i, cont in enumerate(request.continuations)}
        pairs = [[str(s), "None"] for s in pred.scores or ()]  # [loglikelihood, is_greedy] as lm-eval's strings
        resps, filtered = [[p] for p in pairs], pairs
    return {"doc_id": doc_id, "doc": doc, "target": target, "arguments": arguments, "resps": resps,
            "filtered_resps": filtered, "filter": FILTER, "metrics": [metric],
            "doc_hash": hash_string(json.dumps(doc, indent=2, default=str, ensure_ascii=False)),
            "prompt_hash": hash_string(request.prompt), "target_hash": hash_string(target), metric: float(pred.correct)}


def _task_config(name: str, item: Item, run: LmEvalRun, tasks: TaskRegistry, n_shot: int) -> dict[str, Any]:
    spec = tasks.spec_for(item.task, item.n_options, item.stream)
    metric = metric_name(run.mode)
    config = {"task": name, "tag": [item.task], "dataset_path": run.data or spec.dataset.path or spec.dataset.format,
              "doc_to_target": "answer", "description": spec.description, "num_fewshot": n_shot,
              "metric_list": [{"metric": metric, "aggregation": "mean", "higher_is_better": True}],
              "output_type": "generate_until" if run.mode == "generate" else "multiple_choice",
              "repeats": 1, "should_decontaminate": False,
              "metadata": {"config_source": spec.source or None, "clika_task": item.task, "lang": item.lang,
                           "template": run.templates.get(item.task), "mode": run.mode}}
    if run.mode == "generate":
        config["generation_kwargs"] = _gen_kwargs(run)
    else:
        config["doc_to_choice"] = "options"
        config["target_delimiter"] = "" if run.mode == "letter" else " "
    return config


def _n_shot(item: Item, run: LmEvalRun, tasks: TaskRegistry) -> int:
    spec = tasks.spec_for(item.task, item.n_options, item.stream)
    template = spec.template(run.templates.get(item.task) or spec.default_template_for(run.mode))
    return 0 if template.example_for(item.lang) is None else 1


def _git_hash() -> str | None:
    """clika's commit when it runs from a git checkout (src/clika inside the repository), else None."""
    package = Path(__file__).resolve().parent.parent
    try:
        cmd = ["git", "-C", str(package), "rev-parse", "--show-toplevel", "--short", "HEAD"]
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=10, check=True).stdout.split()
    except (OSError, subprocess.SubprocessError):
        return None
    # Installed into a venv that happens to sit inside some repository: not clika's commit.
    return out[1] if len(out) == 2 and Path(out[0]).resolve() == package.parent.parent else None


def results_document(run: LmEvalRun, units: Mapping[tuple[str, str], list[Item]],
                     accuracy: Mapping[tuple[str, str], tuple[float | None, int]],
                     n_original: Mapping[tuple[str, str], int], tasks: TaskRegistry, task_hashes: Mapping[str, str],
                     now: datetime) -> dict[str, Any]:
    """results_<date>.json: lm-eval's keys, in its order."""
    from clika import __version__

    metric = metric_name(run.mode)
    keys = ("results", "group_subtasks", "configs", "versions", "n-shot", "higher_is_better", "n-samples")
    doc: dict[str, Any] = {key: {} for key in keys}
    for (task, lang), unit_items in units.items():
        name = lm_eval_task_name(task, lang)
        value, n = accuracy[(task, lang)]
        n_shot = _n_shot(unit_items[0], run, tasks)
        results = {"name": name, "alias": name, "sample_len": n, f"{metric},{FILTER}": value}
        doc["results"][name] = results | {f"{metric}_stderr,{FILTER}": mean_stderr(value, n)}
        doc["configs"][name] = _task_config(name, unit_items[0], run, tasks, n_shot)
        doc["versions"][name] = __version__  # clika's tasks carry no version of their own
        doc["n-shot"][name] = n_shot
        doc["higher_is_better"][name] = {metric: True}
        doc["n-samples"][name] = {"original": n_original.get((task, lang), n), "effective": n}
    # lm-eval writes --model_args as given; the parsed ones joined again read the same way
    model_args = ",".join(f"{k}={v}" for k, v in run.model_args.items())
    doc["config"] = {"model": run.backend, "model_args": model_args, "batch_size": run.batch_size, "batch_sizes": []}
    doc["config"] |= {"device": run.device, "use_cache": None, "limit": run.limit, "gen_kwargs": _gen_kwargs(run)}
    # clika's own settings: what changes the answers, and the bootstrap of metrics.jsonl
    doc["config"] |= {"mode": run.mode, "templates": dict(run.templates), "extract": run.extract, "data": run.data}
    doc["config"] |= {"n_boot": run.n_boot, "seed": run.seed}
    return doc | {"git_hash": _git_hash(), "date": now.timestamp(), "clika_version": __version__,
                  "task_hashes": dict(task_hashes), "model_source": run.backend, "model_name": run.model_name,
                  "model_name_sanitized": sanitize_model_name(run.model_name), "system_instruction": None,
                  "system_instruction_sha": None, "fewshot_as_multiturn": False, "chat_template": None,
                  "chat_template_sha": None}


def write_lm_eval(out: Path, run: LmEvalRun, items: Sequence[Item], predictions: Sequence[Prediction],
                  accuracy: Mapping[tuple[str, str], tuple[float | None, int]],
                  n_original: Mapping[tuple[str, str], int], tasks: TaskRegistry,
                  request_for: Callable[[Item], RequestLike] | None = None, now: datetime | None = None) -> list[Path]:
    """Write OUT/results_<date>.json and, given ``request_for`` (--log-samples), one
    OUT/samples_<task>_<lang>_<date>.jsonl per (task, language); the paths written. accuracy: (task, lang) -> the
    run's accuracy and its n; n_original: (task, lang) -> items before --limit. Items without a prediction are left out.
    """
    now = now or datetime.now()
    date_id = now.isoformat().replace(":", "-")
    found = {(p.task, p.lang, p.item_id): p for p in predictions}
    units: dict[tuple[str, str], list[Item]] = {}
    for item in items:
        if (item.task, item.lang, item.item_id) in found and (item.task, item.lang) in accuracy:
            units.setdefault((item.task, item.lang), []).append(item)
    paths, task_hashes = [], {}
    for (task, lang), unit_items in units.items() if request_for is not None else ():
        name = lm_eval_task_name(task, lang)
        lines = [sample_line(doc_id, item, found[(task, lang, item.item_id)], request_for(item), run)
                 for doc_id, item in enumerate(unit_items)]
        task_hashes[name] = hash_string("".join(s["doc_hash"] + s["prompt_hash"] + s["target_hash"] for s in lines))
        paths.append(write_json_lines(lines, out / f"samples_{name}_{date_id}.jsonl"))
    results = results_document(run, units, accuracy, n_original, tasks, task_hashes, now)
    out.mkdir(parents=True, exist_ok=True)
    text = json.dumps(results, indent=2, ensure_ascii=False, allow_nan=False) + "\n"
    return [write_text(out / f"results_{date_id}.json", text), *paths]
