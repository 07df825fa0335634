"""Predictions -> one PredictionMatrix per (model, task), with numpy.

The only per-prediction Python is reading the attributes off the Prediction
objects (unavoidable for a list of objects); grouping, alignment and checks
are vectorised.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from clika.errors import DataError
from clika.items import ordered_langs
from clika.metrics.core import UNPARSEABLE, PredictionMatrix
from clika.predictions import Prediction

ORIGIN_KEY = "original_lang"  # Prediction.extra key: the culture an item's fact comes from


def _where(p: Prediction) -> str | None:
    return p.extra.get("source") if p.extra else None


def _bad(p: Prediction, message: str) -> DataError:
    return DataError(f"{p.model}/{p.task}/{p.lang} item {p.item_id}: {message}", _where(p))


def build_matrices(predictions: Sequence[Prediction]) -> list[PredictionMatrix]:
    """Group predictions by (model, task) in first-seen order and align them by item id."""
    if not predictions:
        return []
    import pandas as pd  # heavy import, only where needed

    frame = pd.DataFrame({
        "model": [p.model for p in predictions],
        "task": [p.task for p in predictions],
        "lang": [p.lang for p in predictions],
        "item_id": [p.item_id for p in predictions],
        "choice": np.fromiter((UNPARSEABLE if p.choice is None else p.choice for p in predictions),
                              dtype=np.int64, count=len(predictions)),
        "gold": np.fromiter((p.gold for p in predictions), dtype=np.int64, count=len(predictions)),
        "k": np.fromiter((p.n_options for p in predictions), dtype=np.int64, count=len(predictions)),
        "origin": [p.extra.get(ORIGIN_KEY, "") if p.extra else "" for p in predictions],
    })
    frame["pos"] = np.arange(len(frame))
    frame["has_scores"] = [p.scores is not None for p in predictions]
    matrices = []
    for (model, task), group in frame.groupby(["model", "task"], sort=False):
        matrices.append(_one_matrix(str(model), str(task), group, predictions))
    return matrices


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
    bad_choice = (choice < UNPARSEABLE) | (choice >= k)
    if bad_choice.any():
        p = predictions[pos[bad_choice.argmax()]]
        raise _bad(p, f"choice {p.choice} is outside 0..{k - 1}")
    bad_gold = (gold < 0) | (gold >= k)
    if bad_gold.any():
        p = predictions[pos[bad_gold.argmax()]]
        raise _bad(p, f"gold {p.gold} is outside 0..{k - 1}")

    langs = tuple(ordered_langs(group["lang"].unique().tolist()))
    lang_index = {lang: i for i, lang in enumerate(langs)}
    rows = group["lang"].map(lang_index).to_numpy()
    item_ids, cols = np.unique(group["item_id"].to_numpy().astype(str), return_inverse=True)
    n_langs, n_items = len(langs), len(item_ids)

    flat = rows * n_items + cols
    seen = np.bincount(flat, minlength=n_langs * n_items)
    if (seen > 1).any():
        dup = int(np.flatnonzero(seen > 1)[0])
        p = predictions[pos[np.flatnonzero(flat == dup)[1]]]
        raise _bad(p, "duplicate prediction for this item")

    choice_m = np.full(n_langs * n_items, UNPARSEABLE, dtype=np.int64)
    gold_m = np.full(n_langs * n_items, -1, dtype=np.int64)
    choice_m[flat], gold_m[flat] = choice, gold
    shape = (n_langs, n_items)
    origins = group["origin"].to_numpy().astype(str)
    origin = None
    if (origins != "").any():  # any language's prediction of an item may say where it comes from
        origin = np.full(n_items, "", dtype=object)
        known = origins != ""
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
    return PredictionMatrix(model, task, k, langs, item_ids, choice_m.reshape(shape),
                            gold_m.reshape(shape), (seen > 0).reshape(shape), origin, scores)
