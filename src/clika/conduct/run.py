"""One conductivity experiment: per target language, train from the same base model, test, score.

Output directory:
  metrics.jsonl        gate records, acc_l_type1, xrr, xrr_ctrl (rewritten after each target)
  adapter/<lang>/      the trained adapter (or full model) and tokenizer
  answers/<lang>.jsonl every test question, the model's answer and its verdict
  fictional_set/       the generated facts (generated data only)
  report.md            the gate outcome in words and the xrr table
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable, Literal

from clika.conduct.evaluate import TASK, gate_failure, run_tests, score
from clika.conduct.report import write_report
from clika.conduct.train import PromptFormat, TrainConfig, save, train
from clika.errors import ConfigError
from clika.fictional.dataset import ConductSplit
from clika.items import LANGS, PIVOT
from clika.metrics.records import MetricRecord, write_records


@dataclass
class ConductOptions:
    targets: tuple[str, ...]
    output: Path
    model: str | None = None  # a path, an embedded name, or None for the default embedded model
    data: Literal["generated", "upstream"] = "generated"
    data_dir: Path | None = None
    n_facts: int = 16
    seed: int = 0
    gate: float = 0.9
    device: str = "auto"
    prompt_format: Literal["auto", "plain", "chat"] = "auto"
    training: TrainConfig = field(default_factory=TrainConfig)


@dataclass
class TargetRun:
    target: str
    records: list[MetricRecord]
    train_seconds: float = 0.0
    test_seconds: float = 0.0
    losses: list[float] = field(default_factory=list)
    warning: str | None = None


@dataclass
class ModelRef:
    path: Path
    name: str
    chat: bool


def resolve_model(ref: str | None) -> ModelRef:
    """A local HF directory, or an embedded model by name (default: the embedded Gemma)."""
    if ref and Path(ref).expanduser().is_dir():
        path = Path(ref).expanduser()
        return ModelRef(path, path.name, False)
    from clika.backends.embedded import COMPLETE_MARKER, DEFAULT_MODEL, default_model_dir

    name = ref or DEFAULT_MODEL
    path = default_model_dir(name)  # ConfigError for an unknown name
    marker = json.loads((path / COMPLETE_MARKER).read_text())
    return ModelRef(path, name, bool(marker.get("chat", False)))


def load_model(path: Path, device: str):
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    if device == "auto":
        device = "cuda" if torch.cuda.is_available() else "cpu"
    try:
        tokenizer = AutoTokenizer.from_pretrained(path)
        model = AutoModelForCausalLM.from_pretrained(path, dtype=torch.float32).to(device)
    except (OSError, ValueError) as err:
        raise ConfigError(f"cannot load a causal LM from here ({str(err).splitlines()[0]})", path) from None
    return model, tokenizer


def make_splits(opts: ConductOptions, log: Callable[[str], None]) -> dict[str, ConductSplit | str]:
    """target -> its split, or the one-line reason it cannot be scored (upstream inconsistency)."""
    bad = [t for t in opts.targets if t not in LANGS or t == PIVOT]
    if bad or not opts.targets:
        raise ConfigError(f"targets must be among {', '.join(LANGS[1:])} (got {', '.join(opts.targets) or 'none'})")
    if opts.data == "generated":
        from clika.fictional.generator import generate

        fset = generate(opts.n_facts, opts.targets, seed=opts.seed)
        fset.write(opts.output / "fictional_set")
        return {t: fset.split(t) for t in opts.targets}
    if opts.data != "upstream":
        raise ConfigError(f"unknown data source {opts.data!r} (generated or upstream)")
    from clika.fictional.upstream import load

    if opts.data_dir is None:
        raise ConfigError("--data upstream needs --data-dir (the clika-data folder)")
    splits: dict[str, ConductSplit | str] = {}
    for t in opts.targets:
        split, report = load(opts.data_dir, t)
        if report.warning:
            log(f"warning: {report.warning}")
        splits[t] = split if report.ok else report.warning
    return splits


def _unscored(model: str, target: str, reason: str) -> list[MetricRecord]:
    note = f"not measured: the training data does not teach the tested values ({reason})"
    metrics = ("gate_en_type0", "gate_en_type1", "gate_l_type0", "gate_translation", "acc_l_type1", "xrr", "xrr_ctrl")
    return [MetricRecord(model, TASK, target, m, None, None, None, 0, note) for m in metrics]


def conduct(opts: ConductOptions, log: Callable[[str], None] = print) -> list[TargetRun]:
    """Train one model per target language from the same base, test it, write records and report."""
    opts.output.mkdir(parents=True, exist_ok=True)
    ref = resolve_model(opts.model)
    kind = opts.prompt_format if opts.prompt_format != "auto" else ("chat" if ref.chat else "plain")
    training = replace(opts.training, prompt_format=PromptFormat(kind))
    runs: list[TargetRun] = []
    for target, split in make_splits(opts, log).items():
        if isinstance(split, str):
            runs.append(TargetRun(target, _unscored(ref.name, target, split), warning=split))
            continue
        log(f"{target}: training on {len(split.train)} examples ({training.method}, {training.epochs} epochs)")
        model, tokenizer = load_model(ref.path, opts.device)
        result = train(model, tokenizer, split.train, training)
        save(result.model, tokenizer, opts.output / "adapter" / target)
        start = time.perf_counter()
        outcome = run_tests(result.model, tokenizer, split, training.prompt_format)
        records = score(outcome, ref.name, gate=opts.gate, seed=opts.seed)
        run = TargetRun(target, records, result.seconds, time.perf_counter() - start, result.losses)
        runs.append(run)
        _write_answers(outcome.answers, opts.output / "answers" / f"{target}.jsonl")
        write_records([r for x in runs for r in x.records], opts.output / "metrics.jsonl")
        failure = gate_failure(records)
        log(f"{target}: " + (failure or "gate passed; " + _xrr_line(records)))
        del model, result
    write_records([r for x in runs for r in x.records], opts.output / "metrics.jsonl")
    write_report(runs, opts, ref.name, kind, opts.output / "report.md")
    return runs


def _xrr_line(records: list[MetricRecord]) -> str:
    values = {r.metric: r.value for r in records}
    fmt = lambda v: "n/a" if v is None else f"{v:.3f}"  # noqa: E731
    return f"xrr {fmt(values.get('xrr'))}, xrr_ctrl {fmt(values.get('xrr_ctrl'))}"


def _write_answers(rows: list[dict], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as fh:
        for row in rows:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
