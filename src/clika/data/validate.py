"""`clika data validate`: every problem in an item source, not just the first.

Checks: lines that are not JSON objects or not UTF-8, missing or mistyped fields, labels out of range, option counts
that differ from the task's TaskSpec, duplicate ids within one (task, lang), empty or duplicate option texts, a source
without items, a task without the pivot language, and alignment: every language of a task must hold the same item ids
(CT metrics compare items by id).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from clika.errors import ClikaError
from clika.items import LETTERS, PIVOT, Item, ordered_langs
from clika.tasks import TaskRegistry, builtin_registry


@dataclass(frozen=True)
class Problem:
    """One problem, printed as ``path:line: message`` (``path: message`` without a line).

    severity "error": the data cannot be used as it is (validate exits 1); "warning": it can, but a reader must know
    (e.g. two options with the same text, which upstream X-CSQA has in every language): clika scores such items as
    the data defines them and says so. category groups warnings of one kind for the summary."""

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
    """The items read and every problem found, errors and warnings in the order they were found."""

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


def _item_problems(items: list[Item], registry: TaskRegistry) -> list[Problem]:
    """Each item's own problems, by kind: an option count other than its task's; empty option texts, two options
    with the same text (no model can tell them apart), an empty question; an id seen before in its (task, lang)."""
    counts, texts, duplicates = [], [], []
    first_seen: dict[tuple[str, str, str], str] = {}
    for item in items:
        path, line = _split_source(item.source)
        spec = registry.get(item.task)
        if spec is not None and spec.n_options and item.n_options != spec.n_options:
            counts.append(Problem(path, line, f"{item.task} items have {spec.n_options} options, "
                                              f"item {item.item_id!r} has {item.n_options}"))
        options = [o.strip() for o in item.options]
        where = f"{item.task}/{item.lang} item {item.item_id!r}"
        if empty := [LETTERS[i] for i, t in enumerate(options) if not t]:
            texts.append(Problem(path, line, f"{where}: option(s) {', '.join(empty)} empty", "warning",
                                 "empty option text"))
        if dupes := sorted({t for t in options if t and options.count(t) > 1}):
            same = [LETTERS[i] for i, t in enumerate(options) if t == dupes[0]]
            right = "; one of them is the gold" if LETTERS[item.gold] in same else ""
            texts.append(Problem(path, line, f"{where}: options {' and '.join(same)} have the same text "
                                             f"{dupes[0]!r}{right}", "warning", "duplicate option text"))
        if not item.question.strip():
            texts.append(Problem(path, line, f"{where}: empty question", "warning", "empty question"))
        key = (item.task, item.lang, item.item_id)
        if key in first_seen:
            duplicates.append(Problem(path, line, f"duplicate id {item.item_id!r} in {item.task}/{item.lang} "
                                                  f"(first at {first_seen[key]})"))
        first_seen.setdefault(key, item.source)
    return counts + texts + duplicates


def _task_problems(items: list[Item], bad_files: set[str], source: str, pivot: bool) -> list[Problem]:
    """Ids missing in some language of a task, reported against that language's file; then, with ``pivot``, tasks
    without the pivot language (they cannot have RA or en-CO)."""
    where: dict[tuple[str, str], dict[str, str]] = defaultdict(dict)  # (task, lang) -> id -> source
    for item in items:
        where[(item.task, item.lang)].setdefault(item.item_id, item.source)
    missing, no_pivot = [], []
    for task in dict.fromkeys(t for t, _ in where):
        langs = ordered_langs(lang for t, lang in where if t == task)
        if pivot and PIVOT not in langs:
            first = next(item.source for item in items if item.task == task)
            no_pivot.append(Problem(_split_source(first)[0] or source, None, f"task {task} has no items in the pivot "
                                    f"language {PIVOT!r} (it has {' '.join(langs)}): RA and en-CO need it"))
        first_lang: dict[str, str] = {}  # id -> the first language that has it
        for lang in langs:
            first_lang.update({i: lang for i in where[(task, lang)] if i not in first_lang})
        for lang in langs:
            present = where[(task, lang)]
            files = {_split_source(src)[0] for src in present.values()}
            # a line that could not be read is already reported: its item "missing" here would be the same fault twice
            if not files & bad_files:
                missing += [Problem(min(files), None, f"{task}/{lang} lacks item {i!r} (present in {other} at "
                                                      f"{where[(task, other)][i]})")
                            for i, other in first_lang.items() if i not in present]
    return missing + no_pivot


def validate_source(source: str | Path, tasks: Sequence[str] | None = None,
                    langs: Sequence[str] | None = None, registry: TaskRegistry | None = None) -> ValidationReport:
    """Load ``source`` collecting every problem; then check the loaded items."""
    from clika.data import load_items

    registry = registry or builtin_registry()
    problems: list[Problem] = []
    try:
        items = load_items(source, tasks, langs, registry=registry,
                           on_problem=lambda path, line, message: problems.append(Problem(str(path), line, message)))
    except ClikaError as err:  # structural: a missing file, an unknown source
        return ValidationReport([], [*problems, Problem(err.path or str(source), err.line, err.message)])
    if not items and not problems:
        what = f" for task(s) {', '.join(tasks)}" if tasks else ""
        problems.append(Problem(str(source), None, f"no items{what}: the source is empty"))
    bad_files = {p.path for p in problems}
    problems += _item_problems(items, registry) + _task_problems(items, bad_files, str(source), pivot=not langs)
    return ValidationReport(items, problems)


def count_table(items: list[Item]) -> tuple[list[str], list[str], dict[tuple[str, str], int]]:
    """(tasks, langs, counts) for the item-count table, in registry / LANGS order."""
    counts = Counter((item.task, item.lang) for item in items)
    task_order = {t: i for i, t in enumerate(builtin_registry().names())}
    tasks = sorted({t for t, _ in counts}, key=lambda t: (task_order.get(t, len(task_order)), t))
    return tasks, ordered_langs(lang for _, lang in counts), dict(counts)
