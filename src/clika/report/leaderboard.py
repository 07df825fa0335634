"""The leaderboard: one row per (model, task) and an ``overall`` row per model, as plain data.

Columns (LeaderboardRow, and DIR/leaderboard.csv in this order): model, task, accuracy_en,
ra, en_co (each with _ci_low/_ci_high), n, rank, flags, plus chance (1/k), source ("yours" /
"reference" when a reference is mixed in) and note.

- accuracy_en is the English (pivot) accuracy record; ra and en_co are the "avg" records, i.e.
  the means over the non-English languages, with their bootstrap intervals.
- n is the number of English items (summed over the tasks in the overall row).
- rank (RANK_KEY): within a task, rows are ordered by en-CO (higher first), ties by RA. A row
  is listed but not ranked when the model is partial on the task (a language the task expects
  has no predictions: its means are over fewer languages), when en-CO is undefined, when English
  accuracy is not above chance (its 95% interval reaches 1/k: RA and en-CO then compare a
  language with a guesser, and a model that always answers "A" reaches RA = en-CO = 1), when
  English has a dominant option (every en-CO pairs a language with English, so all of them are
  inflated), or when more than UNPARSEABLE_FLAG of the English answers are unparseable (RA
  divides by an accuracy that unreadable answers pulled down).
- overall (OVERALL_RULE): the unweighted mean of the model's task values over every task of the
  leaderboard, for complete models only (every task, in all its languages:
  clika.data.coverage); a partial model or variant keeps its task rows and gets an overall row
  with no value that says what it lacks, so overall values compare like with like and a
  one-language variant never shrinks everyone's mean. Its intervals are left empty: each task's
  interval comes from its own resamples of its own items, and the records do not carry the
  replicates a valid interval of the mean would need. The overall row is ranked by the same key,
  and only when every one of its task rows is ranked.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from clika.data.coverage import complete_models
from clika.items import PIVOT
from clika.metrics.diagnostics import UNPARSEABLE_FLAG
from clika.metrics.records import MetricRecord
from clika.report.flags import Flag, FlagIndex

OVERALL = "overall"
VALUE_COLUMNS = ("accuracy_en", "ra", "en_co")
CSV_COLUMNS = ("model", "task", *(f"{c}{s}" for c in VALUE_COLUMNS for s in ("", "_ci_low", "_ci_high")),
               "n", "rank", "flags", "chance", "source", "note")
RANK_KEY = ("Rank: by en-CO (mean over the non-English languages), higher first; ties by RA. Listed but not "
            "ranked: partial rows (a language of the task has no predictions), rows whose English accuracy is not "
            "above chance (95% interval reaching 1/k; RA and en-CO then compare with a guesser, and a model "
            "answering one option always gets RA = en-CO = 1), rows with a dominant option in English (every "
            f"en-CO pairs with English, so all are inflated), rows with more than {UNPARSEABLE_FLAG:.0%} of the "
            "English answers unparseable and rows with en-CO undefined.")
OVERALL_RULE = ("Overall: the unweighted mean of the task values over every task here ({tasks}), for complete "
                "models only (every task in all its languages); a partial model or variant has no overall value "
                "and no rank. No interval is given (each task's interval comes from its own item resamples, and "
                "the records do not hold the replicates a valid interval of the mean needs). Ranked only when "
                "every task row is ranked.")


@dataclass
class LeaderboardRow:
    model: str
    task: str
    accuracy_en: float | None = None
    accuracy_en_ci_low: float | None = None
    accuracy_en_ci_high: float | None = None
    ra: float | None = None
    ra_ci_low: float | None = None
    ra_ci_high: float | None = None
    en_co: float | None = None
    en_co_ci_low: float | None = None
    en_co_ci_high: float | None = None
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

    def csv_row(self) -> list[str]:
        out = []
        for col in CSV_COLUMNS:
            v = getattr(self, col)
            out.append("" if v is None else (f"{v:.6g}" if isinstance(v, float) else str(v)))
        return out


def _tasks(records: Sequence[MetricRecord], pivot: str) -> dict[str, list[str]]:
    """model -> its tasks (those with an accuracy record, in the pivot or, for a partial run without
    it, in any language), first-seen order."""
    out: dict[str, dict[str, None]] = {}
    for r in records:
        if r.metric == "accuracy" and r.stratum is None and r.lang != "avg":
            out.setdefault(r.model, {})[r.task] = None
    return {m: list(t) for m, t in out.items()}


def common_tasks(records: Sequence[MetricRecord], pivot: str = PIVOT, flags: FlagIndex | None = None) -> list[str]:
    """What the overall rows average over: every task of the records (sorted), when at least one
    model is complete on all of them; else none."""
    by_model = _tasks(records, pivot)
    tasks = sorted({t for ts in by_model.values() for t in ts})
    flags = flags or FlagIndex(records, pivot)
    return tasks if complete_models(by_model, flags.partial, tasks) else []


ROW_METRICS = ("accuracy", "ra", "en_co")


def _qualifies_row(f: Flag) -> bool:
    """A flag that qualifies a leaderboard number: any answer diagnostic, and undefined values or intervals
    of the metrics the row shows (not, say, of RA (adj.))."""
    return f.kind not in ("undefined", "interval", "left_out") or f.metric in ROW_METRICS


def _task_row(index: dict, flags: FlagIndex, model: str, task: str, pivot: str) -> LeaderboardRow:
    row = LeaderboardRow(model, task)
    for col, (lang, metric) in zip(VALUE_COLUMNS, ((pivot, "accuracy"), ("avg", "ra"), ("avg", "en_co"))):
        r = index.get((model, task, lang, metric))
        if r is not None:
            setattr(row, col, r.value)
            setattr(row, f"{col}_ci_low", r.ci_low)
            setattr(row, f"{col}_ci_high", r.ci_high)
            if metric == "accuracy":
                row.n, row.chance = r.n, r.chance
    row.flag_list = [f for f in flags.of(model, task) if _qualifies_row(f)]
    row.flags = flags.summary(model, [task])
    partial = flags.partial_text(model, task)
    reasons = [why for why, bad in ((partial, bool(partial)),
                                    ("en-CO undefined", row.en_co is None),
                                    ("English accuracy not above chance", flags.at_chance(model, task)),
                                    ("dominant option in English", flags.has(model, task, pivot, "dominant")),
                                    (f"more than {UNPARSEABLE_FLAG:.0%} of the English answers unparseable",
                                     flags.unparseable_high(model, task, pivot)))
               if bad]
    row.rankable = not reasons
    row.unranked_because = ("not ranked: " + ", ".join(reasons)) if reasons else ""
    row.n_cells = len(flags.langs.get((model, task), ()))
    if reasons:
        row.note = row.unranked_because
    return row


def _mean(values: list[float | None]) -> float | None:
    if not values or any(v is None for v in values):
        return None
    return sum(values) / len(values)


def _partial_overall_row(task_rows: list[LeaderboardRow], flags: FlagIndex, model: str,
                         tasks: list[str]) -> LeaderboardRow:
    """The overall row of a model that lacks a task or a language of one: listed, no value, no rank."""
    have = {r.task for r in task_rows}
    lacking = [flags.partial_text(model, t).replace("partial: ", f"{t}: ") for t in tasks if (model, t) in flags.partial]
    lacking += [f"no {t}" for t in tasks if t not in have]
    row = LeaderboardRow(model, OVERALL, n=sum(r.n for r in task_rows))
    row.flag_list = [f for r in task_rows for f in r.flag_list]
    row.flags = flags.summary(model, [r.task for r in task_rows])
    row.n_cells = sum(r.n_cells for r in task_rows)
    row.unranked_because = "not ranked: partial"
    row.note = f"partial ({'; '.join(lacking)}): no overall value; its task rows are listed"
    return row


def _overall_row(task_rows: list[LeaderboardRow], flags: FlagIndex, model: str, tasks: list[str]) -> LeaderboardRow:
    rows = [r for r in task_rows if r.task in tasks]
    row = LeaderboardRow(model, OVERALL, n=sum(r.n for r in rows))
    for col in VALUE_COLUMNS:
        setattr(row, col, _mean([getattr(r, col) for r in rows]))
    row.flag_list = [f for t in tasks for f in flags.of(model, t) if _qualifies_row(f)]
    row.flags = flags.summary(model, tasks)
    row.rankable = row.en_co is not None and all(r.rankable for r in rows)
    row.n_cells = sum(r.n_cells for r in rows)
    note = f"mean of {len(rows)} task values ({', '.join(tasks)}); no interval"
    unranked = sorted(r.task for r in rows if not r.rankable)
    if unranked:
        row.unranked_because = f"not ranked (unranked on {', '.join(unranked)})"
        note += "; " + "; ".join(f"{r.task} {r.unranked_because}" for r in rows if not r.rankable)
    elif not row.rankable:
        row.unranked_because = "not ranked: en-CO undefined"
    row.note = note
    return row


def rank_rows(rows: list[LeaderboardRow]) -> list[LeaderboardRow]:
    """Set .rank by RANK_KEY (equal keys share a rank) and return ranked rows first, then the others
    ordered by en-CO."""
    def key(r: LeaderboardRow):
        return (-(r.en_co if r.en_co is not None else -1.0), -(r.ra if r.ra is not None else -1.0))

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


def build_leaderboard(records: Sequence[MetricRecord], *, yours: set[str] | None = None,
                      pivot: str = PIVOT, flags: FlagIndex | None = None) -> dict[str, list[LeaderboardRow]]:
    """{task: ranked rows} for every task, plus {"overall": rows} when the models share a task.

    yours: the user's models when a reference is mixed in (their rows get source "yours", the
    others "reference"); None marks no row.
    """
    index = {(r.model, r.task, r.lang, r.metric): r for r in records if r.stratum is None}
    flags = flags or FlagIndex(records, pivot)
    tasks_of = _tasks(records, pivot)
    by_task: dict[str, list[LeaderboardRow]] = {}
    per_model: dict[str, list[LeaderboardRow]] = {}
    for model, tasks in tasks_of.items():
        for task in tasks:
            row = _task_row(index, flags, model, task, pivot)
            by_task.setdefault(task, []).append(row)
            per_model.setdefault(model, []).append(row)
    all_tasks = sorted(by_task)
    complete = set(complete_models(tasks_of, flags.partial, all_tasks))
    out = {task: rank_rows(by_task[task]) for task in all_tasks}
    if complete:
        out = {OVERALL: rank_rows([_overall_row(per_model[m], flags, m, all_tasks) if m in complete
                                   else _partial_overall_row(per_model[m], flags, m, all_tasks) for m in tasks_of]),
               **out}
    if yours is not None:
        for rows in out.values():
            for r in rows:
                r.source = "yours" if r.model in yours else "reference"
    return out


def leaderboard_rows(board: dict[str, list[LeaderboardRow]]) -> list[LeaderboardRow]:
    """All rows, the overall rows of each model first then its tasks, models in overall order."""
    order = [r.model for r in board.get(OVERALL, [])] or list(dict.fromkeys(r.model for rows in board.values()
                                                                            for r in rows))
    rank = {m: i for i, m in enumerate(order)}
    rows = [r for rows in board.values() for r in rows]
    tasks = list(board)
    return sorted(rows, key=lambda r: (rank.get(r.model, len(rank)), tasks.index(r.task)))


def write_leaderboard_csv(board: dict[str, list[LeaderboardRow]], path: str | Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(CSV_COLUMNS)
        writer.writerows(r.csv_row() for r in leaderboard_rows(board))
    return path
