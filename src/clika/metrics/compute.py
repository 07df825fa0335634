"""Predictions -> tidy MetricRecords (accuracy, ra, en_co, co, agreement, averages, diagnostics).

Per (model, task) all counts the metrics need are columns of one 0/1
indicator matrix F [N, M] (see bootstrap.py): row 0 of the count table is the
point estimate (every item once), rows 1..B the bootstrap resamples. The
formulae of core.py then turn count columns into metric columns for all rows
at once, and bootstrap.percentile_intervals gives every interval in one call.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations
from typing import Callable, Iterable

import numpy as np

from clika.metrics import core
from clika.metrics.bootstrap import percentile_intervals, resampled_counts
from clika.metrics.core import PredictionMatrix
from clika.metrics.diagnostics import diagnostic_records
from clika.metrics.matrix import build_matrices
from clika.metrics.records import MetricRecord
from clika.predictions import Prediction

ProgressFn = Callable[[int, int], None]  # (done, total) over (model, task) groups


@dataclass
class _Column:
    """One metric for one language (or pair), across point + resamples."""

    metric: str
    lang: str
    samples: np.ndarray  # [1 + B]: row 0 = point estimate
    n: int
    note: str | None = None


def compute_metrics(predictions: Iterable[Prediction], *, pivot: str = "en", n_boot: int = 1000,
                    seed: int = 0, pairwise: bool = True,
                    progress: ProgressFn | None = None) -> list[MetricRecord]:
    """All PF/CT metric records for the given predictions (METRICS.md).

    pairwise=False skips the "l1-l2" records (co, co_adj, agreement for every
    pair), keeping everything relative to the pivot.
    """
    matrices = build_matrices(list(predictions))
    records: list[MetricRecord] = []
    for done, m in enumerate(matrices, start=1):
        records.extend(matrix_records(m, pivot=pivot, n_boot=n_boot, seed=seed, pairwise=pairwise))
        if progress is not None:
            progress(done, len(matrices))
    return records


def _indicators(m: PredictionMatrix, pairs: list[tuple[int, int]]) -> np.ndarray:
    """F [N, 2L + 5P]: present, correct per language; n, c1, c2, c12, agree per pair."""
    present, correct = m.present, m.correct
    a = np.array([p[0] for p in pairs], dtype=np.int64)
    b = np.array([p[1] for p in pairs], dtype=np.int64)
    both = present[a] & present[b]
    c1, c2 = correct[a] & present[b], correct[b] & present[a]
    agree = both & (m.choice[a] >= 0) & (m.choice[a] == m.choice[b])
    blocks = [present, correct, both, c1, c2, c1 & c2, agree]
    return np.concatenate(blocks, axis=0).T


def matrix_records(m: PredictionMatrix, *, pivot: str = "en", n_boot: int = 1000, seed: int = 0,
                   pairwise: bool = True) -> list[MetricRecord]:
    n_langs = len(m.langs)
    pivot_row = m.langs.index(pivot) if pivot in m.langs else None
    if pairwise:
        pairs = list(combinations(range(n_langs), 2))
    else:
        pairs = [tuple(sorted((pivot_row, r))) for r in range(n_langs)
                 if pivot_row is not None and r != pivot_row]
    indicators = _indicators(m, pairs)
    point = indicators.sum(axis=0, dtype=np.float64)[None, :]
    counts = np.vstack([point, resampled_counts(indicators, n_boot, seed)]) if n_boot else point

    n_pairs = len(pairs)
    lang_present, lang_correct = counts[:, :n_langs], counts[:, n_langs:2 * n_langs]
    pair_block = counts[:, 2 * n_langs:].reshape(len(counts), 5, n_pairs)
    pn, pc1, pc2, pc12, pagree = (pair_block[:, i, :] for i in range(5))
    left_out = (m.present[[a for a, _ in pairs]] ^ m.present[[b for _, b in pairs]]).sum(axis=1) \
        if pairs else np.zeros(0, dtype=np.int64)

    columns: list[_Column] = []
    acc = core.accuracy_from_counts(lang_correct, lang_present)
    acc_adj = core.adj(acc, m.k)
    for r, lang in enumerate(m.langs):
        n = int(lang_present[0, r])
        columns.append(_Column("accuracy", lang, acc[:, r], n, core.accuracy_reason(n, lang)))
        columns.append(_Column("accuracy_adj", lang, acc_adj[:, r], n, core.accuracy_reason(n, lang)))

    co, co_adj = core.co_from_counts(pn, pc1, pc2, pc12)
    agreement = core.agreement_from_counts(pn, pagree)
    pivot_columns = _pivot_columns(m, pivot, pivot_row, pairs, pn, pc1, pc2, co, co_adj, left_out)
    columns.extend(pivot_columns)
    if pairwise:
        for j, (a, b) in enumerate(pairs):
            l1, l2 = m.langs[a], m.langs[b]
            n, c1, c2 = int(pn[0, j]), int(pc1[0, j]), int(pc2[0, j])
            lo = core.left_out_note(int(left_out[j]), l1, l2)
            label = f"{l1}-{l2}"
            for metric, values in (("co", co), ("co_adj", co_adj)):
                reason = core.co_reason(metric, n, c1, c2, l1, l2)
                columns.append(_Column(metric, label, values[:, j], n, core.join_notes(reason, lo)))
            reason = None if n else f"no items present in both {l1} and {l2}"
            columns.append(_Column("agreement", label, agreement[:, j], n, core.join_notes(reason, lo)))
    columns.extend(_averages(pivot_columns, pivot))
    return _to_records(m, columns, n_boot) + diagnostic_records(m)


def _pivot_columns(m, pivot, pivot_row, pairs, pn, pc1, pc2, co, co_adj, left_out) -> list[_Column]:
    """ra, ra_adj, en_co, en_co_adj for every non-pivot language (lang = that language)."""
    columns: list[_Column] = []
    width = len(pn)
    for r, lang in enumerate(m.langs):
        if lang == pivot:
            continue
        if pivot_row is None:
            for metric in ("ra", "ra_adj", "en_co", "en_co_adj"):
                columns.append(_Column(metric, lang, np.full(width, np.nan), 0,
                                       f"no predictions in the pivot language {pivot}"))
            continue
        j = pairs.index(tuple(sorted((pivot_row, r))))
        # pair columns are (lower row, higher row); orient them as (pivot, lang)
        c_pivot, c_lang = (pc1[:, j], pc2[:, j]) if pivot_row < r else (pc2[:, j], pc1[:, j])
        p_pivot, p_lang = core.accuracy_from_counts(c_pivot, pn[:, j]), core.accuracy_from_counts(c_lang, pn[:, j])
        ra, ra_adj = core.ra_from_accuracies(p_lang, p_pivot, m.k)
        n = int(pn[0, j])
        lo = core.left_out_note(int(left_out[j]), pivot, lang)
        p0 = float(p_pivot[0]) if n else 0.0
        for metric, values in (("ra", ra), ("ra_adj", ra_adj)):
            reason = core.ra_reason(metric, n, p0, m.k, pivot, lang)
            columns.append(_Column(metric, lang, values, n, core.join_notes(reason, lo)))
        for metric, values in (("en_co", co[:, j]), ("en_co_adj", co_adj[:, j])):
            reason = core.co_reason(metric, n, int(c_pivot[0]), int(c_lang[0]), pivot, lang)
            columns.append(_Column(metric, lang, values, n, core.join_notes(reason, lo)))
    return columns


def _averages(pivot_columns: list[_Column], pivot: str) -> list[_Column]:
    """lang "avg": mean over the non-pivot languages where the metric is defined."""
    out = []
    for metric in ("ra", "ra_adj", "en_co", "en_co_adj"):
        cols = [c for c in pivot_columns if c.metric == metric]
        if not cols:
            continue
        defined = [c for c in cols if not np.isnan(c.samples[0])]
        undefined = [c.lang for c in cols if np.isnan(c.samples[0])]
        if not defined:
            out.append(_Column(metric, "avg", np.full(len(cols[0].samples), np.nan), 0,
                               f"undefined in every non-{pivot} language"))
            continue
        # A resample in which an averaged language is undefined makes the average undefined.
        mean = np.stack([c.samples for c in defined], axis=1).mean(axis=1)
        note = f"mean over {len(defined)} non-{pivot} languages"
        if len(defined) < len(cols):
            note += f" of {len(cols)} (undefined: {', '.join(undefined)})"
        out.append(_Column(metric, "avg", mean, len(defined), note))
    return out


def _to_records(m: PredictionMatrix, columns: list[_Column], n_boot: int) -> list[MetricRecord]:
    table = np.stack([c.samples for c in columns], axis=1)  # [1 + B, K]
    point = table[0]
    intervals = percentile_intervals(table[1:]) if n_boot else None
    records = []
    for j, c in enumerate(columns):
        value = float(point[j])
        if np.isnan(value):
            records.append(MetricRecord(m.model, m.task, c.lang, c.metric, None, n=c.n,
                                        note=c.note or "undefined"))
            continue
        low = high = None
        note = c.note
        if intervals is not None:
            if not np.isnan(intervals.low[j]):
                low, high = float(intervals.low[j]), float(intervals.high[j])
            note = core.join_notes(note, intervals.note(j))
        records.append(MetricRecord(m.model, m.task, c.lang, c.metric, value, low, high, c.n, note))
    return records
