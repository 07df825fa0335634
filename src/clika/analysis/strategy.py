"""Strategy-level summaries: mean change over all registry pairs of one strategy, with paired-bootstrap CIs.

Every (pair, task) delta carries replicates drawn with the task's shared item weights, so a mean over pairs, languages
and tasks is taken replicate by replicate and its percentile interval is the interval of the mean. Example: continued
pretraining on zh -> the mean change of RA in zh ("target"), in the other non-pivot languages ("others"), and their
difference ("target_minus_others").
"""

from __future__ import annotations

import warnings

import numpy as np

from clika.analysis.compare import PairDeltas
from clika.analysis.families import FamilyRegistry
from clika.analysis.stats import metric_names
from clika.items import PIVOT
from clika.metrics.catalog import get_metric
from clika.metrics.estimate import Estimate, Keyed, to_records
from clika.metrics.records import Record

ALL_TASKS = "all"
POOL = "mean of pairs"  # the aggregate of a strategy pool's records


def pooled_mean(points: list[np.ndarray], boots: list[np.ndarray]) -> Estimate:
    """The mean of the finite values in ``points`` (1-D arrays), resample by resample from the matching ``boots``
    rows ((k, B) arrays), with the bootstrap p-value against 0; n = how many values it averages."""
    pts = [np.atleast_1d(p) for p in points if np.size(p)]
    pt = np.concatenate(pts) if pts else np.empty(0)
    keep = np.isfinite(pt)
    if not keep.any():
        return Estimate.of(None, 0)
    bt = np.concatenate([np.atleast_2d(b) for b in boots if np.size(b)], axis=0)
    with warnings.catch_warnings(action="ignore", category=RuntimeWarning):
        samples = np.concatenate([[pt[keep].mean()], np.nanmean(bt[keep], axis=0)])
    return Estimate(samples, int(keep.sum())).tested_vs_zero()


def pooled_record(estimate: Estimate, *, model: str, metric: str, task: str = ALL_TASKS, **identity) -> Record:
    """One pooled value as a Record (through estimate.to_records, the one interval path)."""
    fields = {k: identity.pop(k) for k in ("model_ref", "strategy") if k in identity}
    return to_records(model, task, [Keyed(metric, estimate, **identity)], **fields)[0]


def _scope_rows(d: PairDeltas, metric: str, scope: str, target: str | None, pivot: str):
    """(points [k], boots [k, B]) of one pair-task for a scope."""
    langs = np.array(d.langs)
    is_target, others = langs == target, (langs != pivot) & (langs != target)
    if scope != "target_minus_others":
        mask = {"pivot": langs == pivot, "non_pivot": langs != pivot, "target": is_target, "others": others}[scope]
        return d.delta[metric][mask], d.boot[metric][mask]
    # per pair-task difference of the target and the others' mean
    if not is_target.any() or not others.any():
        return np.empty(0), np.empty((0, d.boot[metric].shape[-1]))
    with warnings.catch_warnings(action="ignore", category=RuntimeWarning):
        pt = d.delta[metric][is_target] - np.nanmean(d.delta[metric][others])
        bt = d.boot[metric][is_target] - np.nanmean(d.boot[metric][others], axis=0)
    return pt, bt


def scope_mean(deltas: list[PairDeltas], metric: str, scope: str, target: str | None, pivot: str) -> Estimate:
    """The mean change of ``metric`` in one scope over pair-tasks, resample by resample (pooled_mean)."""
    parts = [_scope_rows(d, metric, scope, target, pivot) for d in deltas]
    return pooled_mean([p for p, _ in parts], [b for _, b in parts])


def scopes_for(target: str | None, metric: str) -> list[str]:
    scopes = ["target", "others", "target_minus_others"] if target else ["non_pivot"]
    defn = get_metric(metric)  # a per-language metric has a value in the pivot too; a pivot-relative one does not
    return scopes + (["pivot"] if defn is not None and defn.scope == "lang" else [])


def summarise_strategies(deltas: list[PairDeltas], registry: FamilyRegistry, *, pivot: str = PIVOT) -> list[Record]:
    """One record per (strategy, target_lang, metric, scope, task|all) over the registry pairs in ``deltas`` (model
    and strategy: the strategy, lang: the target, stratum: the scope, aggregate POOL, the pairs in the note)."""
    groups: dict[tuple[str, str | None], list[PairDeltas]] = {}
    for d in deltas:
        if d.strategy is not None:  # else an ad-hoc --pair that is not a registry pair
            entry = registry.get(d.model_b)
            groups.setdefault((d.strategy, entry.target_lang if entry else None), []).append(d)
    rows: list[Record] = []
    for (strategy, target), members in sorted(groups.items(), key=lambda kv: (kv[0][0], kv[0][1] or "")):
        for task in [ALL_TASKS, *sorted({d.task for d in members})]:
            chosen = [d for d in members if task in (ALL_TASKS, d.task)]
            names = sorted({f"{d.model_a}:{d.model_b}" for d in chosen})
            keyed = []
            for metric in metric_names():
                for scope in scopes_for(target, metric):
                    estimate = scope_mean(chosen, metric, scope, target, pivot)
                    estimate.note = f"{len(names)} pair{'s' if len(names) != 1 else ''}: {'; '.join(names)}"
                    keyed.append(Keyed(metric, estimate, lang=target, aggregate=POOL, stratum=scope))
            rows += to_records(strategy, task, keyed, strategy=strategy)
    return rows
