"""The project's own item format: one JSON object per line (docs/data-format.md).

    {"task": "x_geo", "lang": "en", "id": "17", "question": "...",
     "options": ["...", "..."], "answer": 1, "stream": "factual", "meta": {...}}

``answer`` is the 0-based index of the correct option. ``stream`` defaults to
the registered task's stream ("basic" for an unknown task); ``meta`` to {}.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path
from typing import Any

from clika.data.lines import ProblemSink, raise_problem, read_json_lines, write_json_lines
from clika.items import Item
from clika.tasks import TaskRegistry, builtin_registry

REQUIRED_FIELDS = ("task", "lang", "id", "question", "options", "answer")


def item_from_record(rec: dict[str, Any], registry: TaskRegistry | None = None) -> Item | str:
    """The Item a record describes, or a message saying what is wrong with it."""
    missing = [k for k in REQUIRED_FIELDS if k not in rec]
    if missing:
        return f"missing field(s) {', '.join(repr(k) for k in missing)}"
    task, lang, item_id, question = rec["task"], rec["lang"], rec["id"], rec["question"]
    options, answer = rec["options"], rec["answer"]
    for key, value in (("task", task), ("lang", lang), ("question", question)):
        if not isinstance(value, str) or not value:
            return f"field {key!r} must be a non-empty string"
    if isinstance(item_id, bool) or not isinstance(item_id, (str, int)):
        return "field 'id' must be a string or an integer"
    if not isinstance(options, list) or len(options) < 2 or not all(isinstance(o, str) for o in options):
        return "field 'options' must be a list of at least 2 strings"
    if isinstance(answer, bool) or not isinstance(answer, int):
        return f"field 'answer' must be an integer option index, got {json.dumps(answer, ensure_ascii=False)}"
    if not 0 <= answer < len(options):
        return f"answer {answer} is out of range for {len(options)} options"
    meta = rec.get("meta", {})
    if not isinstance(meta, dict):
        return "field 'meta' must be an object"
    spec = (registry or builtin_registry()).get(task)
    default_stream = spec.stream if spec is not None else "basic"
    stream = rec.get("stream", default_stream)
    if not isinstance(stream, str):
        return "field 'stream' must be a string"
    return Item(task, stream, lang, str(item_id), question, tuple(options), answer, dict(meta))


def load_jsonl(path: str | Path, on_problem: ProblemSink = raise_problem,
               registry: TaskRegistry | None = None) -> list[Item]:
    """Items of one file in the project's JSONL format."""
    path = Path(path)
    items: list[Item] = []
    for line, rec in read_json_lines(path, on_problem):
        result = item_from_record(rec, registry)
        if isinstance(result, str):
            on_problem(path, line, result)
            continue
        items.append(replace(result, source=f"{path}:{line}"))
    return items


def item_to_record(item: Item) -> dict[str, Any]:
    rec: dict[str, Any] = {
        "task": item.task,
        "lang": item.lang,
        "id": item.item_id,
        "question": item.question,
        "options": list(item.options),
        "answer": item.gold,
        "stream": item.stream,
    }
    if item.meta:
        rec["meta"] = item.meta
    return rec


def write_jsonl(items: Iterable[Item], path: str | Path) -> Path:
    """Write items in the project's JSONL format (UTF-8, one object per line)."""
    return write_json_lines((item_to_record(item) for item in items), path)
