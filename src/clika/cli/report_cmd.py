"""`clika report`: metric records -> DIR/report.md + CSV tables (and, with --html, an HTML report)."""

from __future__ import annotations

from pathlib import Path

import typer

from clika import api
from clika.api import ReportOptions
from clika.cli.common import print_coverage, stderr, stdout


def report_command(
    results: list[Path] = typer.Argument(..., help="Metrics .jsonl/.csv file(s), or folders containing metrics.jsonl "
                                         "(e.g. `clika score` results and `clika conduct` outputs together)."),
    output: Path = typer.Option(..., "--output", "-o", help="Folder for report.md and the CSV tables."),
    html: bool = typer.Option(ReportOptions.html, "--html", help="Also write report.html (self-contained)."),
    comparisons: Path | None = typer.Option(None, "--comparisons", help="A `clika compare` output folder: its "
                                               "comparisons and findings go into the HTML report."),
    reference: str | None = typer.Option(None, "--reference", help="Place your models among reference results: "
                                            "'published' (the 40 models of the CLiKA paper) or a metrics "
                                            ".jsonl/.csv file; used by leaderboard.csv and the HTML report."),
    verbose: bool = typer.Option(False, "--verbose", "-v", help="List every skipped file, partial model and "
                                 "truncated file of the read that made the records."),
) -> None:
    """Write the tables of every metric per model, language and task (and conductivity), with intervals and
    diagnostic flags; leaderboard.csv; with --html the report of all three levels."""
    written = api.report(ReportOptions(list(results), output, html, comparisons, reference))
    print_coverage(stderr(), api.read_coverage(written["coverage"]), verbose)
    console = stdout()
    console.print(f"report written to {output}:")
    for name, path in written.items():
        console.print(f"  {name}: {path}")
