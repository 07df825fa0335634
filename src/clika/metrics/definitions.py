"""The PF and CT metrics of docs/metrics.md, RankC and upstream's normalised accuracy, each one registered definition.
Every function gets counts with one row per bootstrap draw (row 0 = every item once) and returns values of the same
shape, so one formula serves the point estimate and every resample.
"""

from __future__ import annotations

import numpy as np

from clika.metrics import core
from clika.metrics.registry import LangCounts, PairCounts, metric


def _chance_k(k: int) -> float:
    return 1.0 / k


def _why_lang(counts: LangCounts, labels) -> list[str | None]:
    return [core.accuracy_reason(int(n), lang) for n, (lang,) in zip(counts.n[0], labels)]


def _why_ra(metric: str):
    def why(counts: PairCounts, labels) -> list[str | None]:
        return [core.ra_reason(metric, int(n), int(c1) / int(n) if n else 0.0, counts.k, pivot, lang)
                for n, c1, (pivot, lang) in zip(counts.n[0], counts.c1[0], labels)]

    return why


def _why_co(metric: str):
    def why(counts: PairCounts, labels) -> list[str | None]:
        return [core.co_reason(metric, int(counts.n[0, j]), int(counts.c1[0, j]), int(counts.c2[0, j]), l1, l2)
                for j, (l1, l2) in enumerate(labels)]

    return why


def _why_agreement(counts: PairCounts, labels) -> list[str | None]:
    return [None if counts.n[0, j] else f"no items present in both {l1} and {l2}" for j, (l1, l2) in enumerate(labels)]


@metric("accuracy", label="accuracy", level="PF", scope="lang", order=10, headline=True, paired_test="mcnemar",
        tags=("reference",),
        description="share of the language's items answered correctly (an unparseable answer is wrong)",
        chance="1/k for uniform guessing (k options)", chance_value=_chance_k, why_undefined=_why_lang)
def accuracy(c: LangCounts) -> np.ndarray:
    return c.accuracy


@metric("accuracy_adj", label="accuracy (adj.)", level="PF", scope="lang", order=11,
        description="chance-adjusted accuracy (p - 1/k) / (1 - 1/k): 0 = guessing, 1 = perfect",
        chance="0 for uniform guessing; negative = worse than chance", chance_value=lambda k: 0.0,
        why_undefined=_why_lang)
def accuracy_adj(c: LangCounts) -> np.ndarray:
    return core.adj(c.accuracy, c.k)


@metric("ra", label="RA", level="PF", scope="pivot", average=True, order=20, headline=True, paired_test="bootstrap",
        tags=("rank_tiebreak", "alignment", "reference"),
        description="relative accuracy p_l / p_en over the items present in both languages",
        chance="1 when both languages are at chance: RA does not correct for guessing (see ra_adj)",
        chance_value=lambda k: 1.0, why_undefined=_why_ra("ra"))
def ra(c: PairCounts) -> np.ndarray:
    return core.ra_from_accuracies(c.p2, c.p1, c.k)[0]


@metric("ra_adj", label="RA (adj.)", level="PF", scope="pivot", average=True, order=21,
        description="relative chance-adjusted accuracy adj(p_l) / adj(p_en)",
        chance="undefined when English is at or below chance (the denominator is <= 0)", why_undefined=_why_ra("ra_adj"))
def ra_adj(c: PairCounts) -> np.ndarray:
    return core.ra_from_accuracies(c.p2, c.p1, c.k)[1]


# CT: en-CO is CO with the pivot: one formula each for the two scopes
@metric("co", label="CO", level="CT", scope="pair", order=40,
        description="overlap of correct answers of two languages |C_1 ∩ C_2| / |C_1 ∪ C_2|",
        chance="grows with both accuracies even for independent errors", why_undefined=_why_co("co"))
@metric("en_co", label="en-CO", level="CT", scope="pivot", average=True, order=30, headline=True,
        tags=("rank_key", "alignment", "reference"), paired_test="bootstrap",
        description="overlap of correct answers with English: |C_en ∩ C_l| / |C_en ∪ C_l|",
        chance="grows with accuracy even for independent errors (two independent guessers: c/(2-c), c = 1/k); "
               "a model answering one option always gets it for free (see dominant_option_flag)",
        chance_value=lambda k: (1 / k) / (2 - 1 / k), why_undefined=_why_co("co"))
def en_co(c: PairCounts) -> np.ndarray:
    return core.co_from_counts(c.n, c.c1, c.c2, c.c12)[0]


@metric("co_adj", label="CO (adj.)", level="CT", scope="pair", order=41,
        description="CO corrected for the overlap expected under independence", chance="0 under independence",
        chance_value=lambda k: 0.0, why_undefined=_why_co("co_adj"))
@metric("en_co_adj", label="en-CO (adj.)", level="CT", scope="pivot", average=True, order=31,
        description="en-CO corrected for the overlap expected if correctness were independent: (co - e) / (1 - e)",
        chance="0 when correctness in the two languages is independent", chance_value=lambda k: 0.0,
        why_undefined=_why_co("co_adj"))
def en_co_adj(c: PairCounts) -> np.ndarray:
    return core.co_from_counts(c.n, c.c1, c.c2, c.c12)[1]


@metric("agreement", label="agreement", level="CT", scope="pair", order=42,
        description="share of items where the same option was chosen in both languages, right or wrong",
        chance="1/k for two independent uniform guessers; 1 for a model that always answers one option",
        chance_value=_chance_k, why_undefined=_why_agreement)
def agreement(c: PairCounts) -> np.ndarray:
    return core.ratio(c.agree, c.n)


@metric("rankc", label="RankC", level="CT", scope="items", average=True, order=35, headline=True,
        paired_test="bootstrap",
        description="ranking-based consistency with English (Qi, Fernández and Bisazza 2023), from the per-option "
                    "scores, independent of accuracy: per item, sum over j of w_j * |top-j(en) ∩ top-j(l)| / j with "
                    "softmax weights w_j ∝ exp(k - j + 1), averaged over the items scored in both languages",
        chance="two independent random rankings: sum_j w_j j/k (the expected top-j overlap is j^2/k): 0.63 for "
               "k = 2, 0.38 for 4, 0.31 for 5; not available without per-option scores (generate-mode and upstream "
               "predictions)", chance_value=lambda k: float(_rankc_weights(k) @ np.arange(1, k + 1)) / k)
def rankc(m, a: int, b: int) -> tuple[np.ndarray, np.ndarray]:
    """Per-item RankC of languages a and b of matrix m: (values [N], defined [N])."""
    if m.scores is None:
        return np.zeros(len(m.item_ids)), np.zeros(len(m.item_ids), bool)
    sa, sb = m.scores[a], m.scores[b]
    defined = m.present[a] & m.present[b] & np.isfinite(sa).all(axis=1) & np.isfinite(sb).all(axis=1)
    k = m.k
    positions = [np.argsort(np.argsort(-np.nan_to_num(s, nan=-np.inf), axis=1, kind="stable"), axis=1)
                 for s in (sa, sb)]
    j = np.arange(1, k + 1)
    tops = [p[:, None, :] < j[None, :, None] for p in positions]  # [N, j, option]: option in the top j
    precision = (tops[0] & tops[1]).sum(axis=2) / j  # [N, j]
    return precision @ _rankc_weights(k), defined


def _rankc_weights(k: int) -> np.ndarray:
    """w_j = softmax(k, k - 1, ..., 1): the top of the ranking weighs most (Qi et al. 2023, softmax weights)."""
    order = np.arange(k, 0, -1, dtype=np.float64)
    return np.exp(order) / np.exp(order).sum()


# normalize_res.py of the CLiKA repository: (ceiling, chance) in percent; the ceilings are ChatGPT's English
# accuracies, chance 100/k.
UPSTREAM_NORMALISATION = {"x_csqa": (74.6, 20.0), "x_copa": (96.4, 50.0), "x_name": (92.2, 25.0), "x_geo": (97.0, 25.0)}


def _why_upstream(counts: LangCounts, labels) -> list[str | None]:
    if counts.task not in UPSTREAM_NORMALISATION:
        return [f"upstream normalises only {', '.join(UPSTREAM_NORMALISATION)}"] * len(labels)
    return _why_lang(counts, labels)


@metric("acc_norm_upstream", label="acc (upstream norm.)", level="PF", scope="lang", order=12,
        description="the normalised accuracy of upstream's normalize_res.py: (100 acc - chance) / (ceiling - chance), "
                    "clipped at 0, with ChatGPT's English accuracy as the ceiling (x_csqa 74.6, x_copa 96.4, x_name "
                    "92.2, x_geo 97.0) and chance 100/k",
        chance="0 for uniform guessing (clipped below); can exceed 1 above the ceiling", chance_value=lambda k: 0.0,
        why_undefined=_why_upstream)
def acc_norm_upstream(c: LangCounts) -> np.ndarray:
    if c.task not in UPSTREAM_NORMALISATION:
        return np.full(c.n.shape, np.nan)
    ceiling, chance = UPSTREAM_NORMALISATION[c.task]
    return np.maximum((100.0 * c.accuracy - chance) / (ceiling - chance), 0.0)
