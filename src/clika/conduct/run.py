"""One conductivity experiment: for each model and target language, train from the same base
model on fictional facts, test through the Backend contract, score with the metrics core.

Output directory (one folder per model and target, so runs of several models combine):

  fictional_set/                 the generated facts (facts.jsonl: one row per fact and language)
  <model>/<target>/manifest.json what this run is (model, data, seed, preset, training config,
                                 versions); a rerun with the same manifest resumes, a different
                                 one is refused (the folder belongs to another experiment)
  <model>/<target>/checkpoints/  the Trainer's epoch checkpoints (a killed run resumes from them)
  <model>/<target>/adapter/      the trained LoRA adapter (or fully fine-tuned weights)
  <model>/<target>/predictions.jsonl  every test question, the model's answer and its verdict
  <model>/<target>/metrics.jsonl gate, acc_l_type1, xrr, xrr_ctrl, cd_transfer (+ per overlap stratum)
  metrics.jsonl, report.md       all models and targets together
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from clika.conduct.distributed import barrier, is_main_process
from clika.conduct.evaluate import outcomes_from_rows, run_tests, split_strata
from clika.conduct.models import ModelRef, load_for_training, resolve_model
from clika.conduct.train import PromptFormat, TrainConfig, preset, save, train
from clika.errors import ConfigError
from clika.fictional.dataset import ConductSplit
from clika.items import LANGS, PIVOT
from clika.metrics.bootstrap import N_BOOT
from clika.metrics.conductivity import MASTERY_GATE, TASK, conductivity_records, gate_failure, gate_passes
from clika.metrics.records import MetricRecord, write_records

COMPLETE = ".complete.json"


@dataclass
class ConductOptions:
    """Everything `clika conduct` takes; the defaults are the command line's defaults."""

    targets: tuple[str, ...]
    output: Path
    models: tuple[str, ...] = ()  # HF dirs, hub ids or embedded names; () = the embedded Gemma 3 270M
    data: Literal["generated", "upstream"] = "generated"
    data_dir: Path | None = None  # the CLiKA data for data="upstream" (default: the fetched data)
    names: Literal["compound", "transliterated"] = "compound"
    n_facts: int | None = None  # None: the generator's default (>= 100 facts over >= 10 continents)
    n_continents: int | None = None
    translation_test: str = "held-out"  # the gate's name test: held-out prompt, taught direction ("reverse": both)
    remap: bool = False  # upstream only: the documented one-to-one continent remap (results labelled)
    seed: int = 0
    gate: float = MASTERY_GATE
    until_gate: bool = False  # keep training until the gate holds, up to max_epochs
    max_epochs: int = 30
    gate_min_epochs: int = 1  # --until-gate: first epoch at which the gate is checked
    gate_every: int = 1  # --until-gate: check every this many epochs after that
    preset: str = "cpu"
    train_overrides: dict[str, Any] = field(default_factory=dict)  # e.g. {"epochs": 12, "lr": 5e-4}
    prompt_format: str | None = None  # None: the preset's (chat for chat models under the cpu preset)
    device: str = "auto"
    backend: str = "hf"  # evaluation backend: hf, vllm (adapter as a LoRA request), or any registered one
    eval_batch_size: int = 16
    n_boot: int = N_BOOT


@dataclass
class TargetRun:
    model: str
    target: str
    records: list[MetricRecord]
    run_dir: Path | None = None
    train_seconds: float = 0.0
    test_seconds: float = 0.0
    epochs_run: int = 0
    stopped_early: bool = False
    losses: list[float] = field(default_factory=list)
    warning: str | None = None
    resumed: list[str] = field(default_factory=list)  # "training", "evaluation": taken from an earlier run


def training_config(opts: ConductOptions, ref: ModelRef, run_dir: Path) -> TrainConfig:
    """The preset, the user's overrides, the prompt format for this model, checkpoints in the run folder."""
    overrides = dict(opts.train_overrides)
    base = preset(opts.preset)
    if opts.prompt_format is not None:
        overrides["prompt_format"] = PromptFormat(opts.prompt_format)
    elif ref.chat:  # chat models are taught in their own template, as LLaMA-Factory does
        overrides["prompt_format"] = PromptFormat("chat")
    if opts.until_gate:
        overrides["epochs"] = opts.max_epochs  # the schedule spans the maximum; the gate may stop it earlier
    overrides.update(output_dir=run_dir / "checkpoints", save_strategy="epoch", save_total_limit=1,
                     seed=opts.seed, progress=overrides.get("progress", base.progress))
    return preset(opts.preset, **overrides)


def _versions() -> dict[str, str]:
    import peft
    import torch
    import transformers

    from clika import __version__

    return {"clika": __version__, "torch": torch.__version__, "transformers": transformers.__version__,
            "peft": peft.__version__}


def manifest_for(opts: ConductOptions, ref: ModelRef, split: ConductSplit, config: TrainConfig,
                 n_continents: int | None = None) -> dict:
    from clika.backends.hf import weights_identity

    split_blob = json.dumps([[e.__dict__ for e in split.train], [q.__dict__ for q in split.questions],
                             [t.__dict__ for t in split.translations]], ensure_ascii=False, sort_keys=True)
    import hashlib

    train = config.to_dict()
    for key in ("output_dir", "resume", "progress"):
        train.pop(key, None)
    return {
        "model": {"name": ref.name, "source": str(ref.source), "identity": weights_identity(str(ref.path)),
                  "chat": ref.chat},
        "data": {"origin": split.origin, "sha256": hashlib.sha256(split_blob.encode()).hexdigest(),
                 "n_train": len(split.train), "n_questions": len(split.questions),
                 "n_translations": len(split.translations), "n_continents": n_continents},
        "target": split.target, "seed": opts.seed, "preset": opts.preset, "train": train, "gate": opts.gate,
        "until_gate": opts.until_gate, "max_epochs": opts.max_epochs if opts.until_gate else None,
        "gate_schedule": [opts.gate_min_epochs, opts.gate_every] if opts.until_gate else None,
        "versions": _versions(),
    }


def _check_manifest(run_dir: Path, manifest: dict) -> None:
    """A run folder holds one experiment: resume the same one, refuse another."""
    path = run_dir / "manifest.json"
    if not path.is_file():
        if not is_main_process():  # multi-process: rank 0 writes it (atomically); the others train alongside
            return
        run_dir.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(manifest, indent=1, ensure_ascii=False), encoding="utf-8")
        os.replace(tmp, path)
        return
    old = json.loads(path.read_text(encoding="utf-8"))
    manifest = json.loads(json.dumps(manifest))  # as JSON has it (tuples become lists)
    mine = {k: v for k, v in manifest.items() if k != "versions"}
    theirs = {k: v for k, v in old.items() if k != "versions"}
    if mine != theirs:
        differ = sorted(k for k in set(mine) | set(theirs) if mine.get(k) != theirs.get(k))
        raise ConfigError(f"this folder holds another conductivity run (it differs in: {', '.join(differ)}); "
                          "use another --output, or remove the folder to start over", run_dir)


def _atomic_json(path: Path, data: Any) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(data, indent=1, ensure_ascii=False), encoding="utf-8")
    os.replace(tmp, path)


def _train_once(opts, ref, split, config, run_dir: Path, log) -> dict:
    """Train (resuming from the last epoch checkpoint), save the adapter atomically, return the stats."""
    from clika.backends.hf import HFBackend

    model, tokenizer = load_for_training(ref, opts.device, config)
    longest = max(len(config.prompt_format.encode(tokenizer, e.prompt, e.answer)[0]) for e in split.train)
    if longest > config.max_length and "max_length" not in opts.train_overrides:
        # The preset's length fits its usual data; a tokenizer that spends more tokens on this
        # language (or a chat template) needs more room. Never cut: the test asks the whole prompt.
        config = dataclasses.replace(config, max_length=-(-longest // 8) * 8)
        log(f"{split.target}: max_length raised to {config.max_length} (the longest training example is "
            f"{longest} tokens)")
    stop_check = None
    if opts.until_gate:
        def stop_check(trained, epoch: int) -> bool:
            backend = HFBackend.from_model(trained, tokenizer, name=ref.name, batch_size=opts.eval_batch_size,
                                           identity=f"training:{epoch}")
            outcome = run_tests(backend, tokenizer, config.prompt_format, split, gate_only=True).outcomes
            passed = gate_passes(outcome, opts.gate)
            log(f"{split.target}: epoch {epoch}: mastery gate {'holds' if passed else 'not yet'}")
            return passed
    checkpoints = Path(config.output_dir)
    if checkpoints.is_dir() and any(checkpoints.glob("checkpoint-*")):
        config = dataclasses.replace(config, resume=True)
        log(f"{split.target}: resuming training from {checkpoints}")
    result = train(model, tokenizer, split.train, config, stop_check=stop_check, check_every=opts.gate_every,
                   min_epochs=opts.gate_min_epochs)
    stats = {"epochs_run": result.epochs_run, "stopped_early": result.stopped_early, "seconds": result.seconds,
             "tokens_per_second": result.tokens_per_second, "losses": result.losses, "steps": result.steps,
             "n_trainable": result.n_trainable, "effective_batch": result.effective_batch,
             "peak_memory_bytes": result.peak_memory_bytes, "peak_memory_kind": result.peak_memory_kind,
             "method": config.method}
    # Multi-process: every rank has finished (and written its part of the last checkpoint) before
    # rank 0 replaces the checkpoints with the adapter; the other ranks write nothing.
    barrier()
    if not is_main_process():
        return stats
    tmp = run_dir / "adapter.tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    save(result.model, tokenizer, tmp)
    _atomic_json(tmp / COMPLETE, stats)
    shutil.rmtree(run_dir / "adapter", ignore_errors=True)
    os.replace(tmp, run_dir / "adapter")
    shutil.rmtree(checkpoints, ignore_errors=True)  # the adapter supersedes them
    del model, result
    return stats


def _evaluation_backend(opts: ConductOptions, ref: ModelRef, run_dir: Path, method: str):
    from clika.backends.registry import make_backend

    adapter = run_dir / "adapter"
    args: dict[str, Any] = {"pretrained": str(ref.path), "peft": str(adapter)} if method == "lora" else \
        {"pretrained": str(adapter)}
    return make_backend(opts.backend, args, device=opts.device, batch_size=opts.eval_batch_size)


def run_target(opts: ConductOptions, ref: ModelRef, split: ConductSplit, n_continents: int | None,
               log: Callable[[str], None]) -> TargetRun:
    from clika.data.lines import read_json_lines, write_json_lines
    from clika.runner import safe_dirname

    run_dir = Path(opts.output) / safe_dirname(ref.name) / split.target
    config = training_config(opts, ref, run_dir)
    _check_manifest(run_dir, manifest_for(opts, ref, split, config, n_continents))
    run = TargetRun(ref.name, split.target, [], run_dir)
    done = run_dir / "adapter" / COMPLETE
    if done.is_file():
        run.resumed.append("training")
        stats = json.loads(done.read_text(encoding="utf-8"))
    else:
        log(f"{ref.name} -> {split.target}: training on {len(split.train)} examples ({opts.preset} preset, "
            f"{config.method}, {'until the gate holds, at most ' if opts.until_gate else ''}{config.epochs} epochs)")
        stats = _train_once(opts, ref, split, config, run_dir, log)
    run.train_seconds, run.epochs_run = stats["seconds"], stats["epochs_run"]
    run.stopped_early, run.losses = stats["stopped_early"], stats["losses"]
    if not is_main_process():  # multi-process: rank 0 alone tests the trained model and writes the results
        return run

    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(run_dir / "adapter")
    strata = split_strata(split, tokenizer)
    answers = run_dir / "predictions.jsonl"
    if (run_dir / (answers.name + COMPLETE)).is_file():
        run.resumed.append("evaluation")
        run.test_seconds = json.loads((run_dir / (answers.name + COMPLETE)).read_text(encoding="utf-8"))["seconds"]
        rows = [r for _, r in read_json_lines(answers)]
        outcomes = outcomes_from_rows(split, rows, strata, n_continents)
    else:
        start = time.perf_counter()
        backend = _evaluation_backend(opts, ref, run_dir, stats["method"])
        try:
            tested = run_tests(backend, tokenizer, config.prompt_format, split, strata=strata, n_continents=n_continents)
        finally:
            backend.close()
        run.test_seconds = time.perf_counter() - start
        write_json_lines(tested.rows, answers)
        _atomic_json(run_dir / (answers.name + COMPLETE), {"rows": len(tested.rows), "seconds": run.test_seconds})
        outcomes = tested.outcomes
    run.records = conductivity_records(outcomes, ref.name, task=_task_label(split), gate=opts.gate,
                                       n_boot=opts.n_boot, seed=opts.seed)
    run.records.append(MetricRecord(ref.name, _task_label(split), split.target, "epochs_trained",
                                    float(run.epochs_run), n=len(split.train),
                                    note=("stopped when the gate held" if run.stopped_early else None)))
    write_records(run.records, run_dir / "metrics.jsonl")
    return run


def _task_label(split: ConductSplit) -> str:
    """Results of the remapped upstream set are labelled as such."""
    return TASK + ("+remap" if "remap" in split.origin else "")


def make_splits(opts: ConductOptions, log: Callable[[str], None]) -> tuple[dict[str, ConductSplit | str], int | None]:
    """target -> its split, or the one-line reason it cannot be scored; and the number of continents."""
    bad = [t for t in opts.targets if t not in LANGS or t == PIVOT]
    if bad or not opts.targets:
        raise ConfigError(f"targets must be among {', '.join(LANGS[1:])} (got {', '.join(opts.targets) or 'none'})")
    if opts.data == "generated":
        from clika.fictional.generator import generate

        kwargs = {} if opts.n_facts is None else {"n_facts": opts.n_facts}
        fset = generate(langs=opts.targets, seed=opts.seed, names=opts.names, n_continents=opts.n_continents,
                        **kwargs)
        if is_main_process():
            fset.write(Path(opts.output) / "fictional_set")
        for warning in fset.warnings:
            log(f"warning: {warning}")
        return {t: fset.split(t, opts.translation_test) for t in opts.targets}, len(fset.continents)
    if opts.data != "upstream":
        raise ConfigError(f"unknown data source {opts.data!r} (generated or upstream)")
    from clika.fictional.upstream import load

    root = opts.data_dir
    if root is None:
        from clika.data.fetch import find_data_dir, missing_data_message

        root = find_data_dir()
        if root is None:
            raise ConfigError(f"--data upstream: {missing_data_message()}")
    splits: dict[str, ConductSplit | str] = {}
    continents: set[str] = set()
    for t in opts.targets:
        split, report = load(root, t, remap=opts.remap)
        log(f"{t}: {report.summary}")
        if not report.ok and not opts.remap:
            splits[t] = report.warning or "train and test disagree"
            continue
        splits[t] = split
        continents |= {q.gold for q in split.questions if q.lang == PIVOT}
    return splits, len(continents) or None


def conduct(opts: ConductOptions, log: Callable[[str], None] = print) -> list[TargetRun]:
    """Every model on every target from the same base; write per-run and combined records and report.md."""
    from clika.backends.registry import backend_info
    from clika.conduct.report import write_report
    from clika.output_paths import check_writable_dir

    if is_main_process():
        check_writable_dir(opts.output)
    backend_info(opts.backend)  # an unknown backend fails before any training
    preset(opts.preset, **{k: v for k, v in opts.train_overrides.items()})  # bad settings fail before any work
    refs = [resolve_model(m) for m in (opts.models or (None,))]
    splits, n_continents = make_splits(opts, log)
    runs: list[TargetRun] = []
    for ref in refs:
        for target, split in splits.items():
            if isinstance(split, str):
                runs.append(TargetRun(ref.name, target, _unscored(ref.name, target, split), warning=split))
                continue
            run = run_target(opts, ref, split, n_continents, log)
            runs.append(run)
            if not is_main_process():
                continue
            failure = gate_failure(run.records)
            log(f"{ref.name} -> {target}: " + (failure or "gate passed; " + _xrr_line(run.records)))
            write_records([r for x in runs for r in x.records], Path(opts.output) / "metrics.jsonl")
    if is_main_process():
        write_records([r for x in runs for r in x.records], Path(opts.output) / "metrics.jsonl")
        write_report(runs, opts, Path(opts.output) / "report.md", n_continents)
    return runs


def _unscored(model: str, target: str, reason: str) -> list[MetricRecord]:
    note = f"not scored: {reason}"
    return [MetricRecord(model, TASK, target, m, None, n=0, note=note) for m in ("xrr", "xrr_ctrl", "cd_transfer")]


def _xrr_line(records: list[MetricRecord]) -> str:
    from clika.formatting import format_record

    overall = {r.metric: r for r in records if r.stratum is None}
    return ", ".join(f"{m} {format_record(overall.get(m), n=getattr(overall.get(m), 'n', None))}"
                     for m in ("xrr", "xrr_ctrl", "cd_transfer"))
