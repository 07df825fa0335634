"""Records as a pandas DataFrame, for notebooks: one row per record, one column per Record field (so per-language
rows, language pairs and means never share a column), plus the metric's human label."""

from __future__ import annotations

from collections.abc import Iterable

from clika.metrics.catalog import label
from clika.metrics.records import FIELDS, Record

COLUMNS = (*FIELDS, "label")


def records_frame(records: Iterable[Record]):
    import pandas as pd

    rows = [{**{k: getattr(r, k) for k in FIELDS}, "label": label(r.metric)} for r in records]
    return pd.DataFrame(rows, columns=list(COLUMNS))
