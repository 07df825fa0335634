"""The one data model every stage passes around: Item, and the task registry.

An Item is one multiple-choice question in one language. Items of one task are
parallel across languages: the same ``item_id`` names the same question in every
language (this is what CT metrics compare on).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

# English is the pivot; order is the paper's.
LANGS: tuple[str, ...] = ("en", "zh", "ja", "fr", "de", "it", "ru", "pl", "he", "ar")
PIVOT = "en"
LETTERS = "ABCDEFGHIJ"

Stream = Literal["basic", "factual", "fictional"]


@dataclass(frozen=True)
class TaskSpec:
    """Declarative description of one task (what lm-eval calls a task config)."""

    name: str
    stream: Stream
    n_options: int
    description: str = ""


TASKS: dict[str, TaskSpec] = {
    "x_csqa": TaskSpec("x_csqa", "basic", 5, "CommonsenseQA dev, translated"),
    "x_copa": TaskSpec("x_copa", "basic", 2, "XCOPA-style causal reasoning"),
    "x_geo": TaskSpec("x_geo", "factual", 4, "administrative divisions of places from each culture"),
    "x_name": TaskSpec("x_name", "factual", 4, "birth years of people from each culture"),
}


def register_task(spec: TaskSpec) -> None:
    """Add a task (e.g. from a user's JSONL data) to the registry."""
    TASKS[spec.name] = spec


def task_spec(name: str, n_options: int | None = None) -> TaskSpec:
    """The registered spec, or an ad-hoc one for an unknown task name."""
    if name in TASKS:
        return TASKS[name]
    return TaskSpec(name, "basic", n_options or 0)


@dataclass(frozen=True)
class Item:
    """One multiple-choice question in one language.

    question: the question text (for x_copa, the premise).
    options: option texts, in order; option i is letter LETTERS[i].
    gold: index of the correct option.
    meta: task-specific extras, e.g. {"original_lang": "ar"} for the factual
        stream, {"copa_question": "cause"} for x_copa.
    source: "path:line" the item was read from (for error messages).
    """

    task: str
    stream: str
    lang: str
    item_id: str
    question: str
    options: tuple[str, ...]
    gold: int
    meta: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)
    source: str = field(default="", compare=False)

    @property
    def n_options(self) -> int:
        return len(self.options)

    @property
    def gold_letter(self) -> str:
        return LETTERS[self.gold]
