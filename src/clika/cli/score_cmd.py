"""`clika score`: prediction files -> metric records (.jsonl / .csv) and a summary table."""

from __future__ import annotations

from pathlib import Path

import typer

from clika import api
from clika.api import ScoreOptions
from clika.cli.common import EXCLUDE_HELP, TRUST_HELP, print_coverage, print_warnings, split_list, stderr
from clika.cli.tables import FORMAT_HELP, VERBOSE_HELP, check_format, print_table

D = ScoreOptions


def score_command(
    predictions: Path = typer.Option(..., "--predictions", help="Folder (or file) holding the predictions."),
    output: Path = typer.Option(..., "--output", "-o", help="Output file: .jsonl or .csv (tidy records); "
                                "<stem>.coverage.json is written beside it."),
    layout: str = typer.Option(D.layout, "--layout", help="clika-repo (the upstream layout), lm-eval (--log_samples "
                               "output) or clika (predictions.jsonl)."),
    models: list[str] | None = typer.Option(None, "--models", help="Only these models, comma-separated; a run "
                                               "variant is MODEL@VARIANT."),
    tasks: list[str] | None = typer.Option(None, "--tasks", help="Tasks, comma-separated, e.g. x_geo,x_name."),
    langs: list[str] | None = typer.Option(None, "--langs", help="Languages, comma-separated (must include en)."),
    extract: str = typer.Option(D.extract, "--extract", help="first-char (the upstream rule) or smart."),
    n_boot: int = typer.Option(D.n_boot, "--n-boot", help="Bootstrap resamples for the 95% intervals (0: none)."),
    seed: int = typer.Option(D.seed, "--seed", help="Bootstrap seed: the same inputs give the same intervals."),
    exclude: list[str] | None = typer.Option(None, "--exclude", help=EXCLUDE_HELP),
    trust_labels: bool = typer.Option(D.trust_labels, "--trust-labels", help=TRUST_HELP),
    verbose: bool = typer.Option(False, "--verbose", "-v", help=VERBOSE_HELP),
    fmt: str = typer.Option("auto", "--format", help=FORMAT_HELP),
) -> None:
    """Compute PF (accuracy, RA) and CT (en-CO, co, agreement) metrics with bootstrap intervals."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    console = stderr()
    check_format(fmt)
    opts = ScoreOptions(predictions, layout=layout, models=split_list(models), tasks=split_list(tasks),
                        langs=split_list(langs), extract=extract, n_boot=n_boot, seed=seed, output=output,
                        exclude=tuple(exclude or ()), trust_labels=trust_labels)
    with Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn(), console=console, transient=True) as bar:
        task_ids: dict[str, int] = {}

        def progress(phase: str, done: int, total: int) -> None:
            label = {"read": "reading predictions", "compute": "computing metrics"}[phase]
            if phase not in task_ids:
                task_ids[phase] = bar.add_task(label, total=total if phase == "compute" else None)
            bar.update(task_ids[phase], completed=done, total=total if phase == "compute" else None)
            if phase == "compute" and "read" in task_ids:
                bar.update(task_ids["read"], visible=False)

        result = api.score(opts, progress=progress)

    print_table(api.summary_table(result.records), fmt)
    print_warnings(console, result.warnings)
    print_coverage(console, result.coverage, verbose)
    if extract == "smart":
        changed = sum(result.extraction_changes.values())
        console.print(f"smart extraction changed {changed} of {result.n_predictions} answers "
                      f"(vs the upstream first-character rule)")
    console.print(f"wrote {len(result.records)} records to {result.output} and what was read to "
                  f"{result.coverage_path} (read {result.timings['read']:.1f}s, compute {result.timings['compute']:.1f}s)")
