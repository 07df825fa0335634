"""RankC (Qi, Fernández and Bisazza 2023) against an explicit loop, the definition's worked example,
and its "not available" reason; acc_norm_upstream against upstream's normalize_res.py formula."""

from __future__ import annotations

import math

import numpy as np
import pytest

from clika.metrics.bootstrap import resample_weights
from clika.metrics.catalog import get_metric
from clika.metrics.compute import compute_metrics
from clika.predictions import Prediction
from tests.record_keys import by_where


def _rankc_loop(scores_a, scores_b) -> float:
    """The reference implementation's loop (RankC.py): softmax weights over [k, k-1, ..., 1], and at each
    depth j the share of the top-j candidates the two rankings have in common."""
    k = len(scores_a)
    rank_a = sorted(range(k), key=lambda i: -scores_a[i])
    rank_b = sorted(range(k), key=lambda i: -scores_b[i])
    order = [k - i for i in range(k)]
    weights = [math.exp(o) / sum(math.exp(x) for x in order) for o in order]
    return sum(weights[j] * len(set(rank_a[: j + 1]) & set(rank_b[: j + 1])) / (j + 1) for j in range(k))


def _preds(scores: dict[str, list[tuple[float, ...]]], gold=0, task="x_geo"):
    return [Prediction("m", task, lang, str(i), int(np.argmax(s)), gold, len(s), scores=tuple(s))
            for lang, rows in scores.items() for i, s in enumerate(rows)]


def test_worked_example_by_hand():
    # k = 3, English ranks (a, b, c), l ranks (b, a, c): P@1 = 0, P@2 = 1, P@3 = 1; w = softmax(3, 2, 1)
    w = np.exp([3.0, 2.0, 1.0]) / np.exp([3.0, 2.0, 1.0]).sum()
    assert _rankc_loop((3, 2, 1), (2, 3, 1)) == pytest.approx(w[1] + w[2])
    recs = by_where(compute_metrics(_preds({"en": [(3, 2, 1)], "de": [(2, 3, 1)]}), n_boot=0))
    assert recs[("de", "rankc")].value == pytest.approx(w[1] + w[2]) == pytest.approx(0.3348, abs=1e-4)
    # the same ranking: 1; reversed: P@1 = 0, P@2 = 1/2, P@3 = 1
    recs = by_where(compute_metrics(_preds({"en": [(3, 2, 1)], "de": [(3, 2, 1)], "fr": [(1, 2, 3)]}), n_boot=0))
    assert recs[("de", "rankc")].value == pytest.approx(1.0)
    assert recs[("fr", "rankc")].value == pytest.approx(w[1] / 2 + w[2])
    assert recs[("avg", "rankc")].value == pytest.approx((1.0 + w[1] / 2 + w[2]) / 2)


def test_vectorised_rankc_and_its_interval_match_an_explicit_loop():
    rng = np.random.default_rng(0)
    n, k = 30, 4
    scores = {lang: [tuple(rng.normal(size=k)) for _ in range(n)] for lang in ("en", "zh")}
    recs = by_where(compute_metrics(_preds(scores), n_boot=200, seed=3))
    per_item = np.array([_rankc_loop(scores["en"][i], scores["zh"][i]) for i in range(n)])
    rec = recs[("zh", "rankc")]
    assert rec.value == pytest.approx(per_item.mean()) and rec.n == n and rec.lang_ref == "en"
    # items resampled with the task's draws (sorted item ids, as the metrics core orders them)
    order = np.argsort([str(i) for i in range(n)])
    weights = resample_weights(n, 200, 3, "x_geo")
    means = weights @ per_item[order] / n
    assert (rec.ci_low, rec.ci_high) == pytest.approx(tuple(np.percentile(means, [2.5, 97.5])))
    assert rec.chance == pytest.approx(get_metric("rankc").chance_value(k))
    # chance: the mean over all pairs of rankings of k options
    import itertools

    perms = list(itertools.permutations(range(k)))
    exact = np.mean([_rankc_loop([-p.index(i) for i in range(k)], [-q.index(i) for i in range(k)])
                     for p in perms for q in perms[:1]])
    assert rec.chance == pytest.approx(exact)


def test_without_per_option_scores_rankc_is_not_available_and_says_why():
    preds = [Prediction("m", "x_geo", lang, str(i), i % 4, 0, 4) for lang in ("en", "de") for i in range(8)]
    rec = by_where(compute_metrics(preds, n_boot=20))[("de", "rankc")]
    assert rec.value is None and "not available" in rec.note and "per-option scores" in rec.note
    assert "undefined" in rec.flags


@pytest.mark.parametrize("task,ceiling,chance,k", [("x_csqa", 74.6, 20.0, 5), ("x_copa", 96.4, 50.0, 2),
                                                   ("x_name", 92.2, 25.0, 4), ("x_geo", 97.0, 25.0, 4)])
def test_acc_norm_upstream_is_upstreams_formula(task, ceiling, chance, k):
    right = {"en": 7, "de": 1}  # of 10 items: 70% and 10% (below chance for k <= 5: clipped at 0)
    preds = [Prediction("m", task, lang, str(i), 0 if i < right[lang] else 1, 0, k)
             for lang in ("en", "de") for i in range(10)]
    recs = by_where(compute_metrics(preds, n_boot=0))
    assert recs[("en", "acc_norm_upstream")].value == pytest.approx(max(0.0, (70.0 - chance) / (ceiling - chance)))
    assert recs[("de", "acc_norm_upstream")].value == pytest.approx(max(0.0, (10.0 - chance) / (ceiling - chance)))
    other = by_where(compute_metrics([Prediction("m", "mini_basic", "en", "1", 0, 0, 4)], n_boot=0))
    assert other[("en", "acc_norm_upstream")].value is None
    assert "upstream normalises only" in other[("en", "acc_norm_upstream")].note
