"""What qualifies a number: flags per (model, task, lang) cell, from the records' flags (set where each value was
computed: clika.metrics.flags; never read out of a note).

One list of flags feeds every place a reader meets a number in the HTML report: leaderboard and per-model badges,
hatched heatmap cells, and the flags section (every flagged cell with its note). A diagnostic flag (dominant,
unparseable, missing, partial) is listed once, from the record it is raised on (clika.metrics.flags.SOURCE), not for
every value that carries it; "undefined" once per model and metric, not per cell (RankC, for one, is undefined in
every cell of a letter-only run). KINDS gives each kind a badge and its sentence (clika.metrics.flags.FLAGS).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from clika.data.coverage import Coverage, coverage_path
from clika.formatting import format_value
from clika.items import PIVOT, lang_order_key, ordered_langs
from clika.metrics.catalog import headline, label, metrics_of
from clika.metrics.flags import FLAGS, SOURCE, UNPARSEABLE_FLAG, unparseable
from clika.metrics.records import Record

# badge and sentence of each kind a cell can carry (the sentences are the flags' own: clika.metrics.flags)
KINDS: dict[str, tuple[str, str]] = {kind: (badge, FLAGS[kind]) for kind, badge in (
    ("dominant", "dominant option"), ("unparseable", "unparseable"), ("chance", "English at chance"),
    ("undefined", "undefined"), ("interval", "interval"), ("missing", "missing items"), ("partial", "partial"),
    ("left_out", "left out"))}


@dataclass(frozen=True)
class Flag:
    """One flag of a (model, task, lang) cell, with the text a reader sees."""

    model: str
    task: str
    lang: str
    kind: str
    text: str
    metric: str | None = None
    tasks: tuple[str, ...] = ()  # a flag of a model and metric over several tasks ("undefined"): those tasks

    @property
    def badge(self) -> str:
        return KINDS[self.kind][0]

    @property
    def where(self) -> str:
        """"x_geo/de", or "x_geo, x_name" for a flag over tasks."""
        return f"{self.task}/{self.lang}" if self.lang and not self.tasks else self.task

    def covers(self, task: str) -> bool:
        return task in self.tasks if self.tasks else task == self.task


def _flags_of(r: Record, value_metrics: set[str], pivot: str) -> list[Flag]:
    """A per-language record's flags as report flags, with the words a reader sees (values, never a parsed note)."""
    out = []
    for kind in r.flags:
        if kind in SOURCE and SOURCE[kind] != r.metric:
            continue  # a value qualified by a diagnostic: the diagnostic's own record is listed
        if kind == "dominant":
            text = r.note.split(": chosen significantly", 1)[0] if r.note else "dominant option"
        elif kind == "unparseable":
            text = f"{100 * r.value:.1f}% of answers could not be read (counted wrong)"
        elif kind == "partial":  # no predictions, or a file cut short
            text = (f"{r.task}/{r.lang}: {r.n - int(r.value)} of {r.n} items: partial on {r.task}"
                    if r.value is not None and r.value < r.n else f"no predictions in {r.lang}: partial on {r.task}")
        elif kind == "missing":
            text = f"{int(r.value)} of {r.n} items have no prediction"
        elif kind == "chance":
            text = (f"{label(r.metric)} in {pivot} {format_value(r.value, r.ci_low, r.ci_high)} is not above "
                    f"chance {r.chance:.2f}: RA and en-CO compare with a guesser")
        elif kind in ("undefined", "interval", "left_out") and r.metric in value_metrics:
            text = f"{label(r.metric)}: {r.note or kind}"
        else:
            continue
        out.append(Flag(r.model, r.task_label, r.lang, kind, text, r.metric))
    return out


def collect_flags(records: Iterable[Record], pivot: str = PIVOT) -> list[Flag]:
    """Every flag of the records, ordered by model, task, language (the paper's order), kind; "undefined" as one
    flag per model and metric: where, how many, and a reason."""
    value_metrics = {d.name for d in metrics_of("lang", "pivot", "items")}
    per_lang = [r for r in records if r.lang is not None and r.aggregate is None and r.stratum is None]
    n_values = Counter((r.model, r.metric) for r in per_lang if r.metric in value_metrics)  # per-language values
    flags = [f for r in per_lang for f in _flags_of(r, value_metrics, pivot)]
    undefined: dict[tuple[str, str | None], list[Flag]] = defaultdict(list)  # (model, metric) -> per-cell flags
    for f in flags:
        if f.kind == "undefined":
            undefined[(f.model, f.metric)].append(f)
    flags = [f for f in flags if f.kind != "undefined"]
    for (model, metric), group in undefined.items():
        tasks = tuple(sorted({f.task for f in group}))
        of = n_values.get((model, metric or ""), len(group))
        text = (f"{label(metric or '')}: undefined in {len(group)} of {of} (task, language) values; e.g. "
                f"{group[0].task}/{group[0].lang}: {group[0].text.split(': ', 1)[-1]}")
        langs = " ".join(ordered_langs(f.lang for f in group))
        flags.append(Flag(model, ", ".join(tasks), langs, "undefined", text, metric, tasks))
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
        # (model, task) -> the expected languages that make it partial: without predictions (``absent``) or
        # with fewer than the item file has items (``short``: lang -> (predictions, items))
        self.partial: dict[tuple[str, str], list[str]] = defaultdict(list)
        self.absent: dict[tuple[str, str], list[str]] = defaultdict(list)
        self.short: dict[tuple[str, str], dict[str, tuple[int, int]]] = defaultdict(dict)
        scored = {d.name for d in metrics_of("lang")} | {SOURCE["dominant"]}  # a language with a value of its own
        for r in records:
            if r.aggregate is not None or r.stratum is not None or r.lang is None:
                continue
            if r.metric in scored:
                self.langs[(r.model, r.task)].add(r.lang)
            elif r.metric == SOURCE["unparseable"] and r.value is not None:
                self.unparseable[(r.model, r.task, r.lang)] = r.value
            elif r.metric == SOURCE["partial"] and "partial" in r.flags:
                self.partial[(r.model, r.task)].append(r.lang)
                if r.value is not None and r.value < r.n:
                    self.short[(r.model, r.task)][r.lang] = (r.n - int(r.value), r.n)
                else:
                    self.absent[(r.model, r.task)].append(r.lang)

    def cell(self, model: str, task: str, lang: str) -> list[Flag]:
        return self.by_cell.get((model, task, lang), [])

    def has(self, model: str, task: str, lang: str, kind: str) -> bool:
        return any(f.kind == kind for f in self.cell(model, task, lang))

    def at_chance(self, model: str, task: str) -> bool:
        return self.has(model, task, self.pivot, "chance")

    def unparseable_high(self, model: str, task: str, lang: str) -> bool:
        """More than UNPARSEABLE_FLAG of the answers in lang could not be read (clika.metrics.flags.unparseable)."""
        return unparseable(self.unparseable.get((model, task, lang)))

    def partial_reasons(self, model: str, task: str) -> list[str]:
        """Why a (model, task) is partial: ['x_geo: 9 of 10 languages missing (...)', 'x_geo/de: 120 of 200 items']."""
        absent, short = self.absent.get((model, task)), self.short.get((model, task), {})
        out = []
        if absent:
            n = len(absent) + len(self.langs.get((model, task), ()))
            out.append(f"{task}: {len(absent)} of {n} languages missing ({' '.join(absent)})")
        out += [f"{task}/{lang}: {n} of {n_items} items" for lang, (n, n_items) in short.items()]
        return out

    def partial_text(self, model: str, task: str) -> str:
        """'partial: 9 of 10 languages missing (zh ja ...)', 'partial: x_geo/de: 120 of 200 items'; '' if complete."""
        reasons = [r.removeprefix(f"{task}: ") for r in self.partial_reasons(model, task)]
        return f"partial: {'; '.join(reasons)}" if reasons else ""

    def of(self, model: str, task: str | None = None) -> list[Flag]:
        return [f for f in self.flags if f.model == model and (task is None or f.covers(task))]

    def summary(self, model: str, tasks: Sequence[str]) -> str:
        """'dominant option in 10/10 languages; unparseable > 5% in 2/10; English at chance' over tasks
        (with several tasks the counts are of (task, language) cells and chance names the tasks)."""
        cells = sum(len(self.langs.get((model, t), ())) for t in tasks)
        flags = list(dict.fromkeys(f for t in tasks for f in self.of(model, t)))
        parts: list[str] = []
        unit = "languages" if len(tasks) == 1 else "(task, language) cells"  # said once, on the first count
        for kind, words in (("dominant", "dominant option"), ("unparseable", f"unparseable > {UNPARSEABLE_FLAG:.0%}"),
                            ("missing", "missing items")):
            n = len({(f.task, f.lang) for f in flags if f.kind == kind})
            if n:
                parts.append(f"{words} in {n}/{cells}" + ("" if parts else f" {unit}"))
        partial = sorted({f.task for f in flags if f.kind == "partial"})
        if partial:
            parts.insert(0, self.partial_text(model, partial[0]) if len(tasks) == 1 else
                         f"partial on {', '.join(partial)}")
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
    """The Coverage that metric records show: models x tasks x languages from the accuracy records, partial ones
    from their missing_items records flagged partial, the files read from the <stem>.coverage.json beside them."""
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
    # the item files' sizes where a file was cut short, so the coverage calls it partial as the records do
    cov.item_counts = {(task, lang): n_items for (_, task), short in flags.short.items()
                       for lang, (_, n_items) in short.items()}
    beside = coverage_path(source / "metrics.jsonl" if source.is_dir() else source)
    if beside.is_file():
        cov.files = Coverage.read(beside).files
    return cov
