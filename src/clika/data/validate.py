"""`clika data validate`: every problem in an item source, not just the first.

Checks: lines that are not JSON objects or not UTF-8, missing or mistyped
fields, labels out of range, option counts that differ from the task's
TaskSpec, duplicate ids within one (task, lang), empty or duplicate option
texts, a source without items, a task without the pivot language, and
alignment: every language of a task must hold the same item ids (CT metrics
compare items by id).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from clika.errors import ClikaError
from clika.items import LETTERS, PIVOT, Item, lang_order_key
from clika.tasks import TaskRegistry, builtin_registry


@dataclass(frozen=True)
class Problem:
    """One problem, printed as ``path:line: message`` (``path: message`` without a line).

    severity "error": the data cannot be used as it is (validate exits 1); "warning": it can,
    but a reader must know (e.g. two options with the same text, which upstream X-CSQA has
    in every language): clika scores such items as the data defines them and says so.
    category groups warnings of one kind for the summary."""

    path: str
    line: int | None
    message: str
    severity: str = "error"
    category: str = ""

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line is not None else self.path
        return f"{where}: {self.message}".replace("\n", " ")


@dataclass
class ValidationReport:
    items: list[Item]
    problems: list[Problem] = field(default_factory=list)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity != "error"]

    @property
    def ok(self) -> bool:
        return not self.errors


def _split_source(source: str) -> tuple[str, int | None]:
    path, _, line = source.rpartition(":")
    return (path, int(line)) if path and line.isdigit() else (source, None)


def _option_count_problems(items: list[Item], registry: TaskRegistry) -> list[Problem]:
    problems = []
    for item in items:
        spec = registry.get(item.task)
        if spec is not None and spec.n_options and item.n_options != spec.n_options:
            path, line = _split_source(item.source)
            problems.append(Problem(path, line, f"{item.task} items have {spec.n_options} options, "
                                                f"item {item.item_id!r} has {item.n_options}"))
    return problems


def _option_text_problems(items: list[Item]) -> list[Problem]:
    """Empty option texts, and two options with the same text (no model can tell them apart)."""
    problems = []
    for item in items:
        path, line = _split_source(item.source)
        texts = [o.strip() for o in item.options]
        empty = [i for i, t in enumerate(texts) if not t]
        where = f"{item.task}/{item.lang} item {item.item_id!r}"
        if empty:
            problems.append(Problem(path, line, f"{where}: option(s) {', '.join('ABCDEFGHIJ'[i] for i in empty)} "
                                                "empty", "warning", "empty option text"))
        dupes = sorted({t for t in texts if t and texts.count(t) > 1})
        if dupes:
            same = [LETTERS[i] for i, t in enumerate(texts) if t == dupes[0]]
            right = "; one of them is the gold" if LETTERS[item.gold] in same else ""
            problems.append(Problem(path, line, f"{where}: options {' and '.join(same)} have the same text "
                                                f"{dupes[0]!r}{right}", "warning", "duplicate option text"))
        if not item.question.strip():
            problems.append(Problem(path, line, f"{where}: empty question", "warning", "empty question"))
    return problems


def _pivot_problems(items: list[Item], source: str) -> list[Problem]:
    """A task without the pivot language cannot have RA or en-CO."""
    by_task: dict[str, set[str]] = defaultdict(set)
    first: dict[str, str] = {}
    for item in items:
        by_task[item.task].add(item.lang)
        first.setdefault(item.task, item.source)
    problems = []
    for task, langs in by_task.items():
        if PIVOT not in langs:
            path, _ = _split_source(first[task])
            problems.append(Problem(path or source, None, f"task {task} has no items in the pivot language {PIVOT!r} "
                                                          f"(it has {' '.join(sorted(langs, key=lang_order_key))}): "
                                                          "RA and en-CO need it"))
    return problems


def _duplicate_problems(items: list[Item]) -> list[Problem]:
    first_seen: dict[tuple[str, str, str], str] = {}
    problems = []
    for item in items:
        key = (item.task, item.lang, item.item_id)
        if key in first_seen:
            path, line = _split_source(item.source)
            problems.append(Problem(path, line, f"duplicate id {item.item_id!r} in {item.task}/{item.lang} "
                                                f"(first at {first_seen[key]})"))
        else:
            first_seen[key] = item.source
    return problems


def _alignment_problems(items: list[Item], files_with_bad_lines: set[str]) -> list[Problem]:
    """Ids missing in some language of a task, reported against that language's file."""
    where: dict[tuple[str, str], dict[str, str]] = defaultdict(dict)  # (task, lang) -> id -> source
    for item in items:
        where[(item.task, item.lang)].setdefault(item.item_id, item.source)
    problems = []
    for task in dict.fromkeys(t for t, _ in where):
        langs = sorted((lang for t, lang in where if t == task), key=lang_order_key)
        all_ids = dict.fromkeys(i for lang in langs for i in where[(task, lang)])
        for lang in langs:
            present = where[(task, lang)]
            files = {_split_source(src)[0] for src in present.values()}
            # A line that could not be read is already reported; its item being
            # "missing" here would report the same fault twice.
            if files & files_with_bad_lines:
                continue
            file = min(files)
            for item_id in all_ids:
                if item_id not in present:
                    other = next(lg for lg in langs if item_id in where[(task, lg)])
                    problems.append(Problem(file, None, f"{task}/{lang} lacks item {item_id!r} "
                                                        f"(present in {other} at {where[(task, other)][item_id]})"))
    return problems


def validate_source(source: str | Path, tasks: Sequence[str] | None = None,
                    langs: Sequence[str] | None = None, registry: TaskRegistry | None = None) -> ValidationReport:
    """Load ``source`` collecting every problem; then check the loaded items."""
    from clika.data import load_items

    registry = registry or builtin_registry()
    read_problems: list[Problem] = []

    def collect(path: Path, line: int | None, message: str) -> None:
        read_problems.append(Problem(str(path), line, message))

    try:
        items = load_items(source, tasks, langs, on_problem=collect, registry=registry)
    except ClikaError as err:  # structural: a missing file, an unknown source
        read_problems.append(Problem(err.path or str(source), err.line, err.message))
        return ValidationReport([], read_problems)
    if not items and not read_problems:
        what = f" for task(s) {', '.join(tasks)}" if tasks else ""
        read_problems.append(Problem(str(source), None, f"no items{what}: the source is empty"))
    bad_files = {p.path for p in read_problems}
    problems = read_problems + _option_count_problems(items, registry) + _option_text_problems(items)
    problems += _duplicate_problems(items) + _alignment_problems(items, bad_files)
    if not langs:
        problems += _pivot_problems(items, str(source))
    return ValidationReport(items, problems)


def count_table(items: list[Item]) -> tuple[list[str], list[str], dict[tuple[str, str], int]]:
    """(tasks, langs, counts) for the item-count table, in registry / LANGS order."""
    counts: dict[tuple[str, str], int] = defaultdict(int)
    for item in items:
        counts[(item.task, item.lang)] += 1
    task_order = {t: i for i, t in enumerate(builtin_registry().names())}
    tasks = sorted({t for t, _ in counts}, key=lambda t: (task_order.get(t, len(task_order)), t))
    langs = sorted({lang for _, lang in counts}, key=lang_order_key)
    return tasks, langs, dict(counts)
