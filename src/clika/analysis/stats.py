"""Per-(model, task, lang) statistics with bootstrap replicates, shared by compare and findings.

Every number comes from the metrics core (clika.metrics.compute.estimates), so a model's values and intervals are the
same in every command; the metrics are the registry's compared ones (those with a paired test). The resamples of a
task depend only on the task and its items, so the difference of two models' replicates is a paired difference; two
models whose item sets differ are compared on the items both have (clika.metrics.compute's missing-items rule).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from clika.formatting import format_number
from clika.items import PIVOT, ordered_langs
from clika.metrics.bootstrap import N_BOOT
from clika.metrics.catalog import compared
from clika.metrics.compute import MatrixContext, estimates
from clika.metrics.core import PredictionMatrix
from clika.metrics.estimate import Estimate, to_records
from clika.metrics.flags import QUALIFIES, SOURCE, qualify
from clika.metrics.matrix import build_matrices
from clika.predictions import Prediction


def format_p(p: float | None, n_boot: int, spec: str = ".3g") -> str:
    """A bootstrap p-value as the tables print it: 0 (every replicate on one side) as "<1/(B+1)", the smallest p
    that B replicates resolve, so no table claims p = 0."""
    if p is not None and p == 0 and n_boot > 0:
        return f"<{format(1 / (n_boot + 1), '.2g')}"
    return format_number(p, spec)


def metric_names() -> list[str]:
    return [d.name for d in compared()]


def all_models(stats: dict[str, TaskStats]) -> set[str]:
    return set().union(*(s.models for s in stats.values()))


@dataclass
class ModelSamples:
    """One model on one task: point + replicates [1 + B, L] per metric over ``langs``."""

    matrix: PredictionMatrix
    langs: list[str]
    samples: dict[str, np.ndarray]
    lang_ref: dict[str, str | None] = field(default_factory=dict)  # per metric: its records' lang_ref (the pivot of RA)
    flags: dict[tuple[str, str], tuple[str, ...]] = field(default_factory=dict)  # (metric, lang) -> flags qualifying it


def model_samples(m: PredictionMatrix, *, pivot: str, n_boot: int, seed: int) -> ModelSamples:
    """Every compared metric of one matrix, per language (NaN where it has no value, e.g. RA in the pivot)."""
    langs, names = list(m.langs), metric_names()
    out = {metric: np.full((1 + n_boot, len(langs)), np.nan) for metric in names}
    refs: dict[str, str | None] = {}
    wanted = set(names) | set(SOURCE.values())
    computed = estimates(m, MatrixContext(pivot, n_boot, seed), pairwise=False, metric_names=wanted)
    keyed = [k for k in computed if k.lang in langs and k.aggregate is None and k.stratum is None]
    for k in keyed:
        if k.metric in out:
            out[k.metric][:, langs.index(k.lang)] = k.samples
            refs[k.metric] = k.lang_ref
    # the flags `clika score` puts on these values (clika.metrics.flags), so that a comparison carries them too
    points = [replace(k, estimate=Estimate.of(k.estimate.value, k.estimate.n, flags=k.estimate.flags)) for k in keyed]
    records = qualify(to_records(m.model, m.task, points))
    flags = {(r.metric, r.lang): tuple(f for f in r.flags if f in QUALIFIES) for r in records if r.metric in out}
    return ModelSamples(m, langs, out, refs, {key: f for key, f in flags.items() if f})


@dataclass
class TaskStats:
    """All models on one task: values [model, lang] and boots [model, lang, boot] per metric over the union of
    languages (NaN where a model lacks a language or a metric is undefined)."""

    task: str
    pivot: str
    models: list[str]
    langs: list[str]
    per_model: dict[str, ModelSamples]
    values: dict[str, np.ndarray]
    boots: dict[str, np.ndarray]
    n_boot: int
    seed: int


def task_stats(matrices: list[PredictionMatrix], *, pivot: str = PIVOT, n_boot: int = N_BOOT,
               seed: int = 0) -> TaskStats:
    models = [m.model for m in matrices]
    langs = ordered_langs(lang for m in matrices for lang in m.langs)
    per_model = {m.model: model_samples(m, pivot=pivot, n_boot=n_boot, seed=seed) for m in matrices}
    values, boots = {}, {}
    for metric in metric_names():
        arr = np.full((len(models), len(langs), 1 + n_boot), np.nan)
        for i, name in enumerate(models):
            for j, lang in enumerate(per_model[name].langs):
                arr[i, langs.index(lang)] = per_model[name].samples[metric][:, j]
        values[metric], boots[metric] = arr[:, :, 0], arr[:, :, 1:]
    return TaskStats(matrices[0].task, pivot, models, langs, per_model, values, boots, n_boot, seed)


def build_task_stats(predictions: list[Prediction], *, tasks: list[str] | None = None, langs: list[str] | None = None,
                     pivot: str = PIVOT, n_boot: int = N_BOOT, seed: int = 0) -> tuple[dict[str, TaskStats], list[str]]:
    """TaskStats per task, plus notes on what was left out (a task without the pivot)."""
    kept = [p for p in predictions if (not tasks or p.task in tasks) and (not langs or p.lang in langs)]
    by_task: dict[str, list[PredictionMatrix]] = {}
    for m in build_matrices(kept):
        by_task.setdefault(m.task, []).append(m)
    stats, notes = {}, []
    for task in sorted(by_task):
        matrices = [m for m in by_task[task] if pivot in m.langs]
        if lacking := sorted(m.model for m in by_task[task] if pivot not in m.langs):
            notes.append(f"{task}: left out for {', '.join(lacking)}: no predictions in the pivot language {pivot!r}")
        if matrices:
            stats[task] = task_stats(matrices, pivot=pivot, n_boot=n_boot, seed=seed)
    return stats, notes


@dataclass
class PairSamples:
    """Two models on the items and languages both have: their replicates, paired."""

    a: ModelSamples
    b: ModelSamples
    langs: list[str]
    n_items: int
    note: str | None  # what was left out to pair them, if anything


def paired(stats: TaskStats, model_a: str, model_b: str) -> PairSamples:
    """A's and B's samples on common items and languages (recomputed there when they differ)."""
    a, b = stats.per_model[model_a], stats.per_model[model_b]
    ids_a, ids_b = a.matrix.item_ids, b.matrix.item_ids
    langs = [lang for lang in a.langs if lang in b.langs]
    if ids_a.shape == ids_b.shape and (ids_a == ids_b).all() and langs == a.langs == b.langs:
        return PairSamples(a, b, langs, len(ids_a), None)
    common = np.intersect1d(ids_a, ids_b)
    kw = dict(pivot=stats.pivot, n_boot=stats.n_boot, seed=stats.seed)
    ma, mb = (model_samples(s.matrix.restrict(common).select_langs(langs), **kw) for s in (a, b))
    note = (f"compared on the {len(common)} items and {len(langs)} languages both models have ({model_a}: {len(ids_a)} "
            f"items, {model_b}: {len(ids_b)}; {len(ids_a) + len(ids_b) - 2 * len(common)} item(s) left out)")
    return PairSamples(ma, mb, langs, len(common), note)
