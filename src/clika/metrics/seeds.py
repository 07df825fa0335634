"""Several seeds of one experiment: the two-level bootstrap and the between-seed spread.

A conductivity seed (clika.conduct.run) draws its own fact set AND its own training run. Resampling the pooled facts
alone treats every fact as independent, although the facts of one seed share one trained model: the training
randomness would not widen the interval at all. The two-level bootstrap resamples the way the data were produced: the
seeds with replacement, then the facts within each drawn seed (a seed drawn twice gives two independent draws).

It yields the same multiplicity matrix W [B, N] as clika.metrics.bootstrap, so every count is still W @ F; with one
seed it IS that resampler (the same draws). Draws depend only on (key, group sizes, B, seed), never on the values, so
models scored on the same seeds' facts stay paired. ``seed_spread``: the min-max of each metric over the seeds' own
records, stated beside the pooled value.
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence

import numpy as np

from clika.metrics.bootstrap import resample_weights
from clika.metrics.records import Record


def two_level_weights(groups: Sequence, n_boot: int, seed: int, key: str = "") -> np.ndarray:
    """W [B, N] float32 over N items labelled by ``groups`` (the seed of each item, any labels, not necessarily
    contiguous): per resample the groups are drawn with replacement, then the items of each drawn group."""
    labels, inverse = np.unique(np.asarray(groups), return_inverse=True)
    n_items = len(inverse)
    if len(labels) <= 1:
        return resample_weights(n_items, n_boot, seed, key)
    rng = np.random.default_rng([seed, zlib.crc32(("seeds/" + key).encode("utf-8"))])
    n_groups = len(labels)
    drawn = rng.integers(0, n_groups, size=(n_boot, n_groups))  # which seeds each resample draws
    copies = np.zeros((n_boot, n_groups), dtype=np.int64)
    np.add.at(copies, (np.repeat(np.arange(n_boot), n_groups), drawn.ravel()), 1)
    weights = np.zeros(n_boot * n_items, dtype=np.int64)
    for g in range(n_groups):  # per group: one row of within-group draws per copy of the group
        members = np.flatnonzero(inverse == g)
        rows = np.repeat(np.arange(n_boot), copies[:, g])
        picks = members[rng.integers(0, len(members), size=(len(rows), len(members)))]
        np.add.at(weights, (rows[:, None] * n_items + picks).ravel(), 1)
    return weights.reshape(n_boot, n_items).astype(np.float32)


def two_level_counts(indicators: np.ndarray, groups: Sequence, n_boot: int, seed: int, key: str = "") -> np.ndarray:
    """[B, M] float64 counts of each 0/1 indicator column (F [N, M]) in each two-level resample."""
    weights = two_level_weights(groups, n_boot, seed, key)
    return (weights @ np.asarray(indicators).astype(np.float32)).astype(np.float64)


def count_rows(indicators: np.ndarray, n_boot: int, seed: int, key: str = "", groups=None) -> np.ndarray:
    """[1 + B, M] counts of each indicator column: row 0 every item once, then the resamples (two-level when
    ``groups`` labels the items with more than one seed)."""
    point = indicators.sum(axis=0, dtype=np.float64)[None, :]
    if not n_boot:
        return point
    groups = np.zeros(len(indicators)) if groups is None else groups
    return np.vstack([point, two_level_counts(indicators, groups, n_boot, seed, key)])


def seed_spread(per_seed: Sequence[Sequence[Record]]) -> dict[tuple[str, str | None], tuple[float, float, int]]:
    """(metric, stratum) -> (min, max, number of seeds with a value) over the seeds' own records."""
    values: dict[tuple[str, str | None], list[float]] = {}
    for records in per_seed:
        for r in records:
            if r.value is not None and np.isfinite(r.value):
                values.setdefault((r.metric, r.stratum), []).append(float(r.value))
    return {k: (min(v), max(v), len(v)) for k, v in values.items()}


def spread_text(spread: tuple[float, float, int] | None, n_seeds: int) -> str:
    """ "between seeds 0.42-0.58" (and how many seeds had a value, when not all did)."""
    if spread is None:
        return f"no value in any of the {n_seeds} seeds"
    low, high, k = spread
    counted = "" if k == n_seeds else f" ({k} of {n_seeds} seeds have a value)"
    return f"between seeds {low:.3g}–{high:.3g}{counted}"
