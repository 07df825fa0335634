"""`clika data validate|show|fetch|export`."""

from __future__ import annotations

from typing import Annotated

import typer

from clika import api
from clika.cli.common import split_list, stderr
from clika.cli.tables import print_table

SourceArg = Annotated[str, typer.Argument(help="builtin, an upstream CLiKA folder, a .jsonl file or folder, or "
                                               "hf:NAME")]
TaskOpt = Annotated[list[str] | None, typer.Option("--task", "-t", "--tasks", help="Only these tasks "
                                                      "(comma-separated).")]
LangOpt = Annotated[list[str] | None, typer.Option("--lang", "-l", "--langs", help="Only these languages "
                                                      "(comma-separated).")]
IncludeOpt = Annotated[list[str] | None, typer.Option("--include-path", help="Folder(s) of task YAML files.")]


def _print_counts(items, title: str) -> None:
    from rich.console import Console

    tasks, langs, counts = api.item_counts(items)
    table = api.count_table(tasks, langs, counts)
    # Width for every cell in full: a truncated count ("10…") would be a wrong number.
    needed = 12 + max((len(t) for t in tasks), default=4) + 8 * (len(langs) + 1)
    console = Console(width=max(Console().width, needed))
    typer.echo(title)  # plain, so that a long path is never wrapped into the table
    print_table(table, console=console)


def validate_command(source: SourceArg, task: TaskOpt = None, lang: LangOpt = None, include_path: IncludeOpt = None,
                     all_warnings: Annotated[bool, typer.Option("--all-warnings", help="Print every warning, "
                                                                "not the first of each kind.")] = False) -> None:
    """Check item data: every error as path:line: message (exit 1); warnings (data clika can
    score but a reader must know about) summarised by kind; else the item counts."""
    report = api.validate(api.ValidateOptions(source, split_list(task), split_list(lang), split_list(include_path) or ()))
    for problem in report.errors:
        typer.echo(str(problem), err=True)
    _print_warnings(report.warnings, all_warnings)
    if report.errors:
        raise typer.Exit(1)
    note = f", {len(report.warnings)} warning(s)" if report.warnings else ", no problems"
    _print_counts(report.items, f"{source}: {len(report.items)} items{note}")


def _print_warnings(warnings, everything: bool) -> None:
    by_kind: dict[str, list] = {}
    for w in warnings:
        by_kind.setdefault(w.category or "warning", []).append(w)
    for kind, group in by_kind.items():
        shown = group if everything else group[:1]
        for w in shown:
            typer.echo(f"warning: {w}", err=True)
        if len(group) > len(shown):
            typer.echo(f"warning: {len(group)} x {kind} in all ({len(group) - len(shown)} more; --all-warnings "
                       "lists them)", err=True)


def show_command(source: Annotated[str | None, typer.Argument(help="builtin, an upstream CLiKA folder, a .jsonl "
                                                               "file or folder, or hf:NAME (default: each task's "
                                                               "own data; the CLiKA tasks read the fetched data)")]
                 = None, task: TaskOpt = None, lang: LangOpt = None, include_path: IncludeOpt = None) -> None:
    """Print the item counts (task x language) of a source."""
    items = api.show(api.ShowOptions(source, split_list(task), split_list(lang), split_list(include_path) or ()))
    label = source if source is not None else "each task's own data"
    _print_counts(items, f"{label}: {len(items)} items")


def fetch_command(
    dest: Annotated[str | None, typer.Option("--dest", "--output", "-o", help="Where to store the data "
                                                "(default $CLIKA_DATA_DIR, else a data folder in clika's cache).")] = None,
    url: Annotated[str | None, typer.Option("--url", help="A mirror: BASE/<path in the repository> is each "
                                               "file (default: GitHub's raw host at the pinned commit).")] = None,
    predictions: Annotated[bool, typer.Option("--predictions", help="Also fetch every published prediction file "
                                              "(<model>_res*.jsonl) of the pinned commit and the model inputs, each "
                                              "checked against its git blob id.")] = False,
    task: TaskOpt = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Print what would be fetched (files, models, variant "
                                          "runs, bytes) and stop.")] = False,
) -> None:
    """Download the CLiKA data (4 tasks x 10 languages + the fictional set), each file checked against the
    hash pinned in the shipped manifest (sha256; git blob id for prediction files). `--dest DIR` is
    remembered: later commands find the data there."""
    from rich.progress import BarColumn, DownloadColumn, MofNCompleteColumn, Progress, TextColumn

    console = stderr()
    opts = api.FetchOptions(dest, url, predictions, split_list(task), remember=True)
    plan = api.fetch_plan(opts)
    if dry_run:
        typer.echo(f"would fetch {plan}")
        return
    console.print(f"fetching {plan}", highlight=False)
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), DownloadColumn(),
                  console=console, transient=True) as bar:
        ids: dict[str, int] = {}

        def on_event(event) -> None:
            if event.kind == "start":
                ids["files"] = bar.add_task("files", total=event.count)
            elif event.kind in ("skip", "done", "download"):
                bar.update(ids["files"], advance=0 if event.kind == "download" else 1,
                           description=event.path or "files")

        result = api.fetch(opts, progress=on_event)
    console.print(result.summary(), highlight=False)
    if result.complete:
        console.print(api.data_location_message(result.dest), highlight=False)
    else:
        console.print(f"{result.dest} is not a complete CLiKA data folder (fetch restricted with --task): "
                      f"read it with --data-dir {result.dest}", highlight=False)


def export_command(
    output: Annotated[str, typer.Option("--output", "-o", help="The folder to write (new, empty, or an earlier "
                                        "export's, which is replaced).")],
    fmt: Annotated[str, typer.Option("--format", help="lm-eval: a task folder for `lm_eval --include_path` "
                                        "(clika_<task>_<lang>, _gen, _cloze); hf: a Hugging Face datasets folder "
                                        "(parquet, one configuration per task and language).")] = "lm-eval",
    data_dir: Annotated[str | None, typer.Option("--data-dir", help="Items: builtin, an upstream-layout folder, a "
                                                 ".jsonl file or folder, or hf:NAME (default: each task's own "
                                                 "dataset: the fetched CLiKA data).")] = None,
    task: TaskOpt = None, lang: LangOpt = None, include_path: IncludeOpt = None,
) -> None:
    """Write the items (default the CLiKA tasks, all ten languages) as an lm-evaluation-harness task
    folder or a Hugging Face datasets folder, with a README on what it holds and the data's licence."""
    result = api.export(api.ExportOptions(output, fmt, data_dir, split_list(task), split_list(lang),
                                          split_list(include_path) or ()))
    what = (f"{len(result.names)} lm-eval tasks and {len(result.groups)} groups" if result.format == "lm-eval"
            else f"{len(result.names)} dataset configurations")
    typer.echo(f"wrote {what} ({sum(result.counts.values())} items) to {result.output}: read "
               f"{result.output / 'README.md'}")
