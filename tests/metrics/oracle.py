"""The scalar, one-value-at-a-time formulas of docs/metrics.md: an oracle the vectorised metrics core
is tested against (this code is not used by clika itself)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from clika.items import PIVOT
from clika.metrics.core import (
    PredictionMatrix,
    accuracy_reason,
    adj,
    co_from_counts,
    co_reason,
    join_notes,
    left_out_note,
    ra_reason,
    ratio,
)  # fmt: skip


@dataclass(frozen=True)
class MetricValue:
    """A point estimate: value None when undefined, note says why (or what was left out)."""

    value: float | None
    n: int
    note: str | None = None


@dataclass(frozen=True)
class PairCounts:
    """Counts over the items present in both languages of a pair."""

    n: int  # items present in both
    left_out: int  # items present in exactly one of the two
    c1: int  # correct in l1
    c2: int  # correct in l2
    c12: int  # correct in both
    agree: int  # same (parseable) option in both


def pair_counts(m: PredictionMatrix, l1: str, l2: str) -> PairCounts:
    a, b = m.row(l1), m.row(l2)
    both = m.present[a] & m.present[b]
    ca, cb = m.correct[a] & both, m.correct[b] & both
    agree = both & (m.choice[a] >= 0) & (m.choice[a] == m.choice[b])
    left_out = int((m.present[a] ^ m.present[b]).sum())
    return PairCounts(int(both.sum()), left_out, int(ca.sum()), int(cb.sum()),
                      int((ca & cb).sum()), int(agree.sum()))


def _value(x) -> float | None:
    x = float(x)
    return None if np.isnan(x) else x


def accuracy(m: PredictionMatrix, lang: str, adjusted: bool = False) -> MetricValue:
    r = m.row(lang)
    n, c = int(m.present[r].sum()), int(m.correct[r].sum())
    p = ratio(c, n)
    return MetricValue(_value(adj(p, m.k) if adjusted else p), n, accuracy_reason(n, lang))


def ra(m: PredictionMatrix, lang: str, pivot: str = PIVOT, adjusted: bool = False) -> MetricValue:
    pc = pair_counts(m, pivot, lang)
    p_pivot, p_lang = ratio(pc.c1, pc.n), ratio(pc.c2, pc.n)
    plain, adjusted_value = (ratio(p_lang, p_pivot), ratio(adj(p_lang, m.k), adj(p_pivot, m.k)))
    metric = "ra_adj" if adjusted else "ra"
    reason = ra_reason(metric, pc.n, float(p_pivot) if pc.n else 0.0, m.k, pivot, lang)
    return MetricValue(_value(adjusted_value if adjusted else plain), pc.n,
                       join_notes(reason, left_out_note(pc.left_out, pivot, lang)))


def co(m: PredictionMatrix, l1: str, l2: str, adjusted: bool = False) -> MetricValue:
    pc = pair_counts(m, l1, l2)
    plain, adjusted_value = co_from_counts(pc.n, pc.c1, pc.c2, pc.c12)
    metric = "co_adj" if adjusted else "co"
    reason = co_reason(metric, pc.n, pc.c1, pc.c2, l1, l2)
    return MetricValue(_value(adjusted_value if adjusted else plain), pc.n,
                       join_notes(reason, left_out_note(pc.left_out, l1, l2)))


def en_co(m: PredictionMatrix, lang: str, pivot: str = PIVOT, adjusted: bool = False) -> MetricValue:
    return co(m, pivot, lang, adjusted)


def agreement(m: PredictionMatrix, l1: str, l2: str) -> MetricValue:
    pc = pair_counts(m, l1, l2)
    reason = None if pc.n else f"no items present in both {l1} and {l2}"
    return MetricValue(_value(ratio(pc.agree, pc.n)), pc.n,
                       join_notes(reason, left_out_note(pc.left_out, l1, l2)))
