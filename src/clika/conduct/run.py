"""One conductivity experiment: for each model, target language and seed, train from the same base model on
fictional facts, test through the Backend contract, score with the metrics core.

Output directory (one folder per model, language pair and seed, so runs combine):

  <model>/<source>-<target>/seed<k>/manifest.json  what this run is (model, data, seed, name direction, gate
            prompt, preset, training config, versions); a rerun with the same manifest resumes, another is refused
  .../seed<k>/train_<target>.jsonl, test_<target>.jsonl, split_<target>.json  exactly what was taught and
            asked (clika.fictional.dataset)
  .../seed<k>/checkpoints/  the Trainer's epoch checkpoints (a killed run resumes from them)
  .../seed<k>/adapter/      the trained LoRA adapter (or fully fine-tuned weights)
  .../seed<k>/curve_predictions.jsonl, curve.jsonl  every answer at every gate check (with its epoch), and the
            learning curves (epoch, metric, value, n)
  .../seed<k>/predictions.jsonl, metrics.jsonl  every final answer and its verdict; this seed's records
  <model>/<source>-<target>/metrics.jsonl  the seeds pooled, each note saying how many and the between-seed
            min-max (clika.metrics.seeds)
  metrics.jsonl, metrics.resamples.npz  all models and targets (pooled over seeds), and the XRR resamples the
            report's mean over targets needs; a later call into the same folder replaces its own models and
            targets and keeps the others
  report.md  written by clika.api.conduct (clika.report.cd_tables)

A seed k is one whole replicate: the generated set of seed k AND the training run of seed k (TrainConfig.seed:
LoRA initialisation and data order), so the spread over seeds includes the training randomness, not only the
choice of facts. (--data upstream has one set: one seed.)
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import import_module
from pathlib import Path
from typing import Any, Literal

from clika.conduct.distributed import barrier, is_main_process
from clika.conduct.fact_tests import fact_strata, outcomes_from_rows, run_tests
from clika.conduct.models import ModelRef, load_for_training, resolve_model
from clika.conduct.train import PromptFormat, TrainConfig, preset, resolve_dtype, save, train
from clika.errors import ConfigError
from clika.fictional.dataset import NAME_DIRECTIONS, PAPER_NAME_DIRECTION, ConductSplit, write_split
from clika.fictional.templates import GATE_PROMPTS
from clika.items import LANGS, PIVOT
from clika.metrics.bootstrap import N_BOOT
from clika.metrics.catalog import tagged
from clika.metrics.cd import (
    MARGIN,
    MASTERY_GATE,
    TASK,
    FactOutcomes,
    conductivity_records,
    gate_failure,
    gate_passes,
    pool,
)
from clika.metrics.record_io import read_records, read_resamples, write_records, write_resamples
from clika.metrics.records import Record
from clika.metrics.seeds import seed_spread, spread_text

COMPLETE = ".complete.json"
TRANSLATION_TESTS = ("held-out", "reverse")
_STATS = ("epochs_run", "stopped_early", "seconds", "tokens_per_second", "losses", "steps", "n_trainable",
          "effective_batch", "peak_memory_bytes", "peak_memory_kind")


@dataclass
class ConductOptions:
    """Everything `clika conduct` takes; the defaults are the command line's defaults. ``check()``
    validates them (called by ``conduct``, so library callers get the command line's checks)."""

    targets: tuple[str, ...]
    output: Path
    models: tuple[str, ...] = ()  # HF dirs, hub ids or embedded names; () = the embedded Gemma 3 270M
    data: Literal["generated", "upstream"] = "generated"
    data_dir: Path | None = None  # the CLiKA data for data="upstream" (default: the fetched data)
    names: Literal["compound", "transliterated"] = "compound"
    n_facts: int | None = None  # None: the generator's default (120 facts over 12 continents)
    n_continents: int | None = None
    name_direction: str = PAPER_NAME_DIRECTION  # the paper's: names taught target -> source ("en" = the source)
    source: str = PIVOT  # the language type-1 facts are taught in
    translation_test: str = "held-out"  # the gate's name tests: taught directions ("reverse": the untaught too)
    gate_prompt: str = "native"  # the gate's held-out name prompt written in the name's language, or "english"
    remap: bool = False  # upstream only: the documented one-to-one continent remap (results labelled)
    swapped_rows: Literal["repair", "drop"] = "repair"  # upstream only: ZH rows that swap city and continent
    seeds: tuple[int, ...] = (0,)  # one generated set (and training run) per seed, pooled
    gate: float = MASTERY_GATE
    margin: float = MARGIN  # the verdict's: 'no transfer detected' needs acc_l_type1 <= chance + margin at 95%
    until_gate: bool = False  # keep training until the gate holds, up to max_epochs
    max_epochs: int = 30
    gate_min_epochs: int = 1  # --until-gate: first epoch at which the gate is checked
    gate_every: int = 1  # --until-gate: check every this many epochs after that
    preset: str = "cpu"
    train_overrides: dict[str, Any] = field(default_factory=dict)  # e.g. {"epochs": 12, "lr": 5e-4}
    prompt_format: str | None = None  # None: the preset's (chat for chat models under the cpu preset)
    device: str = "auto"
    backend: str = "hf"  # evaluation backend: hf, vllm (adapter as a LoRA request), or any registered one
    eval_batch_size: int = 64  # generation reads every weight per token: 64 rows a batch halved CPU test time vs 16
    n_boot: int = N_BOOT

    @property
    def gate_untaught(self) -> bool:
        return self.translation_test == "reverse"

    def check(self) -> None:
        others = ", ".join(x for x in LANGS if x != self.source)
        upstream_bad = self.source != PIVOT or self.name_direction != PAPER_NAME_DIRECTION or len(self.seeds) > 1
        rules = [
            (not 0.0 < self.margin < 1.0, f"margin must be between 0 and 1 (got {self.margin})"),
            (not 0.0 <= self.gate <= 1.0 or self.max_epochs < 1 or self.gate_min_epochs < 1 or self.gate_every < 1,
             "need 0 <= gate <= 1, max_epochs >= 1, gate_min_epochs >= 1 and gate_every >= 1"),
            (self.source not in LANGS, f"source must be one of {', '.join(LANGS)} (got {self.source!r})"),
            (not self.targets or any(t not in LANGS or t == self.source for t in self.targets),
             f"targets must be among {others} (got {', '.join(self.targets) or 'none'})"),
            (self.name_direction not in NAME_DIRECTIONS, f"name direction must be one of {', '.join(NAME_DIRECTIONS)}"),
            (self.translation_test not in TRANSLATION_TESTS,
             f"translation test must be one of {', '.join(TRANSLATION_TESTS)}"),
            (self.gate_prompt not in GATE_PROMPTS, f"gate prompt must be one of {', '.join(GATE_PROMPTS)}"),
            (not self.seeds or len(set(self.seeds)) != len(self.seeds), "give one or more distinct seeds"),
            (self.data == "upstream" and upstream_bad,
             "the upstream set is taught from English with names to-en (as shipped), one set"),
            (self.data not in ("generated", "upstream") or self.swapped_rows not in ("repair", "drop"),
             "data must be generated or upstream; swapped rows repair or drop"),
        ]
        problems = [message for failed, message in rules if failed]
        if problems:
            raise ConfigError("conduct: " + "; ".join(problems))


@dataclass
class TargetRun:
    model: str
    target: str
    records: list[Record]
    run_dir: Path | None = None
    seed: int | None = None  # None: several seeds pooled
    source: str = PIVOT
    train_seconds: float = 0.0
    test_seconds: float = 0.0
    epochs_run: int = 0
    stopped_early: bool = False
    losses: list[float] = field(default_factory=list)
    warning: str | None = None
    resumed: list[str] = field(default_factory=list)  # "training", "evaluation": taken from an earlier run
    evaluated_at: str = "after training, through the backend"
    outcomes: FactOutcomes | None = None
    resamples: dict = field(default_factory=dict)  # the records' resamples, for the report's mean over targets
    seed_spread: dict = field(default_factory=dict)  # pooled runs: (metric, stratum) -> min, max, seeds with a value
    n_seeds: int = 1


def training_config(opts: ConductOptions, ref: ModelRef, run_dir: Path, seed: int) -> TrainConfig:
    """The preset, the user's overrides, the prompt format for this model, checkpoints in the run folder."""
    overrides = dict(opts.train_overrides)
    base = preset(opts.preset)
    if opts.prompt_format is not None:
        overrides["prompt_format"] = PromptFormat(opts.prompt_format)
    elif ref.chat:  # chat models are taught in their own template, as LLaMA-Factory does
        overrides["prompt_format"] = PromptFormat("chat")
    if opts.until_gate:
        overrides["epochs"] = opts.max_epochs  # the schedule spans the maximum; the gate may stop it earlier
    overrides.update(output_dir=run_dir / "checkpoints", save_strategy="epoch", save_total_limit=1, seed=seed,
                     progress=overrides.get("progress", base.progress))
    config = preset(opts.preset, **overrides)
    return dataclasses.replace(config, dtype=resolve_dtype(config.dtype, _device(opts.device)))


def _device(device: str) -> str:
    if device != "auto":
        return device
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


def manifest_for(opts: ConductOptions, ref: ModelRef, split: ConductSplit, config: TrainConfig, seed: int,
                 n_continents: int | None = None) -> dict:
    import hashlib

    from clika import __version__
    from clika.backends.hf import weights_identity

    taught = [[x.__dict__ for x in xs] for xs in (split.train, split.questions, split.translations)]
    sha = hashlib.sha256(json.dumps(taught, ensure_ascii=False, sort_keys=True).encode()).hexdigest()
    versions = {"clika": __version__, **{m: import_module(m).__version__ for m in ("torch", "transformers", "peft")}}
    return {
        "model": {"name": ref.name, "source": str(ref.source), "identity": weights_identity(str(ref.path)),
                  "chat": ref.chat},
        "data": {"origin": split.origin, "sha256": sha, "n_train": len(split.train),
                 "n_questions": len(split.questions), "n_translations": len(split.translations),
                 "n_continents": n_continents},
        "target": split.target, "source": split.source, "name_direction": split.name_direction, "seed": seed,
        "gate_prompt": split.gate_prompt, "translation_test": opts.translation_test, "preset": opts.preset,
        "train": {k: v for k, v in config.to_dict().items() if k not in ("output_dir", "resume", "progress")},
        "gate": opts.gate, "until_gate": opts.until_gate, "max_epochs": opts.max_epochs if opts.until_gate else None,
        "gate_schedule": [opts.gate_min_epochs, opts.gate_every] if opts.until_gate else None,
        "versions": versions,
    }


def _check_manifest(run_dir: Path, manifest: dict) -> None:
    """A run folder holds one experiment: resume the same one, refuse another."""
    path = run_dir / "manifest.json"
    if not path.is_file():
        if is_main_process():  # multi-process: rank 0 writes it (atomically); the others train alongside
            run_dir.mkdir(parents=True, exist_ok=True)
            _atomic_json(path, manifest)
        return
    mine = _portable(json.loads(json.dumps(manifest)))  # as JSON has it
    theirs = _portable(json.loads(path.read_text(encoding="utf-8")))
    differ = sorted(k for k in set(mine) | set(theirs) if k != "versions" and mine.get(k) != theirs.get(k))
    if differ:
        raise ConfigError(f"this folder holds another conductivity run (it differs in: {', '.join(differ)}); "
                          "use another --output, or remove the folder to start over", run_dir)


def _portable(manifest: dict) -> dict:
    """What must match to resume a run on another machine: a local model's name and its files' names and sizes, not
    the path it was given or mtimes (a study folder kept in git, or copied to a cluster, is re-judged there without
    retraining)."""
    model = manifest.get("model", {})
    if "files" in model.get("identity", {}):
        files = sorted((name, size) for name, size, *_ in model["identity"]["files"])
        manifest["model"] = {"name": model.get("name"), "chat": model.get("chat"), "files": files}
    return manifest


def _atomic_json(path: Path, data: Any) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(data, indent=1, ensure_ascii=False), encoding="utf-8")
    os.replace(tmp, path)


def _append_lines(path: Path, rows: list[dict]) -> None:
    with path.open("a", encoding="utf-8") as fh:
        fh.writelines(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)


def _test_all(backend, tokenizer, config: TrainConfig, split: ConductSplit, n_continents):
    strata = fact_strata(split, tokenizer)
    return run_tests(backend, tokenizer, config.prompt_format, split, strata=strata, n_continents=n_continents)


def _checkpoint(opts, ref, split, tokenizer, config, run_dir: Path, n_continents, log, last: dict):
    """The --until-gate check: ask every test of the split (so the learning curves have every metric),
    keep the answers with their epoch, and stop when the gate holds."""
    from clika.backends.hf import HFBackend

    def stop_check(trained, epoch: int) -> bool:
        start = time.perf_counter()
        backend = HFBackend.from_model(trained, tokenizer, name=ref.name, batch_size=opts.eval_batch_size,
                                       identity=f"training:{epoch}")
        # no autocast here: on the CPU it would cast every weight at every generated token (measured
        # slower than fp32); the output layer computes as in training (train._low_precision_head)
        tested = _test_all(backend, tokenizer, config, split, n_continents)
        if is_main_process():  # every rank checks (the Trainer broadcasts rank 0's decision); one writes
            _append_lines(run_dir / "curve_predictions.jsonl", [{"epoch": epoch, **r} for r in tested.rows])
        passed = gate_passes(tested.outcomes, opts.gate, opts.gate_untaught)
        last.update(epoch=epoch, rows=tested.rows, seconds=time.perf_counter() - start)
        log(f"{split.target}: epoch {epoch}: mastery gate {'holds' if passed else 'not yet'} "
            f"({time.perf_counter() - start:.0f} s to test)")
        return passed

    return stop_check


def _train_once(opts, ref, split, config, run_dir: Path, n_continents, log) -> dict:
    """Train (resuming from the last epoch checkpoint), save the adapter atomically, return the stats."""
    model, tokenizer = load_for_training(ref, opts.device, config)
    longest = max(len(config.prompt_format.encode(tokenizer, e.prompt, e.answer)[0]) for e in split.train)
    if longest > config.max_length and "max_length" not in opts.train_overrides:
        # The preset's length fits its usual data; a tokenizer that spends more tokens on this
        # language (or a chat template) needs more room. Never cut: the test asks the whole prompt.
        config = dataclasses.replace(config, max_length=-(-longest // 8) * 8)
        log(f"{split.target}: max_length raised to {config.max_length} (the longest training example is "
            f"{longest} tokens)")
    last: dict = {}
    stop_check = None
    if opts.until_gate:
        stop_check = _checkpoint(opts, ref, split, tokenizer, config, run_dir, n_continents, log, last)
    checkpoints = Path(config.output_dir)
    if checkpoints.is_dir() and any(checkpoints.glob("checkpoint-*")):
        config = dataclasses.replace(config, resume=True)
        log(f"{split.target}: resuming training from {checkpoints}")
    result = train(model, tokenizer, split.train, config, stop_check=stop_check, check_every=opts.gate_every,
                   min_epochs=opts.gate_min_epochs)
    stats = {**{k: getattr(result, k) for k in _STATS}, "method": config.method}
    # Multi-process: every rank has finished (and written its part of the last checkpoint) before
    # rank 0 replaces the checkpoints with the adapter; the other ranks write nothing.
    barrier()
    if not is_main_process():
        return stats
    tmp = run_dir / "adapter.tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    save(result.model, tokenizer, tmp)
    if result.stopped_early and last.get("epoch") == result.epochs_run and opts.backend == "hf":
        # The check that stopped training asked every test of the final weights through the hf
        # backend already: those answers are the evaluation (asking again would repeat them).
        _write_predictions(run_dir, last["rows"], last["seconds"],
                           f"at the gate check of epoch {last['epoch']} (hf backend, in process)")
    _atomic_json(tmp / COMPLETE, stats)
    shutil.rmtree(run_dir / "adapter", ignore_errors=True)
    os.replace(tmp, run_dir / "adapter")
    shutil.rmtree(checkpoints, ignore_errors=True)  # the adapter supersedes them
    del model, result
    return stats


def _write_predictions(run_dir: Path, rows: list[dict], seconds: float, evaluated_at: str) -> None:
    from clika.data.lines import write_json_lines

    write_json_lines(rows, run_dir / "predictions.jsonl")
    info = {"rows": len(rows), "seconds": seconds, "evaluated_at": evaluated_at}
    _atomic_json(run_dir / ("predictions.jsonl" + COMPLETE), info)


def _evaluate(opts: ConductOptions, ref: ModelRef, split: ConductSplit, config: TrainConfig, run_dir: Path,
              method: str, n_continents: int | None) -> list[dict]:
    """Ask every test of the trained model through the evaluation backend; write predictions.jsonl."""
    from transformers import AutoTokenizer

    from clika.backends.registry import make_backend

    adapter = run_dir / "adapter"
    tokenizer = AutoTokenizer.from_pretrained(adapter)
    start = time.perf_counter()
    args = {"pretrained": str(ref.path), "peft": str(adapter)} if method == "lora" else {"pretrained": str(adapter)}
    backend = make_backend(opts.backend, args, device=opts.device, batch_size=opts.eval_batch_size)
    try:
        rows = _test_all(backend, tokenizer, config, split, n_continents).rows
    finally:
        backend.close()
    _write_predictions(run_dir, rows, time.perf_counter() - start, "after training, through the backend")
    return rows


def run_dir_of(opts: ConductOptions, model: str, target: str, seed: int | None = None) -> Path:
    from clika.paths import safe_dirname

    pair = Path(opts.output) / safe_dirname(model) / f"{opts.source}-{target}"
    return pair if seed is None else pair / f"seed{seed}"


def run_target(opts: ConductOptions, ref: ModelRef, split: ConductSplit, seed: int, n_continents: int | None,
               log: Callable[[str], None]) -> TargetRun:
    from clika.conduct.curves import write_curve
    from clika.data.lines import read_json_lines

    run_dir = run_dir_of(opts, ref.name, split.target, seed)
    config = training_config(opts, ref, run_dir, seed)
    _check_manifest(run_dir, manifest_for(opts, ref, split, config, seed, n_continents))
    if is_main_process():
        write_split(split, run_dir)
    run = TargetRun(ref.name, split.target, [], run_dir, seed, split.source)
    done = run_dir / "adapter" / COMPLETE
    if done.is_file():
        run.resumed.append("training")
        stats = json.loads(done.read_text(encoding="utf-8"))
    else:
        log(f"{ref.name} -> {split.target} (seed {seed}): training on {len(split.train)} examples ({opts.preset} "
            f"preset, {config.method}, names {split.name_direction}, "
            f"{'until the gate holds, at most ' if opts.until_gate else ''}{config.epochs} epochs)")
        stats = _train_once(opts, ref, split, config, run_dir, n_continents, log)
    run.train_seconds, run.epochs_run = stats["seconds"], stats["epochs_run"]
    run.stopped_early, run.losses = stats["stopped_early"], stats["losses"]
    if not is_main_process():  # multi-process: rank 0 alone tests the trained model and writes the results
        return run
    answers = run_dir / "predictions.jsonl"
    marker = run_dir / (answers.name + COMPLETE)
    if marker.is_file():
        if "training" in run.resumed:
            run.resumed.append("evaluation")
        rows = [r for _, r in read_json_lines(answers)]
    else:
        rows = _evaluate(opts, ref, split, config, run_dir, stats["method"], n_continents)
        if opts.until_gate:  # the last epoch had no gate check (training ended there): its curve point
            _append_lines(run_dir / "curve_predictions.jsonl", [{"epoch": run.epochs_run, **r} for r in rows])
    info = json.loads(marker.read_text(encoding="utf-8"))
    run.test_seconds, run.evaluated_at = info["seconds"], info.get("evaluated_at", run.evaluated_at)
    run.outcomes = outcomes_from_rows(split, rows, n_continents)
    _atomic_json(run_dir / "outcomes.json", run.outcomes.to_dict())
    run.records = run_records(opts, ref.name, split, run.outcomes, run.epochs_run, run.stopped_early, seed,
                              run.resamples)
    write_records(run.records, run_dir / "metrics.jsonl")
    write_curve(run_dir, split, n_continents, opts.gate_untaught)
    return run


def run_records(opts: ConductOptions, model: str, split: ConductSplit, outcomes: FactOutcomes, epochs: int,
                stopped_early: bool, seed: int, resamples: dict | None = None) -> list[Record]:
    condition = _condition(split)
    records = conductivity_records(outcomes, model, task=TASK, condition=condition, gate=opts.gate,
                                   gate_untaught=opts.gate_untaught, n_boot=opts.n_boot, seed=seed,
                                   resamples=resamples)
    note = "stopped when the gate held" if stopped_early else None
    records.append(Record(model=model, task=TASK, condition=condition, metric="epochs_trained", lang=split.target,
                          lang_ref=split.source, value=float(epochs), n=len(split.train), note=note))
    return records


def _condition(split: ConductSplit) -> str | None:
    """The records' condition: results of the remapped or repaired upstream set, of a name direction
    other than the paper's (to-en) and of a gate prompt other than the default (native) are labelled as
    such ("remap+repair", "names-both+gate-english"; None for the paper's protocol): runs of two
    conditions never share a record key, so a report or findings given both keeps both."""
    labels = list(split.meta.get("labels", ()))
    if split.name_direction != PAPER_NAME_DIRECTION:
        labels.append(f"names-{split.name_direction}")
    if split.gate_prompt != GATE_PROMPTS[0]:
        labels.append(f"gate-{split.gate_prompt}")
    return "+".join(labels) or None


def make_splits(opts: ConductOptions, seed: int,
                log: Callable[[str], None]) -> tuple[dict[str, ConductSplit | str], int | None]:
    """target -> its split for this seed, or the one-line reason it cannot be scored; and the number of continents."""
    if opts.data == "generated":
        from clika.fictional.generator import generate

        kwargs = {} if opts.n_facts is None else {"n_facts": opts.n_facts}
        langs = (opts.source, *opts.targets)
        fset = generate(langs=langs, seed=seed, names=opts.names, n_continents=opts.n_continents, **kwargs)
        if is_main_process():  # by languages too: a later run on other targets must not overwrite this set
            fset.write(Path(opts.output) / "fictional_set" / f"seed{seed}-{'-'.join(langs)}")
        for warning in fset.warnings:
            log(f"warning: {warning}")
        splits = {t: fset.split(t, opts.name_direction, opts.source, opts.gate_prompt) for t in opts.targets}
        return splits, len(fset.continents)
    from clika.fictional.upstream_set import load

    root = opts.data_dir
    if root is None:
        from clika.data.fetch import find_data_dir, missing_data_message

        root = find_data_dir()
        if root is None:
            raise ConfigError(f"--data upstream: {missing_data_message()}")
    splits: dict[str, ConductSplit | str] = {}
    continents: set[str] = set()
    for t in opts.targets:
        split, report = load(root, t, remap=opts.remap, swapped=opts.swapped_rows, gate_prompt=opts.gate_prompt)
        log(f"{t}: {report.summary}")
        trained = split.meta["test_prompts_in_train"]
        log(f"{t}: test prompts that are also training prompts (upstream's own frames): "
            + ", ".join(f"{lang} {k}" for lang, k in trained.items()))
        if not report.ok and not opts.remap:
            splits[t] = report.warning or "train and test disagree"
            continue
        splits[t] = split
        continents |= {q.gold for q in split.questions if q.lang == PIVOT}
    return splits, len(continents) or None


def conduct(opts: ConductOptions, log: Callable[[str], None] = print) -> list[TargetRun]:
    """Every model on every target and seed from the same base; per-run, pooled and combined records
    (report.md is written by clika.api.conduct: rendering lives in clika.report)."""
    from clika.backends.registry import backend_info
    from clika.paths import check_writable_dir

    opts.check()
    if is_main_process():
        check_writable_dir(opts.output)
    backend_info(opts.backend)  # an unknown backend fails before any training
    preset(opts.preset, **dict(opts.train_overrides))  # bad settings fail before any work
    refs = [resolve_model(m) for m in (opts.models or (None,))]
    per_seed = {seed: make_splits(opts, seed, log) for seed in opts.seeds}
    runs: list[TargetRun] = []
    for ref in refs:
        for target in opts.targets:
            seed_runs = []
            for seed, (splits, n_continents) in per_seed.items():
                split = splits[target]
                seed_runs.append(_unscored(ref.name, target, split, seed, opts.source) if isinstance(split, str)
                                 else run_target(opts, ref, split, seed, n_continents, log))
            several = len(seed_runs) > 1 and is_main_process()
            run = pooled_run(opts, ref.name, target, seed_runs, per_seed) if several else seed_runs[0]
            runs.append(run)
            if not is_main_process():
                continue
            verdict = gate_failure(run.records) or "gate passed; " + _xrr_line(run.records, opts.margin)
            spread = "" if run.seed is not None else "; " + _spread_line(run)
            log(f"{ref.name} -> {target}: {verdict}{spread}")
            _write_combined(Path(opts.output), runs)
    if is_main_process():
        _write_combined(Path(opts.output), runs, with_resamples=True)
    return runs


def _write_combined(output: Path, runs: list[TargetRun], with_resamples: bool = False) -> None:
    """OUTPUT/metrics.jsonl: these runs' records, and those of every other model, target and condition an
    earlier call wrote there (a study runs one target at a time into one folder: nothing computed is lost)."""
    path = output / "metrics.jsonl"
    mine = [r for x in runs for r in x.records]
    replaced = {(r.model, r.task, r.condition, r.lang, r.lang_ref) for r in mine}
    earlier = [r for r in (read_records(path) if path.is_file() else [])
               if (r.model, r.task, r.condition, r.lang, r.lang_ref) not in replaced]
    resamples = {**(read_resamples(path) if with_resamples and earlier else {}),
                 **{k: v for x in runs for k, v in x.resamples.items()}}
    written = write_records(earlier + mine, path)
    if with_resamples:
        write_resamples(resamples, earlier + mine, written)


def pooled_run(opts: ConductOptions, model: str, target: str, seed_runs: list[TargetRun], per_seed) -> TargetRun:
    """Several seeds of one model and target as one run: their facts pooled (ids prefixed by seed);
    every record's note says how many seeds it pools and the metric's min-max over the seeds."""
    scored = [r for r in seed_runs if r.outcomes is not None]
    if not scored:
        return seed_runs[0]
    outcomes = pool([dataclasses.replace(r.outcomes, fact_ids=tuple(f"s{r.seed}:{f}" for f in r.outcomes.fact_ids))
                     for r in scored])
    split = per_seed[scored[0].seed][0][target]
    epochs = max(r.epochs_run for r in scored)
    stopped_early = all(r.stopped_early for r in scored)
    resamples: dict = {}
    records = run_records(opts, model, split, outcomes, epochs, stopped_early, opts.seeds[0], resamples)
    spread = seed_spread([r.records for r in scored])
    pooled_text = f"{len(scored)} seeds pooled ({', '.join(str(s.seed) for s in scored)})"
    for r in records:
        parts = (r.note, pooled_text, spread_text(spread.get((r.metric, r.stratum)), len(scored)))
        r.note = "; ".join(x for x in parts if x)
    pair_dir = run_dir_of(opts, model, target)
    write_records(records, pair_dir / "metrics.jsonl")
    return TargetRun(model, target, records, pair_dir, None, opts.source, sum(r.train_seconds for r in scored),
                     sum(r.test_seconds for r in scored), epochs, stopped_early,
                     resumed=sorted({x for r in scored for x in r.resumed}), outcomes=outcomes,
                     evaluated_at="; ".join(sorted({r.evaluated_at for r in scored})), resamples=resamples,
                     seed_spread=spread, n_seeds=len(scored))


def _unscored(model: str, target: str, reason: str, seed: int, source: str) -> TargetRun:
    """A target whose data cannot be scored: every scored metric undefined, its note saying why."""
    records = [Record(model=model, task=TASK, metric=d.name, lang=target, lang_ref=source,
                      note=f"not scored: {reason}", flags=("undefined",)) for d in tagged("cd_scored")]
    return TargetRun(model, target, records, seed=seed, source=source, warning=reason)


def _spread_line(run: TargetRun) -> str:
    """The between-seed spread a verdict over seeds states beside the pooled values."""
    spreads = (f"{d.name} {spread_text(run.seed_spread.get((d.name, None)), run.n_seeds)}"
               for d in tagged("seed_spread"))
    return f"over {run.n_seeds} seeds: " + ", ".join(spreads)


def _xrr_line(records: list[Record], margin: float) -> str:
    from clika.formatting import format_record
    from clika.metrics.cd import cd_verdict

    overall = {r.metric: r for r in records if r.stratum is None}
    values = ", ".join(f"{m} {format_record(overall.get(m), n=getattr(overall.get(m), 'n', None))}"
                       for m in (d.name for d in tagged("cd_summary")))
    verdict = cd_verdict(records, margin)
    return f"{values}; conductivity: {verdict.label} ({verdict.reason})"
