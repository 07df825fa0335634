"""Does a training strategy raise natural transfer (home_transfer), pair by pair?

For every (base -> derived) pair on a task whose items carry their culture (x_geo, x_name), the change of the model's
overall home_transfer (clika.metrics.home_transfer) with a paired bootstrap interval: both models on the items and
languages they share, drawn by the task-keyed resampler. Strategy means are taken resample by resample.
"""

from __future__ import annotations

import numpy as np

from clika.analysis.stats import TaskStats
from clika.analysis.strategy import POOL, pooled_mean, pooled_record
from clika.metrics.compute import MatrixContext
from clika.metrics.core import item_set_id
from clika.metrics.estimate import Estimate
from clika.metrics.home_transfer import home_transfer
from clika.metrics.records import Record

STRATEGY_WORDS = {"continued_pretraining": "continued pretraining",
                  "mixed_multilingual_pretraining": "mixed multilingual pretraining",
                  "instruction_tuning_en": "English instruction tuning",
                  "instruction_tuning_multilingual": "multilingual instruction tuning"}


def transfer_deltas(stats: dict[str, TaskStats],
                    pairs: list[tuple[str, str, str | None]]) -> list[tuple[Record, Estimate]]:
    """Per pair and task whose items carry their culture: the change of overall home_transfer as a Record (model B,
    model_ref A, the pair's strategy) and its Estimate."""
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
            ctx = MatrixContext(n_boot=s.n_boot, seed=s.seed)
            sa, sb = (next((k.samples for k in home_transfer(m.restrict(common).select_langs(langs), ctx)
                            if k.lang is None and k.aggregate == "mean"), None) for m in (ma, mb))
            if sa is None or sb is None:
                continue
            diff = Estimate(sb - sa, len(common)).tested_vs_zero()
            identity = dict(model=b, model_ref=a, strategy=strategy, task=task, item_set=item_set_id(common))
            out.append((pooled_record(diff, metric="home_transfer", aggregate="mean", **identity), diff))
    return out


def by_strategy(deltas: list[tuple[Record, Estimate]]) -> dict[str, Record]:
    groups: dict[str, list[tuple[Record, Estimate]]] = {}
    for r, e in deltas:
        if r.strategy in STRATEGY_WORDS and r.value is not None:
            groups.setdefault(r.strategy, []).append((r, e))
    out = {}
    for strategy, group in groups.items():
        pooled = pooled_mean([np.array([e.samples[0]]) for _, e in group], [e.samples[1:][None] for _, e in group])
        out[strategy] = pooled_record(pooled, model=strategy, strategy=strategy, metric="home_transfer", aggregate=POOL)
    return out
