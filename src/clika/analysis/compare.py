"""Paired comparisons of two models (B minus A) per (task, lang), and strategy-level summaries.

Every metric the registry compares (a paired test in its definition) is compared: its delta, and
a p-value and a 95% interval that come from ONE test, the metric's paired test, so that a row
never reads significant by its interval and not by its p-value (or the other way round):
- "mcnemar" (a 0/1 outcome per item, e.g. accuracy): the exact McNemar test (two-sided binomial
  test of the discordant items at 1/2, not mid-p) and the interval that inverts it: the exact
  (Clopper-Pearson) interval of the share of discordant items that B gets right, scaled to the
  delta by the share of discordant items. It is conditional on the number of discordant items,
  as McNemar's test is. The interval excludes 0 exactly when p < 0.05 (at pi = 1/2 the binomial
  is symmetric, so the test's two-sided p is twice its smaller tail: the inversion of that
  interval).
- "bootstrap" (RA, en-CO, RankC): the paired-bootstrap percentile interval and the p-value that
  inverts it (clika.metrics.bootstrap.p_value_vs_zero): p < 0.05 exactly when the interval excludes 0.
``significant`` (the star of every table) is p < ALPHA of that one test.
Pivot-relative metrics are not reported for the pivot language.
Each record also carries both models' own values and intervals, from the metrics core: the same
numbers `clika score` gives for each model (on the items both have).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np
from scipy.stats import binomtest

from clika.analysis.families import FamilyRegistry
from clika.analysis.stats import PairSamples, TaskStats, metric_names, paired
from clika.errors import ConfigError
from clika.metrics.bootstrap import p_value_vs_zero, percentile_ci
from clika.metrics.catalog import get_metric

P_METHOD = {"mcnemar": "mcnemar_exact", "bootstrap": "bootstrap"}  # the registry's paired test -> its record name
ALPHA = 0.05  # the star: p < ALPHA of the row's one test; its interval is the matching 1 - ALPHA one


@dataclass
class Comparison:
    """One tidy comparison record: delta = value_b - value_a."""

    model_a: str
    model_b: str
    task: str
    lang: str
    metric: str
    delta: float | None
    ci_low: float | None
    ci_high: float | None
    p_value: float | None
    p_method: str
    n: int
    value_a: float | None
    value_b: float | None
    strategy: str | None = None
    note: str | None = None
    a_ci_low: float | None = None
    a_ci_high: float | None = None
    b_ci_low: float | None = None
    b_ci_high: float | None = None
    significant: bool | None = None  # p < ALPHA (None: no p-value); the interval excludes 0 exactly then

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, row: dict) -> Comparison:
        """A comparisons.jsonl row as a Comparison (its fields, nothing else)."""
        return cls(**{f: row.get(f) for f in cls.__dataclass_fields__})


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
    """(b_only, a_only, p): exact two-sided binomial test of the discordant counts at 1/2."""
    a_only = int(np.sum(a_correct & ~b_correct))
    b_only = int(np.sum(~a_correct & b_correct))
    if a_only + b_only == 0:
        return b_only, a_only, 1.0
    return b_only, a_only, float(binomtest(b_only, a_only + b_only, 0.5).pvalue)


def mcnemar_interval(b_only: int, a_only: int, n: int, level: float = 1 - ALPHA) -> tuple[float, float]:
    """The interval of delta = (b_only - a_only) / n that inverts the exact McNemar test: the exact
    (Clopper-Pearson) interval of pi = P(B right | discordant), mapped by delta = D / n * (2 pi - 1)
    with D = b_only + a_only discordant items. It excludes 0 exactly when mcnemar_exact's p < 1 - level.
    No discordant item: [0, 0] (conditional on D = 0 the delta is 0, as the test's p = 1 says)."""
    d = b_only + a_only
    if d == 0 or n == 0:
        return 0.0, 0.0
    ci = binomtest(b_only, d, 0.5).proportion_ci(level, method="exact")
    return d / n * (2 * ci.low - 1), d / n * (2 * ci.high - 1)


def _num(x: float) -> float | None:
    return None if x is None or not np.isfinite(x) else float(x)


def pair_deltas(stats: TaskStats, model_a: str, model_b: str, strategy: str | None = None,
                pair: PairSamples | None = None) -> PairDeltas:
    pair = pair or paired(stats, model_a, model_b)
    delta = {m: pair.b.samples[m][0] - pair.a.samples[m][0] for m in metric_names()}
    boot = {m: (pair.b.samples[m][1:] - pair.a.samples[m][1:]).T for m in metric_names()}  # [L, B]
    return PairDeltas(model_a, model_b, strategy, stats.task, pair.langs, delta, boot)


def compare_pair(stats: TaskStats, model_a: str, model_b: str,
                 strategy: str | None = None) -> tuple[list[Comparison], PairDeltas]:
    """All (lang, metric) comparison records of B minus A on one task."""
    pair = paired(stats, model_a, model_b)
    d = pair_deltas(stats, model_a, model_b, strategy, pair)
    out: list[Comparison] = []
    for metric in metric_names():
        test = get_metric(metric).paired_test
        if np.isnan(d.delta[metric]).all() and np.isnan(pair.a.samples[metric][0]).all():
            continue  # the metric has no value for these models (e.g. RankC without per-option scores)
        lo, hi = percentile_ci(d.boot[metric])
        p_boot = p_value_vs_zero(d.boot[metric])
        a_lo, a_hi = percentile_ci(pair.a.samples[metric][1:], axis=0)
        b_lo, b_hi = percentile_ci(pair.b.samples[metric][1:], axis=0)
        for li, lang in enumerate(d.langs):
            if np.isnan(pair.a.samples[metric][0, li]) and np.isnan(pair.b.samples[metric][0, li]) and \
                    lang == stats.pivot:
                continue  # pivot-relative metrics have no value in the pivot language
            notes = [pair.note] if pair.note else []
            if test == "mcnemar":
                ma, mb = pair.a.matrix, pair.b.matrix
                ra_, rb_ = ma.langs.index(lang), mb.langs.index(lang)
                both = ma.present[ra_] & mb.present[rb_]  # the test pairs items both models have here
                b_only, a_only, p = mcnemar_exact(ma.correct[ra_] & both, mb.correct[rb_] & both)
                ci_low, ci_high = mcnemar_interval(b_only, a_only, int(both.sum()))
                notes.append(f"discordant items: {b_only} only B correct, {a_only} only A correct")
                if not (ma.present[ra_] == mb.present[rb_]).all():
                    notes.append(f"McNemar's test and its interval on the {int(both.sum())} items both models "
                                 f"have in {lang}")
            else:
                p, ci_low, ci_high = p_boot[li], lo[li], hi[li]
                if not np.isfinite(d.delta[metric][li]):
                    notes.append("undefined for one model (zero denominator)")
                if np.isnan(ci_low) and np.isfinite(d.delta[metric][li]):
                    notes.append("no interval: the delta is undefined in too many resamples")
            p = _num(p)
            out.append(Comparison(
                model_a, model_b, d.task, lang, metric, _num(d.delta[metric][li]), _num(ci_low), _num(ci_high),
                p, P_METHOD[test], pair.n_items, _num(pair.a.samples[metric][0, li]),
                _num(pair.b.samples[metric][0, li]), strategy, "; ".join(notes) or None,
                _num(a_lo[li]), _num(a_hi[li]), _num(b_lo[li]), _num(b_hi[li]),
                None if p is None else p < ALPHA,
            ))
    return out, d


def resolve_pairs(
    stats: dict[str, TaskStats], registry: FamilyRegistry, requested: list[str] | None,
) -> tuple[list[tuple[str, str, str | None]], list[str]]:
    """(a, b, strategy) to compare: the requested "A:B" pairs, or every registry pair present in the data."""
    present = set().union(*(set(s.models) for s in stats.values())) if stats else set()
    notes: list[str] = []
    if requested:
        pairs = []
        for spec in requested:
            a, sep, b = spec.partition(":")
            if not sep or not a or not b:
                raise ConfigError(f"--pair {spec!r}: expected MODEL_A:MODEL_B")
            for m in (a, b):
                if m not in present:
                    raise ConfigError(f"--pair {spec!r}: model {m!r} has no predictions "
                                      f"(models: {', '.join(sorted(present))})")
            entry = registry.get(b)
            strategy = entry.strategy if entry and entry.base and registry.resolve(a) == entry.base else None
            pairs.append((a, b, strategy))
        return pairs, notes
    # Registry names may differ in spelling from the data's: match on the normalised name.
    by_registry_name = {registry.resolve(m): m for m in present if registry.resolve(m)}
    unknown = sorted(m for m in present if registry.resolve(m) is None)
    if unknown:
        notes.append(f"not in the family registry (no pairs): {', '.join(unknown)}")
    pairs = [(by_registry_name[a], by_registry_name[b], s) for a, b, s in registry.pairs()
             if a in by_registry_name and b in by_registry_name]
    return pairs, notes


def compare_models(
    stats: dict[str, TaskStats], pairs: list[tuple[str, str, str | None]],
) -> tuple[list[Comparison], list[PairDeltas]]:
    """Comparison records for every pair on every task where both models have predictions."""
    records: list[Comparison] = []
    deltas: list[PairDeltas] = []
    for a, b, strategy in pairs:
        for task in sorted(stats):
            s = stats[task]
            if a in s.models and b in s.models:
                recs, d = compare_pair(s, a, b, strategy)
                records += recs
                deltas.append(d)
    return records, deltas
