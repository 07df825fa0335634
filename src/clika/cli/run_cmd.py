"""`clika run`: evaluate a model and print its PF and CT tables.

With no options: the embedded Gemma 3 270M on the built-in mini set, all ten
languages. Options follow lm-evaluation-harness (--model, --model-args,
--tasks, --limit, --batch-size, --device). Rerunning the same command resumes
from the results store.
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from clika.cli import app


def _split(value: str | None) -> list[str] | None:
    if value is None:
        return None
    parts = [p.strip() for p in value.split(",") if p.strip()]
    return parts or None


@app.command("run")
def run_command(
    model: str = typer.Option("hf", "--model", help="Backend: hf | vllm | openai."),
    model_args: Optional[str] = typer.Option(
        None, "--model-args", help="Comma-separated key=value, e.g. pretrained=org/model,dtype=float32,chat=true. "
        "hf without pretrained: the embedded Gemma 3 270M."),
    tasks: Optional[str] = typer.Option(None, "--tasks", help="Comma-separated tasks (default: all in the data)."),
    langs: Optional[str] = typer.Option(None, "--langs", help="Comma-separated languages (default: all ten; must include en)."),
    limit: Optional[int] = typer.Option(None, "--limit", help="At most this many items per task (same ids in every language)."),
    batch_size: int = typer.Option(16, "--batch-size", help="Items per forward pass."),
    device: str = typer.Option("cpu", "--device", help="cpu | cuda | cuda:N | mps."),
    mode: str = typer.Option("cloze", "--mode", help="cloze (option log-likelihood, lm-eval's acc) | letter (one "
        "forward pass, compares the option letters' logits) | cloze-norm (per-character, lm-eval's acc_norm) | "
        "generate (greedy answer, the paper's way)."),
    template: str = typer.Option("paper", "--template", help="paper (the paper's prompt) | native (instruction in the item's language)."),
    data_dir: str = typer.Option("builtin", "--data-dir", help="builtin, an upstream-layout folder (e.g. ../shared/clika-data), or a .jsonl file."),
    output: Optional[Path] = typer.Option(None, "--output", help="Output folder (default runs/<model name>)."),
    store: Optional[Path] = typer.Option(None, "--store", help="Results store (default OUTPUT/results.sqlite)."),
    n_boot: int = typer.Option(1000, "--n-boot", help="Bootstrap resamples for the 95% intervals (0: none)."),
    seed: int = typer.Option(0, "--seed", help="Bootstrap seed."),
    chunk_size: Optional[int] = typer.Option(None, "--chunk-size", help="Items per store transaction (default 4 batches)."),
    executor: str = typer.Option("local", "--executor", help="local | ray (score on Ray workers; needs clika[ray])."),
    ray_address: Optional[str] = typer.Option(None, "--ray-address", help="Ray cluster to join, e.g. 10.0.0.5:6379 "
        "(default with --executor ray: a local cluster)."),
) -> None:
    """Evaluate a model: PF (accuracy, RA) and CT (en-CO) per task and language."""
    from rich.console import Console

    from clika.runner import evaluate

    err = Console(stderr=True)
    result = evaluate(
        model=model, model_args=model_args, tasks=_split(tasks), langs=_split(langs), data=data_dir,
        mode=mode, template=template, limit=limit, batch_size=batch_size, device=device,
        output_dir=output, store_path=store, n_boot=n_boot, seed=seed, chunk_size=chunk_size,
        executor=executor, ray_address=ray_address,
        show_progress=True, console=err,
    )
    out = Console()
    for task in dict.fromkeys(t for t, _ in result.units):
        out.print(_task_table(result.records, result.model, task))
        for line in _flags(result.records, task, mode):
            out.print(f"[yellow]warning:[/yellow] {line}")
    err.print(
        f"{result.n_scored} items scored, {result.n_resumed} already done (from {result.store_path}); "
        f"wrote {result.predictions_path} and {result.metrics_path}"
    )


def _task_table(records, model: str, task: str):
    """Languages as rows; accuracy, RA and en-CO with their 95% intervals."""
    from rich.table import Table

    from clika.items import LANGS

    wanted = ("accuracy", "ra", "en_co")
    cells: dict[tuple[str, str], object] = {}
    for r in records:
        if r.task == task and r.metric in wanted:
            cells[(r.lang, r.metric)] = r
    order = {lang: i for i, lang in enumerate(LANGS)}
    langs = sorted({lang for lang, _ in cells}, key=lambda lang: order.get(lang, len(LANGS) + (lang == "avg")))
    table = Table(title=f"{model} · {task}: PF (accuracy, RA) and CT (en-CO), 95% bootstrap intervals")
    table.add_column("lang")
    for header in ("accuracy", "RA", "en-CO"):
        table.add_column(header, justify="right")
    for lang in langs:
        table.add_row(lang, *(_cell(cells.get((lang, m))) for m in wanted))
    return table


def _flags(records, task: str, mode: str) -> list[str]:
    """The diagnostics a reader must see next to the table: a dominant option
    (overlap for free) and unparseable answers."""
    dominant = [r for r in records if r.task == task and r.metric == "dominant_option_flag" and r.value]
    lines = []
    if dominant:
        shares = {r.lang: r for r in records
                  if r.task == task and r.metric == "dominant_option_share" and r.lang in {d.lang for d in dominant}}
        langs = ", ".join(sorted(shares))
        example = next(iter(shares.values()), None)
        hint = " (try --mode cloze)" if mode == "letter" else ""
        lines.append(f"{task}: one option dominates in {len(dominant)} language(s) ({langs}); "
                     f"e.g. {example.lang}: {example.note}. Overlap (en-CO) is inflated by it{hint}."
                     if example and example.note else f"{task}: one option dominates in {langs}")
    unparseable = [r for r in records if r.task == task and r.metric == "unparseable_rate" and (r.value or 0) > 0.05]
    if unparseable:
        worst = max(unparseable, key=lambda r: r.value)
        lines.append(f"{task}: unparseable answers above 5% in {len(unparseable)} language(s) "
                     f"(worst {worst.lang}: {worst.value:.0%}); they count as wrong.")
    return lines


def _cell(rec) -> str:
    if rec is None or rec.value is None:
        return "—" if rec is None or not rec.note else f"— ({rec.note})"
    if rec.ci_low is None or rec.ci_high is None:
        return f"{rec.value:.3f}"
    return f"{rec.value:.3f} [{rec.ci_low:.2f}, {rec.ci_high:.2f}]"
