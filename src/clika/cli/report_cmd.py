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
    comparisons: Path = typer.Option(None, "--comparisons", help="A `clika compare` output folder: its "
                                     "comparisons.jsonl and findings.md go into the HTML report."),
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
        extra = _comparison_inputs(comparisons) if comparisons is not None else {}
        written["html"] = Path(write_html_report(records, output, **extra))
    console = Console()
    console.print(f"report of {len(records)} records written to {output}:")
    for name, path in written.items():
        console.print(f"  {name}: {path}")


def _comparison_inputs(folder: Path) -> dict:
    """comparisons= rows and findings= Markdown from a `clika compare` output folder."""
    import json

    from clika.errors import DataError

    rows_path, findings_path = folder / "comparisons.jsonl", folder / "findings.md"
    if not rows_path.is_file():
        raise DataError("not a `clika compare` output folder (no comparisons.jsonl)", folder)
    rows = []
    with rows_path.open(encoding="utf-8") as fh:
        for line_no, line in enumerate(fh, 1):
            if line.strip():
                try:
                    rows.append(json.loads(line))
                except json.JSONDecodeError as err:
                    raise DataError(f"invalid JSON ({err.msg})", rows_path, line_no) from None
    findings = findings_path.read_text(encoding="utf-8") if findings_path.is_file() else None
    return {"comparisons": rows, "findings": findings}
