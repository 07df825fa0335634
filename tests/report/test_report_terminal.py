"""The printed tables: rows, the mean row last, chance of every shown metric in the title, formats."""

from __future__ import annotations

import csv
import io

import pytest

from clika.errors import ConfigError
from clika.metrics.records import Record
from clika.report.terminal import check_format, render, task_table


def _records() -> list[Record]:
    rec = lambda metric, lang, value, chance, **kw: Record(  # noqa: E731
        model="m", task="t", metric=metric, lang=lang, value=value, ci_low=value - 0.1, ci_high=value + 0.1, n=48,
        chance=chance, **kw)
    return [
        rec("accuracy", "en", 0.9, 0.25), rec("accuracy", "de", 0.6, 0.25),
        rec("ra", "de", 0.6 / 0.9, 1.0, lang_ref="en"), rec("en_co", "de", 0.55, 0.14, lang_ref="en"),
        rec("ra", None, 0.6 / 0.9, 1.0, lang_ref="en", aggregate="mean"),
        rec("en_co", None, 0.55, 0.14, lang_ref="en", aggregate="mean"),
        rec("accuracy", "de", 0.2, 0.25, stratum="overlap=none"),  # a stratum is not a row
    ]


def test_task_table_rows_and_the_chance_of_each_metric_in_the_title():
    table = task_table(_records(), "m", "t", template="qa")
    assert table.headers == ["lang", "n", "accuracy", "RA", "en-CO"]
    assert [row[0] for row in table.rows] == ["en", "de", "mean"]
    assert table.title.endswith("; chance accuracy 0.25, RA 1.00, en-CO 0.14")
    assert table.rows[1][2] == "0.600 [0.50, 0.70]" and table.rows[0][3] == "—"


def test_render_formats_keep_every_cell():
    table = task_table(_records(), "m", "t")
    plain = render(table, "plain").splitlines()
    assert plain[0] == table.title and plain[1].split() == table.headers
    rows = list(csv.reader(io.StringIO(render(table, "csv"))))
    assert rows[0] == table.headers and rows[1:] == table.rows
    assert render(table, "markdown").splitlines()[2].startswith("| lang | n |")
    with pytest.raises(ConfigError, match="format"):
        check_format("xml")
