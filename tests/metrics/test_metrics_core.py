"""Every PF/CT metric on tiny hand-made predictions; the arithmetic is in the comments."""

from __future__ import annotations

import pytest

from clika.errors import DataError
from clika.metrics.matrix import build_matrices
from clika.predictions import Prediction
from tests.metrics import oracle as core


def preds(model, task, lang, golds, choices, k=4, ids=None):
    ids = ids or [str(i + 1) for i in range(len(golds))]
    return [Prediction(model, task, lang, i, c, g, k) for i, g, c in zip(ids, golds, choices)]


def matrix(*groups):
    (m,) = build_matrices([p for g in groups for p in g])
    return m


# Six items, k = 4.       item:  1  2  3     4  5     6
GOLD = [0, 1, 2, 3, 0, 1]
EN = [0, 1, 2, 0, None, 2]  # correct {1,2,3}; 4 wrong; 5 unparseable; 6 wrong (C)
ZH = [0, 2, None, 3, None, 2]  # correct {1,4}; 6 wrong (C) like en


@pytest.fixture()
def m():
    return matrix(preds("m", "x_geo", "en", GOLD, EN), preds("m", "x_geo", "zh", GOLD, ZH))


def test_accuracy_and_chance_adjustment(m):
    # p_en = 3/6 = 1/2; adj = (1/2 - 1/4) / (3/4) = 1/3
    assert core.accuracy(m, "en").value == pytest.approx(0.5)
    assert core.accuracy(m, "en", adjusted=True).value == pytest.approx(1 / 3)
    # p_zh = 2/6 = 1/3 (the two unparseable answers count as wrong and stay in N);
    # adj = (1/3 - 1/4) / (3/4) = (1/12) / (3/4) = 1/9
    assert core.accuracy(m, "zh").value == pytest.approx(1 / 3)
    assert core.accuracy(m, "zh").n == 6
    assert core.accuracy(m, "zh", adjusted=True).value == pytest.approx(1 / 9)


def test_ra(m):
    # ra = p_zh / p_en = (1/3) / (1/2) = 2/3; ra_adj = (1/9) / (1/3) = 1/3
    assert core.ra(m, "zh").value == pytest.approx(2 / 3)
    assert core.ra(m, "zh", adjusted=True).value == pytest.approx(1 / 3)
    assert core.ra(m, "zh").note is None


def test_co_and_its_independence_baseline(m):
    # C_en = {1,2,3}, C_zh = {1,4}: co = |{1}| / |{1,2,3,4}| = 1/4
    assert core.co(m, "en", "zh").value == pytest.approx(0.25)
    assert core.en_co(m, "zh").value == pytest.approx(0.25)
    # e = p1 p2 / (p1 + p2 - p1 p2) = (1/6) / (1/2 + 1/3 - 1/6) = (1/6) / (2/3) = 1/4:
    # the overlap is exactly what independence predicts, so co_adj = (1/4 - 1/4) / (3/4) = 0
    assert core.co(m, "en", "zh", adjusted=True).value == pytest.approx(0.0)
    assert core.en_co(m, "zh", adjusted=True).value == pytest.approx(0.0)


def test_co_adj_above_chance():
    # 4 items, gold all A. en correct {1,2}, zh correct {1,2}: co = 1.
    # p1 = p2 = 1/2: e = (1/4) / (1 - 1/4) = 1/3; co_adj = (1 - 1/3) / (2/3) = 1
    m = matrix(preds("m", "t", "en", [0] * 4, [0, 0, 1, 1]), preds("m", "t", "zh", [0] * 4, [0, 0, 2, 2]))
    assert core.co(m, "en", "zh").value == pytest.approx(1.0)
    assert core.co(m, "en", "zh", adjusted=True).value == pytest.approx(1.0)
    # en correct {1,2}, de correct {1,3}: co = 1/3, e = 1/3 -> co_adj = 0;
    # en vs fr correct {3,4} (disjoint): co = 0, co_adj = (0 - 1/3) / (2/3) = -1/2
    m = matrix(preds("m", "t", "en", [0] * 4, [0, 0, 1, 1]), preds("m", "t", "de", [0] * 4, [0, 1, 0, 1]),
               preds("m", "t", "fr", [0] * 4, [1, 1, 0, 0]))
    assert core.co(m, "en", "de", adjusted=True).value == pytest.approx(0.0)
    assert core.co(m, "en", "fr").value == pytest.approx(0.0)
    assert core.co(m, "en", "fr", adjusted=True).value == pytest.approx(-0.5)


def test_agreement_ignores_unparseable(m):
    # same option: item 1 (A = A, right) and item 6 (C = C, both wrong) -> 2 of 6;
    # item 5 is unparseable in both languages and agrees with nothing.
    assert core.agreement(m, "en", "zh").value == pytest.approx(2 / 6)
    assert core.agreement(m, "en", "zh").n == 6


def test_ra_undefined_when_pivot_accuracy_is_zero():
    # en answers every item wrong: p_en = 0, so ra = p_zh / 0 is undefined;
    # adj(0) = -1/3 <= 0, so ra_adj is undefined as well.
    m = matrix(preds("m", "t", "en", [0] * 4, [1] * 4), preds("m", "t", "zh", [0] * 4, [0, 0, 1, 1]))
    r, r_adj = core.ra(m, "zh"), core.ra(m, "zh", adjusted=True)
    assert r.value is None and "accuracy in en is 0" in r.note
    assert r_adj.value is None and "at or below chance" in r_adj.note


def test_ra_adj_undefined_at_chance_but_ra_defined():
    # p_en = 1/4 = chance for k = 4: adj(p_en) = 0, ra_adj undefined;
    # ra = p_zh / p_en = (2/4) / (1/4) = 2
    m = matrix(preds("m", "t", "en", [0] * 4, [0, 1, 1, 1]), preds("m", "t", "zh", [0] * 4, [0, 0, 1, 1]))
    assert core.ra(m, "zh").value == pytest.approx(2.0)
    r_adj = core.ra(m, "zh", adjusted=True)
    assert r_adj.value is None and "(25.0%) is at or below chance (1/4)" in r_adj.note


def test_co_undefined_when_neither_language_is_right():
    m = matrix(preds("m", "t", "en", [0] * 3, [1, 2, None]), preds("m", "t", "zh", [0] * 3, [3, None, 1]))
    for adjusted in (False, True):
        v = core.co(m, "en", "zh", adjusted=adjusted)
        assert v.value is None and "neither en nor zh answered any item correctly" in v.note


def test_co_adj_undefined_when_both_are_perfect():
    # co = 3/3 = 1, but e = 1 too: (co - e) / (1 - e) = 0/0
    m = matrix(preds("m", "t", "en", [0, 1, 2], [0, 1, 2]), preds("m", "t", "zh", [0, 1, 2], [0, 1, 2]))
    assert core.co(m, "en", "zh").value == pytest.approx(1.0)
    v = core.co(m, "en", "zh", adjusted=True)
    assert v.value is None and "every item correctly" in v.note


def test_pair_alignment_leaves_out_missing_items():
    # en has items 1-4, zh has 1,2,3,5 (gold A everywhere).
    # en choices 1..4 = A A B A -> correct {1,2,4}; zh choices 1,2,3,5 = A B A A -> correct {1,3,5}
    en = preds("m", "t", "en", [0] * 4, [0, 0, 1, 0], ids=["1", "2", "3", "4"])
    zh = preds("m", "t", "zh", [0] * 4, [0, 1, 0, 0], ids=["1", "2", "3", "5"])
    m = matrix(en, zh)
    # single-language accuracy uses all of the language's items: 3/4 each
    assert core.accuracy(m, "en").value == pytest.approx(0.75) and core.accuracy(m, "en").n == 4
    assert core.accuracy(m, "zh").value == pytest.approx(0.75)
    # the pair uses items {1,2,3}: en correct {1,2} = 2/3, zh correct {1,3} = 2/3, ra = 1;
    # item 4 (missing in zh) and item 5 (missing in en) are left out: 2 items.
    r = core.ra(m, "zh")
    assert r.value == pytest.approx(1.0) and r.n == 3
    assert "2 item(s) left out" in r.note
    # co over {1,2,3}: |{1}| / |{1,2,3}| = 1/3
    c = core.co(m, "en", "zh")
    assert c.value == pytest.approx(1 / 3) and c.n == 3 and "2 item(s) left out" in c.note


def test_matrix_rejects_bad_input():
    with pytest.raises(DataError, match="duplicate prediction"):
        build_matrices(preds("m", "t", "en", [0, 0], [0, 0], ids=["1", "1"]))
    with pytest.raises(DataError, match="choice 4 is outside 0..3"):
        build_matrices(preds("m", "t", "en", [0, 0], [0, 4]))
    with pytest.raises(DataError, match="n_options differs"):
        build_matrices(preds("m", "t", "en", [0], [0], k=4) + preds("m", "t", "zh", [0], [0], k=5))


def test_matrix_orders_languages_and_items_independently_of_input_order():
    a = preds("m", "t", "zh", [0, 1], [0, 1]) + preds("m", "t", "en", [0, 1], [1, 1])
    m1 = matrix(a)
    m2 = matrix(list(reversed(a)))
    assert m1.langs == m2.langs == ("en", "zh")
    assert (m1.choice == m2.choice).all() and list(m1.item_ids) == ["1", "2"]
