"""Metric records as a pandas DataFrame, for notebooks: one row per record, with the ``lang``
field taken apart so that per-language rows, language pairs and averages never share a column.

    lang      the one language a value is about (accuracy in "de"; RA and en-CO of "de" vs the pivot)
    lang_a    the first language of a pair: the pivot for RA/en-CO, "en" of "en-zh", S of "S>L"
    lang_b    the second: "de" for RA/en-CO of de, "zh" of "en-zh", L of "S>L"
    aggregate None for a plain value; "mean over non-pivot languages" for "avg" rows; "mean over
              source languages" for home_transfer's per-query-language rows; "mean over pairs"
    label     the metric's human name (RA, en-CO, ...)
"""

from __future__ import annotations

from collections.abc import Iterable

from clika.items import PIVOT
from clika.metrics.catalog import get_metric, label
from clika.metrics.records import FIELDS, MetricRecord

COLUMNS = (*FIELDS, "label", "lang_a", "lang_b", "aggregate")


def split_lang(metric: str, lang: str, pivot: str = PIVOT) -> tuple[str | None, str | None, str | None, str | None]:
    """(lang, lang_a, lang_b, aggregate) of one record's ``lang`` field."""
    defn = get_metric(metric)
    scope = defn.scope if defn is not None else None
    if lang == "avg":
        what = "mean over (source, query) pairs" if scope == "transfer" else "mean over non-pivot languages"
        return None, None, None, what
    if ">" in lang:  # home_transfer S>L
        source, _, query = lang.partition(">")
        return None, source, query, None
    if "-" in lang and scope in ("pair", None):
        a, _, b = lang.partition("-")
        return None, a, b, None
    if scope == "transfer":  # home_transfer per query language: a mean over the source languages
        return lang, None, lang, "mean over source languages"
    if scope == "pivot":
        return lang, pivot, lang, None
    return lang, None, None, None


def records_frame(records: Iterable[MetricRecord], pivot: str = PIVOT):
    """The records as a DataFrame with the COLUMNS above (lang split apart)."""
    import pandas as pd

    rows = []
    for r in records:
        lang, a, b, aggregate = split_lang(r.metric, r.lang, pivot)
        rows.append({"model": r.model, "task": r.task, "lang": lang, "metric": r.metric, "value": r.value,
                     "ci_low": r.ci_low, "ci_high": r.ci_high, "n": r.n, "note": r.note, "chance": r.chance,
                     "stratum": r.stratum, "label": label(r.metric), "lang_a": a, "lang_b": b,
                     "aggregate": aggregate})
    return pd.DataFrame(rows, columns=list(COLUMNS))
