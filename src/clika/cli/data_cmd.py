"""`clika data validate PATH` and `clika data show PATH`."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from clika.cli import app, data_app  # noqa: F401

SourceArg = Annotated[str, typer.Argument(help="builtin, an upstream CLiKA folder, a .jsonl file or folder, or hf:NAME")]
TaskOpt = Annotated[Optional[list[str]], typer.Option("--task", "-t", help="Only this task (repeatable).")]
LangOpt = Annotated[Optional[list[str]], typer.Option("--lang", "-l", help="Only this language (repeatable).")]


def _print_counts(items, title: str) -> None:
    from rich.console import Console
    from rich.table import Table

    from clika.data.validate import count_table

    tasks, langs, counts = count_table(items)
    table = Table()
    table.add_column("task", no_wrap=True)
    for lang in langs:
        table.add_column(lang, justify="right", no_wrap=True)
    table.add_column("total", justify="right", no_wrap=True)
    for task in tasks:
        row = [counts.get((task, lang), 0) for lang in langs]
        table.add_row(task, *(str(n) if n else "-" for n in row), str(sum(row)))
    # Width for every cell in full: a truncated count ("10…") would be a wrong number.
    needed = 12 + max((len(t) for t in tasks), default=4) + 8 * (len(langs) + 1)
    console = Console()
    if console.width < needed:
        console = Console(width=needed)
    typer.echo(title)  # plain, so that a long path is never wrapped into the table
    console.print(table)


@data_app.command("validate")
def validate(source: SourceArg, task: TaskOpt = None, lang: LangOpt = None) -> None:
    """Check item data; print every problem as path:line: message (exit 1), else the item counts."""
    from clika.data.validate import validate_source

    report = validate_source(source, task, lang)
    if report.problems:
        for problem in report.problems:
            typer.echo(str(problem), err=True)
        raise typer.Exit(1)
    _print_counts(report.items, f"{source}: {len(report.items)} items, no problems")


@data_app.command("show")
def show(source: SourceArg, task: TaskOpt = None, lang: LangOpt = None) -> None:
    """Print the item counts (task x language) of a source."""
    from clika.data import load_items

    items = load_items(source, task, lang)
    _print_counts(items, f"{source}: {len(items)} items")
