"""The PF and CT metrics of docs/metrics.md, each one registered definition.

Every function gets counts with one row per bootstrap draw (row 0 = every item once) and
returns values of the same shape, so one formula serves the point estimate and every
resample: the two can never disagree on a definition.
"""

from __future__ import annotations

import numpy as np

from clika.metrics import core
from clika.metrics.registry import LangCounts, PairCounts, metric


def _chance_k(k: int) -> float:
    return 1.0 / k


# ---------------------------------------------------------------- reasons for undefined values

def _why_lang(counts: LangCounts, labels) -> list[str | None]:
    return [core.accuracy_reason(int(n), lang) for n, (lang,) in zip(counts.n[0], labels)]


def _why_ra(adjusted: bool):
    def why(counts: PairCounts, labels) -> list[str | None]:
        out = []
        for j, (pivot, lang) in enumerate(labels):
            n, c1 = int(counts.n[0, j]), int(counts.c1[0, j])
            p_pivot = c1 / n if n else 0.0
            out.append(core.ra_reason("ra_adj" if adjusted else "ra", n, p_pivot, counts.k, pivot, lang))
        return out

    return why


def _why_co(adjusted: bool):
    def why(counts: PairCounts, labels) -> list[str | None]:
        metric = "co_adj" if adjusted else "co"
        return [core.co_reason(metric, int(counts.n[0, j]), int(counts.c1[0, j]), int(counts.c2[0, j]), l1, l2)
                for j, (l1, l2) in enumerate(labels)]

    return why


def _why_agreement(counts: PairCounts, labels) -> list[str | None]:
    return [None if counts.n[0, j] else f"no items present in both {l1} and {l2}" for j, (l1, l2) in enumerate(labels)]


# ---------------------------------------------------------------- PF: performance

@metric("accuracy", label="accuracy", level="PF", scope="lang", order=10,
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


@metric("ra", label="RA", level="PF", scope="pivot", average=True, order=20,
        description="relative accuracy p_l / p_en over the items present in both languages",
        chance="1 when both languages are at chance: RA does not correct for guessing (see ra_adj)",
        why_undefined=_why_ra(False))
def ra(c: PairCounts) -> np.ndarray:
    return core.ra_from_accuracies(c.p2, c.p1, c.k)[0]


@metric("ra_adj", label="RA (adj.)", level="PF", scope="pivot", average=True, order=21,
        description="relative chance-adjusted accuracy adj(p_l) / adj(p_en)",
        chance="undefined when English is at or below chance (the denominator is <= 0)",
        why_undefined=_why_ra(True))
def ra_adj(c: PairCounts) -> np.ndarray:
    return core.ra_from_accuracies(c.p2, c.p1, c.k)[1]


# ---------------------------------------------------------------- CT: consistency

@metric("en_co", label="en-CO", level="CT", scope="pivot", average=True, order=30,
        description="overlap of correct answers with English: |C_en ∩ C_l| / |C_en ∪ C_l|",
        chance="grows with accuracy even for independent errors (at chance: about p/(2-p)); "
               "a model answering one option always gets it for free (see dominant_option_flag)",
        why_undefined=_why_co(False))
def en_co(c: PairCounts) -> np.ndarray:
    return core.co_from_counts(c.n, c.c1, c.c2, c.c12)[0]


@metric("en_co_adj", label="en-CO (adj.)", level="CT", scope="pivot", average=True, order=31,
        description="en-CO corrected for the overlap expected if correctness were independent: (co - e) / (1 - e)",
        chance="0 when correctness in the two languages is independent", chance_value=lambda k: 0.0,
        why_undefined=_why_co(True))
def en_co_adj(c: PairCounts) -> np.ndarray:
    return core.co_from_counts(c.n, c.c1, c.c2, c.c12)[1]


@metric("co", label="CO", level="CT", scope="pair", order=40,
        description="overlap of correct answers of two languages |C_1 ∩ C_2| / |C_1 ∪ C_2|",
        chance="grows with both accuracies even for independent errors", why_undefined=_why_co(False))
def co(c: PairCounts) -> np.ndarray:
    return core.co_from_counts(c.n, c.c1, c.c2, c.c12)[0]


@metric("co_adj", label="CO (adj.)", level="CT", scope="pair", order=41,
        description="CO corrected for the overlap expected under independence", chance="0 under independence",
        chance_value=lambda k: 0.0, why_undefined=_why_co(True))
def co_adj(c: PairCounts) -> np.ndarray:
    return core.co_from_counts(c.n, c.c1, c.c2, c.c12)[1]


@metric("agreement", label="agreement", level="CT", scope="pair", order=42,
        description="share of items where the same option was chosen in both languages, right or wrong",
        chance="1/k for two independent uniform guessers; 1 for a model that always answers one option",
        chance_value=_chance_k, why_undefined=_why_agreement)
def agreement(c: PairCounts) -> np.ndarray:
    return core.agreement_from_counts(c.n, c.agree)
