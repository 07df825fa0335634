"""Writing and reading Records (.jsonl or .csv), migrating files written before lang_ref / aggregate / flags and before
``condition`` ("fictional+names-both"), and the resamples kept beside a metrics file for the aggregates that need them
(the leaderboard's mean over tasks, XRR's mean over targets)."""

from __future__ import annotations

import csv
import json
import math
from collections.abc import Iterable
from pathlib import Path

import numpy as np

from clika.data.lines import read_json_lines, write_json_lines
from clika.errors import DataError
from clika.items import PIVOT
from clika.metrics.catalog import get_metric
from clika.metrics.cd import TASK as CD_TASK
from clika.metrics.flags import flags_from_note
from clika.metrics.records import FIELDS, FLOATS, Record


def write_records(records: Iterable[Record], path: str | Path) -> Path:
    """Write records as JSONL (.jsonl) or CSV (.csv), chosen by suffix."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    rows = [r.to_dict() for r in records]
    if path.suffix == ".csv":
        with path.open("w", newline="", encoding="utf-8") as fh:
            w = csv.DictWriter(fh, fieldnames=FIELDS)  # None and a missing field are written as ""
            w.writeheader()
            w.writerows({**row, "flags": ";".join(row.get("flags", ()))} for row in rows)
    else:
        write_json_lines(rows, path)
    return path


_REQUIRED = ("model", "task", "metric")
_TEXTS = ("model_ref", "strategy", "lang", "lang_ref", "aggregate", "stratum", "item_set", "note")


def _text(row: dict, key: str) -> str | None:
    value = row.get(key)
    return None if value in (None, "") else str(value)


def _migrate(row: dict) -> dict:
    """A record of the layout before lang_ref / aggregate / flags, in today's fields: the one place where the identity
    packed into ``lang`` ("avg", "de-fr", "S>L") and the flags in ``note`` are taken apart."""
    lang, metric = row.get("lang"), row["metric"]
    defn = get_metric(metric)
    scope = defn.scope if defn is not None else None
    out = dict(row)
    if lang == "avg":
        out.update(lang=None, aggregate="mean", lang_ref=PIVOT if scope == "pivot" else None)
    elif ">" in lang:
        source, _, query = lang.partition(">")
        out.update(lang=query, lang_ref=source)
    elif "-" in lang and scope in ("pair", None):
        a, _, b = lang.partition("-")
        out.update(lang=a, lang_ref=b)
    elif scope in ("pivot", "cd", "cd_rate", "run"):
        out["lang_ref"] = PIVOT
    elif metric == "home_transfer":
        out["aggregate"] = "mean"  # home_transfer of a query language: the mean over its source languages
    out["flags"] = flags_from_note(row)
    return out


def split_condition(task: str) -> tuple[str, str | None]:
    """The task and condition of a file written before ``condition`` ("fictional+names-both" -> "fictional",
    "names-both"); any other task unchanged."""
    if task.startswith(CD_TASK + "+"):
        return CD_TASK, task[len(CD_TASK) + 1:] or None
    return task, None


def _number(row: dict, key: str, path: str | Path, line: int | None) -> float | None:
    raw = row.get(key)
    if raw in (None, ""):
        return None
    try:
        if isinstance(raw, bool):  # float(True) would silently read as 1.0
            raise TypeError
        number = float(raw)
    except (TypeError, ValueError):
        raise DataError(f"field {key!r} must be a number or null, got {raw!r}", path, line) from None
    if not math.isfinite(number):  # docs/metrics.md: undefined is null, never a NaN token
        raise DataError(f"field {key!r} is {raw!r}; an undefined value must be null/empty", path, line)
    return number


def record_from_row(row: dict, path: str | Path = "", line: int | None = None) -> Record:
    """One Record from a parsed JSON object or CSV row; DataError naming path:line."""
    if not isinstance(row, dict):
        raise DataError("expected a JSON object with fields " + ", ".join(FIELDS), path, line)
    old_layout = not {"flags", "aggregate", "lang_ref"} & row.keys()
    for key in (*_REQUIRED, "lang") if old_layout else _REQUIRED:
        if not isinstance(row.get(key), str) or not row[key]:
            raise DataError(f"field {key!r} is missing or not a non-empty string", path, line)
    if old_layout:
        row = _migrate(row)
    task, condition = row["task"], _text(row, "condition")
    if condition is None:
        task, condition = split_condition(task)
    values = {key: _number(row, key, path, line) for key in FLOATS}
    raw_n = row.get("n", 0)
    try:  # int(True) and int(2.7) would silently turn a wrong value into a count
        if isinstance(raw_n, bool) or (isinstance(raw_n, float) and not raw_n.is_integer()):
            raise ValueError
        n = int(raw_n) if raw_n not in (None, "") else 0
    except (TypeError, ValueError):
        raise DataError(f"field 'n' must be an integer, got {raw_n!r}", path, line) from None
    flags = row.get("flags") or ()
    if isinstance(flags, str):
        flags = tuple(f for f in flags.split(";") if f)
    if not isinstance(flags, (list, tuple)) or not all(isinstance(f, str) for f in flags):
        raise DataError(f"field 'flags' must be a list of names, got {row.get('flags')!r}", path, line)
    values |= {key: _text(row, key) for key in _TEXTS}
    return Record(model=row["model"], task=task, condition=condition, metric=row["metric"], n=n, flags=tuple(flags),
                  **values)


def read_records(path: str | Path) -> list[Record]:
    """Read records written by write_records (.jsonl or .csv, chosen by suffix), today's or the old layout."""
    path = Path(path)
    if not path.is_file():
        raise DataError("no such metrics file", path)
    records: list[tuple[int, Record]] = []
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
                    records.append((reader.line_num, record_from_row(row, path, reader.line_num)))
        else:
            records = [(line_no, record_from_row(row, path, line_no)) for line_no, row in read_json_lines(path)]
    except UnicodeDecodeError as err:
        raise DataError(f"not UTF-8 text ({err.reason})", path) from None
    except csv.Error as err:
        raise DataError(f"malformed CSV: {err}", path) from None
    return check_conflicts(records, path)


def check_conflicts(numbered: Iterable[tuple[int, Record]], path: str | Path) -> list[Record]:
    """Records (with their line numbers) without exact duplicates; two with the same key but different values are a
    DataError naming both lines (a report must never silently show "the last one")."""
    seen: dict[tuple, tuple[int, Record]] = {}
    out = []
    for line, r in numbered:
        if r.key in seen:
            first_line, first = seen[r.key]
            if first.to_dict() != r.to_dict():
                who = r.model + (f" vs {r.model_ref}" if r.model_ref else "")
                what = f"{who}/{r.task_label}/{r.metric} ({r.where})" + (f" [{r.stratum}]" if r.stratum else "")
                raise DataError(f"conflicting records for {what}: line {first_line} says {first.value!r}, "
                                f"this line says {r.value!r}; keep one run's records", path, line)
            continue
        seen[r.key] = (line, r)
        out.append(r)
    return out


def resamples_path(path: str | Path) -> Path:
    """metrics.jsonl -> metrics.resamples.npz: the resamples of the records an aggregate is taken over."""
    path = Path(path)
    return path.with_name(path.stem + ".resamples.npz")


def feeds_an_aggregate(r: Record, pivot: str = PIVOT) -> bool:
    """A headline value the leaderboard averages over tasks (or CD over targets): its resamples are kept."""
    defn = get_metric(r.metric)
    if defn is None or not defn.headline or r.stratum is not None:
        return False
    return (defn.scope == "lang" and r.lang == pivot) or r.aggregate == "mean" or defn.scope == "cd"


def write_resamples(resamples: dict, records: Iterable[Record], path: str | Path) -> Path | None:
    """Write the resamples of the records that feed an aggregate (None when there are none)."""
    kept = [(r.key, resamples[r.key]) for r in records if r.key in resamples and feeds_an_aggregate(r)]
    if not kept or len({len(s) for _, s in kept}) != 1:
        return None
    out = resamples_path(path)
    keys, samples = np.array([json.dumps(k) for k, _ in kept]), np.stack([s for _, s in kept]).astype(np.float32)
    np.savez_compressed(out, keys=keys, samples=samples)
    return out


def read_resamples(path: str | Path) -> dict:
    """The resamples written beside a metrics file, by record key ({} when there are none)."""
    file = resamples_path(path)
    if not file.is_file():
        return {}
    with np.load(file) as data:
        return {_stored_key(json.loads(k)): s for k, s in zip(data["keys"], data["samples"])}


def _stored_key(key: list) -> tuple:
    """A record key as written, in today's layout (Record.key): one written before ``condition`` and ``model_ref``
    (7 fields) gets its condition out of the task; one written before ``strategy`` (9 fields) no strategy."""
    if len(key) == 7:
        model, task, *rest = key
        return (model, None, None, *split_condition(task), *rest)
    if len(key) == 9:
        return (key[0], key[1], None, *key[2:])
    return tuple(key)
