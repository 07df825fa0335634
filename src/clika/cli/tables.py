"""The tables the commands print, in a form that survives redirection.

A command builds a TextTable (title, headers, rows of strings, caption) and ``print_table``
renders it: a rich table on a terminal; a plain fixed-width table when stdout is a file or a
pipe (every cell in full: no zero-width columns, no cut names); or, with ``--format``, tsv,
csv (header and rows only, for spreadsheets) or markdown.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

from clika.errors import ConfigError

TABLE_FORMATS = ("auto", "plain", "tsv", "csv", "markdown")
FORMAT_HELP = ("Table format: auto (rich on a terminal, plain fixed-width when redirected), plain, tsv, csv or "
               "markdown.")


@dataclass
class TextTable:
    title: str
    headers: list[str]
    rows: list[list[str]] = field(default_factory=list)
    align: str = ""  # one letter per column, "l" or "r"; default: the first left (names), the others right
    caption: str = ""

    def left(self, i: int) -> bool:
        return (self.align[i] if i < len(self.align) else ("l" if i == 0 else "r")) == "l"


def check_format(fmt: str) -> str:
    if fmt not in TABLE_FORMATS:
        raise ConfigError(f"unknown --format {fmt!r} (choose {', '.join(TABLE_FORMATS)})")
    return fmt


def render(table: TextTable, fmt: str) -> str:
    """The table as text in one of the non-rich formats."""
    if fmt in ("tsv", "csv"):
        out = io.StringIO()
        writer = csv.writer(out, delimiter="\t" if fmt == "tsv" else ",", lineterminator="\n")
        writer.writerow(table.headers)
        writer.writerows(table.rows)
        return out.getvalue()
    if fmt == "markdown":
        align = ["---" if table.left(i) else "---:" for i in range(len(table.headers))]
        lines = [f"**{table.title}**", ""] if table.title else []
        lines += ["| " + " | ".join(row) + " |" for row in (table.headers, align)]
        lines += ["| " + " | ".join(c.replace("|", "\\|") for c in row) + " |" for row in table.rows]
        return "\n".join(lines + (["", table.caption] if table.caption else [])) + "\n"
    widths = [max(len(str(c)) for c in column) for column in zip(table.headers, *table.rows)]

    def line(cells: list[str]) -> str:
        return "  ".join(c.ljust(w) if table.left(i) else c.rjust(w)
                         for i, (c, w) in enumerate(zip(cells, widths))).rstrip()

    body = [line(table.headers), "  ".join("-" * w for w in widths)] + [line(r) for r in table.rows]
    return "\n".join(([table.title] if table.title else []) + body + ([table.caption] if table.caption else [])) + "\n"


def stdout():
    from rich.console import Console

    return Console(highlight=False, soft_wrap=True)


def print_table(table: TextTable, fmt: str = "auto", console=None) -> None:
    """Print to stdout (or ``console``): rich on a terminal under "auto", else render(table, fmt)."""
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
    console.file.write(render(table, "plain" if fmt == "auto" else fmt))
    console.file.flush()
