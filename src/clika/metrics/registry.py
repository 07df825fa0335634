"""The metric registry: one definition per metric, which records, tables, the HTML report
and the command line iterate over (in the spirit of Inspect AI's decorated scorers and
Hugging Face ``evaluate``'s small metrics).

A metric is a vectorised function of counts. Scopes say which counts it gets and what its
records' ``lang`` holds:

- "lang":   LangCounts (per language: items present, items correct) -> records lang = "de"
- "pivot":  PairCounts of (pivot, l) for every non-pivot l            -> lang = "de" (+ "avg")
- "pair":   PairCounts of every unordered pair (l1, l2)               -> lang = "de-fr"
- "diagnostic", "cd", "transfer": computed by their own modules (diagnostics.py,
  conductivity.py, transfer.py); registered here so that reports describe them.

Every count array has one row per bootstrap draw plus row 0, the point estimate, so one
call computes the value and every resample at once. Adding a metric is one decorated
function (see definitions.py); nothing else in clika needs to change for it to appear in
metrics.jsonl, report.md, the CSV tables and report.html. Readers of the registry go through
clika.metrics.catalog, which loads every built-in definition first.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import numpy as np

from clika.metrics.core import ratio

Scope = Literal["lang", "pivot", "pair", "diagnostic", "cd", "transfer"]
Direction = Literal["higher", "lower", "none"]
COUNT_SCOPES = ("lang", "pivot", "pair")


@dataclass(frozen=True)
class LangCounts:
    """Per-language counts; arrays are [rows, languages] (row 0 = point estimate)."""

    n: np.ndarray  # items present
    correct: np.ndarray  # items answered correctly
    k: int  # options per item

    @property
    def accuracy(self) -> np.ndarray:
        return ratio(self.correct, self.n)


@dataclass(frozen=True)
class PairCounts:
    """Counts of language pairs (l1, l2) over the items present in both; arrays [rows, pairs]."""

    n: np.ndarray  # items present in both
    c1: np.ndarray  # correct in l1
    c2: np.ndarray  # correct in l2
    c12: np.ndarray  # correct in both
    agree: np.ndarray  # same (parseable) option chosen in both
    k: int

    @property
    def p1(self) -> np.ndarray:
        return ratio(self.c1, self.n)

    @property
    def p2(self) -> np.ndarray:
        return ratio(self.c2, self.n)


Counts = LangCounts | PairCounts
MetricFn = Callable[[Counts], np.ndarray]
# (point counts with one row, column labels) -> a reason per column where the value is undefined
WhyFn = Callable[[Counts, list[tuple[str, ...]]], list[str | None]]


@dataclass(frozen=True)
class MetricDef:
    """One metric: what it is, how to compute it, and how to read it.

    chance: in words, what a model that guesses uniformly gets (and whether the metric
        corrects for it); chance_value(k) the number, where it does not depend on the data.
    average: also report the mean over the non-pivot languages (lang "avg").
    """

    name: str
    label: str
    level: str  # PF | CT | CD | diagnostic
    scope: Scope
    description: str
    chance: str
    direction: Direction = "higher"
    fn: MetricFn | None = None
    why_undefined: WhyFn | None = None
    average: bool = False
    chance_value: Callable[[int], float | None] | None = None
    order: int = 100  # position in tables


_REGISTRY: dict[str, MetricDef] = {}


def register_metric(defn: MetricDef) -> MetricDef:
    if defn.scope in COUNT_SCOPES and defn.fn is None:
        raise ValueError(f"metric {defn.name!r} of scope {defn.scope!r} needs a function of counts")
    _REGISTRY[defn.name] = defn
    return defn


def unregister_metric(name: str) -> None:
    _REGISTRY.pop(name, None)


def metric(name: str, *, label: str, level: str, scope: Scope, description: str, chance: str,
           direction: Direction = "higher", why_undefined: WhyFn | None = None, average: bool = False,
           chance_value: Callable[[int], float | None] | None = None, order: int = 100) -> Callable[[MetricFn], MetricFn]:
    """Decorator: register ``fn(counts) -> values [rows, columns]`` as a metric."""

    def wrap(fn: MetricFn) -> MetricFn:
        register_metric(MetricDef(name, label, level, scope, description, chance, direction, fn, why_undefined,
                                  average, chance_value, order))
        return fn

    return wrap


def registered() -> list[MetricDef]:
    """The definitions registered so far (clika.metrics.catalog imports every built-in module first)."""
    return sorted(_REGISTRY.values(), key=lambda d: d.order)


def lookup(name: str) -> MetricDef | None:
    if name in _REGISTRY:
        return _REGISTRY[name]
    # Families of diagnostics share one definition (option_share_A, option_share_B, ...).
    if name.startswith("option_share_"):
        return _REGISTRY.get("option_share_*")
    return None
