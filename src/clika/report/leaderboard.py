"""The leaderboard: one row per (model, task) and an ``overall`` row per model, as plain data.

Columns come from the metric registry: every headline metric is a column (``headline_columns``):
a per-language metric ("lang" scope, e.g. accuracy) by its value in the pivot language
("accuracy_en"), a pivot-relative one (RA, en-CO, RankC) by its mean over the non-pivot languages,
and CD's XRR (from `clika conduct` records) by its mean over target languages, in the overall row.
Each value has _ci_low/_ci_high; then n, rank, flags, chance, source and note (CSV_COLUMNS).

- rank (RANK_KEY): within a task, rows are ordered by en-CO (higher first), ties by RA. A row
  is listed but not ranked when the model is partial on the task (a language without predictions,
  or with fewer than its item file: "x_geo/de: 120 of 200 items"), when en-CO is undefined, when
  English accuracy is not above chance (its 95% interval reaches 1/k: RA and en-CO then compare a
  language with a guesser, and a model that always answers "A" reaches RA = en-CO = 1), when
  English has a dominant option (every en-CO pairs a language with English, so all of them are
  inflated), or when more than UNPARSEABLE_FLAG of the English answers are unparseable. Nor is a
  row computed on other items than the rows it would be ranked against (``other_items``): other
  languages, or another n per language (a `--limit` run, a subset), than the rankable reference
  rows when a reference is mixed in (``yours``), else the most of the rankable rows; its note
  names the difference ("computed on en, zh, de (2 of the references' 9 non-English languages)").
  With `--reference published` the reference is first recomputed on your languages and items
  where it can be (clika.report.reference.on_your_items): then the rows are on the same items and
  ranked together, and the reference rows' note says so (``recomputed_note``).
- overall (OVERALL_RULE): the unweighted mean of the model's task values over every task of the
  leaderboard, for complete models only (clika.data.coverage); a partial model keeps its task
  rows and gets an overall row with no value that says what it lacks. Its interval comes from
  the resamples the records were computed with (``resamples``: clika.metrics.resamples), averaged
  resample by resample across tasks (tasks are resampled independently; Estimate.mean, its
  interval through to_records like every other); without them it is left empty and the note says
  so. XRR's overall value is the mean over the model's targets, with its interval the same way,
  of one condition (the paper's protocol where the model has it): runs of two conditions are
  never averaged together.
"""

from __future__ import annotations

import csv
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from clika.data.coverage import complete_models
from clika.formatting import csv_number
from clika.items import PIVOT, ordered_langs
from clika.metrics.catalog import headline, label, tagged_one
from clika.metrics.cd import TASK as CD_TASK
from clika.metrics.estimate import Estimate, Keyed, to_records
from clika.metrics.flags import UNPARSEABLE_FLAG
from clika.metrics.records import Record
from clika.report.flags import Flag, FlagIndex

OVERALL = "overall"


def rank_by() -> tuple[str, str]:
    """(key, tie-break): the metrics tagged rank_key and rank_tiebreak (en-CO, then RA: the paper's CT, then PF)."""
    return tagged_one("rank_key"), tagged_one("rank_tiebreak")


_KEY, _TIE = (label(m) for m in rank_by())
RANK_KEY = (f"Rank: by {_KEY} (mean over the non-English languages), higher first; ties by {_TIE}. Listed but not "
            "ranked: partial rows (a language of the task has no predictions, or fewer than its item file has "
            "items), rows whose English accuracy is not "
            "above chance (95% interval reaching 1/k; RA and en-CO then compare with a guesser, and a model "
            "answering one option always gets RA = en-CO = 1), rows with a dominant option in English (every "
            f"en-CO pairs with English, so all are inflated), rows with more than {UNPARSEABLE_FLAG:.0%} of the "
            f"English answers unparseable, rows with {_KEY} undefined, and rows computed on other items than the "
            "rows they would be ranked against (other languages, another n per language, e.g. a --limit run, or the "
            "same n on other questions, told by the records' item sets), than the reference's rows when one is "
            "given, else than most rows: their means are over other items.")
RECOMPUTED = "references recomputed on your languages and items"
OVERALL_RULE = ("Overall: the unweighted mean of the task values over every task here ({tasks}), for complete "
                "models only (every task in all its languages); a partial model or variant has no overall value "
                "and no rank. Intervals: the task resamples averaged resample by resample (tasks are resampled "
                "independently). XRR: the mean over the model's target languages. Ranked only when every task row "
                "is ranked.")


@dataclass(frozen=True)
class Column:
    name: str  # the CSV column
    metric: str
    lang: str | None  # the record's lang (None: the mean over languages or targets)
    aggregate: str | None
    label: str


def headline_columns(pivot: str = PIVOT) -> list[Column]:
    """The leaderboard's value columns, from the registry's headline metrics."""
    out = []
    for d in headline():
        if d.scope == "lang":
            out.append(Column(f"{d.name}_{pivot}", d.name, pivot, None, f"{d.label} {pivot}"))
        elif d.scope in ("pivot", "items") and d.average:
            out.append(Column(d.name, d.name, None, "mean", d.label))
        elif d.scope == "cd":
            out.append(Column(d.name, d.name, None, "mean over targets", d.label))
    return out


def csv_columns(columns: Sequence[Column]) -> tuple[str, ...]:
    return ("model", "task", *(f"{c.name}{s}" for c in columns for s in ("", "_ci_low", "_ci_high")),
            "n", "rank", "flags", "chance", "source", "note")


@dataclass
class Cell:
    value: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    resamples: np.ndarray | None = None


@dataclass
class LeaderboardRow:
    model: str
    task: str
    cells: dict[str, Cell] = field(default_factory=dict)  # column name -> value
    n: int = 0
    rank: int | None = None
    flags: str = ""
    chance: float | None = None
    source: str = ""
    note: str | None = None
    flag_list: list[Flag] = field(default_factory=list, repr=False)
    rankable: bool = False
    unranked_because: str = ""
    n_cells: int = 0  # (task, language) cells the flags are counted over

    def value(self, column: str) -> float | None:
        cell = self.cells.get(column)
        return None if cell is None else cell.value

    def csv_row(self, columns: Sequence[Column]) -> list[str]:
        out = [self.model, self.task]
        for c in columns:
            cell = self.cells.get(c.name, Cell())
            out += [csv_number(cell.value), csv_number(cell.ci_low), csv_number(cell.ci_high)]
        return out + [csv_number(v) for v in (self.n, self.rank, self.flags, self.chance, self.source, self.note)]


def _tasks(records: Sequence[Record]) -> dict[str, list[str]]:
    """model -> its PF/CT tasks (those with an accuracy record), first-seen order."""
    out: dict[str, dict[str, None]] = {}
    for r in records:
        if r.metric == "accuracy" and r.stratum is None and r.aggregate is None:
            out.setdefault(r.model, {})[r.task] = None
    return {m: list(t) for m, t in out.items()}


def common_tasks(records: Sequence[Record], pivot: str = PIVOT, flags: FlagIndex | None = None) -> list[str]:
    """What the overall rows average over: every task of the records (sorted), when at least one
    model is complete on all of them; else none."""
    by_model = _tasks(records)
    tasks = sorted({t for ts in by_model.values() for t in ts})
    flags = flags or FlagIndex(records, pivot)
    return tasks if complete_models(by_model, flags.partial, tasks) else []


def _qualifies_row(f: Flag, shown: set[str]) -> bool:
    """A flag that qualifies a leaderboard number: any answer diagnostic, and undefined values or intervals
    of the metrics the row shows (not, say, of RA (adj.))."""
    return f.kind not in ("undefined", "interval", "left_out") or f.metric in shown


def _cell(r: Record | None, resamples: dict | None) -> Cell:
    if r is None:
        return Cell()
    return Cell(r.value, r.ci_low, r.ci_high, (resamples or {}).get(r.key))


def _task_row(index: dict, flags: FlagIndex, model: str, task: str, pivot: str, columns: list[Column],
              resamples: dict | None) -> LeaderboardRow:
    row = LeaderboardRow(model, task)
    for c in columns:
        r = index.get((model, task, c.metric, c.lang, c.aggregate))
        row.cells[c.name] = _cell(r, resamples)
        if c.metric == "accuracy" and r is not None:
            row.n, row.chance = r.n, r.chance
    shown = {c.metric for c in columns}
    row.flag_list = [f for f in flags.of(model, task) if _qualifies_row(f, shown)]
    row.flags = flags.summary(model, [task])
    partial = flags.partial_text(model, task)
    reasons = [why for why, bad in ((partial, bool(partial)),
                                    (f"{label(rank_by()[0])} undefined", row.value(rank_by()[0]) is None),
                                    ("English accuracy not above chance", flags.at_chance(model, task)),
                                    ("dominant option in English", flags.has(model, task, pivot, "dominant")),
                                    (f"more than {UNPARSEABLE_FLAG:.0%} of the English answers unparseable",
                                     flags.unparseable_high(model, task, pivot)))
               if bad]
    row.rankable = True
    not_ranked(row, reasons)
    row.n_cells = len(flags.langs.get((model, task), ()))
    return row


def not_ranked(row: LeaderboardRow, reasons: Sequence[str]) -> None:
    """List a task row without a rank, for reasons added to those it has; its note says them all."""
    if not reasons:
        return
    have = row.unranked_because.removeprefix("not ranked: ")
    row.unranked_because = "not ranked: " + ", ".join([have, *reasons] if have else reasons)
    row.rankable = False
    row.note = row.unranked_because


def items_difference(mine: dict[str, int], theirs: dict[str, int], whose: str, pivot: str = PIVOT) -> list[str]:
    """How a row's items ({lang: n}) differ from those of the rows it would be ranked against, whose ("the
    references'"): ["computed on en, zh, de (2 of the references' 9 non-English languages)",
    "n = 50 of the references' 200 items per language (--limit or a subset)"]; [] when they do not."""
    out = []
    if set(mine) != set(theirs):
        others = [lang for lang in ordered_langs(theirs) if lang != pivot]
        shared = [lang for lang in ordered_langs(mine) if lang in others]
        extra = [lang for lang in ordered_langs(mine) if lang not in theirs]
        non = "non-English" if pivot == "en" else f"non-{pivot}"
        out.append(f"computed on {', '.join(ordered_langs(mine))} ({len(shared)} of {whose} {len(others)} {non} "
                   f"languages{', and ' + ', '.join(extra) if extra else ''})")
    differ = [lang for lang in ordered_langs(mine) if lang in theirs and mine[lang] != theirs[lang]]
    if not differ:
        return out
    ns, their_ns = {mine[lang] for lang in mine if lang in theirs}, {theirs[lang] for lang in mine if lang in theirs}
    if len(ns) == len(their_ns) == 1:
        n, their_n = ns.pop(), their_ns.pop()
        out.append(f"n = {n} of {whose} {their_n} items per language (--limit or a subset)" if n < their_n else
                   f"n = {n} items per language, {whose} {their_n}")
    else:
        shown = "; ".join(f"{lang} {mine[lang]}, {whose} {theirs[lang]}" for lang in differ[:3])
        out.append(f"n differs in {len(differ)} language(s) ({shown}{'; ...' if len(differ) > 3 else ''})")
    return out


def other_items(rows: Sequence[LeaderboardRow], items: dict[tuple[str, str], dict[str, int]], flags: FlagIndex,
                yours: set[str] | None, pivot: str = PIVOT,
                item_sets: dict[tuple[str, str], dict[str, str]] | None = None) -> None:
    """Unrank the rows of a task computed on other items than the rows they would be ranked against: the
    {lang: n} most of the rankable rows share (of the reference's rows when a reference is mixed in; ties:
    the one with more languages, then more items), and, with the same n, the item set of each language
    most of them share where the records know it (item_set: same counts on other questions). A partial
    row is left as it is (its note says so)."""
    rankable = [r for r in rows if r.rankable]
    pool = [r for r in rankable if yours is not None and r.model not in yours]
    whose = "the references'" if pool else "the ranked rows'"
    pool = pool or rankable
    if not pool:
        return
    count = Counter(tuple(sorted(items.get((r.model, r.task), {}).items())) for r in pool)
    basis = max(count, key=lambda b: (count[b], len(b), sum(n for _, n in b), b))
    sets = item_sets or {}
    usual = {}  # lang -> the item set most rows of the basis have there
    for lang in dict(basis):
        seen = Counter(sets[(r.model, r.task)][lang] for r in pool if lang in sets.get((r.model, r.task), {}))
        if seen:
            usual[lang] = seen.most_common(1)[0][0]
    for r in rows:
        if not flags.partial_text(r.model, r.task):
            mine = items.get((r.model, r.task), {})
            why = items_difference(mine, dict(basis), whose, pivot)
            other = [lang for lang, s in sets.get((r.model, r.task), {}).items()
                     if lang in usual and s != usual[lang] and mine.get(lang) == dict(basis).get(lang)]
            if other and not why:
                why = [f"other items than {whose} in {', '.join(ordered_langs(other))} (the same number of items, "
                       "other questions)"]
            not_ranked(r, why)


def recomputed_note(recomputed: dict[str, str], tasks: Sequence[str]) -> str | None:
    """The note of a reference row of these tasks recomputed on your items (recomputed: task -> "en, zh, de;
    50 items per language"): "references recomputed on your languages and items (en, zh, de; 50 items per
    language)", naming the tasks when they differ; None when none of them was."""
    done = {t: recomputed[t] for t in tasks if t in recomputed}
    if not done:
        return None
    if len(set(done.values())) == 1 and len(done) == len(tasks):
        return f"{RECOMPUTED} ({next(iter(done.values()))})"
    return f"{RECOMPUTED} ({'; '.join(f'{t}: {what}' for t, what in done.items())})"


def mean_cell(cells: list[Cell]) -> Cell:
    """The mean of several values (Estimate.mean); its interval from their resamples averaged row by
    row, when all have them, through to_records (the one estimate -> record step, as every interval)."""
    if not cells or any(c.value is None for c in cells):
        return Cell()
    mean = Estimate.mean([_estimate(c) for c in cells])
    (record,) = to_records("", "", [Keyed("mean", mean)])
    return Cell(record.value, record.ci_low, record.ci_high, mean.samples[1:] if len(mean.samples) > 1 else None)


def _estimate(c: Cell) -> Estimate:
    """A cell as an Estimate: its value and its resamples (a non-finite resample is undefined)."""
    if c.resamples is None:
        return Estimate.of(c.value, 0)
    boot = np.asarray(c.resamples, dtype=np.float64)
    return Estimate(np.concatenate([[c.value], np.where(np.isfinite(boot), boot, np.nan)]), 0)


def _overall_row(task_rows: list[LeaderboardRow], flags: FlagIndex, model: str, tasks: list[str],
                 columns: list[Column]) -> LeaderboardRow:
    rows = [r for r in task_rows if r.task in tasks]
    row = LeaderboardRow(model, OVERALL, n=sum(r.n for r in rows))
    for c in columns:
        if c.metric != "xrr":
            row.cells[c.name] = mean_cell([r.cells.get(c.name, Cell()) for r in rows])
    shown = {c.metric for c in columns}
    # a flag over several tasks ("undefined" of a metric) once, not once per task
    row.flag_list = list(dict.fromkeys(f for t in tasks for f in flags.of(model, t) if _qualifies_row(f, shown)))
    row.flags = flags.summary(model, tasks)
    row.rankable = row.value(rank_by()[0]) is not None and all(r.rankable for r in rows)
    row.n_cells = sum(r.n_cells for r in rows)
    with_ci = all(row.cells[c.name].ci_low is not None for c in columns if c.name in row.cells and row.value(c.name))
    note = f"mean of {len(rows)} task values ({', '.join(tasks)})" + ("" if with_ci else
                                                                     "; no interval: resamples not available")
    unranked = sorted(r.task for r in rows if not r.rankable)
    if unranked:
        row.unranked_because = f"not ranked (unranked on {', '.join(unranked)})"
        note += "; " + "; ".join(f"{r.task} {r.unranked_because}" for r in rows if not r.rankable)
    elif not row.rankable:
        row.unranked_because = f"not ranked: {label(rank_by()[0])} undefined"
    row.note = note
    return row


def _partial_overall_row(task_rows: list[LeaderboardRow], flags: FlagIndex, model: str,
                         tasks: list[str]) -> LeaderboardRow:
    """The overall row of a model that lacks a task or a language of one: listed, no value, no rank."""
    have = {r.task for r in task_rows}
    lacking = [why for t in tasks for why in flags.partial_reasons(model, t)]
    lacking += [f"no {t}" for t in tasks if t not in have]
    row = LeaderboardRow(model, OVERALL, n=sum(r.n for r in task_rows))
    row.flag_list = list(dict.fromkeys(f for r in task_rows for f in r.flag_list))
    row.flags = flags.summary(model, [r.task for r in task_rows])
    row.n_cells = sum(r.n_cells for r in task_rows)
    row.unranked_because = "not ranked: partial"
    row.note = f"partial ({'; '.join(lacking)}): no overall value; its task rows are listed"
    return row


def _xrr_cell(records: Sequence[Record], model: str, resamples: dict | None) -> tuple[Cell, str | None]:
    """A model's XRR mean over its target languages (overall, not per stratum) under one condition, and
    what the note says of it (None: no XRR records). Runs of two conditions are never averaged together:
    the paper's protocol where the model has it, else its one condition; of several other conditions
    and not the paper's, no value."""
    xrr = [r for r in records if r.model == model and r.task == CD_TASK and r.metric == "xrr"
           and r.stratum is None and r.lang is not None]
    if not xrr:
        return Cell(), None
    conditions = list(dict.fromkeys(r.condition for r in xrr))
    if None not in conditions and len(conditions) > 1:
        return Cell(), f"XRR: runs of {len(conditions)} conditions ({', '.join(conditions)}) and none of the " \
                       "paper's protocol: no mean over targets"
    chosen = None if None in conditions else conditions[0]
    mine = [r for r in xrr if r.condition == chosen]
    others = [c for c in conditions if c != chosen]
    note = (f"XRR{f' ({chosen})' if chosen else ''}: mean over "
            + ", ".join(f"{r.lang_ref or 'en'}->{r.lang}" for r in mine)
            + (f"; runs under {', '.join(others)} left out" if others else ""))
    return mean_cell([_cell(r, resamples) for r in mine]), note


def rank_rows(rows: list[LeaderboardRow]) -> list[LeaderboardRow]:
    """Set .rank by RANK_KEY (equal keys share a rank) and return ranked rows first, then the others."""
    by = rank_by()

    def key(r: LeaderboardRow):
        return tuple(-(v if v is not None else -1.0) for v in (r.value(c) for c in by))

    ranked = sorted((r for r in rows if r.rankable), key=key)
    previous, rank = None, 0
    for i, r in enumerate(ranked, start=1):
        if key(r) != previous:
            rank, previous = i, key(r)
        r.rank = rank
    rest = sorted((r for r in rows if not r.rankable), key=key)
    for r in rest:
        r.rank = None
    return ranked + rest


def build_leaderboard(records: Sequence[Record], *, yours: set[str] | None = None, pivot: str = PIVOT,
                      flags: FlagIndex | None = None, resamples: dict | None = None,
                      recomputed: dict[str, str] | None = None) -> dict[str, list[LeaderboardRow]]:
    """{task: ranked rows} for every task, plus {"overall": rows} when the models share a task or have
    conductivity records. yours: the user's models when a reference is mixed in (their rows get source
    "yours", the others "reference"). recomputed: task -> your items the reference was recomputed on
    (the reference's provenance, clika.report.reference.with_reference): its rows' notes say so."""
    columns = headline_columns(pivot)
    index = {(r.model, r.task, r.metric, r.lang, r.aggregate): r for r in records if r.stratum is None}
    flags = flags or FlagIndex(records, pivot)
    tasks_of = _tasks(records)
    items: dict[tuple[str, str], dict[str, int]] = {}  # (model, task) -> {lang: n} of its accuracy records
    item_sets: dict[tuple[str, str], dict[str, str]] = {}  # (model, task) -> {lang: item_set}, where known
    for r in records:
        if r.metric == "accuracy" and r.stratum is None and r.aggregate is None and r.lang is not None:
            items.setdefault((r.model, r.task), {})[r.lang] = r.n
            if r.item_set is not None:
                item_sets.setdefault((r.model, r.task), {})[r.lang] = r.item_set
    by_task: dict[str, list[LeaderboardRow]] = {}
    per_model: dict[str, list[LeaderboardRow]] = {}
    for model, tasks in tasks_of.items():
        for task in tasks:
            row = _task_row(index, flags, model, task, pivot, columns, resamples)
            by_task.setdefault(task, []).append(row)
            per_model.setdefault(model, []).append(row)
    for rows in by_task.values():
        other_items(rows, items, flags, yours, pivot, item_sets)
    all_tasks = sorted(by_task)
    complete = set(complete_models(tasks_of, flags.partial, all_tasks))
    cd_models = list(dict.fromkeys(r.model for r in records if r.task == CD_TASK and r.metric == "xrr"))
    overall = []
    for m in dict.fromkeys([*tasks_of, *cd_models]):
        if m in complete:
            row = _overall_row(per_model[m], flags, m, all_tasks, columns)
        elif m in tasks_of:
            row = _partial_overall_row(per_model[m], flags, m, all_tasks)
        else:
            row = LeaderboardRow(m, OVERALL, note="conductivity only (no PF/CT records)", unranked_because="not ranked")
        cell, xrr_note = _xrr_cell(records, m, resamples)
        if xrr_note and any(c.metric == "xrr" for c in columns):
            row.cells["xrr"] = cell
            row.note = "; ".join(x for x in (row.note, xrr_note) if x)
        overall.append(row)
    out = {task: rank_rows(by_task[task]) for task in all_tasks}
    if complete or cd_models:
        out = {OVERALL: rank_rows(overall), **out}
    if yours is not None:
        for rows in out.values():
            for r in rows:
                r.source = "yours" if r.model in yours else "reference"
                note = recomputed_note(recomputed or {}, all_tasks if r.task == OVERALL else [r.task])
                if r.source == "reference" and note:
                    r.note = "; ".join(x for x in (r.note, note) if x)
    return out


def leaderboard_rows(board: dict[str, list[LeaderboardRow]]) -> list[LeaderboardRow]:
    """All rows, the overall rows of each model first then its tasks, models in overall order."""
    order = [r.model for r in board.get(OVERALL, [])] or list(dict.fromkeys(r.model for rows in board.values()
                                                                            for r in rows))
    rank = {m: i for i, m in enumerate(order)}
    rows = [r for rows in board.values() for r in rows]
    tasks = list(board)
    return sorted(rows, key=lambda r: (rank.get(r.model, len(rank)), tasks.index(r.task)))


def write_leaderboard_csv(board: dict[str, list[LeaderboardRow]], path: str | Path, pivot: str = PIVOT) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    columns = headline_columns(pivot)
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(csv_columns(columns))
        writer.writerows(r.csv_row(columns) for r in leaderboard_rows(board))
    return path
