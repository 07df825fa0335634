"""home_transfer: natural transfer of knowledge from the culture a fact comes from.

x_geo and x_name items carry ``original_lang`` S, the language whose culture the fact comes
from. For a model, a task, S and a query language L != S: among items native to S that the
model answers correctly when asked in S, the share it also answers correctly when asked in L
(docs/metrics.md). It needs no training, so every model has it; it is a proxy for the
conductivity of naturally acquired knowledge (in the spirit of ECLeKTic's transfer score),
not XRR. Records: lang "S>L" (n = items native to S correct in S; null with a note when
none is), per-L averages over S (lang "L") and the overall average ("avg"), each with a
paired bootstrap interval from the project's resampler (the task's items, resampled jointly
across languages, as for every other metric).
"""

from __future__ import annotations

import numpy as np

from clika.metrics.bootstrap import N_BOOT, percentile_intervals, resampled_counts
from clika.metrics.core import PredictionMatrix, ratio
from clika.metrics.records import MetricRecord
from clika.metrics.registry import MetricDef, register_metric

METRIC = "home_transfer"


def home_transfer_columns(m: PredictionMatrix, origin: np.ndarray, *, n_boot: int = N_BOOT,
                          seed: int = 0) -> list[tuple[str, np.ndarray, int, str | None]]:
    """(lang, samples [1 + B], n, note) per "S>L" pair, per query language L and overall ("avg").

    origin [N]: the original language of each item of ``m`` (m.item_ids order; "" unknown).
    The resamples are the task's (the metrics core's keyed draws), so two models on the same
    items share them and their difference is paired."""
    langs = list(m.langs)
    sources = [s for s in langs if (origin == s).any()]
    pairs = [(s, q) for s in sources for q in langs if q != s]
    if not pairs:
        return []
    correct = m.correct
    row = {lang: i for i, lang in enumerate(langs)}
    cols = []
    for s, q in pairs:
        native = origin == s
        in_s = correct[row[s]] & native & m.present[row[q]]
        cols += [in_s, in_s & correct[row[q]]]
    f = np.stack(cols, axis=1)
    point = f.sum(axis=0, dtype=np.float64)[None, :]
    counts = np.vstack([point, resampled_counts(f, n_boot, seed, m.task)]) if n_boot else point
    den, num = counts[:, 0::2], counts[:, 1::2]
    values = ratio(num, den)  # [1 + B, P]

    columns: list[tuple[str, np.ndarray, int, str | None]] = []
    for j, (s, q) in enumerate(pairs):
        n = int(den[0, j])
        note = None if n else f"no item native to {s} is answered correctly in {s}"
        columns.append((f"{s}>{q}", values[:, j], n, note))
    defined = [j for j in range(len(pairs)) if den[0, j] > 0]
    for q in langs:
        js = [j for j in defined if pairs[j][1] == q]
        if js:
            columns.append((q, values[:, js].mean(axis=1), int(den[0, js].sum()),
                            f"mean over {len(js)} source language(s)"))
    if defined:
        columns.append(("avg", values[:, defined].mean(axis=1), int(den[0, defined].sum()),
                        f"mean over {len(defined)} (source, query) pairs"))
    return columns


def home_transfer_records(m: PredictionMatrix, origin: np.ndarray, *, n_boot: int = N_BOOT,
                          seed: int = 0) -> list[MetricRecord]:
    """The home_transfer records of one (model, task) (see home_transfer_columns)."""
    columns = home_transfer_columns(m, origin, n_boot=n_boot, seed=seed)
    if not columns:
        return []
    table = np.stack([c[1] for c in columns], axis=1)
    intervals = percentile_intervals(table[1:]) if n_boot else None
    out = []
    chance = 1.0 / m.k  # a guesser in L is right on 1/k of the items it knows in S
    for j, (lang, samples, n, note) in enumerate(columns):
        value = float(samples[0])
        if np.isnan(value):
            out.append(MetricRecord(m.model, m.task, lang, METRIC, None, None, None, n, note or "undefined", chance))
            continue
        low = high = None
        if intervals is not None and not np.isnan(intervals.low[j]):
            low, high = float(intervals.low[j]), float(intervals.high[j])
        extra = intervals.note(j) if intervals is not None else None
        out.append(MetricRecord(m.model, m.task, lang, METRIC, value, low, high, n,
                                "; ".join(x for x in (note, extra) if x) or None, chance))
    return out


register_metric(MetricDef(
    METRIC, "home transfer", "CD", "transfer",
    "among items native to culture S answered correctly when asked in S, the share also answered correctly when "
    "asked in L (lang \"S>L\"); a proxy for the conductivity of naturally acquired knowledge, not XRR",
    "1/k when L is guessed (k options), whatever is known in S", "higher", order=350,
    chance_value=lambda k: 1.0 / k,
))
