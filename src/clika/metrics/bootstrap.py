"""Paired 95% percentile bootstrap, seeded and vectorised.

Items are resampled jointly across languages: one index matrix [B, N] per
(model, task), turned into a multiplicity matrix W [B, N] (how often each item
is drawn in each resample). Every metric is a ratio of counts, and every count
is a column of a 0/1 indicator matrix F [N, M], so all counts of all resamples
are one matrix product W @ F -> [B, M].

The resamples depend only on (N, B, seed), never on the model, the file order
or the other models in the run: the same inputs give the same interval, and
models scored on the same items share resamples (paired across models too).

A resample in which a metric is undefined (e.g. co when the resample drew no
correct answer) is counted, not silently dropped: when more than
MAX_UNDEFINED_SHARE of the resamples are undefined the interval is withheld.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

LEVEL = 0.95
# Above this share of undefined resamples a 95% interval of the defined ones
# would no longer describe the metric's sampling distribution.
MAX_UNDEFINED_SHARE = 0.05


@lru_cache(maxsize=16)
def resample_weights(n_items: int, n_boot: int, seed: int) -> np.ndarray:
    """W [B, N] float32: W[b, i] = how many times item i is drawn in resample b."""
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, n_items, size=(n_boot, n_items))
    flat = idx + (np.arange(n_boot) * n_items)[:, None]
    weights = np.bincount(flat.ravel(), minlength=n_boot * n_items).reshape(n_boot, n_items)
    weights = weights.astype(np.float32)
    weights.setflags(write=False)  # shared through the cache
    return weights


def resampled_counts(indicators: np.ndarray, n_boot: int, seed: int) -> np.ndarray:
    """[B, M] float64 counts of each indicator column in each resample.

    float32 matmul is exact here: the counts are integers below 2**24.
    """
    weights = resample_weights(indicators.shape[0], n_boot, seed)
    return (weights @ indicators.astype(np.float32)).astype(np.float64)


@dataclass(frozen=True)
class Intervals:
    """Percentile intervals of K metrics; NaN where withheld."""

    low: np.ndarray  # [K]
    high: np.ndarray  # [K]
    n_undefined: np.ndarray  # [K] resamples in which the metric was undefined
    n_boot: int

    def note(self, j: int) -> str | None:
        """Words for metric j's undefined resamples, or None when there were none."""
        bad = int(self.n_undefined[j])
        if bad == 0 or self.n_boot == 0:
            return None
        if np.isnan(self.low[j]):
            return f"no interval: undefined in {bad} of {self.n_boot} resamples"
        return f"interval from {self.n_boot - bad} of {self.n_boot} resamples ({bad} undefined)"


def percentile_intervals(samples: np.ndarray, level: float = LEVEL,
                         max_undefined_share: float = MAX_UNDEFINED_SHARE) -> Intervals:
    """Percentile intervals per column of samples [B, K] (NaN = undefined resample).

    Linear interpolation between order statistics, as numpy.percentile does,
    computed for all columns at once over their defined values.
    """
    n_boot, n_metrics = samples.shape
    n_undefined = np.isnan(samples).sum(axis=0)
    if n_boot == 0:
        nan = np.full(n_metrics, np.nan)
        return Intervals(nan, nan.copy(), n_undefined, 0)
    ordered = np.sort(samples, axis=0)  # NaN sorts last
    n_defined = n_boot - n_undefined
    tail = (1.0 - level) / 2.0
    bounds = []
    for q in (tail, 1.0 - tail):
        pos = q * np.maximum(n_defined - 1, 0)
        below = np.floor(pos).astype(np.int64)
        above = np.minimum(below + 1, np.maximum(n_defined - 1, 0))
        frac = pos - below
        lo_val = np.take_along_axis(ordered, below[None, :], axis=0)[0]
        hi_val = np.take_along_axis(ordered, above[None, :], axis=0)[0]
        bounds.append(lo_val + frac * (hi_val - lo_val))
    low, high = bounds
    withheld = (n_defined == 0) | (n_undefined > max_undefined_share * n_boot)
    low, high = np.where(withheld, np.nan, low), np.where(withheld, np.nan, high)
    return Intervals(low, high, n_undefined, n_boot)
