"""`clika score`: prediction files -> metric records (.jsonl / .csv) and a summary table."""

from __future__ import annotations

from pathlib import Path

import typer

from clika.api import ScoreOptions

D = ScoreOptions


def score_command(
    predictions: Path = typer.Option(..., "--predictions", help="Folder (or file) holding the predictions."),
    output: Path = typer.Option(..., "--output", "-o", help="Output file: .jsonl or .csv (tidy records)."),
    layout: str = typer.Option(D.layout, "--layout", help="clika-repo (the upstream layout), lm-eval (--log_samples "
                               "output) or clika (predictions.jsonl)."),
    models: list[str] | None = typer.Option(None, "--models", help="Only these models, comma-separated; a run "
                                               "variant is MODEL@VARIANT."),
    tasks: list[str] | None = typer.Option(None, "--tasks", help="Tasks, comma-separated, e.g. x_geo,x_name."),
    langs: list[str] | None = typer.Option(None, "--langs", help="Languages, comma-separated (must include en)."),
    extract: str = typer.Option(D.extract, "--extract", help="first-char (the upstream rule) or smart."),
    n_boot: int = typer.Option(D.n_boot, "--n-boot", help="Bootstrap resamples for the 95% intervals (0: none)."),
    seed: int = typer.Option(D.seed, "--seed", help="Bootstrap seed: the same inputs give the same intervals."),
) -> None:
    """Compute PF (accuracy, RA) and CT (en-CO, co, agreement) metrics with bootstrap intervals."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    from clika import api
    from clika.cli.common import print_warnings, split_list, stderr, stdout

    console = stderr()
    opts = ScoreOptions(predictions, layout=layout, models=split_list(models), tasks=split_list(tasks),
                        langs=split_list(langs), extract=extract, n_boot=n_boot, seed=seed, output=output)
    columns = (SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
               TimeElapsedColumn())
    with Progress(*columns, console=console, transient=True) as bar:
        task_ids: dict[str, int] = {}

        def progress(phase: str, done: int, total: int) -> None:
            label = {"read": "reading predictions", "compute": "computing metrics"}[phase]
            if phase not in task_ids:
                task_ids[phase] = bar.add_task(label, total=total if phase == "compute" else None)
            bar.update(task_ids[phase], completed=done, total=total if phase == "compute" else None)
            if phase == "compute" and "read" in task_ids:
                bar.update(task_ids["read"], visible=False)

        result = api.score(opts, progress=progress)

    stdout().print(summary_table(result.records))
    print_warnings(console, result.warnings)
    if extract == "smart":
        changed = sum(result.extraction_changes.values())
        console.print(f"smart extraction changed {changed} of {result.n_predictions} answers "
                      f"(vs the upstream first-character rule)")
    console.print(f"wrote {len(result.records)} records to {result.output} "
                  f"(read {result.timings['read']:.1f}s, compute {result.timings['compute']:.1f}s)")


def summary_table(records):
    """model x task: n, accuracy in en (chance), mean RA, mean en-CO (with intervals), flags."""
    from rich.table import Table

    from clika.formatting import format_record
    from clika.items import PIVOT

    wanted = {("accuracy", PIVOT): "acc_en", ("ra", "avg"): "ra", ("en_co", "avg"): "en_co"}
    rows: dict[tuple[str, str], dict[str, object]] = {}
    dominated: dict[tuple[str, str], int] = {}
    for r in records:
        key = wanted.get((r.metric, r.lang))
        if key is not None:
            rows.setdefault((r.model, r.task), {})[key] = r
        elif r.metric == "dominant_option_flag" and r.value:
            dominated[(r.model, r.task)] = dominated.get((r.model, r.task), 0) + 1
    table = Table(title="CLiKA scores (95% bootstrap intervals)",
                  caption="dominant: languages (of the task's) where one option is chosen far more often "
                          "than it is right (overlap comes for free)")
    for header in ("model", "task", "n", "accuracy en", "chance", "mean RA", "mean en-CO", "dominant"):
        table.add_column(header, justify="left" if header in ("model", "task") else "right", no_wrap=True)
    for (model, task), found in rows.items():
        acc = found.get("acc_en")
        n_dominated = dominated.get((model, task), 0)
        table.add_row(model, task, str(getattr(acc, "n", "")), format_record(acc),
                      f"{acc.chance:.2f}" if getattr(acc, "chance", None) else "",
                      format_record(found.get("ra")), format_record(found.get("en_co")),
                      f"{n_dominated} lang(s)" if n_dominated else "")
    return table
