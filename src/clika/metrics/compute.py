"""Predictions -> Records: every registered metric, as Estimates, through the one step to records.

Per (model, task) all counts the count metrics need are columns of one indicator matrix
F [N, M] (see bootstrap.py): row 0 of the count table is the point estimate (every item once),
rows 1..B the bootstrap resamples. Each registered metric (registry.py) turns its counts into
values for all rows at once; "items" metrics add per-item value columns to the same matrix;
"matrix" metrics (diagnostics, home_transfer) get the matrix itself. ``estimates`` returns
them all as Keyed Estimates and clika.metrics.estimate.to_records makes the records.

``estimates`` is the shared core: `clika score`/`run` turn it into records, `clika compare` and
`clika findings` subtract two models' estimates draw by draw (the draws depend only on the task
and its items, so they are paired).

Missing items (the one rule): items align by id; an item absent in one language of a pair is
left out of that pair's metrics (the note says how many, the record is flagged "left_out"); a
comparison of two models uses the items both have (clika.analysis.stats).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import combinations

import numpy as np

from clika.items import PIVOT
from clika.metrics import core
from clika.metrics.bootstrap import N_BOOT, resampled_counts
from clika.metrics.catalog import metrics_of
from clika.metrics.core import PredictionMatrix
from clika.metrics.estimate import Estimate, Keyed, to_records
from clika.metrics.flags import qualify
from clika.metrics.matrix import build_matrices
from clika.metrics.records import Record
from clika.metrics.registry import LangCounts, MetricDef, PairCounts

ProgressFn = Callable[[int, int], None]  # (done, total) over (model, task) groups


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
    """All metric records for the given predictions (docs/metrics.md; the registered metrics).

    pairwise=False skips the metrics of every language pair (co, co_adj, agreement),
    keeping everything relative to the pivot. expected_langs (task -> languages, from
    clika.data.coverage): a language a model lacks gets a missing_items record with all
    items missing (the model is partial on the task). item_counts ((task, lang) -> items
    in the item file): missing items are counted against it. resamples: collects the
    resamples of every record that has them, by record key (estimate.to_records).
    """
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
    """A per-language metric with a chance level whose pivot value is not above it (its interval
    reaches chance) is flagged "chance": RA, en-CO and RankC then compare the language with a guesser."""
    per_language = {d.name for d in metrics_of("lang") if d.chance_value is not None}
    for r in records:
        if r.metric in per_language and r.lang == pivot and r.value is not None and r.chance is not None:
            if (r.ci_low if r.ci_low is not None else r.value) <= r.chance:
                r.flags = (*r.flags, "chance")
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


def estimates(m: PredictionMatrix, ctx: MatrixContext | None = None, *, pairwise: bool = True,
              metric_names: set[str] | None = None) -> list[Keyed]:
    """Every registered metric of one (model, task): point estimate and resamples. metric_names:
    only these (the rest is skipped, not computed)."""
    ctx = ctx or MatrixContext()
    pivot, wanted = ctx.pivot, (lambda d: metric_names is None or d.name in metric_names)
    n_langs = len(m.langs)
    pivot_row = m.langs.index(pivot) if pivot in m.langs else None
    pivot_pairs = [(pivot_row, r) for r in range(n_langs) if pivot_row is not None and r != pivot_row]
    all_pairs = list(combinations(range(n_langs), 2)) if pairwise and any(map(wanted, metrics_of("pair"))) else []
    items_defs = [d for d in metrics_of("items") if wanted(d)] if pivot_pairs else []
    counts = _count_table(m, ctx, pivot_pairs, all_pairs, items_defs)
    rows = len(counts)

    lang_counts = LangCounts(counts[:, :n_langs], counts[:, n_langs:2 * n_langs], m.k, m.task)
    at = 2 * n_langs
    pivot_counts = pair_counts = None
    if pivot_pairs:
        pivot_counts = _pair_counts(counts[:, at:at + 5 * len(pivot_pairs)].reshape(rows, 5, -1), m.k)
        at += 5 * len(pivot_pairs)
    if all_pairs:
        pair_counts = _pair_counts(counts[:, at:at + 5 * len(all_pairs)].reshape(rows, 5, -1), m.k)
        at += 5 * len(all_pairs)

    out: list[Keyed] = []
    for defn in filter(wanted, metrics_of("lang")):
        out += _keyed(defn, lang_counts, [(lang,) for lang in m.langs], [(lang, None) for lang in m.langs],
                      [int(x) for x in lang_counts.n[0]], [None] * n_langs, m.k)
    pivot_out: list[Keyed] = []
    non_pivot = [lang for lang in m.langs if lang != pivot]
    pair_labels = [(pivot, m.langs[b]) for _, b in pivot_pairs]
    for defn in filter(wanted, metrics_of("pivot")):
        if pivot_counts is None:  # no predictions in the pivot language
            pivot_out += [Keyed(defn.name, Estimate(np.full(rows, np.nan), 0, note=f"no predictions in the pivot "
                                                    f"language {pivot}"), lang, pivot) for lang in non_pivot]
            continue
        pivot_out += _keyed(defn, pivot_counts, pair_labels, [(b, a) for a, b in pair_labels],
                            [int(x) for x in pivot_counts.n[0]], _left_out(m, pivot_pairs), m.k)
    for defn in items_defs:
        total, defined = counts[:, at:at + len(pivot_pairs)], counts[:, at + len(pivot_pairs):at + 2 * len(pivot_pairs)]
        at += 2 * len(pivot_pairs)
        values = core.ratio(total, defined)
        for j, (a, b) in enumerate(pair_labels):
            n = int(defined[0, j])
            note = None if n else f"no item has per-option scores in both {a} and {b} (only letter and cloze runs " \
                                  "and lm-eval samples keep them): not available"
            pivot_out.append(Keyed(defn.name, Estimate(values[:, j], n, _chance(defn, m.k), note), b, a))
    out += pivot_out
    if pair_counts is not None:
        labels = [(m.langs[a], m.langs[b]) for a, b in all_pairs]
        for defn in filter(wanted, metrics_of("pair")):
            out += _keyed(defn, pair_counts, labels, labels, [int(x) for x in pair_counts.n[0]],
                          _left_out(m, all_pairs), m.k)
    _mark_item_sets(m, out)
    out += _averages(pivot_out, pivot)
    for defn in filter(wanted, metrics_of("matrix")):
        out += defn.fn(m, ctx)
    return out


def _mark_item_sets(m: PredictionMatrix, keyed: list[Keyed]) -> None:
    """Give each per-language and per-pair value the id of the items it is computed on: those present in
    its language (and in lang_ref, for a pair), so that two values with the same n on other items can be
    told apart wherever they meet (the leaderboard's ranking, --reference)."""
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


def _count_table(m: PredictionMatrix, ctx: MatrixContext, pivot_pairs, all_pairs, items_defs) -> np.ndarray:
    """[1 + B, M]: row 0 the counts over every item once, rows 1..B over each resample, of the columns:
    present and correct per language, the five pair indicators per pivot pair and per pair, and per
    "items" metric its summed values and defined mask per pivot pair."""
    blocks = [m.present, m.correct]
    for pairs in (pivot_pairs, all_pairs):
        if pairs:
            blocks += _pair_indicators(m, pairs)
    for d in items_defs:  # per-item values and their "defined" mask, summed like counts
        got = [d.fn(m, a, b) for a, b in pivot_pairs]
        blocks += [np.array([np.where(ok, v, 0.0) for v, ok in got]), np.array([ok for _, ok in got])]
    indicators = np.concatenate([np.asarray(b, dtype=np.float64) for b in blocks], axis=0).T
    point = indicators.sum(axis=0)[None, :]
    return np.vstack([point, resampled_counts(indicators, ctx.n_boot, ctx.seed, m.task)]) if ctx.n_boot else point


def _chance(defn: MetricDef, k: int) -> float | None:
    return defn.chance_value(k) if defn.chance_value else None


def _left_out(m: PredictionMatrix, pairs: list[tuple[int, int]]) -> list[str | None]:
    out = []
    for a, b in pairs:
        n = int((m.present[a] ^ m.present[b]).sum())
        out.append(core.left_out_note(n, m.langs[a], m.langs[b]))
    return out


def _keyed(defn: MetricDef, counts, labels, places, ns, left_out, k: int) -> list[Keyed]:
    """Keyed estimates of a count metric; places: (lang, lang_ref) of each column."""
    values = np.asarray(defn.fn(counts), dtype=np.float64)
    point = type(counts)(**{f: (getattr(counts, f)[:1] if isinstance(getattr(counts, f), np.ndarray)
                                else getattr(counts, f)) for f in counts.__dataclass_fields__})
    reasons = defn.why_undefined(point, labels) if defn.why_undefined else [None] * len(places)
    chance = _chance(defn, k)
    return [Keyed(defn.name, Estimate(values[:, j], ns[j], chance, core.join_notes(reasons[j], left_out[j]),
                                      flags=("left_out",) if left_out[j] else ()), lang, ref)
            for j, (lang, ref) in enumerate(places)]


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
