"""Does a training strategy raise natural transfer (home_transfer), pair by pair?

For every (base -> derived) pair on a task whose items carry their culture (x_geo, x_name), the
change of the model's overall home_transfer (its mean over every (S, L): among items native to S
answered correctly in S, the share also right in L) with a paired bootstrap interval: both models
on the items and languages they share, drawn by the metrics core's task-keyed resampler, so the
difference is paired. Strategy means are taken resample by resample. home_transfer is a proxy for
the conductivity of naturally acquired knowledge (ECLeKTic-style), not XRR.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

from clika.analysis.stats import TaskStats
from clika.analysis.strategy import Pooled, summarise
from clika.metrics.compute import MatrixContext
from clika.metrics.home_transfer import home_transfer

STRATEGY_WORDS = {
    "continued_pretraining": "continued pretraining",
    "mixed_multilingual_pretraining": "mixed multilingual pretraining",
    "instruction_tuning_en": "English instruction tuning",
    "instruction_tuning_multilingual": "multilingual instruction tuning",
}


@dataclass
class TransferDelta:
    model_a: str
    model_b: str
    strategy: str | None
    task: str
    delta: float | None
    samples: np.ndarray  # [B] resampled deltas
    pooled: Pooled


def _avg_samples(matrix, n_boot: int, seed: int) -> np.ndarray | None:
    for k in home_transfer(matrix, MatrixContext(n_boot=n_boot, seed=seed)):
        if k.lang is None and k.aggregate == "mean":
            return k.samples
    return None


def transfer_deltas(stats: dict[str, TaskStats], pairs: list[tuple[str, str, str | None]]) -> list[TransferDelta]:
    out = []
    for task, s in sorted(stats.items()):
        for a, b, strategy in pairs:
            if a not in s.models or b not in s.models:
                continue
            ma, mb = s.per_model[a].matrix, s.per_model[b].matrix
            if ma.origin is None or mb.origin is None:
                continue
            common = np.intersect1d(ma.item_ids, mb.item_ids)
            langs = [lang for lang in ma.langs if lang in mb.langs]
            ma, mb = ma.restrict(common).select_langs(langs), mb.restrict(common).select_langs(langs)
            sa, sb = _avg_samples(ma, s.n_boot, s.seed), _avg_samples(mb, s.n_boot, s.seed)
            if sa is None or sb is None:
                continue
            diff = sb - sa
            point = float(diff[0]) if np.isfinite(diff[0]) else None
            out.append(TransferDelta(a, b, strategy, task, point, diff[1:], summarise(diff[0], diff[1:], 1)))
    return out


def by_strategy(deltas: list[TransferDelta]) -> dict[str, Pooled]:
    """Mean change over the pairs and tasks of each strategy, resample by resample."""
    groups: dict[str, list[TransferDelta]] = {}
    for d in deltas:
        if d.strategy in STRATEGY_WORDS:
            groups.setdefault(d.strategy, []).append(d)
    out = {}
    for strategy, group in groups.items():
        points = np.array([np.nan if d.delta is None else d.delta for d in group])
        keep = np.isfinite(points)
        if not keep.any():
            continue
        boots = np.stack([d.samples for d, k in zip(group, keep) if k])
        with np.errstate(invalid="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # a resample with no defined delta: NaN, withheld below
            out[strategy] = summarise(float(points[keep].mean()), np.nanmean(boots, axis=0), int(keep.sum()))
    return out
