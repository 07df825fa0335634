"""The tables the commands print, as data (TextTable) built from typed results with the registry's headline columns.

``render`` writes one as text that survives redirection: plain fixed-width (every cell in full: no zero-width columns,
no cut names), tsv, csv (header and rows only, for spreadsheets) or markdown; on a terminal the CLI uses rich.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass, field

from clika.errors import ConfigError
from clika.formatting import format_number, format_record, format_value
from clika.items import PIVOT, lang_order_key, ordered_langs
from clika.metrics.catalog import headline_per_language, label
from clika.metrics.flags import UNPARSEABLE_FLAG
from clika.metrics.records import Record

TABLE_FORMATS = ("auto", "plain", "tsv", "csv", "markdown")


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
        sep = "\t" if fmt == "tsv" else ","
        csv.writer(out, delimiter=sep, lineterminator="\n").writerows([table.headers, *table.rows])
        return out.getvalue()
    title, caption = [table.title] if table.title else [], [table.caption] if table.caption else []
    if fmt == "markdown":
        align = ["---" if table.left(i) else "---:" for i in range(len(table.headers))]
        lines = [f"**{table.title}**", ""] if table.title else []
        lines += ["| " + " | ".join(row) + " |" for row in (table.headers, align)]
        lines += ["| " + " | ".join(c.replace("|", "\\|") for c in row) + " |" for row in table.rows]
        return "\n".join(lines + ([""] + caption if caption else [])) + "\n"
    widths = [max(len(str(c)) for c in column) for column in zip(table.headers, *table.rows)]

    def line(cells: list[str]) -> str:
        padded = (c.ljust(w) if table.left(i) else c.rjust(w) for i, (c, w) in enumerate(zip(cells, widths)))
        return "  ".join(padded).rstrip()

    body = [line(table.headers), "  ".join("-" * w for w in widths)] + [line(r) for r in table.rows]
    return "\n".join(title + body + caption) + "\n"


def lang_or_mean(r: Record) -> str | None:
    """The row of a per-language record: its language, "mean" for the mean over the languages, else None."""
    if r.aggregate is None:
        return r.lang
    return "mean" if r.lang is None else None


def mean_last(columns: set[str]) -> list[str]:
    """Languages in the paper's order, then "mean" (the mean over the languages) where it is one of them."""
    return sorted(columns - {"mean"}, key=lang_order_key) + (["mean"] if "mean" in columns else [])


def task_table(records: Sequence[Record], model: str, task: str, template: str | None = None) -> TextTable:
    """Languages as rows (the mean last): n and every headline per-language metric with its interval; chance in the
    title."""
    mine = [r for r in records if r.task == task]
    metrics = [d for d in headline_per_language() if any(r.metric == d.name and r.value is not None for r in mine)]
    names = {d.name for d in metrics}
    cells: dict[tuple[str, str], Record] = {}
    for r in mine:
        if r.stratum is None and r.metric in names and (where := lang_or_mean(r)) is not None:
            cells[(where, r.metric)] = r
    langs = mean_last({lang for lang, _ in cells})
    # each metric's value for a model answering at random (RA 1.0, en-CO and RankC well above 0)
    chances = {d.label: next((r.chance for (_, m), r in cells.items() if m == d.name and r.chance is not None), None)
               for d in metrics}
    chance_text = ", ".join(f"{name} {v:.2f}" for name, v in chances.items() if v is not None)
    how = f" ({template} prompt)" if template else ""
    title = f"{model} · {task}{how}: {', '.join(d.label for d in metrics)}, 95% bootstrap intervals"
    table = TextTable(title + (f"; chance {chance_text}" if chance_text else ""),
                      ["lang", "n", *(d.label for d in metrics)])
    for lang in langs:
        found = [cells.get((lang, d.name)) for d in metrics]
        n = next((r.n for r in found if r is not None), "")
        table.rows.append([lang, str(n), *(format_record(r) for r in found)])
    return table


SUMMARY_CAPTION = ("n: English items (of the item file's where fewer were read); columns without a language: the mean "
                   "over the non-English languages; unparseable en: share of English answers that could not be read "
                   "(counted wrong). flags: partial = languages of the task without predictions or with fewer than the "
                   "item file has items (unranked, no overall); dominant = one option chosen far more often than it is "
                   f"right (overlap comes for free); unparseable = more than {UNPARSEABLE_FLAG:.0%} of the answers "
                   "unreadable; missing = items without a prediction")
PAIR_CAPTION = ("one test per row gives its p, its 95% CI and its star: accuracy = exact McNemar test and the exact "
                "interval that inverts it; RA, en-CO = paired bootstrap percentile interval and the p-value that "
                "inverts it; * = p < {} (the CI excludes 0)")


def summary_table(records: Sequence[Record]) -> TextTable:
    """model x task: n, the leaderboard's headline columns, chance, the unparseable share in English, flags."""
    from clika.report.flags import FlagIndex
    from clika.report.leaderboard import headline_columns

    scored = {r.metric for r in records if r.value is not None}
    columns = [c for c in headline_columns() if c.metric != "xrr" and c.metric in scored]
    wanted = {(c.metric, c.lang, c.aggregate): c.name for c in columns}
    wanted.update({("unparseable_rate", PIVOT, None): "unparseable", ("missing_items", PIVOT, None): "missing"})
    rows: dict[tuple[str, str], dict[str, Record]] = {}
    for r in records:
        key = wanted.get((r.metric, r.lang, r.aggregate))
        if key is not None and r.stratum is None:
            rows.setdefault((r.model, r.task), {})[key] = r
    flags = FlagIndex(records)
    headers = ["model", "task", "n", *(c.label for c in columns), "chance", "unparseable en", "flags"]
    align = "lll" + "r" * (len(columns) + 2) + "l"
    table = TextTable("CLiKA scores (95% bootstrap intervals)", headers, align=align, caption=SUMMARY_CAPTION)
    for (model, task), found in rows.items():
        acc, unparseable, missing = (found.get(key) for key in (f"accuracy_{PIVOT}", "unparseable", "missing"))
        n = str(getattr(acc, "n", 0))
        if missing is not None and missing.value and missing.n:
            n += f"/{missing.n}"  # fewer English items than the task has
        langs = ordered_langs(flags.langs.get((model, task), ()))
        counts = {"dominant": sum(flags.has(model, task, lang, "dominant") for lang in langs),
                  "unparseable": sum(flags.unparseable_high(model, task, lang) for lang in langs),
                  "missing": sum(flags.has(model, task, lang, "missing") for lang in langs)}
        marks = [flags.partial_text(model, task)] + [f"{k} {c}/{len(langs)} langs" for k, c in counts.items() if c]
        chance = f"{acc.chance:.2f}" if getattr(acc, "chance", None) else ""
        share = f"{100 * unparseable.value:.0f}%" if getattr(unparseable, "value", None) is not None else ""
        values = [format_record(found.get(c.name)) for c in columns]
        table.rows.append([model, task, n, *values, chance, share, "; ".join(m for m in marks if m)])
    return table


def pair_table(comparisons, model_a: str, model_b: str, strategy: str | None, n_boot: int = 0) -> TextTable:
    """One pair: per task, language and metric, both values and the delta with its one test's interval, p and star."""
    from clika.analysis.compare import ALPHA, comparison_rows, significant

    title = f"{model_b} minus {model_a}" + (f" ({strategy})" if strategy else "") + ": paired deltas, one test per row"
    headers = ["task", "lang", "metric", "n", "A", "B", "delta", "p"]
    table = TextTable(title, headers, align="lllrrrrr", caption=PAIR_CAPTION.format(ALPHA))
    for c, va, vb in comparison_rows(comparisons):
        if (c.model_ref, c.model) != (model_a, model_b):
            continue
        p = p_text(c, n_boot)
        delta = format_value(c.value, c.ci_low, c.ci_high, signed=True) + ("*" if significant(c) else "")
        table.rows.append([c.task, c.lang, label(c.metric), str(c.n), format_record(va), format_record(vb), delta, p])
    return table


def p_text(c, n_boot: int) -> str:
    """The p-value of a comparison as its row's one test gives it (a bootstrap p says its resolution)."""
    from clika.analysis.compare import row_test
    from clika.analysis.stats import format_p

    return format_p(c.p_value, n_boot) if row_test(c.metric) == "bootstrap" else format_number(c.p_value, ".3g")


def count_table(tasks: Sequence[str], langs: Sequence[str], counts: dict[tuple[str, str], int]) -> TextTable:
    """Items per task and language (data show / validate)."""
    table = TextTable("", ["task", *langs, "total"])
    for task in tasks:
        row = [counts.get((task, lang), 0) for lang in langs]
        table.rows.append([task, *(str(n) if n else "-" for n in row), str(sum(row))])
    return table
