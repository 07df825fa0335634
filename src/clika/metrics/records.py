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
