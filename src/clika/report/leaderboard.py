"""The leaderboard: one row per (model, task) and an ``overall`` row per model, as plain data: the registry's
headline metrics (``headline_columns``), then n, rank, flags, chance, source and note (``csv_columns``). The rules
and their reasons are the texts a reader sees: RANK_KEY and OVERALL_RULE.

A row computed on other items than the rows it would be ranked against stays unranked (``other_items``); with
`--reference published` the reference is first recomputed on your items where it can be (reference.on_your_items),
so that both rank together. A partial model gets an overall row with no value that says what it lacks. Overall
intervals average the records' resamples resample by resample; XRR takes one condition per model, as runs of two
conditions are never averaged together.
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
INTERVAL = ("value", "ci_low", "ci_high")  # a Cell's fields, as the CSV and the HTML show them


def rank_by() -> tuple[str, str]:
    """(key, tie-break): the metrics tagged rank_key and rank_tiebreak (en-CO, then RA: the paper's CT, then PF)."""
    return tagged_one("rank_key"), tagged_one("rank_tiebreak")


_KEY, _TIE = (label(m) for m in rank_by())
RANK_KEY = (f"Rank: by {_KEY} (mean over the non-English languages), higher first; ties by {_TIE}. Listed but not "
            "ranked: partial rows (a language of the task has no predictions, or fewer than its item file has "
            "items), rows whose English accuracy is not above chance (95% interval reaching 1/k; RA and en-CO then "
            "compare with a guesser, and a model answering one option always gets RA = en-CO = 1), rows with a "
            "dominant option in English (every en-CO pairs with English, so all are inflated), rows with more than "
            f"{UNPARSEABLE_FLAG:.0%} of the English answers unparseable, rows with {_KEY} undefined, and rows "
            "computed on other items than the rows they would be ranked against (other languages, another n per "
            "language, e.g. a --limit run, or the same n on other questions, told by the records' item sets), than "
            "the reference's rows when one is given, else than most rows: their means are over other items.")
RECOMPUTED = "references recomputed on your languages and items"
OVERALL_RULE = ("Overall: the unweighted mean of the task values over every task here ({tasks}), for complete "
                "models only (every task in all its languages); a partial model or variant has no overall value "
                "and no rank. Intervals: the task resamples averaged resample by resample (tasks are resampled "
                "independently). XRR: the mean over the model's target languages. Ranked only when every task row "
                "is ranked.")


@dataclass(frozen=True)
class Column:
    """A value column of the leaderboard: which record it shows."""

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
        elif (d.scope in ("pivot", "items") and d.average) or d.scope == "cd":
            out.append(Column(d.name, d.name, None, "mean over targets" if d.scope == "cd" else "mean", d.label))
    return out


def csv_columns(columns: Sequence[Column]) -> tuple[str, ...]:
    """The CSV header: model, task, each column with its interval, then n, rank, flags, chance, source, note."""
    return ("model", "task", *(f"{c.name}{s}" for c in columns for s in ("", "_ci_low", "_ci_high")),
            "n", "rank", "flags", "chance", "source", "note")


@dataclass
class Cell:
    """A value with its interval, and its resamples where known (for the overall means)."""

    value: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    resamples: np.ndarray | None = None


@dataclass
class LeaderboardRow:
    """One row: a model on a task, or its overall row."""

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
        return self.cells[column].value if column in self.cells else None

    def csv_row(self, columns: Sequence[Column]) -> list[str]:
        values = [getattr(self.cells.get(c.name, Cell()), f) for c in columns for f in INTERVAL]
        values += [self.n, self.rank, self.flags, self.chance, self.source, self.note]
        return [self.model, self.task, *map(csv_number, values)]


def _tasks(records: Sequence[Record]) -> dict[str, list[str]]:
    """model -> its PF/CT tasks (those with an accuracy record), first-seen order."""
    out: dict[str, dict[str, None]] = {}
    for r in records:
        if r.metric == "accuracy" and r.stratum is None and r.aggregate is None:
            out.setdefault(r.model, {})[r.task] = None
    return {m: list(t) for m, t in out.items()}


def common_tasks(records: Sequence[Record], pivot: str = PIVOT, flags: FlagIndex | None = None) -> list[str]:
    """What the overall rows average over: every task of the records (sorted) if a model is complete on all."""
    by_model = _tasks(records)
    tasks = sorted({t for ts in by_model.values() for t in ts})
    return tasks if complete_models(by_model, (flags or FlagIndex(records, pivot)).partial, tasks) else []


def _cell(r: Record | None, resamples: dict | None) -> Cell:
    return Cell() if r is None else Cell(r.value, r.ci_low, r.ci_high, (resamples or {}).get(r.key))


def _add_note(row: LeaderboardRow, note: str | None) -> None:
    if note:
        row.note = "; ".join(x for x in (row.note, note) if x)


def _task_row(index: dict, flags: FlagIndex, model: str, task: str, pivot: str, columns: list[Column],
              resamples: dict | None) -> LeaderboardRow:
    row = LeaderboardRow(model, task, rankable=True, n_cells=len(flags.langs.get((model, task), ())))
    for c in columns:
        r = index.get((model, task, c.metric, c.lang, c.aggregate))
        row.cells[c.name] = _cell(r, resamples)
        if c.metric == "accuracy" and r is not None:
            row.n, row.chance = r.n, r.chance
    # a flag qualifies a number if it is an answer diagnostic, or of a metric the row shows (not, say, RA (adj.))
    shown = {c.metric for c in columns}
    row.flag_list = [f for f in flags.of(model, task) if f.kind not in ("undefined", "interval", "left_out")
                     or f.metric in shown]
    row.flags = flags.summary(model, [task])
    key, partial = rank_by()[0], flags.partial_text(model, task)
    not_ranked(row, [why for why, bad in ((partial, bool(partial)),
                                          (f"{label(key)} undefined", row.value(key) is None),
                                          ("English accuracy not above chance", flags.at_chance(model, task)),
                                          ("dominant option in English", flags.has(model, task, pivot, "dominant")),
                                          (f"more than {UNPARSEABLE_FLAG:.0%} of the English answers unparseable",
                                           flags.unparseable_high(model, task, pivot))) if bad])
    return row


def not_ranked(row: LeaderboardRow, reasons: Sequence[str]) -> None:
    """List a task row without a rank, for reasons added to those it has; its note says them all."""
    if reasons:
        have = row.unranked_because.removeprefix("not ranked: ")
        row.note = row.unranked_because = "not ranked: " + ", ".join([have, *reasons] if have else reasons)
        row.rankable = False


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
    """Unrank the rows of a task computed on other items than the rows they would be ranked against: the {lang: n}
    most of the rankable rows share (of the reference's rows when one is mixed in; ties: the one with more
    languages, then more items), and, with the same n, the item set of each language most of them share where the
    records know it (same counts on other questions). A partial row is left as it is (its note says so)."""
    rankable = [r for r in rows if r.rankable]
    references = [r for r in rankable if yours is not None and r.model not in yours]
    pool, whose = (references, "the references'") if references else (rankable, "the ranked rows'")
    if not pool:
        return
    count = Counter(tuple(sorted(items.get((r.model, r.task), {}).items())) for r in pool)
    basis = dict(max(count, key=lambda b: (count[b], len(b), sum(n for _, n in b), b)))
    sets = item_sets or {}
    seen = {lang: Counter(sets[(r.model, r.task)][lang] for r in pool if lang in sets.get((r.model, r.task), {}))
            for lang in basis}
    usual = {lang: c.most_common(1)[0][0] for lang, c in seen.items() if c}  # the item set most rows have there
    for r in rows:
        if flags.partial_text(r.model, r.task):
            continue
        mine = items.get((r.model, r.task), {})
        why = items_difference(mine, basis, whose, pivot)
        other = [lang for lang, s in sets.get((r.model, r.task), {}).items()
                 if lang in usual and s != usual[lang] and mine.get(lang) == basis.get(lang)]
        if other and not why:
            why = [f"other items than {whose} in {', '.join(ordered_langs(other))} (the same number of items, "
                   "other questions)"]
        not_ranked(r, why)


def recomputed_note(recomputed: dict[str, str], tasks: Sequence[str]) -> str | None:
    """A reference row's note, f"{RECOMPUTED} (en, zh, de; ...)" (naming the tasks when they differ), or None."""
    done = {t: recomputed[t] for t in tasks if t in recomputed}
    if len(set(done.values())) == 1 and len(done) == len(tasks):
        return f"{RECOMPUTED} ({next(iter(done.values()))})"
    return f"{RECOMPUTED} ({'; '.join(f'{t}: {what}' for t, what in done.items())})" if done else None


def mean_cell(cells: list[Cell]) -> Cell:
    """The mean of several values; its interval from their resamples averaged row by row, through to_records."""
    if not cells or any(c.value is None for c in cells):
        return Cell()
    mean = Estimate.mean([_estimate(c) for c in cells])
    (record,) = to_records("", "", [Keyed("mean", mean)])
    return Cell(record.value, record.ci_low, record.ci_high, mean.samples[1:] if len(mean.samples) > 1 else None)


def _estimate(c: Cell) -> Estimate:
    """A cell as an Estimate: its value and its resamples, if any (a non-finite resample is undefined)."""
    boot = np.asarray(() if c.resamples is None else c.resamples, dtype=np.float64)
    return Estimate(np.concatenate([[c.value], np.where(np.isfinite(boot), boot, np.nan)]), 0)


def _overall_row(records: Sequence[Record], rows: list[LeaderboardRow], flags: FlagIndex, model: str,
                 tasks: list[str], complete: bool, columns: list[Column], resamples: dict | None) -> LeaderboardRow:
    """A model's overall row: the mean of its task values when it is complete on every task, else listed with no
    value and no rank (what a partial model lacks); with its XRR mean over targets where it has XRR records."""
    if rows:
        # flags in the tasks' order when complete, else in the rows'; a flag over several tasks once, not per task
        ordered = sorted(rows, key=lambda r: tasks.index(r.task)) if complete else rows
        row = LeaderboardRow(model, OVERALL, n=sum(r.n for r in rows), n_cells=sum(r.n_cells for r in rows),
                             flags=flags.summary(model, [r.task for r in ordered]),
                             flag_list=list(dict.fromkeys(f for r in ordered for f in r.flag_list)))
    else:
        row = LeaderboardRow(model, OVERALL, note="conductivity only (no PF/CT records)", unranked_because="not ranked")
    if complete:
        row.cells = {c.name: mean_cell([r.cells.get(c.name, Cell()) for r in rows]) for c in columns
                     if c.metric != "xrr"}
        row.rankable = row.value(rank_by()[0]) is not None and all(r.rankable for r in rows)
        with_ci = all(cell.ci_low is not None for cell in row.cells.values() if cell.value)
        row.note = f"mean of {len(rows)} task values ({', '.join(tasks)})" + (
            "" if with_ci else "; no interval: resamples not available")
        unranked = [r for r in rows if not r.rankable]
        if unranked:
            row.unranked_because = f"not ranked (unranked on {', '.join(sorted(r.task for r in unranked))})"
            row.note += "; " + "; ".join(f"{r.task} {r.unranked_because}" for r in unranked)
        elif not row.rankable:
            row.unranked_because = f"not ranked: {label(rank_by()[0])} undefined"
    elif rows:
        lacking = [why for t in tasks for why in flags.partial_reasons(model, t)]
        lacking += [f"no {t}" for t in tasks if t not in {r.task for r in rows}]
        row.unranked_because = "not ranked: partial"
        row.note = f"partial ({'; '.join(lacking)}): no overall value; its task rows are listed"
    cell, xrr_note = _xrr_cell(records, model, resamples)
    if xrr_note and any(c.metric == "xrr" for c in columns):
        row.cells["xrr"] = cell
        _add_note(row, xrr_note)
    return row


def _xrr_cell(records: Sequence[Record], model: str, resamples: dict | None) -> tuple[Cell, str | None]:
    """A model's XRR mean over its targets (overall, not per stratum) under one condition, and what the note says
    of it (None: no XRR records): the paper's protocol where the model has it, else its one condition; of
    several other conditions and not the paper's, no value (two conditions are never averaged together)."""
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
    for i, r in enumerate(ranked):
        r.rank = ranked[i - 1].rank if i and key(r) == key(ranked[i - 1]) else i + 1
    rest = sorted((r for r in rows if not r.rankable), key=key)
    for r in rest:
        r.rank = None
    return ranked + rest


def build_leaderboard(records: Sequence[Record], *, yours: set[str] | None = None, pivot: str = PIVOT,
                      flags: FlagIndex | None = None, resamples: dict | None = None,
                      recomputed: dict[str, str] | None = None) -> dict[str, list[LeaderboardRow]]:
    """{task: ranked rows}, plus {"overall": rows} when the models share a task or have conductivity records.
    yours: the user's models beside a reference; recomputed: task -> your items the reference was recomputed on."""
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
    task_rows = [_task_row(index, flags, m, t, pivot, columns, resamples) for m, ts in tasks_of.items() for t in ts]
    by_task: dict[str, list[LeaderboardRow]] = {}
    for row in task_rows:
        by_task.setdefault(row.task, []).append(row)
    for rows in by_task.values():
        other_items(rows, items, flags, yours, pivot, item_sets)
    all_tasks = sorted(by_task)
    complete = set(complete_models(tasks_of, flags.partial, all_tasks))
    cd_models = list(dict.fromkeys(r.model for r in records if r.task == CD_TASK and r.metric == "xrr"))
    overall = [_overall_row(records, [r for r in task_rows if r.model == m], flags, m, all_tasks, m in complete,
                            columns, resamples) for m in dict.fromkeys([*tasks_of, *cd_models])]
    out = {task: rank_rows(by_task[task]) for task in all_tasks}
    if complete or cd_models:
        out = {OVERALL: rank_rows(overall), **out}
    if yours is not None:
        for r in (r for rows in out.values() for r in rows):
            r.source = "yours" if r.model in yours else "reference"
            if r.source == "reference":
                _add_note(r, recomputed_note(recomputed or {}, all_tasks if r.task == OVERALL else [r.task]))
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
    """Write leaderboard.csv: every row (leaderboard_rows) under csv_columns; returns its path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    columns = headline_columns(pivot)
    with path.open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows([csv_columns(columns), *(r.csv_row(columns) for r in leaderboard_rows(board))])
    return path
