"""Printing the tables the commands build (clika.report.terminal, reached through clika.api): rich on a
terminal under --format auto, else the table rendered as plain text, tsv, csv or markdown."""

from __future__ import annotations

from clika.api import TABLE_FORMATS, TextTable, check_format, render_table

FORMAT_HELP = ("Table format: auto (rich on a terminal, plain fixed-width when redirected), plain, tsv, csv or "
               "markdown.")
VERBOSE_HELP = "List every skipped file, partial model and truncated file."
__all__ = ["FORMAT_HELP", "VERBOSE_HELP", "TABLE_FORMATS", "TextTable", "check_format", "print_table", "stdout"]


def stdout():
    from rich.console import Console

    return Console(highlight=False, soft_wrap=True)


def print_table(table: TextTable, fmt: str = "auto", console=None) -> None:
    """Print to stdout (or ``console``): rich on a terminal under "auto", else render_table(table, fmt)."""
    console = console or stdout()
    check_format(fmt)
    if fmt == "auto" and console.is_terminal:
        from rich.table import Table

        rich_table = Table(title=table.title or None, caption=table.caption or None)
        for i, header in enumerate(table.headers):
            rich_table.add_column(header, justify="left" if table.left(i) else "right", no_wrap=True)
        for row in table.rows:
            rich_table.add_row(*row)
        console.print(rich_table)
        return
    console.file.write(render_table(table, "plain" if fmt == "auto" else fmt))
    console.file.flush()
