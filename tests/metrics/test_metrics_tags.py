"""Metric definitions select their consumers by tag: no list of metric names outside clika.metrics, a
metric joins a consumer by carrying its tag, and an unknown tag is refused at registration."""

from __future__ import annotations

import ast
import dataclasses
from pathlib import Path

import pytest

from clika.metrics.catalog import all_metrics, get_metric, tagged, tagged_one
from clika.metrics.registry import TAGS, MetricDef, register_metric, unregister_metric

SRC = Path(__file__).resolve().parents[2] / "src" / "clika"


def _name_lists(tree: ast.AST, names: set[str]):
    """Tuples, lists and sets of two or more string constants that are all metric names."""
    for node in ast.walk(tree):
        if isinstance(node, (ast.Tuple, ast.List, ast.Set)) and len(node.elts) >= 2:
            values = [e.value for e in node.elts if isinstance(e, ast.Constant) and isinstance(e.value, str)]
            if len(values) == len(node.elts) and set(values) <= names:
                yield node.lineno, values


def test_no_list_of_metric_names_outside_the_metrics_package():
    names = {d.name for d in all_metrics()}
    found = [f"{path.relative_to(SRC)}:{line}: {values}"
             for path in sorted(SRC.rglob("*.py")) if "metrics" not in path.relative_to(SRC).parts
             for line, values in _name_lists(ast.parse(path.read_text(encoding="utf-8")), names)]
    assert not found, "select metrics by tag (clika.metrics.registry.TAGS) instead:\n" + "\n".join(found)


def test_every_tag_is_known_and_the_one_metric_tags_have_one():
    assert all(d.tags <= TAGS.keys() for d in all_metrics())
    assert (tagged_one("rank_key"), tagged_one("rank_tiebreak")) == ("en_co", "ra")
    with pytest.raises(ValueError, match="unknown tags"):
        register_metric(dataclasses.replace(get_metric("accuracy"), name="t_bad", tags=frozenset({"headlines"})))
    with pytest.raises(KeyError, match="unknown metric tag"):
        tagged("headlines")


def _swap(a: str, b: str, tag_a: str, tag_b: str) -> list[MetricDef]:
    old = [get_metric(a), get_metric(b)]
    register_metric(dataclasses.replace(old[0], tags=(old[0].tags - {tag_a}) | {tag_b}))
    register_metric(dataclasses.replace(old[1], tags=(old[1].tags - {tag_b}) | {tag_a}))
    return old


def test_moving_the_rank_key_tag_reorders_the_leaderboard():
    from clika.report.leaderboard import rank_by, rank_rows

    class Row:  # the leaderboard reads a row's values through .value(metric)
        rankable, rank = True, None

        def __init__(self, name, en_co, ra):
            self.name, self._v = name, {"en_co": en_co, "ra": ra}

        def value(self, metric):
            return self._v[metric]

    rows = [Row("consistent", 0.8, 0.5), Row("accurate", 0.6, 0.9)]
    assert [r.name for r in rank_rows(list(rows))] == ["consistent", "accurate"]
    old = _swap("en_co", "ra", "rank_key", "rank_tiebreak")
    try:
        assert rank_by() == ("ra", "en_co")
        assert [r.name for r in rank_rows(list(rows))] == ["accurate", "consistent"]
    finally:
        for d in old:
            register_metric(d)
    assert rank_by() == ("en_co", "ra")  # restored


def test_a_metric_tagged_curve_is_drawn_in_the_learning_curves():
    import matplotlib.pyplot as plt

    from clika.report.figures import curve_figure

    defn = dataclasses.replace(get_metric("xrr"), name="t_curve", label="test curve metric", headline=False,
                               tags=frozenset({"curve"}))
    rows = [{"epoch": e, "metric": m, "value": 0.1 * e, "n": 10} for e in (1, 2) for m in ("xrr", "gate_en_type0", "t_curve")]
    register_metric(defn)
    try:
        fig = curve_figure(rows, "t")
        legends = [t.get_text() for ax in fig.axes if ax.get_legend() for t in ax.get_legend().get_texts()]
        assert "test curve metric" in legends
        plt.close(fig)
    finally:
        unregister_metric("t_curve")
    fig = curve_figure(rows, "t")
    assert "test curve metric" not in [t.get_text() for ax in fig.axes if ax.get_legend()
                                       for t in ax.get_legend().get_texts()]
    plt.close(fig)
