"""`clika run`: evaluate a model and print its PF and CT tables.

With no options: the embedded Gemma 3 270M on the built-in mini set, all ten languages. Options follow
lm-evaluation-harness (--model, --model-args, --tasks, --limit, --batch-size, --device, --include-path, --log-samples).
Rerunning the same command resumes from the results store.
"""

from __future__ import annotations

from pathlib import Path

import typer

from clika import api
from clika.api import RunOptions
from clika.cli.common import RunProgress, print_warnings, split_list, stderr, stdout
from clika.cli.tables import print_table

D = RunOptions  # the library's defaults are the command line's defaults


def run_command(
    model: str = typer.Option(D.model, "--model", help="Backend: hf, vllm, openai, or one an installed package "
                              "adds (entry-point group clika.backends)."),
    model_args: str | None = typer.Option(
        None, "--model-args", help="Comma-separated key=value, e.g. pretrained=org/model,dtype=float32,chat=true. "
        "hf without pretrained: the embedded Gemma 3 270M (embedded=smollm2-135m for SmolLM2)."),
    tasks: list[str] | None = typer.Option(None, "--tasks", help="Tasks, comma-separated (default: the built-in "
                                              "mini set; x_csqa,x_copa,x_geo,x_name need `clika data fetch`)."),
    langs: list[str] | None = typer.Option(None, "--langs", help="Languages, comma-separated (default: all; "
                                              "must include en)."),
    include_path: list[str] | None = typer.Option(None, "--include-path", help="Folder(s) of task YAML files "
                                                     "to add to the registry (comma-separated)."),
    limit: int | None = typer.Option(D.limit, "--limit", help="At most this many items per task (the same ids "
                                        "in every language)."),
    batch_size: int = typer.Option(D.batch_size, "--batch-size", help="Items per forward pass."),
    device: str = typer.Option(D.device, "--device", help="cpu, cuda, cuda:N or mps."),
    mode: str = typer.Option(D.mode, "--mode", help="cloze (option log-likelihood, lm-eval's acc), letter (one "
                             "forward pass, compares the option letters), cloze-norm (per character, lm-eval's "
                             "acc_norm) or generate (greedy answer, the paper's way)."),
    template: str | None = typer.Option(D.template, "--template", help="paper, native, qa or qa-native "
                                           "(default: each task's own, paper for the CLiKA tasks)."),
    data_dir: str | None = typer.Option(None, "--data-dir", help="Items: builtin, an upstream-layout folder, a "
                                           ".jsonl file or folder, or hf:NAME (default: each task's own dataset)."),
    output: Path | None = typer.Option(None, "--output", "-o", help="Output folder (default runs/<model name>)."),
    store: Path | None = typer.Option(None, "--store", help="Results store (default OUTPUT/results.sqlite)."),
    n_boot: int = typer.Option(D.n_boot, "--n-boot", help="Bootstrap resamples for the 95% intervals (0: none)."),
    seed: int = typer.Option(D.seed, "--seed", help="Bootstrap seed."),
    chunk_size: int | None = typer.Option(D.chunk_size, "--chunk-size", help="Items per store transaction "
                                             "(default 4 batches)."),
    extract: str = typer.Option(D.extract, "--extract", help="Answer extraction in generate mode: first-char "
                                "(the upstream rule) or smart."),
    executor: str = typer.Option(D.executor, "--executor", help="local, or ray (score on Ray workers; "
                                 "pip install 'clika[ray]')."),
    ray_address: str | None = typer.Option(D.ray_address, "--ray-address", help="Ray cluster to join, e.g. "
                                              "10.0.0.5:6379 (default with --executor ray: a local cluster)."),
    log_samples: bool = typer.Option(D.log_samples, "--log-samples", "-s", help="Also write lm-evaluation-harness's "
                                     "per-document samples_<task>_<lang>_<date>.jsonl beside its results_<date>.json "
                                     "(read back with clika score --layout lm-eval)."),
) -> None:
    """Evaluate a model: PF (accuracy, RA) and CT (en-CO) per task and language."""
    err = stderr()
    opts = RunOptions(model=model, model_args=model_args, tasks=split_list(tasks), langs=split_list(langs),
                      data=data_dir, include_paths=split_list(include_path) or (), mode=mode, template=template,
                      limit=limit, batch_size=batch_size, device=device, output_dir=output, store_path=store,
                      n_boot=n_boot, seed=seed, chunk_size=chunk_size, extract=extract, executor=executor,
                      ray_address=ray_address, log_samples=log_samples)
    progress = RunProgress(err)
    try:
        result = api.evaluate(opts, on_event=progress)
    finally:
        progress.close()
    out = stdout()
    for task in dict.fromkeys(t for t, _ in result.units):
        print_table(api.task_table(result.records, result.model, task, result.templates.get(task)), console=out)
    print_warnings(out, result.warnings)
    written = [str(p) for p in (result.predictions_path, result.metrics_path, *result.lm_eval_paths[:1])]
    samples = len(result.lm_eval_paths[1:])
    err.print(f"{result.n_scored} items scored, {result.n_resumed} already done (from {result.store_path}); "
              f"wrote {', '.join(written[:-1])} and {written[-1]}"
              + (f" (+ {samples} lm-eval samples files beside it)" if samples else ""))
