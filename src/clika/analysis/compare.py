"""Paired comparisons of two models (B minus A) per (task, lang).

Every metric with a paired test in its definition is compared: its delta, with a p-value and a 95% interval from ONE
test, so that a row never reads significant by its interval and not by its p-value: "mcnemar" (a 0/1 outcome per item,
e.g. accuracy): the exact McNemar test and the interval that inverts it; "bootstrap" (RA, en-CO, RankC): the
paired-bootstrap percentile interval and the p-value that inverts it. ``significant`` (the star of every table) is
p < ALPHA of that one test. The difference is a Record of model B with model_ref A; both models' own values (what
`clika score` gives on the items both have) are records in the stratum "items shared with" the other.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy.stats import binomtest

from clika.analysis.families import FamilyRegistry
from clika.analysis.stats import PairSamples, TaskStats, all_models, metric_names, paired
from clika.errors import ConfigError
from clika.metrics.catalog import get_metric
from clika.metrics.core import item_set_id
from clika.metrics.estimate import Estimate, Keyed, to_records
from clika.metrics.records import Record

P_METHOD = {"mcnemar": "mcnemar_exact", "bootstrap": "bootstrap"}  # the registry's paired test -> its record name
ALPHA = 0.05  # the star: p < ALPHA of the row's one test; its interval is the matching 1 - ALPHA one


def shared_with(other: str) -> str:
    """The stratum of a model's own value in a comparison: computed on the items it shares with ``other``."""
    return f"items shared with {other}"


def row_test(metric: str) -> str:
    """The one test of a comparison row of ``metric``: "mcnemar_exact" or "bootstrap"."""
    return P_METHOD[get_metric(metric).paired_test]


def significant(r: Record) -> bool | None:
    """The star of a comparison row: p < ALPHA of its one test (None: no p-value)."""
    return None if r.p_value is None else r.p_value < ALPHA


def comparison_rows(records: Sequence[Record]) -> list[tuple[Record, Record | None, Record | None]]:
    """(delta, A's value, B's value) per difference record (model B, model_ref A) of a comparison, in order."""
    own = {(r.model, r.stratum, r.task, r.metric, r.lang): r for r in records if r.model_ref is None}

    def value_of(model: str, other: str, r: Record) -> Record | None:
        return own.get((model, shared_with(other), r.task, r.metric, r.lang))

    deltas = [r for r in records if r.model_ref is not None]
    return [(r, value_of(r.model_ref, r.model, r), value_of(r.model, r.model_ref, r)) for r in deltas]


@dataclass
class PairDeltas:
    """Point deltas [lang] and replicates [lang, boot] of one pair on one task (kept for summaries)."""

    model_a: str
    model_b: str
    strategy: str | None
    task: str
    langs: list[str]
    delta: dict[str, np.ndarray]
    boot: dict[str, np.ndarray] = field(repr=False)


def mcnemar_exact(a_correct: np.ndarray, b_correct: np.ndarray) -> tuple[int, int, float]:
    """(b_only, a_only, p): exact two-sided binomial test of the discordant counts at 1/2 (not mid-p)."""
    a_only = int(np.sum(a_correct & ~b_correct))
    b_only = int(np.sum(~a_correct & b_correct))
    if a_only + b_only == 0:
        return b_only, a_only, 1.0
    return b_only, a_only, float(binomtest(b_only, a_only + b_only, 0.5).pvalue)


def mcnemar_interval(b_only: int, a_only: int, n: int, level: float = 1 - ALPHA) -> tuple[float, float]:
    """The interval of delta = (b_only - a_only) / n that inverts the exact McNemar test: the Clopper-Pearson interval
    of pi = P(B right | discordant), mapped by delta = D / n * (2 pi - 1) with D discordant items (conditional on D,
    as the test is; at pi = 1/2 the binomial is symmetric, so the test's p is twice its smaller tail and the interval
    excludes 0 exactly when p < 1 - level). No discordant item: [0, 0], as the test's p = 1 says."""
    d = b_only + a_only
    if d == 0 or n == 0:
        return 0.0, 0.0
    ci = binomtest(b_only, d, 0.5).proportion_ci(level, method="exact")
    return d / n * (2 * ci.low - 1), d / n * (2 * ci.high - 1)


def _delta_estimate(pair: PairSamples, d: PairDeltas, metric: str, li: int) -> Estimate:
    """B minus A of ``metric`` in language ``li``, with the interval and p of the metric's one paired test."""
    delta, lang = d.delta[metric][li], d.langs[li]
    notes = [pair.note] if pair.note else []
    if get_metric(metric).paired_test != "mcnemar":
        if not np.isfinite(delta):
            notes.append("undefined for one model (zero denominator)")
        samples = np.concatenate([[delta], d.boot[metric][li]])
        return Estimate(samples, pair.n_items, note="; ".join(notes) or None).tested_vs_zero()
    ma, mb = pair.a.matrix, pair.b.matrix
    ra, rb = ma.langs.index(lang), mb.langs.index(lang)
    both = ma.present[ra] & mb.present[rb]  # the test pairs items both models have here
    b_only, a_only, p = mcnemar_exact(ma.correct[ra] & both, mb.correct[rb] & both)
    notes.append(f"discordant items: {b_only} only B correct, {a_only} only A correct")
    if not (ma.present[ra] == mb.present[rb]).all():
        notes.append(f"McNemar's test and its interval on the {int(both.sum())} items both models have in {lang}")
    value = float(delta) if np.isfinite(delta) else None
    exact = mcnemar_interval(b_only, a_only, int(both.sum()))
    return Estimate.of(value, pair.n_items, p_value=p, note="; ".join(notes), exact=exact)


def compare_pair(stats: TaskStats, model_a: str, model_b: str,
                 strategy: str | None = None) -> tuple[list[Record], PairDeltas]:
    """The records of B minus A on one task: per (lang, metric) the difference and both models' own values."""
    pair = paired(stats, model_a, model_b)
    delta = {m: pair.b.samples[m][0] - pair.a.samples[m][0] for m in metric_names()}
    boot = {m: (pair.b.samples[m][1:] - pair.a.samples[m][1:]).T for m in metric_names()}  # [L, B]
    d = PairDeltas(model_a, model_b, strategy, stats.task, pair.langs, delta, boot)
    item_set = item_set_id(pair.a.matrix.item_ids)
    sides = ((model_a, pair.a, model_b), (model_b, pair.b, model_a))
    deltas: list[Keyed] = []
    own: dict[str, list[Keyed]] = {model_a: [], model_b: []}
    for metric in metric_names():
        if np.isnan(d.delta[metric]).all() and np.isnan(pair.a.samples[metric][0]).all():
            continue  # the metric has no value for these models (e.g. RankC without per-option scores)
        lang_ref = pair.a.lang_ref.get(metric) or pair.b.lang_ref.get(metric)
        for li, lang in enumerate(d.langs):
            value_a, value_b = pair.a.samples[metric][0, li], pair.b.samples[metric][0, li]
            if lang == stats.pivot and np.isnan(value_a) and np.isnan(value_b):
                continue  # pivot-relative metrics have no value in the pivot language
            place = dict(lang=lang, lang_ref=None if lang == lang_ref else lang_ref, item_set=item_set)
            flags: list[str] = []
            for model, side, other in sides:
                side_flags = side.flags.get((metric, lang), ())
                flags += side_flags
                estimate = Estimate(side.samples[metric][:, li], pair.n_items, flags=side_flags)
                own[model].append(Keyed(metric, estimate, stratum=shared_with(other), **place))
            estimate = _delta_estimate(pair, d, metric, li)
            estimate.flags = tuple(dict.fromkeys(flags))  # what qualifies either side
            deltas.append(Keyed(metric, estimate, **place))
    records = to_records(model_b, d.task, deltas, model_ref=model_a, strategy=strategy)
    for model, keyed in own.items():
        records += to_records(model, d.task, keyed)
    return records, d


def resolve_pairs(stats: dict[str, TaskStats], registry: FamilyRegistry,
                  requested: list[str] | None) -> tuple[list[tuple[str, str, str | None]], list[str]]:
    """(a, b, strategy) to compare: the requested "A:B" pairs, or every registry pair present in the data."""
    present = all_models(stats)
    if requested:
        pairs = []
        for spec in requested:
            a, sep, b = spec.partition(":")
            if not sep or not a or not b:
                raise ConfigError(f"--pair {spec!r}: expected MODEL_A:MODEL_B")
            if missing := [m for m in (a, b) if m not in present]:
                models = ", ".join(sorted(present))
                raise ConfigError(f"--pair {spec!r}: model {missing[0]!r} has no predictions (models: {models})")
            entry = registry.get(b)
            strategy = entry.strategy if entry and entry.base and registry.resolve(a) == entry.base else None
            pairs.append((a, b, strategy))
        return pairs, []
    # Registry names may differ in spelling from the data's: match on the normalised name.
    by_registry_name = {registry.resolve(m): m for m in present if registry.resolve(m)}
    unknown = sorted(m for m in present if registry.resolve(m) is None)
    notes = [f"not in the family registry (no pairs): {', '.join(unknown)}"] if unknown else []
    known = [(a, b, s) for a, b, s in registry.pairs() if a in by_registry_name and b in by_registry_name]
    return [(by_registry_name[a], by_registry_name[b], s) for a, b, s in known], notes


def compare_models(stats: dict[str, TaskStats],
                   pairs: list[tuple[str, str, str | None]]) -> tuple[list[Record], list[PairDeltas]]:
    """Comparison records for every pair on every task where both models have predictions."""
    tasks = sorted(stats)
    done = [compare_pair(stats[t], a, b, s) for a, b, s in pairs for t in tasks if {a, b} <= set(stats[t].models)]
    return [r for records, _ in done for r in records], [d for _, d in done]
