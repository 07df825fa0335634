"""Predictions -> one PredictionMatrix per (model, task): only reading the Prediction objects' attributes is
per-prediction Python; grouping, alignment and checks are vectorised."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from clika.errors import DataError
from clika.items import ordered_langs
from clika.metrics.core import UNPARSEABLE, PredictionMatrix
from clika.predictions import Prediction

ORIGIN_KEY = "original_lang"  # Prediction.extra key: the culture an item's fact comes from


def _bad(p: Prediction, message: str) -> DataError:
    where = p.extra.get("source") if p.extra else None
    return DataError(f"{p.model}/{p.task}/{p.lang} item {p.item_id}: {message}", where)


def build_matrices(predictions: Sequence[Prediction]) -> list[PredictionMatrix]:
    """Group predictions by (model, task) in first-seen order and align them by item id."""
    if not predictions:
        return []
    import pandas as pd  # heavy import, only where needed

    def ints(values) -> np.ndarray:
        return np.fromiter(values, dtype=np.int64, count=len(predictions))

    columns = {name: [getattr(p, name) for p in predictions] for name in ("model", "task", "lang", "item_id")}
    frame = pd.DataFrame({**columns, "choice": ints(UNPARSEABLE if p.choice is None else p.choice for p in predictions),
                          "gold": ints(p.gold for p in predictions), "k": ints(p.n_options for p in predictions),
                          "origin": [p.extra.get(ORIGIN_KEY, "") if p.extra else "" for p in predictions],
                          "pos": np.arange(len(predictions)),
                          "has_scores": [p.scores is not None for p in predictions]})
    groups = frame.groupby(["model", "task"], sort=False)
    return [_one_matrix(str(model), str(task), group, predictions) for (model, task), group in groups]


def _one_matrix(model: str, task: str, group, predictions: Sequence[Prediction]) -> PredictionMatrix:
    pos = group["pos"].to_numpy()
    k_values = np.unique(group["k"].to_numpy())
    if len(k_values) != 1:
        first = pos[group["k"].to_numpy() != k_values[0]][0]
        raise _bad(predictions[first], f"n_options differs within one task ({sorted(k_values.tolist())})")
    k = int(k_values[0])
    if k < 2:
        raise _bad(predictions[pos[0]], f"a task needs at least 2 options, got {k}")
    choice, gold = group["choice"].to_numpy(), group["gold"].to_numpy()
    for name, values, lowest in (("choice", choice, UNPARSEABLE), ("gold", gold, 0)):
        outside = (values < lowest) | (values >= k)
        if outside.any():
            p = predictions[pos[outside.argmax()]]
            raise _bad(p, f"{name} {getattr(p, name)} is outside 0..{k - 1}")

    langs = tuple(ordered_langs(group["lang"].unique().tolist()))
    rows = group["lang"].map({lang: i for i, lang in enumerate(langs)}).to_numpy()
    item_ids, cols = np.unique(group["item_id"].to_numpy().astype(str), return_inverse=True)
    n_langs, n_items = len(langs), len(item_ids)

    flat = rows * n_items + cols
    seen = np.bincount(flat, minlength=n_langs * n_items)
    if (seen > 1).any():
        dup = int(np.flatnonzero(seen > 1)[0])
        raise _bad(predictions[pos[np.flatnonzero(flat == dup)[1]]], "duplicate prediction for this item")

    choice_m = np.full(n_langs * n_items, UNPARSEABLE, dtype=np.int64)
    gold_m = np.full(n_langs * n_items, -1, dtype=np.int64)
    choice_m[flat], gold_m[flat] = choice, gold
    origins = group["origin"].to_numpy().astype(str)
    known, origin = origins != "", None
    if known.any():  # any language's prediction of an item may say where it comes from
        origin = np.full(n_items, "", dtype=object)
        origin[cols[known]] = origins[known]
        origin = origin.astype(str)
    scores = None
    with_scores = group["has_scores"].to_numpy()
    if with_scores.any():  # per-option scores (letter / cloze runs, lm-eval samples): RankC reads them
        flat_scores = np.full((n_langs * n_items, k), np.nan)
        for f, p in zip(flat[with_scores], pos[with_scores]):
            if len(predictions[p].scores) == k:
                flat_scores[f] = predictions[p].scores
        scores = flat_scores.reshape(n_langs, n_items, k)
    grids = (a.reshape(n_langs, n_items) for a in (choice_m, gold_m, seen > 0))
    return PredictionMatrix(model, task, k, langs, item_ids, *grids, origin, scores)
