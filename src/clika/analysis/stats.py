"""Per-(model, task, lang) statistics with paired bootstrap replicates, shared by compare and findings.

Predictions of one task become a boolean tensor correct[model, lang, item] over the items present
for every model and language. One bootstrap draw resamples items jointly across languages AND
models (a multinomial weight vector over the items), so that any difference of two models, or of
two languages, is a paired difference. Replicates are matrix products (no per-item Python).
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass

import numpy as np

from clika.errors import DataError
from clika.items import LANGS
from clika.metrics.bootstrap import percentile_intervals
from clika.predictions import Prediction

METRICS = ("accuracy", "ra", "en_co")


@dataclass
class TaskMatrix:
    """correct[m, l, i]: model m answered item i in language l correctly (missing/unparseable = wrong)."""

    task: str
    models: list[str]
    langs: list[str]
    item_ids: list[str]
    correct: np.ndarray
    n_options: int


@dataclass
class TaskStats:
    """Point values [model, lang] and bootstrap replicates [model, lang, boot] of each metric.

    ra and en_co are NaN where undefined (pivot accuracy 0; no item correct in either language).
    """

    matrix: TaskMatrix
    pivot: str
    values: dict[str, np.ndarray]
    boots: dict[str, np.ndarray]

    def model_index(self, model: str) -> int:
        return self.matrix.models.index(model)


def _lang_order(langs: set[str]) -> list[str]:
    return [l for l in LANGS if l in langs] + sorted(langs - set(LANGS))


def build_task_matrices(
    predictions: list[Prediction], *, tasks: list[str] | None = None,
    langs: list[str] | None = None, pivot: str = "en",
) -> tuple[dict[str, TaskMatrix], list[str]]:
    """One TaskMatrix per task, over items and languages every model has; plus warnings saying what was left out."""
    notes: list[str] = []
    by_task: dict[str, list[Prediction]] = {}
    for p in predictions:
        if (tasks is None or p.task in tasks) and (langs is None or p.lang in langs):
            by_task.setdefault(p.task, []).append(p)
    matrices: dict[str, TaskMatrix] = {}
    for task, preds in sorted(by_task.items()):
        models = sorted({p.model for p in preds})
        present = {m: set() for m in models}
        for p in preds:
            present[p.model].add(p.lang)
        common = set.intersection(*present.values())
        dropped = set.union(*present.values()) - common
        if dropped:
            notes.append(f"{task}: languages {', '.join(sorted(dropped))} left out (not present for every model)")
        if pivot not in common:
            notes.append(f"{task}: left out: the pivot language {pivot!r} is missing for some model")
            continue
        task_langs = _lang_order(common)
        keys = {(p.model, p.lang) for p in preds}
        items_per_key: dict[tuple[str, str], set[str]] = {k: set() for k in keys}
        for p in preds:
            items_per_key[(p.model, p.lang)].add(p.item_id)
        all_items = set.union(*items_per_key.values())
        items = set.intersection(*(items_per_key[(m, l)] for m in models for l in task_langs))
        if len(items) < len(all_items):
            notes.append(f"{task}: {len(all_items) - len(items)} of {len(all_items)} items left out "
                         "(missing for some model or language)")
        if not items:
            continue
        item_ids = sorted(items, key=lambda s: (len(s), s))
        m_ix = {m: i for i, m in enumerate(models)}
        l_ix = {l: i for i, l in enumerate(task_langs)}
        i_ix = {it: i for i, it in enumerate(item_ids)}
        correct = np.zeros((len(models), len(task_langs), len(item_ids)), dtype=bool)
        rows = [(m_ix[p.model], l_ix[p.lang], i_ix[p.item_id], p.correct) for p in preds
                if p.lang in l_ix and p.item_id in i_ix]
        arr = np.array(rows, dtype=np.int64).reshape(-1, 4)
        seen = np.zeros(correct.shape, dtype=np.int32)
        np.add.at(seen, (arr[:, 0], arr[:, 1], arr[:, 2]), 1)
        if (seen > 1).any():
            m, l, i = np.argwhere(seen > 1)[0]
            raise DataError(f"{task}: model {models[m]} has item {item_ids[i]} twice in language {task_langs[l]}")
        correct[arr[:, 0], arr[:, 1], arr[:, 2]] = arr[:, 3].astype(bool)
        matrices[task] = TaskMatrix(task, models, task_langs, item_ids, correct, max(p.n_options for p in preds))
    return matrices, notes


def bootstrap_weights(n_items: int, n_boot: int, seed: int, task: str) -> np.ndarray:
    """(n_boot, n_items) resampling counts; seeded per task so a task's numbers don't depend on the others."""
    rng = np.random.default_rng([seed, zlib.crc32(task.encode())])
    return rng.multinomial(n_items, np.full(n_items, 1.0 / n_items), size=n_boot).astype(np.float64)


def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(den > 0, num / np.where(den > 0, den, 1.0), np.nan)


def task_stats(matrix: TaskMatrix, *, n_boot: int = 1000, seed: int = 0, pivot: str = "en") -> TaskStats:
    """accuracy, ra = acc_l / acc_pivot and en_co = |C_pivot ∩ C_l| / |C_pivot ∪ C_l|, with replicates."""
    if n_boot < 1:
        raise DataError(f"n_boot must be at least 1 (got {n_boot})")
    c = matrix.correct.astype(np.float64)
    p = matrix.langs.index(pivot)
    c_pivot = c[:, p : p + 1, :]
    inter, union = c * c_pivot, np.maximum(c, c_pivot)
    n = c.shape[-1]
    weights = bootstrap_weights(n, n_boot, seed, matrix.task)  # (B, N)
    acc, acc_b = c.mean(-1), (c @ weights.T) / n  # (M, L), (M, L, B)
    values = {
        "accuracy": acc,
        "ra": _ratio(acc, acc[:, p : p + 1]),
        "en_co": _ratio(inter.sum(-1), union.sum(-1)),
    }
    boots = {
        "accuracy": acc_b,
        "ra": _ratio(acc_b, acc_b[:, p : p + 1, :]),
        "en_co": _ratio(inter @ weights.T, union @ weights.T),
    }
    return TaskStats(matrix, pivot, values, boots)


def percentile_ci(boot: np.ndarray, axis: int = -1) -> tuple[np.ndarray, np.ndarray]:
    """95% percentile interval over the replicates on ``axis``, by the project's one
    interval rule (clika.metrics.bootstrap): NaN where too many replicates are undefined."""
    moved = np.moveaxis(np.asarray(boot, dtype=np.float64), axis, 0)
    samples = np.where(np.isfinite(moved), moved, np.nan).reshape(moved.shape[0], -1)
    intervals = percentile_intervals(samples)
    return intervals.low.reshape(moved.shape[1:]), intervals.high.reshape(moved.shape[1:])


def bootstrap_p_value(delta_boot: np.ndarray, axis: int = -1) -> np.ndarray:
    """Two-sided percentile-bootstrap p-value for 'delta = 0': 2 * the smaller tail share at 0, capped at 1.

    Tail shares are (count + 1) / (B + 1), so p is never 0: B replicates cannot show p < 2 / (B + 1).
    """
    finite = np.isfinite(delta_boot)
    n = finite.sum(axis)
    with np.errstate(divide="ignore", invalid="ignore"):
        low = (np.where(finite, delta_boot <= 0, False).sum(axis) + 1) / (n + 1)
        high = (np.where(finite, delta_boot >= 0, False).sum(axis) + 1) / (n + 1)
        return np.where(n > 0, np.minimum(1.0, 2 * np.minimum(low, high)), np.nan)
