"""`clika report`: metric records -> DIR/report.md + CSV tables (and, with --html, an HTML report)."""

from __future__ import annotations

from pathlib import Path

import typer

from clika.cli import app


@app.command("report")
def report_command(
    results: Path = typer.Argument(..., help="Metrics .jsonl/.csv file, or a folder containing metrics.jsonl."),
    output: Path = typer.Option(..., "--output", "-o", help="Folder for report.md and the CSV tables."),
    html: bool = typer.Option(False, "--html", help="Also write an HTML report (clika.report.html)."),
) -> None:
    """Write RA and en-CO tables per model, language and task, with intervals and diagnostic flags."""
    from rich.console import Console

    from clika.errors import ConfigError
    from clika.report.tables import load_results, write_report

    records = load_results(results)
    written = write_report(records, output)
    if html:
        try:
            from clika.report.html import write_html_report
        except ImportError as err:
            raise ConfigError(f"--html needs clika.report.html.write_html_report, which is not available ({err})") from None
        written["html"] = Path(write_html_report(records, output))
    console = Console()
    console.print(f"report of {len(records)} records written to {output}:")
    for name, path in written.items():
        console.print(f"  {name}: {path}")
