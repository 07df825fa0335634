"""Predictions -> Records: every registered metric, as Estimates, through the one step to records.

Per (model, task) all counts the count metrics need are columns of one indicator matrix F [N, M] (bootstrap.py): row 0
of the count table is the point estimate, rows 1..B the resamples; each registered metric turns its counts into values
for all rows at once, "items" metrics add per-item value columns, "matrix" metrics (diagnostics, home_transfer) get
the matrix itself. ``estimates`` is the shared core: `clika score`/`run` make records of it, `clika compare` and
`clika findings` subtract two models' estimates draw by draw (the draws depend only on the task and its items).

Missing items (the one rule): items align by id; an item absent in one language of a pair is left out of that pair's
metrics (noted, flagged "left_out"); a comparison of two models uses the items both have (clika.analysis.stats).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from itertools import combinations

import numpy as np

from clika.items import PIVOT
from clika.metrics import core
from clika.metrics.bootstrap import N_BOOT
from clika.metrics.catalog import metrics_of
from clika.metrics.core import PredictionMatrix
from clika.metrics.estimate import Estimate, Keyed, to_records
from clika.metrics.flags import qualify
from clika.metrics.matrix import build_matrices
from clika.metrics.records import Record
from clika.metrics.registry import LangCounts, MetricDef, PairCounts
from clika.metrics.seeds import count_rows

ProgressFn = Callable[[int, int], None]  # (done, total) over (model, task) groups
_NO_SCORES = "(only letter and cloze runs and lm-eval samples keep them): not available"


@dataclass
class MatrixContext:
    """What a "matrix" metric may need besides the matrix."""

    pivot: str = PIVOT
    n_boot: int = N_BOOT
    seed: int = 0
    item_counts: Mapping[tuple[str, str], int] = field(default_factory=dict)  # (task, lang) -> items in the file
    absent: Sequence[str] = ()  # languages the task expects that the matrix lacks
    cache: dict = field(default_factory=dict)  # shared work of several metrics (e.g. one diagnose() per matrix)


def compute_metrics(predictions: Iterable, *, pivot: str = PIVOT, n_boot: int = N_BOOT, seed: int = 0,
                    pairwise: bool = True, progress: ProgressFn | None = None,
                    expected_langs: Mapping[str, Sequence[str]] | None = None,
                    item_counts: Mapping[tuple[str, str], int] | None = None,
                    resamples: dict | None = None) -> list[Record]:
    """All metric records for the given predictions (docs/metrics.md). pairwise=False skips the metrics of every
    language pair (co, co_adj, agreement). expected_langs (task -> languages, clika.data.coverage): a language a model
    lacks gets a missing_items record with all items missing. item_counts ((task, lang) -> items in the item file):
    missing items are counted against it. resamples: collects each record's resamples by key (estimate.to_records)."""
    matrices = build_matrices(list(predictions))
    records: list[Record] = []
    for done, m in enumerate(matrices, start=1):
        absent = [lang for lang in (expected_langs or {}).get(m.task, ()) if lang not in m.langs]
        ctx = MatrixContext(pivot, n_boot, seed, item_counts or {}, absent)
        # each value carries the diagnostic flags that qualify it (dominant, unparseable, partial)
        records.extend(qualify(to_records(m.model, m.task, estimates(m, ctx, pairwise=pairwise), resamples)))
        if progress is not None:
            progress(done, len(matrices))
    return _flag_chance(records, pivot)


def _flag_chance(records: list[Record], pivot: str) -> list[Record]:
    """A per-language metric with a chance level whose pivot value's interval reaches chance is flagged "chance": RA,
    en-CO and RankC then compare the language with a guesser."""
    per_language = {d.name for d in metrics_of("lang") if d.chance_value is not None}
    for r in records:
        if r.metric in per_language and r.lang == pivot and r.value is not None and r.chance is not None:
            if (r.ci_low if r.ci_low is not None else r.value) <= r.chance:
                r.flags = (*r.flags, "chance")
    return records


def _pair_indicators(m: PredictionMatrix, pairs: list[tuple[int, int]]) -> list[np.ndarray]:
    """n, c1, c2, c12, agree indicators [P, N] of oriented pairs (a, b)."""
    a, b = np.array(pairs, dtype=np.int64).reshape(-1, 2).T
    present, correct = m.present, m.correct
    both = present[a] & present[b]
    c1, c2 = correct[a] & present[b], correct[b] & present[a]
    agree = both & (m.choice[a] >= 0) & (m.choice[a] == m.choice[b])
    return [both, c1, c2, c1 & c2, agree]


def _pair_counts(block: np.ndarray, k: int) -> PairCounts:
    """PairCounts of a block of counts [rows, 5 * P] (n, c1, c2, c12, agree of each pair)."""
    return PairCounts(*np.moveaxis(block.reshape(len(block), 5, -1), 1, 0), k)


def estimates(m: PredictionMatrix, ctx: MatrixContext | None = None, *, pairwise: bool = True,
              metric_names: set[str] | None = None) -> list[Keyed]:
    """Every registered metric of one (model, task): point estimate and resamples (only ``metric_names``: the rest is
    not computed)."""
    ctx = ctx or MatrixContext()
    pivot = ctx.pivot

    def wanted(*scopes: str) -> list[MetricDef]:
        return [d for d in metrics_of(*scopes) if metric_names is None or d.name in metric_names]

    pivot_row = m.langs.index(pivot) if pivot in m.langs else None
    pivot_pairs = [(pivot_row, r) for r in range(len(m.langs)) if pivot_row is not None and r != pivot_row]
    all_pairs = list(combinations(range(len(m.langs)), 2)) if pairwise and wanted("pair") else []
    items_defs = wanted("items") if pivot_pairs else []
    lang_block, pivot_block, pair_block, *items_blocks = _count_table(m, ctx, pivot_pairs, all_pairs, items_defs)

    lang_counts = LangCounts(*np.split(lang_block, 2, axis=1), m.k, m.task)
    out: list[Keyed] = []
    for defn in wanted("lang"):
        out += _keyed(defn, lang_counts, [(lang,) for lang in m.langs], [(lang, None) for lang in m.langs])
    pivot_out: list[Keyed] = []
    pair_labels = [(pivot, m.langs[b]) for _, b in pivot_pairs]
    pivot_counts, pivot_left_out = _pair_counts(pivot_block, m.k), _left_out(m, pivot_pairs)
    for defn in wanted("pivot"):
        if not pivot_pairs:  # no predictions in the pivot language
            note = f"no predictions in the pivot language {pivot}"
            pivot_out += [Keyed(defn.name, Estimate(np.full(len(lang_block), np.nan), 0, note=note), lang, pivot)
                          for lang in m.langs if lang != pivot]
            continue
        pivot_out += _keyed(defn, pivot_counts, pair_labels, [(b, a) for a, b in pair_labels], pivot_left_out)
    for defn, block in zip(items_defs, items_blocks):
        total, defined = np.split(block, 2, axis=1)
        values = core.ratio(total, defined)
        for j, (a, b) in enumerate(pair_labels):
            n = int(defined[0, j])
            note = None if n else f"no item has per-option scores in both {a} and {b} {_NO_SCORES}"
            pivot_out.append(Keyed(defn.name, Estimate(values[:, j], n, _chance(defn, m.k), note), b, a))
    out += pivot_out
    if all_pairs:
        labels = [(m.langs[a], m.langs[b]) for a, b in all_pairs]
        pair_counts, left_out = _pair_counts(pair_block, m.k), _left_out(m, all_pairs)
        for defn in wanted("pair"):
            out += _keyed(defn, pair_counts, labels, labels, left_out)
    _mark_item_sets(m, out)
    out += _averages(pivot_out, pivot)
    for defn in wanted("matrix"):
        out += defn.fn(m, ctx)
    return out


def _mark_item_sets(m: PredictionMatrix, keyed: list[Keyed]) -> None:
    """Give each per-language and per-pair value the id of the items present in its language (and lang_ref), so that
    two values with the same n on other items can be told apart (the leaderboard's ranking, --reference)."""
    index = {lang: i for i, lang in enumerate(m.langs)}
    by_place: dict[tuple, str] = {}
    by_mask: dict[bytes, str] = {}  # most languages and pairs share one set of items: digest it once
    for k in keyed:
        if k.lang not in index or (k.lang_ref is not None and k.lang_ref not in index):
            continue
        where = (k.lang, k.lang_ref)
        if where not in by_place:
            present = m.present[index[k.lang]] & (m.present[index[k.lang_ref]] if k.lang_ref else True)
            mask = np.packbits(present).tobytes()
            if mask not in by_mask:
                by_mask[mask] = core.item_set_id(m.item_ids[present])
            by_place[where] = by_mask[mask]
        k.item_set = by_place[where]


def _count_table(m: PredictionMatrix, ctx: MatrixContext, pivot_pairs, all_pairs, items_defs) -> list[np.ndarray]:
    """The counts [1 + B, columns] of each block, from one indicator matrix: present and correct per language; the
    five pair indicators per pivot pair; the same per pair; per "items" metric its summed values and defined mask."""
    blocks = [[m.present, m.correct], _pair_indicators(m, pivot_pairs), _pair_indicators(m, all_pairs)]
    for d in items_defs:  # per-item values and their "defined" mask, summed like counts
        got = [d.fn(m, a, b) for a, b in pivot_pairs]
        blocks.append([np.array([np.where(ok, v, 0.0) for v, ok in got]), np.array([ok for _, ok in got])])
    columns = [np.concatenate([np.asarray(b, dtype=np.float64) for b in block]) for block in blocks]
    counts = count_rows(np.concatenate(columns).T, ctx.n_boot, ctx.seed, m.task)
    return np.split(counts, np.cumsum([len(c) for c in columns])[:-1], axis=1)


def _chance(defn: MetricDef, k: int) -> float | None:
    return defn.chance_value(k) if defn.chance_value else None


def _left_out(m: PredictionMatrix, pairs: list[tuple[int, int]]) -> list[str | None]:
    return [core.left_out_note(int((m.present[a] ^ m.present[b]).sum()), m.langs[a], m.langs[b]) for a, b in pairs]


def _keyed(defn: MetricDef, counts, labels, places, left_out=None) -> list[Keyed]:
    """Keyed estimates of a count metric; places: (lang, lang_ref) of each column."""
    values = np.asarray(defn.fn(counts), dtype=np.float64)
    point = replace(counts, **{f: v[:1] for f, v in vars(counts).items() if isinstance(v, np.ndarray)})
    reasons = defn.why_undefined(point, labels) if defn.why_undefined else [None] * len(places)
    left_out, chance = left_out or [None] * len(places), _chance(defn, counts.k)
    out = []
    for j, (lang, ref) in enumerate(places):
        note, flags = core.join_notes(reasons[j], left_out[j]), ("left_out",) if left_out[j] else ()
        out.append(Keyed(defn.name, Estimate(values[:, j], int(point.n[0, j]), chance, note, flags=flags), lang, ref))
    return out


def _averages(pivot_out: list[Keyed], pivot: str) -> list[Keyed]:
    """aggregate "mean": the mean over the non-pivot languages where the metric is defined."""
    out = []
    for defn in metrics_of("pivot", "items"):
        cols = [c for c in pivot_out if c.metric == defn.name]
        if not defn.average or not cols:
            continue
        defined = [c for c in cols if not np.isnan(c.samples[0])]
        undefined = [c.lang for c in cols if np.isnan(c.samples[0])]
        chance = cols[0].estimate.chance
        if not defined:
            est = Estimate(np.full(len(cols[0].samples), np.nan), 0, chance, f"undefined in every non-{pivot} language")
        else:
            # A resample in which an averaged language is undefined makes the average undefined.
            mean = np.stack([c.samples for c in defined], axis=1).mean(axis=1)
            note = f"mean over {len(defined)} non-{pivot} languages"
            if undefined:
                note += f"; undefined: {', '.join(undefined)} left out"
            est = Estimate(mean, sum(c.estimate.n for c in defined), chance, note)
        out.append(Keyed(defn.name, est, None, pivot, "mean"))
    return out
