"""The project's own item format: one JSON object per line (docs/data-format.md).

    {"task": "x_geo", "lang": "en", "id": "17", "question": "...",
     "options": ["...", "..."], "answer": 1, "stream": "factual", "meta": {...}}

``answer`` is the 0-based index of the correct option. ``stream`` defaults to
the registered task's stream ("basic" for an unknown task); ``meta`` to {}.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from clika.data.lines import ProblemSink, raise_problem, read_json_lines, write_json_lines
from clika.items import Item
from clika.tasks import TaskRegistry, builtin_registry

REQUIRED_FIELDS = ("task", "lang", "id", "question", "options", "answer")


def record_problem(rec: dict[str, Any], required: Sequence[str], strings: Sequence[str]) -> str | None:
    """What is first wrong with a record: a missing field, or one of ``strings`` not a non-empty string."""
    missing = [k for k in required if k not in rec]
    if missing:
        return f"missing field(s) {', '.join(repr(k) for k in missing)}"
    bad = [k for k in strings if not isinstance(rec[k], str) or not rec[k]]
    return f"field {bad[0]!r} must be a non-empty string" if bad else None


def task_stream(task: str, registry: TaskRegistry | None = None) -> str:
    """The registered task's stream ("basic" for an unknown task)."""
    spec = (registry or builtin_registry()).get(task)
    return spec.stream if spec is not None else "basic"


def item_from_record(rec: dict[str, Any], registry: TaskRegistry | None = None) -> Item | str:
    """The Item a record describes, or a message saying what is wrong with it."""
    problem = record_problem(rec, REQUIRED_FIELDS, ("task", "lang", "question"))
    if problem:
        return problem
    item_id, options, answer, meta = rec["id"], rec["options"], rec["answer"], rec.get("meta", {})
    if isinstance(item_id, bool) or not isinstance(item_id, (str, int)):
        return "field 'id' must be a string or an integer"
    if not isinstance(options, list) or len(options) < 2 or not all(isinstance(o, str) for o in options):
        return "field 'options' must be a list of at least 2 strings"
    if isinstance(answer, bool) or not isinstance(answer, int):
        return f"field 'answer' must be an integer option index, got {json.dumps(answer, ensure_ascii=False)}"
    if not 0 <= answer < len(options):
        return f"answer {answer} is out of range for {len(options)} options"
    if not isinstance(meta, dict):
        return "field 'meta' must be an object"
    stream = rec.get("stream", task_stream(rec["task"], registry))
    if not isinstance(stream, str):
        return "field 'stream' must be a string"
    return Item(rec["task"], stream, rec["lang"], str(item_id), rec["question"], tuple(options), answer, dict(meta))


def load_jsonl(path: str | Path, on_problem: ProblemSink = raise_problem,
               registry: TaskRegistry | None = None) -> list[Item]:
    """Items of one file in the project's JSONL format."""
    path = Path(path)
    items: list[Item] = []
    for line, rec in read_json_lines(path, on_problem):
        result = item_from_record(rec, registry)
        if isinstance(result, str):
            on_problem(path, line, result)
        else:
            items.append(replace(result, source=f"{path}:{line}"))
    return items


def item_to_record(item: Item) -> dict[str, Any]:
    rec = {"task": item.task, "lang": item.lang, "id": item.item_id, "question": item.question}
    rec |= {"options": list(item.options), "answer": item.gold, "stream": item.stream}
    if item.meta:
        rec["meta"] = item.meta
    return rec


def write_jsonl(items: Iterable[Item], path: str | Path) -> Path:
    """Write items in the project's JSONL format (UTF-8, one object per line)."""
    return write_json_lines((item_to_record(item) for item in items), path)
