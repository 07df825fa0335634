"""Answer diagnostics per (model, task, lang): why a number may mean less than it seems.

- unparseable_rate: share of the language's items with no usable answer (above UNPARSEABLE_FLAG flagged on the
  record and every value counted over that language, clika.metrics.flags; in English it leaves the row unranked);
- option_share_A, ...: the distribution of chosen options over all items (shares + unparseable_rate = 1);
- dominant_option_share / dominant_option_flag: a model that answers one option far more often than it is right gets
  cross-lingual overlap (co, agreement) for free. An option is flagged when a one-sided binomial test of its count
  against p0 = max(gold share, 1/k) rejects (Bonferroni over the k options) AND its chosen share is at least halfway
  from p0 to 1. Merely crossing 50% is not enough (a model can answer "A" on 51% of items because "A" is gold on 45%),
  and a guesser or a perfect model is never flagged. On the 40 published models this flags 583 of 1,600 cells (the 50%
  rule flagged 698), every language of polylm_multialpaca_13b on x_name among them;
- missing_items: items without a prediction in this language, counted against the item file where the reader had one;
  a language the task expects but the model lacks gets all its items missing. With fewer predictions than the item
  file, or none, the model is partial on the task (flag "partial", as in clika.data.coverage): a file cut short scores
  its language on the surviving items, not on the task. Without an item file they are flagged "missing" only.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from clika.items import LETTERS
from clika.metrics.core import PredictionMatrix
from clika.metrics.estimate import Estimate, Keyed
from clika.metrics.flags import UNPARSEABLE_FLAG, unparseable
from clika.metrics.records import Record
from clika.metrics.registry import MetricDef, register_metric

DOMINANCE_ALPHA = 0.01  # family-wise over the k options of one cell
DOMINANCE_HALFWAY = 0.5  # the chosen share must reach p0 + 0.5 * (1 - p0)


@dataclass(frozen=True)
class LangDiagnostics:
    lang: str
    n: int  # items of the task present in this language
    missing: int  # items of the task absent in this language
    unparseable_rate: float | None
    option_shares: tuple[float, ...]  # chosen share of each option, over all n items
    gold_shares: tuple[float, ...]  # gold share of each option
    top_option: int  # the option chosen most in excess of its gold share
    top_share: float | None
    excess: float | None  # top_share - max(its gold share, 1/k)
    p_value: float | None  # one-sided binomial p of the top option (Bonferroni-adjusted)
    dominant: bool

    def describe(self) -> str | None:
        if self.top_share is None:
            return None
        letter = LETTERS[self.top_option]
        gold = 100 * self.gold_shares[self.top_option]
        text = f"answers '{letter}' on {100 * self.top_share:.0f}% of items ('{letter}' is right on {gold:.0f}%)"
        return f"{text}, p = {self.p_value:.2g}" if self.dominant else text


def _binomial_sf(counts: np.ndarray, n: np.ndarray, p: np.ndarray) -> np.ndarray:
    """P(X >= count) for X ~ Binomial(n, p), elementwise; 0 where p = 0 and count > 0."""
    from scipy.special import bdtrc  # bdtrc(k, n, p) = P(X > k): binom.sf without importing scipy.stats (1 s)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(counts > 0, bdtrc(np.maximum(counts - 1, 0), n, p), 1.0)


def diagnose(m: PredictionMatrix) -> list[LangDiagnostics]:
    n_langs, n_items = m.choice.shape
    rows = np.broadcast_to(np.arange(n_langs)[:, None], m.choice.shape)
    # Column 0 counts unparseable answers (choice -1), column c + 1 counts option c.
    cells = (rows * (m.k + 1) + m.choice + 1)[m.present]
    counts = np.bincount(cells, minlength=n_langs * (m.k + 1)).reshape(n_langs, m.k + 1)
    gold_cells = (rows * m.k + np.clip(m.gold, 0, None))[m.present]
    gold_counts = np.bincount(gold_cells, minlength=n_langs * m.k).reshape(n_langs, m.k)
    n_present = counts.sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        shares = counts / n_present[:, None]
        gold_shares = gold_counts / n_present[:, None]
    chosen = counts[:, 1:]
    null_share = np.maximum(np.nan_to_num(gold_shares), 1.0 / m.k)
    p = np.minimum(1.0, m.k * _binomial_sf(chosen, n_present[:, None], null_share))
    excess = shares[:, 1:] - null_share
    out = []
    for r, lang in enumerate(m.langs):
        n = int(n_present[r])
        if not n:
            out.append(LangDiagnostics(lang, 0, n_items, None, (), (), 0, None, None, None, False))
            continue
        top = int(np.argmax(excess[r]))
        needed = DOMINANCE_HALFWAY * (1.0 - null_share[r, top])
        dominant = bool(p[r, top] < DOMINANCE_ALPHA and excess[r, top] >= needed - 1e-12)
        out.append(LangDiagnostics(lang, n, n_items - n, float(shares[r, 0]), tuple(shares[r, 1:].tolist()),
                                   tuple(gold_shares[r].tolist()), top, float(shares[r, 1 + top]),
                                   float(excess[r, top]), float(p[r, top]), dominant))
    return out


def _diagnosis(m: PredictionMatrix, ctx) -> list[LangDiagnostics]:
    """diagnose(m), once per matrix however many diagnostics ask."""
    key = ("diagnose", id(m))
    if key not in ctx.cache:
        ctx.cache[key] = diagnose(m)
    return ctx.cache[key]


def _per_language(metric: str, value_of, flag_of=None, note_of=None):
    """A "matrix" metric with one value per language of the matrix, from its LangDiagnostics."""

    def fn(m: PredictionMatrix, ctx) -> list[Keyed]:
        out = []
        for d in _diagnosis(m, ctx):
            value = value_of(d) if d.n else None
            flags = (flag_of(d),) if flag_of and d.n and flag_of(d) else ()
            note = (note_of(d) if note_of else None) if d.n else f"no items in {d.lang}"
            out.append(Keyed(metric, Estimate.of(value, d.n, note=note, flags=flags), d.lang))
        return out

    return fn


def option_shares(m: PredictionMatrix, ctx) -> list[Keyed]:
    out = []
    for d in _diagnosis(m, ctx):
        for c in range(m.k):
            value, note = (d.option_shares[c], None) if d.n else (None, f"no items in {d.lang}")
            out.append(Keyed(f"option_share_{LETTERS[c]}", Estimate.of(value, d.n, note=note), d.lang))
    return out


def missing_items(m: PredictionMatrix, ctx) -> list[Keyed]:
    """Items absent in each language (against the item file where there is one); an expected language the matrix
    lacks gets every item missing. Both make the model partial on the task."""

    def total(lang: str) -> int:
        return max(len(m.item_ids), ctx.item_counts.get((m.task, lang), 0))

    def keyed(lang: str, missing: int, flag: str | None, why: str | None = None) -> Keyed:
        note = f"{why}: {m.model} is partial on {m.task} (left out of overall values, ranks and claim pools)"
        estimate = Estimate.of(float(missing), total(lang), flags=(flag,) if flag else (), note=note if why else None)
        return Keyed("missing_items", estimate, lang)

    out = []
    for d in _diagnosis(m, ctx):
        missing, in_file = total(d.lang) - d.n, ctx.item_counts.get((m.task, d.lang))
        if in_file is not None and d.n < in_file:  # cut short: the same kind of partial as a missing language
            out.append(keyed(d.lang, missing, "partial", f"{m.task}/{d.lang}: {d.n} of {in_file} items"))
        else:
            out.append(keyed(d.lang, missing, "missing" if missing else None))
    return out + [keyed(lang, total(lang), "partial", f"no predictions in {lang}") for lang in ctx.absent]


def _dominance_note(d: LangDiagnostics) -> str | None:
    return (f"{d.describe()}: chosen significantly more often than it is right or than chance (binomial test, on "
            "over half of the items its fair share leaves); overlap metrics are inflated by it") if d.dominant else None


def run_warnings(records: list[Record], mode: str | None = None) -> list[str]:
    """The diagnostics a reader must see next to a table, per task: a dominant option and unparseable answers."""
    lines = []
    for task in dict.fromkeys(r.task for r in records):
        rows = [r for r in records if r.task == task]
        dominant = [r for r in rows if r.metric == "dominant_option_flag" and r.value]
        if dominant:
            langs = ", ".join(str(r.lang) for r in dominant)
            hint = " (try --mode cloze)" if mode == "letter" else ""
            lines.append(f"{task}: one option is chosen far more often than it is right in {len(dominant)} "
                         f"language(s) ({langs}); e.g. {dominant[0].lang}: {dominant[0].note}{hint}")
        unreadable = [r for r in rows if r.metric == "unparseable_rate" and unparseable(r.value)]
        if unreadable:
            worst = max(unreadable, key=lambda r: r.value)
            lines.append(f"{task}: unparseable answers above {UNPARSEABLE_FLAG:.0%} in {len(unreadable)} language(s) "
                         f"(worst {worst.lang}: {worst.value:.0%}); they count as wrong.")
    return lines


for _defn in (
    MetricDef("unparseable_rate", "unparseable", "diagnostic", "matrix",
              "share of the language's items with no usable answer (counted wrong)",
              "0 for a model that always answers", "lower",
              _per_language("unparseable_rate", lambda d: d.unparseable_rate,
                            lambda d: "unparseable" if unparseable(d.unparseable_rate) else None),
              order=200, tags=frozenset({"reference"})),
    MetricDef("option_share_*", "option share", "diagnostic", "matrix",
              "share of the language's items on which each option was chosen", "1/k each for uniform guessing",
              "none", option_shares, order=201),
    MetricDef("dominant_option_share", "top option share", "diagnostic", "matrix",
              "share of the option chosen most in excess of how often it is right", "about 1/k for uniform guessing",
              "none", _per_language("dominant_option_share", lambda d: d.top_share, note_of=LangDiagnostics.describe),
              order=202),
    MetricDef("dominant_option_flag", "dominant option", "diagnostic", "matrix",
              f"1 when one option is chosen significantly more often than both its gold share and 1/k (one-sided "
              f"binomial test against p0 = max(gold share, 1/k), Bonferroni over k, alpha {DOMINANCE_ALPHA}) and on "
              "at least p0 + (1 - p0)/2 of the items: overlap metrics (en-CO, agreement) are then inflated",
              "a uniform guesser is flagged in at most 1% of cells (the test's level)", "lower",
              _per_language("dominant_option_flag", lambda d: float(d.dominant),
                            lambda d: "dominant" if d.dominant else None, _dominance_note),
              order=203, tags=frozenset({"reference"})),
    MetricDef("missing_items", "missing items", "diagnostic", "matrix",
              "items of the task (of its item file, where there is one) without a prediction in this language "
              "(left out of its pairs); all of them when the model has no predictions in a language the task "
              "expects. Fewer predictions than the item file, or none, make the model partial on the task",
              "0", "lower", missing_items, order=204),
):
    register_metric(_defn)
