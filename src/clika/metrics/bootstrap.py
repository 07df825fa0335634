"""Paired 95% percentile bootstrap, seeded and vectorised: the one resampler of clika (every command's intervals
and p-values come from here).

Items are resampled jointly across languages: a multiplicity matrix W [B, N] (how often each item is drawn in each
resample) per (model, task); every metric is a ratio of counts, each count a column of a 0/1 indicator matrix F [N, M],
so all counts of all resamples are one product W @ F -> [B, M]. The resamples depend only on (key = the task's name, N,
B, seed), never on the model, the file order or the other models: models scored on the same items share resamples
(which makes `clika compare`'s deltas paired), and two tasks are resampled independently even with equally many items.

A resample in which a metric is undefined (e.g. co without a correct answer) is counted, not silently dropped: above
MAX_UNDEFINED_SHARE undefined resamples the interval is withheld.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

LEVEL = 0.95
N_BOOT = 1000  # resamples unless a caller asks for another number: the one default of every command
# Above this share of undefined resamples a 95% interval of the defined ones no longer describes the distribution.
MAX_UNDEFINED_SHARE = 0.05


@lru_cache(maxsize=32)
def resample_weights(n_items: int, n_boot: int, seed: int, key: str = "") -> np.ndarray:
    """W [B, N] float32: W[b, i] = how many times item i is drawn in resample b (float32 counts W @ F exactly: they
    are integers below 2**24)."""
    rng = np.random.default_rng([seed, zlib.crc32(key.encode("utf-8"))])
    idx = rng.integers(0, n_items, size=(n_boot, n_items))
    flat = idx + (np.arange(n_boot) * n_items)[:, None]
    weights = np.bincount(flat.ravel(), minlength=n_boot * n_items).reshape(n_boot, n_items).astype(np.float32)
    weights.setflags(write=False)  # shared through the cache
    return weights


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
    """Percentile intervals per column of samples [B, K] (NaN = undefined resample): linear interpolation between
    order statistics, as numpy.percentile does, computed for all columns at once over their defined values."""
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


def _zero_crossing(s: np.ndarray, j: int) -> float:
    """The quantile level (0..1) at which the interpolated quantile of the sorted s crosses 0 between
    s[j - 1] <= 0 and s[j] >= 0: numpy's (and percentile_ci's) linear rule, position q (len(s) - 1)."""
    return ((j - 1) + (-s[j - 1]) / (s[j] - s[j - 1])) / (len(s) - 1)


def _columns(boot, axis: int) -> tuple[np.ndarray, tuple[int, ...]]:
    """The resamples on ``axis`` as columns [B, K] float64 (non-finite -> NaN), and the shape of the rest."""
    moved = np.moveaxis(np.asarray(boot, dtype=np.float64), axis, 0)
    return np.where(np.isfinite(moved), moved, np.nan).reshape(moved.shape[0], -1), moved.shape[1:]


def p_value_vs_zero(boot: np.ndarray, axis: int = -1) -> np.ndarray:
    """Two-sided bootstrap p-value of "delta = 0" inverting the percentile interval (percentile_ci), the project's one
    bootstrap p-value: the smallest alpha whose (1 - alpha) interval, from the same replicates and interpolation,
    excludes 0. So p < 0.05 exactly when the 95% interval excludes 0 (a count-based p-value, 2 x the smaller share on
    either side of 0, disagrees with the interpolated interval when 0 falls between the two order statistics the 2.5%
    point interpolates). 0 when every replicate lies on one side (print it as < 1/(B + 1)); NaN where the interval is
    withheld."""
    flat, shape = _columns(boot, axis)
    ordered = np.sort(flat, axis=0)  # NaN last: the m defined values first, as percentile_ci sorts them
    m = np.isfinite(flat).sum(axis=0)
    out = np.full(flat.shape[1], np.nan)
    for k in np.flatnonzero(np.isfinite(percentile_intervals(flat).low)):
        s = ordered[:m[k], k]
        c, g = int(np.sum(s <= 0)), int(np.sum(s < 0))
        # Q(q) <= 0 exactly for q <= q_low; Q(q) >= 0 exactly for q >= q_high (Q: the interpolated quantile)
        q_low = 0.0 if c == 0 else 1.0 if c == len(s) else _zero_crossing(s, c)
        q_high = 1.0 if g == len(s) else 0.0 if g == 0 else _zero_crossing(s, g)
        out[k] = min(1.0, 2 * min(q_low, 1.0 - q_high))
    return out.reshape(shape) if shape else out[0]


def percentile_ci(boot: np.ndarray, axis: int = -1) -> tuple[np.ndarray, np.ndarray]:
    """percentile_intervals over the resamples on ``axis`` of an array of any shape."""
    samples, shape = _columns(boot, axis)
    res = percentile_intervals(samples)
    return res.low.reshape(shape), res.high.reshape(shape)
