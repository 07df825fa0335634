"""Tests look records up by a short label of where they sit: "de", "avg" (the mean over languages),
"de-fr" (a pair), "S>L" (home transfer from S to L): the labels the record layout used before it
had lang_ref and aggregate fields, built here from those fields."""

from __future__ import annotations


def where(r) -> str | None:
    from clika.metrics.catalog import get_metric

    if r.aggregate == "mean" and r.lang is None:
        return "avg"
    if r.metric == "home_transfer" and r.aggregate is None and r.lang_ref:
        return f"{r.lang_ref}>{r.lang}"
    defn = get_metric(r.metric)
    if r.lang_ref and defn is not None and defn.scope == "pair":
        return f"{r.lang}-{r.lang_ref}"
    return r.lang


def by_where(records, model: bool = False) -> dict:
    """{(lang label, metric): record} (with model and task first when model=True), overall values only."""
    if model:
        return {(r.model, r.task, where(r), r.metric): r for r in records if r.stratum is None}
    return {(where(r), r.metric): r for r in records if r.stratum is None}
