"""One estimate type for every metric (PF, CT, CD, home transfer, diagnostics), and the one step from estimates to
records: ``to_records`` computes every interval of a batch in one vectorised call. The resamples travel further only
where an aggregate needs them (the leaderboard's mean over tasks, CD's mean over targets)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from clika.metrics.bootstrap import p_value_vs_zero, percentile_intervals
from clika.metrics.core import join_notes
from clika.metrics.flags import interval_flags
from clika.metrics.records import Record


@dataclass
class Estimate:
    """A value and its resamples: samples [1 + B] (samples[0] the point value, B may be 0), NaN where undefined."""

    samples: np.ndarray
    n: int
    chance: float | None = None
    note: str | None = None
    p_value: float | None = None  # the metric's own test, where it defines one (e.g. binomial vs chance)
    flags: tuple[str, ...] = ()
    exact: tuple[float, float] | None = None  # an exact interval (a share's Clopper-Pearson): used, not resampled

    @classmethod
    def of(cls, value: float | None, n: int, **kw) -> Estimate:
        """A value without resamples (a count, a share of answers, a flag)."""
        return cls(np.array([np.nan if value is None else float(value)]), n, **kw)

    @property
    def value(self) -> float | None:
        v = float(self.samples[0])
        return None if np.isnan(v) else v

    @classmethod
    def mean(cls, estimates: Sequence[Estimate]) -> Estimate:
        """The mean of several estimates (a model's tasks, a run's targets), resample by resample (row b of the mean
        is the mean of their rows b; NaN propagates); without equally many resamples, a point value. n is the count
        behind the mean; note, p_value and an exact interval do not carry over."""
        if not estimates:
            raise ValueError("Estimate.mean of no estimates")
        point = float(np.mean([e.samples[0] for e in estimates]))  # as one would average the values
        widths, samples = {len(e.samples) for e in estimates}, np.array([point])
        if len(widths) == 1 and widths.pop() > 1:
            with np.errstate(invalid="ignore"):
                rest = np.mean(np.stack([np.asarray(e.samples[1:], dtype=np.float64) for e in estimates]), axis=0)
            samples = np.concatenate([[point], rest])
        chances = [e.chance for e in estimates]
        chance = None if any(c is None for c in chances) else float(np.mean(chances))
        return cls(samples, sum(e.n for e in estimates), chance=chance, flags=_union(e.flags for e in estimates))

    def minus(self, other: Estimate) -> Estimate:
        """This estimate minus ``other``, resample by resample (paired: resample b of both was drawn for the same
        units); NaN propagates; without equally many resamples, a point value. n is the smaller n (the units a paired
        difference rests on); chance, note, p_value and an exact interval do not carry over."""
        if len(self.samples) == len(other.samples):
            samples = np.asarray(self.samples, dtype=np.float64) - np.asarray(other.samples, dtype=np.float64)
        else:
            samples = np.array([float(self.samples[0]) - float(other.samples[0])])
        return Estimate(samples, min(self.n, other.n), flags=_union((self.flags, other.flags)))

    def tested_vs_zero(self) -> Estimate:
        """The same estimate with the bootstrap p-value of "value = 0" (bootstrap.p_value_vs_zero; None without
        resamples): for differences and their means."""
        p = p_value_vs_zero(self.samples[1:]) if len(self.samples) > 1 else None
        return replace(self, p_value=float(p) if p is not None and np.isfinite(p) else None)


def _union(flag_lists) -> tuple[str, ...]:
    return tuple(dict.fromkeys(f for flags in flag_lists for f in flags))


@dataclass
class Keyed:
    """An Estimate and where it belongs (the identity fields of its Record)."""

    metric: str
    estimate: Estimate
    lang: str | None = None
    lang_ref: str | None = None
    aggregate: str | None = None
    stratum: str | None = None
    item_set: str | None = None  # the id of the items it is computed on (clika.metrics.core.item_set_id)

    @property
    def samples(self) -> np.ndarray:
        return self.estimate.samples


def to_records(model: str, task: str, keyed: Sequence[Keyed], resamples: dict | None = None, *,
               condition: str | None = None, model_ref: str | None = None, strategy: str | None = None) -> list[Record]:
    """Records of the estimates (of ``task`` under ``condition``; of ``model`` minus ``model_ref`` for a difference;
    about ``strategy`` for a pair or pool), every interval computed in one call. ``resamples`` collects each record's
    resamples (by record key) for aggregates that need them later."""
    if not keyed:
        return []
    width = max(len(k.samples) for k in keyed)
    table = np.full((width - 1, len(keyed)), np.nan)  # the resamples; NaN for an estimate without them
    for j, k in enumerate(keyed):
        if len(k.samples) == width:
            table[:, j] = k.samples[1:]
    intervals = percentile_intervals(table) if width > 1 else None
    ident = {"model": model, "model_ref": model_ref, "strategy": strategy, "task": task, "condition": condition}
    records = []
    for j, k in enumerate(keyed):
        e, value = k.estimate, k.estimate.value
        low, high, note = None, None, e.note
        resampled = intervals is not None and len(k.samples) == width and e.exact is None
        if value is not None and e.exact is not None:
            low, high = e.exact
        elif value is not None and resampled:
            if not np.isnan(intervals.low[j]):
                low, high = float(intervals.low[j]), float(intervals.high[j])
            note = join_notes(note, intervals.note(j))
        partial = resampled and intervals.n_undefined[j] > 0
        flags = _union((e.flags, interval_flags(value, resampled and low is None, partial)))
        place = {f: getattr(k, f) for f in ("metric", "lang", "lang_ref", "aggregate", "stratum", "item_set")}
        record = Record(**ident, **place, value=value, ci_low=low, ci_high=high, n=e.n, chance=e.chance, flags=flags,
                        p_value=e.p_value if value is not None else None,
                        note=note if value is not None else (note or "undefined"))
        records.append(record)
        if resamples is not None and resampled:
            resamples[record.key] = k.samples[1:].astype(np.float32)
    return records
