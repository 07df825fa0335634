"""The tidy output record of every metric (docs/metrics.md, "Records")."""

from __future__ import annotations

import csv
import math
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from clika.data.lines import read_json_lines, write_json_lines

FIELDS = ("model", "task", "lang", "metric", "value", "ci_low", "ci_high", "n", "note", "chance", "stratum",
          "p_value", "lang_ref")
OPTIONAL_FIELDS = ("note", "chance", "stratum", "p_value", "lang_ref")  # left out of JSON when None


@dataclass
class MetricRecord:
    """One (model, task, lang, metric) value with its 95% bootstrap interval.

    lang is an ISO 639-1 code; pairwise metrics other than en_* use "l1-l2"; averages "avg";
    home_transfer "S>L". value/ci_low/ci_high are None when undefined, and note says why.
    chance: what a uniformly guessing model would get, where that number is fixed (e.g. 1/k
    for accuracy), so that a value can be read against it. stratum: the subgroup a value is
    restricted to (e.g. "overlap=none" for conductivity by surface overlap), None = all.
    p_value: of the test the metric's definition names (e.g. a one-sided binomial test against
    chance), where one is computed. lang_ref: the other language a value is about (conductivity:
    the source language the facts were taught in), None when there is none.
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
    chance: float | None = None
    stratum: str | None = None
    p_value: float | None = None
    lang_ref: str | None = None

    def to_dict(self) -> dict:
        # Built field by field, not with dataclasses.asdict (which deep-copies): 50k records are written at once.
        d = {k: getattr(self, k) for k in FIELDS}
        for k in ("value", "ci_low", "ci_high", "chance", "p_value"):
            v = d[k]
            if v is not None and (isinstance(v, float) and math.isnan(v)):
                d[k] = None
        for k in OPTIONAL_FIELDS:
            if d[k] is None:
                del d[k]
        return d

    @property
    def key(self) -> tuple:
        """What identifies a record: two records with the same key must agree."""
        return (self.model, self.task, self.lang, self.metric, self.stratum, self.lang_ref)


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
        write_json_lines(rows, path)
    return path


# ---------------------------------------------------------------- reading (additive)

_REQUIRED = ("model", "task", "lang", "metric")
_OPTIONAL_FLOATS = ("value", "ci_low", "ci_high", "chance", "p_value")


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
        if not math.isfinite(number):  # docs/metrics.md: undefined is null, never a NaN token
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
    stratum = row.get("stratum")
    stratum = None if stratum in (None, "") else str(stratum)
    lang_ref = row.get("lang_ref")
    lang_ref = None if lang_ref in (None, "") else str(lang_ref)
    return MetricRecord(row["model"], row["task"], row["lang"], row["metric"], floats["value"], floats["ci_low"],
                        floats["ci_high"], n, note, floats["chance"], stratum, floats["p_value"], lang_ref)


def read_records(path: str | Path) -> list[MetricRecord]:
    """Read records written by write_records (.jsonl or .csv, chosen by suffix)."""
    from clika.errors import DataError

    path = Path(path)
    if not path.is_file():
        raise DataError("no such metrics file", path)
    records: list[tuple[int, MetricRecord]] = []
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
                    records.append((reader.line_num, _record_from_row(row, path, reader.line_num)))
        else:
            for line_no, row in read_json_lines(path):
                records.append((line_no, _record_from_row(row, path, line_no)))
    except UnicodeDecodeError as err:
        raise DataError(f"not UTF-8 text ({err.reason})", path) from None
    except csv.Error as err:
        raise DataError(f"malformed CSV: {err}", path) from None
    return check_conflicts(records, path)


def check_conflicts(numbered: Iterable[tuple[int, MetricRecord]], path: str | Path) -> list[MetricRecord]:
    """Records (with their line numbers) with exact duplicates dropped; two records with the
    same key but different values are a one-line DataError naming both lines (a report must
    never silently show "the last one")."""
    from clika.errors import DataError

    seen: dict[tuple, tuple[int, MetricRecord]] = {}
    out = []
    for line, r in numbered:
        if r.key in seen:
            first_line, first = seen[r.key]
            if first.to_dict() != r.to_dict():
                model, task, lang, metric, stratum, _ = r.key
                what = f"{model}/{task}/{lang}/{metric}" + (f" [{stratum}]" if stratum else "")
                raise DataError(f"conflicting records for {what}: line {first_line} says {first.value!r}, "
                                f"this line says {r.value!r}; keep one run's records", path, line)
            continue
        seen[r.key] = (line, r)
        out.append(r)
    return out
