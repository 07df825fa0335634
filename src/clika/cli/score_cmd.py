"""`clika score`: prediction files -> metric records (.jsonl / .csv) and a summary table."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from clika.cli import app


def _split(value: str | None) -> list[str] | None:
    """"x_geo,x_name" -> ["x_geo", "x_name"]; None stays None (= all)."""
    if value is None:
        return None
    parts = [p.strip() for p in value.split(",") if p.strip()]
    return parts or None


def _fmt(value: float | None) -> str:
    return "—" if value is None else f"{value:.3f}"


@app.command("score")
def score_command(
    predictions: Path = typer.Option(..., "--predictions", help="Folder (or file) holding the predictions."),
    layout: str = typer.Option("clika-repo", "--layout", help="clika-repo | lm-eval | clika"),
    model: Optional[list[str]] = typer.Option(None, "--model", help="Score only this model (repeatable)."),
    tasks: Optional[str] = typer.Option(None, "--tasks", help="Comma-separated tasks, e.g. x_geo,x_name."),
    langs: Optional[str] = typer.Option(None, "--langs", help="Comma-separated languages (must include en)."),
    extract: str = typer.Option("first-char", "--extract", help="first-char (upstream rule) | smart"),
    n_boot: int = typer.Option(1000, "--n-boot", help="Bootstrap resamples for the 95% intervals (0: none)."),
    seed: int = typer.Option(0, "--seed", help="Bootstrap seed: the same inputs give the same intervals."),
    out: Path = typer.Option(..., "--out", help="Output file: .jsonl or .csv (tidy records)."),
) -> None:
    """Compute PF (accuracy, RA) and CT (en-CO, co, agreement) metrics with bootstrap intervals."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    from clika import api
    from clika.errors import ConfigError

    if layout not in ("clika-repo", "lm-eval", "clika"):
        raise ConfigError(f"unknown --layout {layout!r} (choose clika-repo, lm-eval or clika)")
    if extract not in ("first-char", "smart"):
        raise ConfigError(f"unknown --extract {extract!r} (choose first-char or smart)")
    api.check_records_path(out)

    console = Console(stderr=True)
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

        result = api.score(predictions, layout=layout, models=model, tasks=_split(tasks),
                           langs=_split(langs), extract=extract, n_boot=n_boot, seed=seed,
                           out=out, progress=progress)

    out_console = Console()
    out_console.print(_summary_table(result.records))
    for warning in result.warnings:
        console.print(f"[yellow]warning:[/yellow] {warning}")
    if extract == "smart":
        changed = sum(result.extraction_changes.values())
        console.print(f"smart extraction changed {changed} of {result.n_predictions} answers "
                      f"(vs the upstream first-character rule)")
    console.print(f"wrote {len(result.records)} records to {result.out} "
                  f"(read {result.timings['read']:.1f}s, compute {result.timings['compute']:.1f}s)")


def _summary_table(records):
    """model x task: accuracy in en, mean RA, mean en-CO (with their intervals)."""
    from rich.table import Table

    wanted = {("accuracy", "en"): "acc_en", ("ra", "avg"): "ra", ("en_co", "avg"): "en_co"}
    rows: dict[tuple[str, str], dict[str, object]] = {}
    dominated: dict[tuple[str, str], int] = {}  # languages where one option dominates
    for r in records:
        key = wanted.get((r.metric, r.lang))
        if key is not None:
            rows.setdefault((r.model, r.task), {})[key] = r
        elif r.metric == "dominant_option_flag" and r.value:
            dominated[(r.model, r.task)] = dominated.get((r.model, r.task), 0) + 1
    table = Table(title="CLiKA scores (95% bootstrap intervals)",
                  caption="flag: languages where one option dominates the answers (overlap comes for free)")
    for header in ("model", "task", "accuracy en", "mean RA", "mean en-CO", "flag"):
        table.add_column(header, justify="left" if header in ("model", "task") else "right")

    def cell(rec) -> str:
        if rec is None or rec.value is None:
            return "—"
        if rec.ci_low is None:
            return _fmt(rec.value)
        return f"{rec.value:.3f} [{rec.ci_low:.2f}, {rec.ci_high:.2f}]"

    for (model, task), found in rows.items():
        n_dominated = dominated.get((model, task), 0)
        table.add_row(model, task, cell(found.get("acc_en")), cell(found.get("ra")), cell(found.get("en_co")),
                      f"dominant option: {n_dominated} lang(s)" if n_dominated else "")
    return table
