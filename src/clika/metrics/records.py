"""The tidy output record of every metric (METRICS.md, "Output records")."""

from __future__ import annotations

import csv
import json
import math
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Iterable

FIELDS = ("model", "task", "lang", "metric", "value", "ci_low", "ci_high", "n", "note")


@dataclass
class MetricRecord:
    """One (model, task, lang, metric) value with its 95% bootstrap interval.

    lang is an ISO 639-1 code; pairwise metrics other than en_* use "l1-l2".
    value/ci_low/ci_high are None when undefined, and note says why.
    """

    model: str
    task: str
    lang: str
    metric: str
    value: float | None
    ci_low: float | None = None
    ci_high: float | None = None
    n: int = 0
    note: str | None = None

    def to_dict(self) -> dict:
        d = asdict(self)
        for k in ("value", "ci_low", "ci_high"):
            v = d[k]
            if v is not None and (isinstance(v, float) and math.isnan(v)):
                d[k] = None
        if d["note"] is None:
            del d["note"]
        return d


def write_records(records: Iterable[MetricRecord], path: str | Path) -> Path:
    """Write records as JSONL (.jsonl) or CSV (.csv), chosen by suffix."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    rows = [r.to_dict() for r in records]
    if path.suffix == ".csv":
        with path.open("w", newline="", encoding="utf-8") as fh:
            w = csv.DictWriter(fh, fieldnames=FIELDS)
            w.writeheader()
            for row in rows:
                w.writerow({k: ("" if row.get(k) is None else row.get(k)) for k in FIELDS})
    else:
        with path.open("w", encoding="utf-8") as fh:
            for row in rows:
                fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    return path


# ---------------------------------------------------------------- reading (additive)

_REQUIRED = ("model", "task", "lang", "metric")
_OPTIONAL_FLOATS = ("value", "ci_low", "ci_high")


def _record_from_row(row: dict, path: Path, line: int) -> MetricRecord:
    """One MetricRecord from a parsed JSON object or CSV row; DataError naming path:line."""
    from clika.errors import DataError

    if not isinstance(row, dict):
        raise DataError("expected a JSON object with fields " + ", ".join(FIELDS), path, line)
    for key in _REQUIRED:
        if not isinstance(row.get(key), str) or not row[key]:
            raise DataError(f"field {key!r} is missing or not a non-empty string", path, line)
    floats: dict[str, float | None] = {}
    for key in _OPTIONAL_FLOATS:
        raw = row.get(key)
        if raw is None or raw == "":
            floats[key] = None
            continue
        if isinstance(raw, bool):
            raise DataError(f"field {key!r} must be a number or null, got {raw!r}", path, line)
        try:
            number = float(raw)
        except (TypeError, ValueError):
            raise DataError(f"field {key!r} must be a number or null, got {raw!r}", path, line) from None
        if not math.isfinite(number):  # METRICS.md: undefined is null, never a NaN token
            raise DataError(f"field {key!r} is {raw!r}; an undefined value must be null/empty", path, line)
        floats[key] = number
    raw_n = row.get("n", 0)
    # int(True) and int(2.7) would silently turn a wrong value into a count.
    if isinstance(raw_n, bool) or (isinstance(raw_n, float) and not raw_n.is_integer()):
        raise DataError(f"field 'n' must be an integer, got {raw_n!r}", path, line)
    try:
        n = int(raw_n) if raw_n not in (None, "") else 0
    except (TypeError, ValueError):
        raise DataError(f"field 'n' must be an integer, got {raw_n!r}", path, line) from None
    note = row.get("note")
    note = None if note in (None, "") else str(note)
    return MetricRecord(row["model"], row["task"], row["lang"], row["metric"],
                        floats["value"], floats["ci_low"], floats["ci_high"], n, note)


def read_records(path: str | Path) -> list[MetricRecord]:
    """Read records written by write_records (.jsonl or .csv, chosen by suffix)."""
    from clika.errors import DataError

    path = Path(path)
    if not path.is_file():
        raise DataError("no such metrics file", path)
    records: list[MetricRecord] = []
    try:
        if path.suffix == ".csv":
            with path.open(newline="", encoding="utf-8") as fh:
                reader = csv.DictReader(fh)
                missing = [k for k in _REQUIRED + ("value",) if k not in (reader.fieldnames or [])]
                if missing:
                    raise DataError(f"CSV header lacks column(s) {', '.join(missing)}", path, 1)
                for row in reader:
                    if None in row:  # more cells than header columns
                        raise DataError("row has more cells than the header", path, reader.line_num)
                    records.append(_record_from_row(row, path, reader.line_num))
        else:
            with path.open("rb") as fh:
                for line_no, raw_line in enumerate(fh, start=1):
                    try:  # decoded line by line, so an encoding error names its line
                        line = raw_line.decode("utf-8")
                    except UnicodeDecodeError as err:
                        raise DataError(f"not UTF-8 text ({err.reason})", path, line_no) from None
                    if not line.strip():
                        continue
                    try:
                        row = json.loads(line, parse_constant=lambda token: token)
                    except json.JSONDecodeError as err:
                        raise DataError(f"malformed JSON: {err.msg} (column {err.colno})", path, line_no) from None
                    records.append(_record_from_row(row, path, line_no))
    except UnicodeDecodeError as err:
        raise DataError(f"not UTF-8 text ({err.reason})", path) from None
    except csv.Error as err:
        raise DataError(f"malformed CSV: {err}", path) from None
    return records
