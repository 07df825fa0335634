"""What qualifies a number: flags per (model, task, lang) cell, from the records' flags (set where each
value was computed: clika.metrics.flags; never read out of a note).

One list of flags feeds every place a reader meets a number in the HTML report: badges in the
leaderboard and the per-model tables, hatched cells in the heatmaps, and the flags section,
which lists every flagged cell with its note.

Kinds (KINDS gives each a badge and a sentence):
- dominant: one option is chosen significantly more often than it is right (dominant_option_flag);
  overlap metrics (en-CO, agreement) are inflated by it;
- unparseable: more than UNPARSEABLE_WARN of the language's answers could not be read (counted wrong);
- chance: accuracy in the pivot language is not above chance (its 95% interval reaches 1/k):
  RA and en-CO then compare the language with a guesser (a guesser has RA = 1);
- undefined: a per-language metric has no value (the note says why);
- interval: the bootstrap interval is withheld or rests on part of the resamples;
- missing: items of the task have no prediction in this language;
- partial: a language the task expects has no prediction at all (a missing_items record with
  every item missing): the model is partial on the task and left out of overall values, ranks
  and claim pools (clika.data.coverage);
- left_out: items were left out of a pair with the pivot (missing in one of the two).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from clika.formatting import format_value
from clika.items import PIVOT, lang_order_key, ordered_langs
from clika.metrics.catalog import headline, label, metrics_of
from clika.metrics.diagnostics import unparseable_flagged
from clika.metrics.flags import FLAGS, UNPARSEABLE_WARN
from clika.metrics.records import Record

BADGES = {"dominant": "dominant option", "unparseable": "unparseable", "chance": "English at chance",
          "undefined": "undefined", "interval": "interval", "missing": "missing items", "partial": "partial",
          "left_out": "left out"}
# badge and sentence of each kind a cell can carry (the sentences are the flags' own: clika.metrics.flags)
KINDS: dict[str, tuple[str, str]] = {
    kind: (badge, FLAGS[kind].replace("UNPARSEABLE_WARN", f"{UNPARSEABLE_WARN:.0%}")) for kind, badge in BADGES.items()
}
# Kinds that make a cell of the RA / en-CO heatmaps unreliable (drawn hatched there).
INFLATING = ("dominant",)


@dataclass(frozen=True)
class Flag:
    model: str
    task: str
    lang: str
    kind: str
    text: str
    metric: str | None = None

    @property
    def badge(self) -> str:
        return KINDS[self.kind][0]


def _value_metrics() -> set[str]:
    return {d.name for d in metrics_of("lang", "pivot", "items")}


def _flags_of(r: Record, value_metrics: set[str], pivot: str) -> list[Flag]:
    """The record's flags as report flags, with the words a reader sees (values, never a parsed note)."""
    if r.lang is None or r.aggregate is not None or r.stratum is not None:
        return []

    def flag(kind: str, text: str) -> Flag:
        return Flag(r.model, r.task, r.lang, kind, text, r.metric)

    out, name = [], label(r.metric)
    for kind in r.flags:
        if kind == "dominant":
            out.append(flag(kind, r.note.split(": chosen significantly", 1)[0] if r.note else "dominant option"))
        elif kind == "unparseable":
            out.append(flag(kind, f"{100 * r.value:.1f}% of answers could not be read (counted wrong)"))
        elif kind == "partial":
            out.append(flag(kind, f"no predictions in {r.lang}: partial on {r.task}"))
        elif kind == "missing":
            out.append(flag(kind, f"{int(r.value)} of {r.n} items have no prediction"))
        elif kind == "chance":
            out.append(flag(kind, f"{name} in {pivot} {format_value(r.value, r.ci_low, r.ci_high)} is not above "
                                  f"chance {r.chance:.2f}: RA and en-CO compare with a guesser"))
        elif kind in ("undefined", "interval", "left_out") and r.metric in value_metrics:
            out.append(flag(kind, f"{name}: {r.note or kind}"))
    return out


def collect_flags(records: Iterable[Record], pivot: str = PIVOT) -> list[Flag]:
    """Every flag of the records, ordered by model, task, language (the paper's order), kind."""
    value_metrics = _value_metrics()
    flags = [f for r in records for f in _flags_of(r, value_metrics, pivot)]
    order = {k: i for i, k in enumerate(KINDS)}
    return sorted(flags, key=lambda f: (f.model, f.task, lang_order_key(f.lang), order[f.kind], f.metric or ""))


class FlagIndex:
    """Flags by (model, task, lang), and the languages each (model, task) has diagnostics for."""

    def __init__(self, records: Sequence[Record], pivot: str = PIVOT):
        self.pivot = pivot
        self.flags = collect_flags(records, pivot)
        self.by_cell: dict[tuple[str, str, str], list[Flag]] = defaultdict(list)
        for f in self.flags:
            self.by_cell[(f.model, f.task, f.lang)].append(f)
        self.langs: dict[tuple[str, str], set[str]] = defaultdict(set)
        self.unparseable: dict[tuple[str, str, str], float] = {}
        for r in records:
            if r.metric in ("accuracy", "dominant_option_flag") and r.lang is not None and r.aggregate is None:
                self.langs[(r.model, r.task)].add(r.lang)
            elif r.metric == "unparseable_rate" and r.value is not None:
                self.unparseable[(r.model, r.task, r.lang)] = r.value
        # (model, task) -> the expected languages it has no predictions in
        self.partial: dict[tuple[str, str], list[str]] = defaultdict(list)
        for f in self.flags:
            if f.kind == "partial":
                self.partial[(f.model, f.task)].append(f.lang)

    def cell(self, model: str, task: str, lang: str) -> list[Flag]:
        return self.by_cell.get((model, task, lang), [])

    def has(self, model: str, task: str, lang: str, kind: str) -> bool:
        return any(f.kind == kind for f in self.cell(model, task, lang))

    def at_chance(self, model: str, task: str) -> bool:
        return self.has(model, task, self.pivot, "chance")

    def unparseable_high(self, model: str, task: str, lang: str) -> bool:
        """More than UNPARSEABLE_FLAG of the answers in lang could not be read."""
        return unparseable_flagged(self.unparseable.get((model, task, lang)))

    def partial_text(self, model: str, task: str) -> str:
        """'partial: 9 of 10 languages missing (zh ja ...)' for a partial (model, task), else ''."""
        absent = self.partial.get((model, task))
        if not absent:
            return ""
        n = len(absent) + len(self.langs.get((model, task), ()))
        return f"partial: {len(absent)} of {n} languages missing ({' '.join(absent)})"

    def inflated(self, model: str, task: str, lang: str) -> bool:
        """A pivot-relative value of lang (RA, en-CO) rests on a flagged language (lang or the pivot)."""
        return any(self.has(model, task, where, kind) for where in (lang, self.pivot) for kind in INFLATING)

    def of(self, model: str, task: str | None = None) -> list[Flag]:
        return [f for f in self.flags if f.model == model and (task is None or f.task == task)]

    def summary(self, model: str, tasks: Sequence[str]) -> str:
        """'dominant option in 10/10 languages; unparseable > 5% in 2/10; English at chance' over tasks
        (with several tasks the counts are of (task, language) cells and chance names the tasks)."""
        cells = sum(len(self.langs.get((model, t), ())) for t in tasks)
        flags = [f for t in tasks for f in self.of(model, t)]
        parts = []
        for kind, words in (("dominant", "dominant option"), ("unparseable", f"unparseable > {UNPARSEABLE_WARN:.0%}"),
                            ("missing", "missing items")):
            n = len({(f.task, f.lang) for f in flags if f.kind == kind})
            if n:
                unit = "languages" if len(tasks) == 1 else "(task, language) cells"
                parts.append(f"{words} in {n}/{cells} {unit}" if parts == [] else f"{words} in {n}/{cells}")
        partial = sorted({f.task for f in flags if f.kind == "partial"})
        if partial:
            parts.insert(0, self.partial_text(model, partial[0]) if len(tasks) == 1 else f"partial on {', '.join(partial)}")
        chance = sorted({f.task for f in flags if f.kind == "chance"})
        if chance:
            parts.append("English at chance" + (f" on {', '.join(chance)}" if len(tasks) > 1 else ""))
        shown = {d.name for d in headline()}
        for kind in ("undefined", "interval"):
            metrics = sorted({label(f.metric) for f in flags if f.kind == kind and f.metric in shown})
            if metrics:
                parts.append(f"{KINDS[kind][0]}: {', '.join(metrics)}")
        return "; ".join(parts)


def records_coverage(records: Sequence[Record], source: str | Path, pivot: str = PIVOT):
    """The coverage (clika.data.coverage.Coverage) that metric records show: models x tasks x
    languages from the accuracy records, partial ones from their all-missing missing_items records,
    and the files read from the <stem>.coverage.json that `clika score` wrote beside them, if any."""
    from clika.data.coverage import Coverage, coverage_path

    source = Path(source)
    cov = Coverage(str(source), "records")
    for r in records:
        if r.metric == "accuracy" and r.stratum is None and r.aggregate is None and r.lang is not None:
            cov.counts[(r.model, r.task, r.lang)] = r.n
    flags = FlagIndex(records, pivot)
    expected: dict[str, set[str]] = defaultdict(set)
    for _, task, lang in cov.counts:
        expected[task].add(lang)
    for (_, task), absent in flags.partial.items():
        expected[task].update(absent)
    cov.expected = {task: tuple(ordered_langs(langs)) for task, langs in expected.items()}
    beside = coverage_path(source / "metrics.jsonl" if source.is_dir() else source)
    if beside.is_file():
        cov.files = Coverage.read(beside).files
    return cov
