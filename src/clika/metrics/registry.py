"""The metric registry: one definition per metric, with its function, which records, tables, the HTML report and the
command line iterate over (in the spirit of Inspect AI's decorated scorers and Hugging Face ``evaluate``'s small
metrics). The scope says what the function gets and where its records sit:

- "lang":    LangCounts (per language: items present, items correct) -> lang = "de"
- "pivot":   PairCounts of (pivot, l) for every non-pivot l -> lang = "de", lang_ref = pivot (+ aggregate "mean")
- "pair":    PairCounts of every unordered pair (l1, l2) -> lang = "de", lang_ref = "fr"
- "items":   per-item values of (pivot, l): fn(matrix, a, b) -> (values [N], defined [N]), averaged over the defined
             items -> as "pivot"
- "matrix":  fn(matrix, context) -> [Keyed estimates] (the diagnostics and home_transfer need the whole matrix)
- "cd":      CDCounts of a conductivity run (type-1 / type-0 columns) -> lang = target, lang_ref = source
- "cd_rate": fn(FactOutcomes) -> a 0/1 vector whose share is the value (gate parts, diagnostics)
- "run":     a fact of a run, not computed from answers (epochs trained)

Count arrays have one row per bootstrap draw plus row 0, the point estimate, so one call computes the value and every
resample. Adding a metric is one registered definition; nothing else needs to change for it to appear in every
output. Readers of the registry go through clika.metrics.catalog, which loads every built-in definition first.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import numpy as np

from clika.metrics.core import ratio

Scope = Literal["lang", "pivot", "pair", "items", "matrix", "cd", "cd_rate", "run"]
Direction = Literal["higher", "lower", "none"]
PER_LANGUAGE = ("lang", "pivot", "items")  # scopes with one value per language (tables, heatmaps)


@dataclass(frozen=True)
class LangCounts:
    """Per-language counts; arrays are [rows, languages] (row 0 = point estimate)."""

    n: np.ndarray  # items present
    correct: np.ndarray  # items answered correctly
    k: int  # options per item
    task: str = ""  # the task (a metric may depend on it, e.g. upstream's per-task ceiling)

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
# (point counts with one row, column labels) -> a reason per column where the value is undefined
WhyFn = Callable[[Counts, list[tuple[str, ...]]], list[str | None]]


@dataclass(frozen=True)
class MetricDef:
    """One metric: what it is, how to compute it, and how to read it. chance: in words, what a uniform guesser gets;
    chance_value(k) the number, where it does not depend on the data. average: also report the mean over the
    non-pivot languages. headline: shown wherever clika shows its main numbers. paired_test: how `clika compare`
    tests B - A ("mcnemar" for a 0/1 per-item outcome, "bootstrap" otherwise, None: not compared)."""

    name: str
    label: str
    level: str  # PF | CT | CD | diagnostic
    scope: Scope
    description: str
    chance: str
    direction: Direction = "higher"
    fn: Callable | None = None
    why_undefined: WhyFn | None = None
    average: bool = False
    chance_value: Callable[[int], float | None] | None = None
    order: int = 100  # position in tables
    headline: bool = False
    paired_test: str | None = None
    tags: frozenset[str] = frozenset()  # the consumers that select it beyond headline (TAGS)


# What a consumer selects metrics by (catalog.tagged), so that no list of metric names lives outside clika.metrics.
TAGS = {"rank_key": "the leaderboard's rank key (one metric)",
        "rank_tiebreak": "the leaderboard's tie-break (one metric)",
        "alignment": "the PF and CT levels the findings test (each claim, per metric)",
        "curve": "drawn in a conductivity run's learning curves",
        "cd_summary": "the values a conductivity run's summary line prints",
        "cd_scored": "the CD values a run that was not scored still lists, as undefined",
        "seed_spread": "the CD values whose between-seed spread a verdict over seeds states",
        "reference": "kept in the packaged reference of the published models (--reference published)"}

_REGISTRY: dict[str, MetricDef] = {}


def register_metric(defn: MetricDef) -> MetricDef:
    if defn.fn is None and defn.scope != "run":  # a run's facts (epochs) are recorded, not computed
        raise ValueError(f"metric {defn.name!r} needs its function: a metric is one definition with its computation")
    if not defn.tags <= TAGS.keys():
        raise ValueError(f"metric {defn.name!r}: unknown tags {sorted(defn.tags - TAGS.keys())} "
                         f"(known: {sorted(TAGS)})")
    if defn.paired_test not in (None, "mcnemar", "bootstrap"):
        raise ValueError(f"metric {defn.name!r}: paired_test must be mcnemar, bootstrap or None")
    _REGISTRY[defn.name] = defn
    return defn


def unregister_metric(name: str) -> None:
    _REGISTRY.pop(name, None)


def metric(name: str, *, label: str, level: str, scope: Scope, description: str, chance: str,
           direction: Direction = "higher", why_undefined: WhyFn | None = None, average: bool = False,
           chance_value: Callable[[int], float | None] | None = None, order: int = 100, headline: bool = False,
           paired_test: str | None = None, tags: tuple[str, ...] = ()) -> Callable:
    """Decorator: register the decorated function as the metric's computation (see the scopes above)."""

    def wrap(fn):
        register_metric(MetricDef(name, label, level, scope, description, chance, direction, fn, why_undefined, average,
                                  chance_value, order, headline, paired_test, frozenset(tags)))
        return fn

    return wrap


def registered() -> list[MetricDef]:
    """The definitions registered so far, in table order."""
    return sorted(_REGISTRY.values(), key=lambda d: d.order)


def lookup(name: str) -> MetricDef | None:
    # Families of diagnostics share one definition (option_share_A, option_share_B, ...).
    if name not in _REGISTRY and name.startswith("option_share_"):
        return _REGISTRY.get("option_share_*")
    return _REGISTRY.get(name)
