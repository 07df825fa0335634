"""Strategy-level summaries: mean change over all registry pairs of one strategy, with paired-bootstrap CIs.

Every (pair, task) delta carries bootstrap replicates drawn with the task's shared item weights, so
a mean over pairs, languages and tasks is taken replicate by replicate and its percentile interval is
the interval of the mean (tasks are resampled independently of each other, pairs jointly).
Example: continued pretraining on zh -> the mean change of RA in zh ("target") and in the other
non-pivot languages ("others"), and their difference ("target_minus_others").
"""

from __future__ import annotations

import warnings
from dataclasses import asdict, dataclass

import numpy as np

from clika.analysis.compare import PairDeltas
from clika.analysis.families import FamilyRegistry
from clika.analysis.stats import metric_names
from clika.items import PIVOT
from clika.metrics.bootstrap import p_value_vs_zero, percentile_ci

ALL_TASKS = "all"


@dataclass
class Pooled:
    """A mean of several deltas/values with its 95% CI and two-sided bootstrap p-value (vs. 0)."""

    mean: float | None
    ci_low: float | None
    ci_high: float | None
    p_value: float | None
    n_values: int
    n_boot: int = 0  # the resamples behind p (p = 0: below what they resolve, printed as < 1/(n_boot + 1))


@dataclass
class StrategySummary:
    strategy: str
    target_lang: str | None
    metric: str
    scope: str  # target | others | target_minus_others | non_pivot | pivot
    task: str  # a task name or "all"
    n_pairs: int
    n_values: int
    mean_delta: float | None
    ci_low: float | None
    ci_high: float | None
    p_value: float | None
    pairs: str  # "a:b; c:d", for traceability

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_row(cls, row: dict) -> StrategySummary:
        """A row of strategy_summary.csv (all strings) as a StrategySummary."""
        def num(key, kind=float):
            return None if row.get(key) in (None, "") else kind(float(row[key]))

        return cls(row["strategy"], row.get("target_lang") or None, row["metric"], row["scope"], row["task"],
                   num("n_pairs", int), num("n_values", int), num("mean_delta"), num("ci_low"), num("ci_high"),
                   num("p_value"), row.get("pairs", ""))


def _f(x) -> float | None:
    return float(x) if x is not None and np.isfinite(x) else None


def pooled_mean(points: list[np.ndarray], boots: list[np.ndarray]) -> tuple[float, np.ndarray | None, int]:
    """(mean, replicates of the mean [B], count) of the finite values in `points` (1-D arrays),
    `boots` holding the matching rows ((k, B) arrays); (nan, None, 0) when there is none."""
    pts = [np.atleast_1d(p) for p in points if np.size(p)]
    if not pts:
        return float("nan"), None, 0
    pt = np.concatenate(pts)
    bt = np.concatenate([np.atleast_2d(b) for b in boots if np.size(b)], axis=0)
    keep = np.isfinite(pt)
    if not keep.any():
        return float("nan"), None, 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return float(pt[keep].mean()), np.nanmean(bt[keep], axis=0), int(keep.sum())


def summarise(mean: float, mean_boot: np.ndarray | None, n_values: int) -> Pooled:
    if mean_boot is None:
        return Pooled(None, None, None, None, 0)
    lo, hi = percentile_ci(mean_boot)
    # the p-value that inverts this interval: p < 0.05 exactly when the 95% CI excludes 0
    return Pooled(_f(mean), _f(lo), _f(hi), _f(p_value_vs_zero(mean_boot)), n_values, len(mean_boot))


def pool(points: list[np.ndarray], boots: list[np.ndarray]) -> Pooled:
    """Mean of the finite values in `points` with its CI and p-value, from the matching `boots` rows."""
    return summarise(*pooled_mean(points, boots))


def _scope_rows(d: PairDeltas, metric: str, scope: str, target: str | None, pivot: str):
    """(points [k], boots [k, B]) of one pair-task for a scope."""
    langs = np.array(d.langs)
    non_pivot = langs != pivot
    if scope == "pivot":
        mask = langs == pivot
    elif scope == "non_pivot":
        mask = non_pivot
    elif scope == "target":
        mask = langs == target
    elif scope == "others":
        mask = non_pivot & (langs != target)
    else:  # target_minus_others: per pair-task difference of the target and the others' mean
        t, o = langs == target, non_pivot & (langs != target)
        if not t.any() or not o.any():
            return np.empty(0), np.empty((0, d.boot[metric].shape[-1]))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            pt = d.delta[metric][t] - np.nanmean(d.delta[metric][o])
            bt = d.boot[metric][t] - np.nanmean(d.boot[metric][o], axis=0)
        return pt, bt
    return d.delta[metric][mask], d.boot[metric][mask]


def scopes_for(target: str | None, metric: str) -> list[str]:
    scopes = ["target", "others", "target_minus_others"] if target else ["non_pivot"]
    from clika.metrics.catalog import get_metric

    defn = get_metric(metric)  # a per-language metric has a value in the pivot too; a pivot-relative one does not
    return scopes + (["pivot"] if defn is not None and defn.scope == "lang" else [])


def summarise_strategies(
    deltas: list[PairDeltas], registry: FamilyRegistry, *, pivot: str = PIVOT,
) -> list[StrategySummary]:
    """One row per (strategy, target_lang, metric, scope, task|all) over the registry pairs in `deltas`."""
    groups: dict[tuple[str, str | None], list[PairDeltas]] = {}
    for d in deltas:
        if d.strategy is None:
            continue  # an ad-hoc --pair that is not a registry pair
        entry = registry.get(d.model_b)
        groups.setdefault((d.strategy, entry.target_lang if entry else None), []).append(d)
    rows: list[StrategySummary] = []
    for (strategy, target), members in sorted(groups.items(), key=lambda kv: (kv[0][0], kv[0][1] or "")):
        tasks = sorted({d.task for d in members})
        for metric in metric_names():
            for scope in scopes_for(target, metric):
                for task in [ALL_TASKS, *tasks]:
                    chosen = [d for d in members if task in (ALL_TASKS, d.task)]
                    parts = [_scope_rows(d, metric, scope, target, pivot) for d in chosen]
                    pooled = pool([p for p, _ in parts], [b for _, b in parts])
                    pair_names = sorted({f"{d.model_a}:{d.model_b}" for d in chosen})
                    rows.append(StrategySummary(
                        strategy, target, metric, scope, task, len(pair_names), pooled.n_values,
                        pooled.mean, pooled.ci_low, pooled.ci_high, pooled.p_value, "; ".join(pair_names),
                    ))
    return rows
