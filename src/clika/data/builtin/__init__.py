"""The built-in mini set: what ``clika run`` evaluates when given no data.

Written for clika (not taken from any benchmark): parallel items in all ten languages,
four options each, the gold spread evenly over A-D. The tasks are declared like any other
(clika/tasks/mini_*.yaml, ``dataset: {format: builtin, path: <folder>}``); their items are
``<folder>/<lang>.jsonl`` here, one item per line with the Item fields (task, stream, lang,
item_id, question, options, gold, meta).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from clika.data.lines import read_json_lines
from clika.errors import ConfigError, DataError
from clika.items import LANGS, Item
from clika.tasks import TaskRegistry, TaskSpec, builtin_registry

HERE = Path(__file__).parent


def builtin_tasks(registry: TaskRegistry | None = None) -> list[TaskSpec]:
    """The registry's tasks whose items ship with clika."""
    return [s for s in (registry or builtin_registry()).specs.values() if s.dataset.format == "builtin"]


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


def load_builtin(tasks: Sequence[str] | None = None, langs: Sequence[str] | None = None,
                 registry: TaskRegistry | None = None) -> list[Item]:
    """Built-in items of ``tasks`` (default: every built-in task) in ``langs`` (default: all
    ten), ordered by task, language (the paper's order) and file order."""
    specs = builtin_tasks(registry)
    chosen = [s for s in specs if tasks is None or s.name in tasks]
    chosen_langs = [lang for lang in LANGS if langs is None or lang in langs]
    items: list[Item] = []
    for spec in chosen:
        folder = HERE / (spec.dataset.path or "")
        if not folder.is_dir():
            raise ConfigError(f"task {spec.name}: no built-in data folder {spec.dataset.path!r}", spec.source)
        for lang in chosen_langs:
            path = folder / f"{lang}.jsonl"
            if path.is_file():
                items.extend(_item(path, line, rec) for line, rec in read_json_lines(path))
    return items
