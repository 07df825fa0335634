"""home_transfer checked against an explicit, independent loop (values, n, undefined cells and
intervals from the same paired resampling)."""

from __future__ import annotations

import zlib

import numpy as np
import pytest

from clika.metrics.compute import MatrixContext, compute_metrics
from clika.metrics.estimate import to_records
from clika.metrics.home_transfer import home_transfer
from clika.metrics.matrix import build_matrices
from clika.predictions import Prediction
from tests.record_keys import where


def home_transfer_records(m, n_boot, seed):
    return to_records(m.model, m.task, home_transfer(m, MatrixContext(n_boot=n_boot, seed=seed)))

LANGS = ("en", "zh", "de", "ar")


def _data(seed: int = 5, n_items: int = 24):
    rng = np.random.default_rng(seed)
    origin = {str(i): LANGS[i % 3] for i in range(n_items)}  # en, zh, de cultures; none from ar
    correct = {(lang, str(i)): bool(rng.random() < 0.6) for lang in LANGS for i in range(n_items)}
    preds = [Prediction("m", "x_geo", lang, str(i), 0 if correct[(lang, str(i))] else 1, 0, 4,
                        extra={"original_lang": origin[str(i)]}) for lang in LANGS for i in range(n_items)]
    return preds, origin, correct


def test_values_and_n_equal_an_explicit_loop():
    preds, origin, correct = _data()
    recs = {(where(r), r.metric): r for r in compute_metrics(preds, n_boot=0) if r.metric == "home_transfer"}
    for s in ("en", "zh", "de"):
        native_right = [i for i, o in origin.items() if o == s and correct[(s, i)]]
        for q in LANGS:
            if q == s:
                continue
            r = recs[(f"{s}>{q}", "home_transfer")]
            assert r.n == len(native_right)
            both = sum(correct[(q, i)] for i in native_right)
            assert r.value == pytest.approx(both / len(native_right))
    assert not any(lang.startswith("ar>") for lang, _ in recs)  # no item comes from ar: no source ar
    per_l = [recs[(f"{s}>de", "home_transfer")].value for s in ("en", "zh")]
    assert recs[("de", "home_transfer")].value == pytest.approx(np.mean(per_l))
    pairs = [r.value for (lang, _), r in recs.items() if ">" in lang]
    assert recs[("avg", "home_transfer")].value == pytest.approx(np.mean(pairs))


def test_no_native_item_right_is_null_with_a_note():
    preds = [Prediction("m", "x_name", lang, str(i), 1, 0, 4, extra={"original_lang": "zh"})
             for lang in ("en", "zh") for i in range(4)]  # every answer wrong
    recs = {where(r): r for r in compute_metrics(preds, n_boot=0) if r.metric == "home_transfer"}
    assert recs["zh>en"].value is None and recs["zh>en"].n == 0
    assert "no item native to zh is answered correctly in zh" in recs["zh>en"].note


def test_intervals_equal_an_explicit_paired_resampling_loop():
    preds, origin, correct = _data(seed=9, n_items=60)
    (m,) = build_matrices(preds)
    recs = {where(r): r for r in home_transfer_records(m, n_boot=300, seed=2)}
    ids = list(m.item_ids)  # the matrix's (sorted) item order is what the resampler draws from
    rng = np.random.default_rng([2, zlib.crc32(b"x_geo")])
    draws = rng.integers(0, len(ids), size=(300, len(ids)))
    samples = []
    for row in draws:
        picked = [ids[j] for j in row]
        num = sum(1 for i in picked if origin[i] == "zh" and correct[("zh", i)] and correct[("de", i)])
        den = sum(1 for i in picked if origin[i] == "zh" and correct[("zh", i)])
        samples.append(num / den if den else np.nan)
    lo, hi = np.nanpercentile(samples, [2.5, 97.5])
    assert (recs["zh>de"].ci_low, recs["zh>de"].ci_high) == pytest.approx((lo, hi))
    assert {r.chance for r in recs.values()} == {1 / m.k}  # a guesser in L: 1/k whatever it knows in S
