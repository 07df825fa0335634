"""The items of the upstream CLiKA data layout (a clone of the paper's repository).

    x_csqa/<LANG>[_trans]/validation.jsonl          CommonsenseQA, 5 options
    x_copa/<lang>/test.jsonl                        XCOPA-style, 2 options
    x_geo/<lang>/<lang>_geo_data.jsonl              places, 4 options
    x_name/<lang>/<lang>_name_data_generate.jsonl   birth years, 4 options
    <task>/x_<task>_<langdir>_model_input.jsonl     the exact upstream prompts (a test oracle)

The tasks, their item-file globs and record shapes come from the task registry (clika/tasks/*.yaml, ``dataset:
{format: upstream, ...}``): a new task in this layout is one YAML file (and a parser only for a new record shape).

Quirks: folder names carry the language in either case, with or without ``_trans``; the ``lang`` field inside
x_csqa/ZH_trans says "en" (the folder is trusted); the gold label is a letter (x_csqa ``answerKey``), a 0/1 (x_copa)
or an option index (x_geo, x_name); ids are strings in x_csqa and integers elsewhere (always ``str`` here).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from clika.data.lines import ProblemSink, raise_problem, read_json_lines
from clika.errors import ConfigError, DataError
from clika.items import Item, lang_order_key
from clika.tasks import TaskRegistry, TaskSpec, builtin_registry


def upstream_tasks(registry: TaskRegistry | None = None) -> list[TaskSpec]:  # the tasks of the upstream layout
    return (registry or builtin_registry()).upstream()


class _Invalid(Exception):
    """A record that cannot become an Item."""


def lang_of_dir(name: str) -> str:
    """A language folder's code: "ZH_trans" -> "zh", "en" -> "en", "DE" -> "de"."""
    return name.split("_", 1)[0].lower()


def is_upstream_root(path: Path, registry: TaskRegistry | None = None) -> bool:
    return path.is_dir() and any((path / t.name).is_dir() for t in upstream_tasks(registry))


def task_lang_dirs(root: Path, task: str) -> dict[str, Path]:
    """Language code -> its folder under ``root/task``, in LANGS order first."""
    task_dir = Path(root) / task
    if not task_dir.is_dir():
        raise DataError(f"no folder for task {task} in the upstream layout", task_dir)
    found: dict[str, Path] = {}
    for sub in sorted(p for p in task_dir.iterdir() if p.is_dir()):
        lang = lang_of_dir(sub.name)
        if not lang.isalpha():
            continue
        if lang in found:
            raise DataError(f"two folders for language {lang!r}: {found[lang].name} and {sub.name}", task_dir)
        found[lang] = sub
    return dict(sorted(found.items(), key=lambda kv: lang_order_key(kv[0])))


def _spec(task: str | TaskSpec) -> TaskSpec:
    return task if isinstance(task, TaskSpec) else builtin_registry()[task]


def item_file(lang_dir: Path, task: str | TaskSpec) -> Path:  # the one item file of a task in a language folder
    spec = _spec(task)
    pattern = spec.dataset.file or ""
    matches = sorted(lang_dir.glob(pattern))
    if len(matches) != 1:
        raise DataError(f"{len(matches) or 'no'} item file matching {pattern!r} for {spec.name}", lang_dir)
    return matches[0]


def _field(rec: dict[str, Any], key: str, kind: type | tuple[type, ...]) -> Any:
    if key not in rec:
        raise _Invalid(f"missing field {key!r}")
    value = rec[key]
    if not isinstance(value, kind) or isinstance(value, bool):
        names = kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
        raise _Invalid(f"field {key!r} must be {names}, got {type(value).__name__}")
    return value


def _id(rec: dict[str, Any]) -> str:
    return str(_field(rec, "id", (str, int)))


def _str_list(value: Any, what: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise _Invalid(f"{what} must be a list of strings")
    return tuple(value)


def _index(label: int, n: int, what: str) -> int:
    if not 0 <= label < n:
        raise _Invalid(f"{what} {label} is out of range for {n} options")
    return label


# What a record parser returns: id, question, options, gold index, meta.
Parsed = tuple[str, str, tuple[str, ...], int, dict[str, Any]]


def _csqa(rec: dict[str, Any]) -> Parsed:
    question = _field(rec, "question", dict)
    stem = _field(question, "stem", str)
    choices = _field(question, "choices", dict)
    labels = _str_list(choices.get("label"), "question.choices.label")
    texts = _str_list(choices.get("text"), "question.choices.text")
    if len(labels) != len(texts):
        raise _Invalid(f"{len(labels)} choice labels but {len(texts)} choice texts")
    key = _field(rec, "answerKey", str)
    if key not in labels:
        raise _Invalid(f"answerKey {key!r} is not one of the labels {''.join(labels)}")
    # Options are shown as A, B, C...; reorder so option i is letter i.
    order = sorted(range(len(labels)), key=lambda i: labels[i])
    texts, labels = tuple(texts[i] for i in order), tuple(labels[i] for i in order)
    return _id(rec), stem, texts, labels.index(key), {}


def _copa(rec: dict[str, Any]) -> Parsed:
    premise = _field(rec, "premise", str)
    options = (_field(rec, "choice1", str), _field(rec, "choice2", str))
    kind = _field(rec, "question", str)
    if kind not in ("cause", "effect"):
        raise _Invalid(f"field 'question' must be 'cause' or 'effect', got {kind!r}")
    gold = _index(_field(rec, "label", int), 2, "label")
    return _id(rec), premise, options, gold, {"copa_question": kind}


def _factual(rec: dict[str, Any]) -> Parsed:
    question = _field(rec, "questions", str)
    options = _str_list(_field(rec, "answers", list), "field 'answers'")
    gold = _index(_field(rec, "label", int), len(options), "label")
    return _id(rec), question, options, gold, {"original_lang": _field(rec, "original_lang", str)}


# Record shapes of the upstream files, named by a task's ``dataset.record``.
RECORD_PARSERS: dict[str, Callable[[dict[str, Any]], Parsed]] = {"csqa": _csqa, "copa": _copa, "factual": _factual}


def parse_item_file(path: Path, task: str | TaskSpec, lang: str, on_problem: ProblemSink = raise_problem) -> list[Item]:
    """Items of one upstream file; bad records go to ``on_problem``."""
    spec = _spec(task)
    parse, items = RECORD_PARSERS[spec.dataset.record or ""], []
    for line, rec in read_json_lines(path, on_problem):
        try:
            item_id, question, options, gold, meta = parse(rec)
        except _Invalid as err:
            on_problem(path, line, f"{spec.name}/{lang}: {err}")
            continue
        items.append(Item(spec.name, spec.stream, lang, item_id, question, options, gold, meta, f"{path}:{line}"))
    return items


def _check_names(tasks: Sequence[str] | None, registry: TaskRegistry | None) -> list[TaskSpec]:
    known = {t.name: t for t in upstream_tasks(registry)}
    chosen = list(tasks) if tasks else list(known)
    unknown = [t for t in chosen if t not in known]
    if unknown:
        raise ConfigError(f"unknown upstream task(s) {', '.join(unknown)}; known: {', '.join(known)}")
    return [known[t] for t in chosen]


def load_upstream(root: Path, tasks: Sequence[str] | None = None, langs: Sequence[str] | None = None,
                  on_problem: ProblemSink = raise_problem, registry: TaskRegistry | None = None) -> list[Item]:
    """All items of the upstream layout under ``root`` (task, then language order)."""
    root = Path(root)
    wanted = set(langs) if langs else None
    items: list[Item] = []
    for spec in _check_names(tasks, registry):
        if not tasks and not (root / spec.name).is_dir():  # asked for by name, its absence is task_lang_dirs' error
            continue
        for lang, lang_dir in task_lang_dirs(root, spec.name).items():
            if wanted is None or lang in wanted:
                items.extend(parse_item_file(item_file(lang_dir, spec), spec, lang, on_problem))
    return items
