"""Predictions -> tidy MetricRecords: every registered metric, with its bootstrap interval.

Per (model, task) all counts the metrics need are columns of one 0/1 indicator matrix
F [N, M] (see bootstrap.py): row 0 of the count table is the point estimate (every item
once), rows 1..B the bootstrap resamples. Each registered metric (registry.py) turns its
counts into values for all rows at once, and bootstrap.percentile_intervals gives every
interval in one call.

``matrix_columns`` is the shared core: `clika score`/`run` turn its columns into records,
`clika compare` and `clika findings` subtract two models' columns draw by draw (the draws
depend only on the task and its items, so they are paired).

Missing items (the one rule): items align by id; an item absent in one language of a pair
is left out of that pair's metrics (and the note says how many); a comparison of two
models uses the items both have (clika.analysis.stats).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from itertools import combinations

import numpy as np

from clika.items import PIVOT
from clika.metrics import core
from clika.metrics.bootstrap import N_BOOT, percentile_intervals, resampled_counts
from clika.metrics.catalog import get_metric, metrics_of
from clika.metrics.core import PredictionMatrix
from clika.metrics.diagnostics import diagnostic_records
from clika.metrics.matrix import build_matrices
from clika.metrics.records import MetricRecord
from clika.metrics.registry import LangCounts, MetricDef, PairCounts
from clika.metrics.transfer import home_transfer_records

ProgressFn = Callable[[int, int], None]  # (done, total) over (model, task) groups


@dataclass
class MetricColumn:
    """One metric for one language (or pair), across point + resamples."""

    metric: str
    lang: str
    samples: np.ndarray  # [1 + B]: row 0 = point estimate
    n: int
    note: str | None = None

    @property
    def value(self) -> float | None:
        v = float(self.samples[0])
        return None if np.isnan(v) else v


def compute_metrics(predictions: Iterable, *, pivot: str = PIVOT, n_boot: int = N_BOOT, seed: int = 0,
                    pairwise: bool = True, progress: ProgressFn | None = None,
                    expected_langs: Mapping[str, Sequence[str]] | None = None,
                    item_counts: Mapping[tuple[str, str], int] | None = None) -> list[MetricRecord]:
    """All metric records for the given predictions (docs/metrics.md; the registered metrics).

    pairwise=False skips the "l1-l2" records (co, co_adj, agreement for every pair),
    keeping everything relative to the pivot. expected_langs (task -> languages, from
    clika.data.coverage): a language a model lacks gets a missing_items record with all
    items missing (the model is partial on the task). item_counts ((task, lang) -> items
    in the item file): missing items are counted against it.
    """
    matrices = build_matrices(list(predictions))
    records: list[MetricRecord] = []
    for done, m in enumerate(matrices, start=1):
        columns = matrix_columns(m, pivot=pivot, n_boot=n_boot, seed=seed, pairwise=pairwise)
        records.extend(columns_to_records(m, columns, n_boot))
        if m.origin is not None:
            records.extend(home_transfer_records(m, m.origin, n_boot=n_boot, seed=seed))
        absent = [lang for lang in (expected_langs or {}).get(m.task, ()) if lang not in m.langs]
        records.extend(diagnostic_records(m, item_counts, absent))
        if progress is not None:
            progress(done, len(matrices))
    return records


def _pair_indicators(m: PredictionMatrix, pairs: list[tuple[int, int]]) -> list[np.ndarray]:
    """n, c1, c2, c12, agree indicators [P, N] of oriented pairs (a, b)."""
    a = np.array([p[0] for p in pairs], dtype=np.int64)
    b = np.array([p[1] for p in pairs], dtype=np.int64)
    present, correct = m.present, m.correct
    both = present[a] & present[b]
    c1, c2 = correct[a] & present[b], correct[b] & present[a]
    agree = both & (m.choice[a] >= 0) & (m.choice[a] == m.choice[b])
    return [both, c1, c2, c1 & c2, agree]


def _pair_counts(block: np.ndarray, k: int) -> PairCounts:
    n, c1, c2, c12, agree = (block[:, i, :] for i in range(5))
    return PairCounts(n, c1, c2, c12, agree, k)


def matrix_columns(m: PredictionMatrix, *, pivot: str = PIVOT, n_boot: int = N_BOOT, seed: int = 0,
                   pairwise: bool = True) -> list[MetricColumn]:
    """Every count-based metric of one (model, task), point estimate and resamples."""
    n_langs = len(m.langs)
    pivot_row = m.langs.index(pivot) if pivot in m.langs else None
    pivot_pairs = [(pivot_row, r) for r in range(n_langs) if pivot_row is not None and r != pivot_row]
    all_pairs = list(combinations(range(n_langs), 2)) if pairwise else []
    blocks = [m.present, m.correct]
    for pairs in (pivot_pairs, all_pairs):
        if pairs:
            blocks += _pair_indicators(m, pairs)
    indicators = np.concatenate(blocks, axis=0).T
    point = indicators.sum(axis=0, dtype=np.float64)[None, :]
    counts = np.vstack([point, resampled_counts(indicators, n_boot, seed, m.task)]) if n_boot else point
    rows = len(counts)

    lang_counts = LangCounts(counts[:, :n_langs], counts[:, n_langs:2 * n_langs], m.k)
    at = 2 * n_langs
    pivot_counts = pair_counts = None
    if pivot_pairs:
        pivot_counts = _pair_counts(counts[:, at:at + 5 * len(pivot_pairs)].reshape(rows, 5, -1), m.k)
        at += 5 * len(pivot_pairs)
    if all_pairs:
        pair_counts = _pair_counts(counts[:, at:].reshape(rows, 5, -1), m.k)

    columns: list[MetricColumn] = []
    labels = [(lang,) for lang in m.langs]
    for defn in metrics_of("lang"):
        columns += _columns(defn, lang_counts, labels, [lang for lang in m.langs],
                            [int(x) for x in lang_counts.n[0]], [None] * n_langs)
    non_pivot = [lang for lang in m.langs if lang != pivot]
    pivot_columns: list[MetricColumn] = []
    for defn in metrics_of("pivot"):
        if pivot_counts is None:  # no predictions in the pivot language
            pivot_columns += [MetricColumn(defn.name, lang, np.full(rows, np.nan), 0,
                                           f"no predictions in the pivot language {pivot}") for lang in non_pivot]
            continue
        pairs = [(pivot, m.langs[b]) for _, b in pivot_pairs]
        pivot_columns += _columns(defn, pivot_counts, pairs, [b for _, b in pairs],
                                  [int(x) for x in pivot_counts.n[0]], _left_out(m, pivot_pairs))
    columns += pivot_columns
    if pair_counts is not None:
        pairs = [(m.langs[a], m.langs[b]) for a, b in all_pairs]
        for defn in metrics_of("pair"):
            columns += _columns(defn, pair_counts, pairs, [f"{a}-{b}" for a, b in pairs],
                                [int(x) for x in pair_counts.n[0]], _left_out(m, all_pairs))
    columns += _averages(pivot_columns, pivot)
    return columns


def _left_out(m: PredictionMatrix, pairs: list[tuple[int, int]]) -> list[str | None]:
    out = []
    for a, b in pairs:
        n = int((m.present[a] ^ m.present[b]).sum())
        out.append(core.left_out_note(n, m.langs[a], m.langs[b]))
    return out


def _columns(defn: MetricDef, counts, labels, names, ns, left_out) -> list[MetricColumn]:
    values = np.asarray(defn.fn(counts), dtype=np.float64)
    point = type(counts)(**{f: (getattr(counts, f)[:1] if f != "k" else counts.k)
                            for f in counts.__dataclass_fields__})
    reasons = defn.why_undefined(point, labels) if defn.why_undefined else [None] * len(names)
    return [MetricColumn(defn.name, name, values[:, j], ns[j], core.join_notes(reasons[j], left_out[j]))
            for j, name in enumerate(names)]


def _averages(pivot_columns: list[MetricColumn], pivot: str) -> list[MetricColumn]:
    """lang "avg": mean over the non-pivot languages where the metric is defined."""
    out = []
    for defn in metrics_of("pivot"):
        if not defn.average:
            continue
        cols = [c for c in pivot_columns if c.metric == defn.name]
        if not cols:
            continue
        defined = [c for c in cols if not np.isnan(c.samples[0])]
        undefined = [c.lang for c in cols if np.isnan(c.samples[0])]
        if not defined:
            out.append(MetricColumn(defn.name, "avg", np.full(len(cols[0].samples), np.nan), 0,
                                    f"undefined in every non-{pivot} language"))
            continue
        # A resample in which an averaged language is undefined makes the average undefined.
        mean = np.stack([c.samples for c in defined], axis=1).mean(axis=1)
        note = f"mean over {len(defined)} non-{pivot} languages"
        if undefined:
            note += f"; undefined: {', '.join(undefined)} left out"
        out.append(MetricColumn(defn.name, "avg", mean, sum(c.n for c in defined), note))
    return out


def columns_to_records(m: PredictionMatrix, columns: list[MetricColumn], n_boot: int) -> list[MetricRecord]:
    if not columns:
        return []
    chance = {}
    for c in columns:
        if c.metric not in chance:
            defn = get_metric(c.metric)
            chance[c.metric] = defn.chance_value(m.k) if defn is not None and defn.chance_value else None
    table = np.stack([c.samples for c in columns], axis=1)  # [1 + B, K]
    point = table[0]
    intervals = percentile_intervals(table[1:]) if n_boot else None
    records = []
    for j, c in enumerate(columns):
        value = float(point[j])
        if np.isnan(value):
            records.append(MetricRecord(m.model, m.task, c.lang, c.metric, None, n=c.n, note=c.note or "undefined",
                                        chance=chance[c.metric]))
            continue
        low = high = None
        note = c.note
        if intervals is not None:
            if not np.isnan(intervals.low[j]):
                low, high = float(intervals.low[j]), float(intervals.high[j])
            note = core.join_notes(note, intervals.note(j))
        records.append(MetricRecord(m.model, m.task, c.lang, c.metric, value, low, high, c.n, note,
                                    chance[c.metric]))
    return records
