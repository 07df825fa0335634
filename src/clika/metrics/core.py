"""PF and CT metric formulae, exactly as docs/metrics.md defines them.

Everything is computed from *counts*, so one formula serves the point estimate (every item counted once) and the
bootstrap (items counted with their resample multiplicity): the two can never disagree on a definition. Formulae take
numpy arrays of any shape; undefined values are NaN and the ``*_reason`` helpers say why. In a PredictionMatrix an
unparseable answer has choice -1 and counts as wrong; a missing item is absent (present False) and left out of every
pair that involves it.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace

import numpy as np

UNPARSEABLE = -1


@dataclass(frozen=True)
class PredictionMatrix:
    """All predictions of one model on one task, aligned by item id."""

    model: str
    task: str
    k: int  # number of answer options of the task
    langs: tuple[str, ...]
    item_ids: np.ndarray  # [N] str, sorted (so resampling does not depend on file order)
    choice: np.ndarray  # int [L, N]; -1 = unparseable or missing
    gold: np.ndarray  # int [L, N]; -1 where missing
    present: np.ndarray  # bool [L, N]
    origin: np.ndarray | None = None  # str [N]: the culture an item comes from (x_geo, x_name), "" unknown
    scores: np.ndarray | None = None  # float [L, N, k]: per-option scores (letter / cloze runs), NaN where absent

    @property
    def correct(self) -> np.ndarray:
        """bool [L, N]: answered, present and equal to gold."""
        return self.present & (self.choice >= 0) & (self.choice == self.gold)

    def row(self, lang: str) -> int:
        try:
            return self.langs.index(lang)
        except ValueError:
            raise KeyError(f"{self.model}/{self.task} has no predictions in {lang!r}") from None

    def restrict(self, item_ids: np.ndarray) -> PredictionMatrix:
        """The same predictions on a subset of the items (``item_ids`` sorted, all present here)."""
        cols = np.searchsorted(self.item_ids, item_ids)
        origin = None if self.origin is None else self.origin[cols]
        return replace(self, item_ids=self.item_ids[cols], origin=origin, **self._take(np.s_[:, cols]))

    def select_langs(self, langs) -> PredictionMatrix:
        return replace(self, langs=tuple(langs), **self._take([self.langs.index(lang) for lang in langs]))

    def _take(self, index) -> dict:
        """choice, gold, present and scores indexed by ``index`` (languages, or [:, items])."""
        out = {name: getattr(self, name)[index] for name in ("choice", "gold", "present")}
        return {**out, "scores": None if self.scores is None else self.scores[index]}


def ratio(num, den):
    """num / den, NaN where den <= 0 (without warnings): the one ratio helper of every metric that divides."""
    num, den = np.asarray(num, dtype=np.float64), np.asarray(den, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(den > 0, num / np.where(den > 0, den, 1.0), np.nan)


def adj(p, k: int):
    """Chance-adjusted accuracy: (p - 1/k) / (1 - 1/k)."""
    return (np.asarray(p, dtype=np.float64) - 1.0 / k) / (1.0 - 1.0 / k)


def ra_from_accuracies(p_lang, p_pivot, k: int) -> tuple[np.ndarray, np.ndarray]:
    """(ra, ra_adj) = (p_l / p_pivot, adj(p_l) / adj(p_pivot)); NaN when the denominator <= 0."""
    return ratio(p_lang, p_pivot), ratio(adj(p_lang, k), adj(p_pivot, k))


def co_from_counts(n, c1, c2, c12) -> tuple[np.ndarray, np.ndarray]:
    """(co, co_adj) of a pair from its counts over the n items present in both: co = |C1 ∩ C2| / |C1 ∪ C2|,
    co_adj = (co - e) / (1 - e) with e = p1 p2 / (p1 + p2 - p1 p2), the overlap expected under independence."""
    c1, c2, c12 = (np.asarray(x, dtype=np.float64) for x in (c1, c2, c12))
    co = ratio(c12, c1 + c2 - c12)
    p1, p2 = ratio(c1, n), ratio(c2, n)
    expected = ratio(p1 * p2, p1 + p2 - p1 * p2)
    co_adj = ratio(co - expected, 1.0 - expected)
    # ratio gives NaN for 1 - e <= 0 (both perfect); propagate a NaN co as well.
    return co, np.where(np.isnan(co), np.nan, co_adj)


def accuracy_reason(n: int, lang: str) -> str | None:
    return None if n > 0 else f"no items in {lang}"


def ra_reason(metric: str, n: int, p_pivot: float, k: int, pivot: str, lang: str) -> str | None:
    if n == 0:
        return f"no items present in both {pivot} and {lang}"
    if metric == "ra" and p_pivot <= 0:
        return f"accuracy in {pivot} is 0: ra undefined"
    if metric == "ra_adj" and adj(p_pivot, k) <= 0:
        return f"accuracy in {pivot} ({100 * p_pivot:.1f}%) is at or below chance (1/{k}): ra_adj undefined"
    return None


def co_reason(metric: str, n: int, c1: int, c2: int, l1: str, l2: str) -> str | None:
    if n == 0:
        return f"no items present in both {l1} and {l2}"
    if c1 + c2 == 0:
        return f"neither {l1} nor {l2} answered any item correctly: co undefined"
    if metric.endswith("co_adj") and c1 == n and c2 == n:
        return f"{l1} and {l2} answer every item correctly: no overlap beyond chance is possible"
    return None


def item_set_id(item_ids) -> str:
    """A short id of a set of item ids, whatever their order (a 48-bit digest: a chance collision among a few hundred
    sets is about 1e-10)."""
    text = "\n".join(sorted(str(i) for i in item_ids))
    return hashlib.blake2b(text.encode("utf-8"), digest_size=6).hexdigest()


def left_out_note(left_out: int, l1: str, l2: str) -> str | None:
    return f"{left_out} item(s) left out (missing in {l1} or {l2})" if left_out else None


def join_notes(*notes: str | None) -> str | None:
    return "; ".join(n for n in notes if n) or None
