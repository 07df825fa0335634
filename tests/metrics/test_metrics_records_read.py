"""read_records: round trip with write_records, and one-line errors naming file:line."""

from __future__ import annotations

import pytest

from clika.errors import DataError
from clika.metrics.records import MetricRecord, read_records, write_records

RECORDS = [
    MetricRecord("m", "x_geo", "zh", "ra", 0.8, 0.7, 0.9, 200),
    MetricRecord("m", "x_geo", "zh", "ra_adj", None, None, None, 200, "accuracy in en is 0: ra undefined"),
    MetricRecord("m", "x_geo", "en-zh", "co", 0.5, None, None, 198, "2 item(s) left out (missing in en or zh)"),
]


@pytest.mark.parametrize("suffix", [".jsonl", ".csv"])
def test_round_trip(tmp_path, suffix):
    path = write_records(RECORDS, tmp_path / f"metrics{suffix}")
    assert read_records(path) == RECORDS


@pytest.mark.parametrize("line, message", [
    ('{"model": "m", "task": "t", "lang": "en", "metric": "accuracy", "value": 0.5', "malformed JSON"),
    ('{"model": "m", "task": "t", "lang": "en", "metric": "accuracy", "value": NaN}', "must be null/empty"),
    ('{"model": "m", "task": "t", "metric": "accuracy", "value": 0.5}', "field 'lang' is missing"),
    ('{"model": "m", "task": "t", "lang": "en", "metric": "accuracy", "value": "high"}', "must be a number"),
    ('[1, 2]', "expected a JSON object"),
])
def test_bad_jsonl_line_names_file_and_line(tmp_path, line, message):
    path = tmp_path / "metrics.jsonl"
    good = '{"model": "m", "task": "t", "lang": "en", "metric": "accuracy", "value": 0.5, "n": 4}'
    path.write_text(good + "\n\n" + line + "\n", encoding="utf-8")
    with pytest.raises(DataError, match=message) as err:
        read_records(path)
    assert str(err.value).startswith(f"{path}:3: ")
    assert "\n" not in str(err.value)


def test_bad_csv_row_names_its_line(tmp_path):
    path = tmp_path / "metrics.csv"
    path.write_text("model,task,lang,metric,value,ci_low,ci_high,n,note\n"
                    "m,t,en,accuracy,0.5,,,4,\n"
                    "m,t,zh,accuracy,oops,,,4,\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"metrics.csv:3: field 'value' must be a number"):
        read_records(path)


def test_csv_without_required_columns(tmp_path):
    path = tmp_path / "metrics.csv"
    path.write_text("model,task,value\nm,t,0.5\n", encoding="utf-8")
    with pytest.raises(DataError, match="header lacks column"):
        read_records(path)
