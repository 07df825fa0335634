"""The built-in mini set: what ``clika run`` evaluates when given no data.

Written for clika (not taken from any benchmark): 24 parallel items per task
in all ten languages, four options each, the gold spread evenly over A-D.

- mini_basic (stream basic): everyday commonsense ("What do you use to cut paper?")
- mini_factual (stream factual): capitals, planets, chemical elements, famous
  works and people; ``meta.original_lang`` names the culture a fact belongs to
  where it belongs to one.

Files: ``<task>/<lang>.jsonl``, one item per line with the Item fields
(task, stream, lang, item_id, question, options, gold, meta).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from clika.data.lines import read_json_lines
from clika.errors import DataError
from clika.items import LANGS, Item, TaskSpec, register_task

HERE = Path(__file__).parent

BUILTIN_TASKS: dict[str, TaskSpec] = {
    "mini_basic": TaskSpec("mini_basic", "basic", 4, "clika's built-in everyday commonsense questions"),
    "mini_factual": TaskSpec("mini_factual", "factual", 4, "clika's built-in factual questions"),
}


def register_builtin_tasks() -> None:
    for spec in BUILTIN_TASKS.values():
        register_task(spec)


def _item(path: Path, line: int, rec: dict) -> Item:
    try:
        options = tuple(str(o) for o in rec["options"])
        item = Item(
            task=str(rec["task"]), stream=str(rec["stream"]), lang=str(rec["lang"]),
            item_id=str(rec["item_id"]), question=str(rec["question"]), options=options,
            gold=int(rec["gold"]), meta=dict(rec.get("meta") or {}), source=f"{path}:{line}",
        )
    except (KeyError, TypeError, ValueError) as err:
        raise DataError(f"bad built-in item ({type(err).__name__}: {err})", path, line) from None
    if not 0 <= item.gold < len(options):
        raise DataError(f"gold {item.gold} outside the {len(options)} options", path, line)
    return item


def load_builtin(tasks: Sequence[str] | None = None, langs: Sequence[str] | None = None) -> list[Item]:
    """Built-in items of ``tasks`` (default: both) in ``langs`` (default: all ten),
    ordered by task, language (the paper's order) and item id."""
    register_builtin_tasks()
    chosen_tasks = [t for t in BUILTIN_TASKS if tasks is None or t in tasks]
    chosen_langs = [lang for lang in LANGS if langs is None or lang in langs]
    items: list[Item] = []
    for task in chosen_tasks:
        for lang in chosen_langs:
            path = HERE / task / f"{lang}.jsonl"
            items.extend(_item(path, line, rec) for line, rec in read_json_lines(path))
    return items
