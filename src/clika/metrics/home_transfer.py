"""home_transfer: natural transfer of knowledge from the culture a fact comes from.

x_geo and x_name items carry ``original_lang`` S, the language whose culture the fact comes from. For a model, a task,
S and a query language L != S: among items native to S answered correctly when asked in S, the share also answered
correctly when asked in L (docs/metrics.md). It needs no training, so every model has it: a proxy for the conductivity
of naturally acquired knowledge (in the spirit of ECLeKTic's transfer score), not XRR.
"""

from __future__ import annotations

import numpy as np

from clika.metrics.core import PredictionMatrix, ratio
from clika.metrics.estimate import Estimate, Keyed
from clika.metrics.registry import MetricDef, register_metric
from clika.metrics.seeds import count_rows

METRIC = "home_transfer"


def home_transfer(m: PredictionMatrix, ctx) -> list[Keyed]:
    """Per (S, L): lang L, lang_ref S (n = items native to S correct in S); per L the mean over its sources and
    overall the mean over every (S, L) pair (aggregate "mean"). The resamples are the task's, so two models on the
    same items share them and their difference is paired."""
    if m.origin is None:
        return []
    origin, langs = m.origin, list(m.langs)
    sources = [s for s in langs if (origin == s).any()]
    pairs = [(s, q) for s in sources for q in langs if q != s]
    if not pairs:
        return []
    correct = m.correct
    row = {lang: i for i, lang in enumerate(langs)}
    cols = []
    for s, q in pairs:
        in_s = correct[row[s]] & (origin == s) & m.present[row[q]]
        cols += [in_s, in_s & correct[row[q]]]
    counts = count_rows(np.stack(cols, axis=1), ctx.n_boot, ctx.seed, m.task)
    den, num = counts[:, 0::2], counts[:, 1::2]
    values = ratio(num, den)  # [1 + B, P]
    chance = 1.0 / m.k  # a guesser in L is right on 1/k of the items it knows in S
    out = []
    for j, (s, q) in enumerate(pairs):
        note = None if den[0, j] else f"no item native to {s} is answered correctly in {s}"
        out.append(Keyed(METRIC, Estimate(values[:, j], int(den[0, j]), chance, note), q, s))
    defined = [j for j in range(len(pairs)) if den[0, j] > 0]
    means = [(q, [j for j in defined if pairs[j][1] == q], "source language(s)") for q in langs]
    for lang, js, over in [*means, (None, defined, "(source, query) pairs")]:
        if js:
            mean = Estimate(values[:, js].mean(axis=1), int(den[0, js].sum()), chance, f"mean over {len(js)} {over}")
            out.append(Keyed(METRIC, mean, lang, None, "mean"))
    return out


register_metric(MetricDef(
    METRIC, "home transfer", "CD", "matrix",
    "among items native to culture S (lang_ref) answered correctly when asked in S, the share also answered "
    "correctly when asked in L (lang); aggregate mean: over the sources of L, or over every (S, L) pair. A proxy for "
    "the conductivity of naturally acquired knowledge, not XRR",
    "1/k when L is guessed (k options), whatever is known in S", "higher", home_transfer, order=350,
    chance_value=lambda k: 1.0 / k, tags=frozenset({"reference"}),
))
