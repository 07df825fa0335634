"""Prompts: items -> the text a model reads, rendered from each task's YAML (clika/tasks/*.yaml).

A prompt is a ``prefix`` (instruction + one-shot example, shared by a task, language and template, so a backend
encodes it once) and a ``body`` (the item, ending with the answer cue, e.g. "Answer:"). Templates: ``paper`` is the
upstream CLiKA prompt byte for byte; ``native`` has the instruction in the item's language; ``qa`` and ``qa-native``
are lm-eval's ARC-style cloze prompts (no option list). Chat backends wrap prompts in the tokenizer's chat template
(``chat_frame``, ``wrap_chat``).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache

import jinja2

from clika.errors import ConfigError
from clika.items import LETTERS, Item
from clika.tasks import TaskRegistry, TaskSpec, builtin_registry
from clika.tasks.spec import SCORING_MODES, Example, PromptTemplate

DEFAULT_TEMPLATE = "paper"
# Bump when rendering changes in a way the rendered strings do not show (the store keys on
# the rendered prompt, so a change of the text itself already invalidates old results).
PROMPT_VERSION = 2
# lm-eval's target_delimiter: cloze continuations are " " + option text.
CLOZE_DELIMITER = " "


@dataclass(frozen=True)
class ChoiceRequest:
    """One item, ready to be scored: ``prefix`` (shared by every item of a task, language and template:
    a backend may reuse its KV cache) + ``body`` (ending right where the answer starts) is the prompt;
    ``continuations`` are scored after it: the option letters, " " + each option's text, or none."""

    prefix: str
    body: str
    continuations: tuple[str, ...]

    @property
    def prompt(self) -> str:
        return self.prefix + self.body


_ENV = jinja2.Environment(keep_trailing_newline=True, undefined=jinja2.StrictUndefined, autoescape=False)
_compiled = lru_cache(maxsize=256)(_ENV.from_string)


def _render(spec: TaskSpec, template: PromptTemplate, source: str, **context) -> str:
    try:
        return _compiled(source).render(**context)
    except jinja2.TemplateError as err:
        raise ConfigError(f"task {spec.name}, template {template.name!r}: {err}", spec.source or None) from None


def options_block(options: Sequence[str]) -> str:
    return "".join(f"{LETTERS[i]}. {text}\n" for i, text in enumerate(options))


def _body(spec: TaskSpec, template: PromptTemplate, lang: str, entry: Item | Example) -> str:
    return _render(spec, template, template.body, question=entry.question, options=options_block(entry.options),
                   option_texts=list(entry.options), meta=entry.meta, lang=lang, w=template.words_for(lang))


def _prefix(spec: TaskSpec, template: PromptTemplate, lang: str) -> str:
    words = template.words_for(lang)
    head = f"{words['instruction']}\n" if template.instruction and words.get("instruction") else ""
    example = template.example_for(lang)
    if example is None:
        return head
    shown = _body(spec, template, lang, example)
    answer = _render(spec, template, template.example_answer, letter=LETTERS[example.gold],
                     text=example.options[example.gold], w=words)
    return head + shown + answer + template.separator


class PromptBuilder:
    """Renders items of any task (looked up in ``tasks``) with one named template."""

    def __init__(self, template: str = DEFAULT_TEMPLATE, tasks: TaskRegistry | None = None):
        self.template_name = template
        self.tasks = tasks if tasks is not None else builtin_registry()
        self._prefixes: dict[tuple[str, str, int], str] = {}

    def spec(self, item: Item) -> TaskSpec:
        return self.tasks.spec_for(item.task, item.n_options, item.stream)

    def check_mode(self, item: Item, mode: str) -> None:
        if mode not in SCORING_MODES:
            raise ConfigError(f"unknown scoring mode {mode!r}; choose one of {', '.join(SCORING_MODES)}")
        template = self.spec(item).template(self.template_name)
        if mode not in template.modes:
            raise ConfigError(f"template {self.template_name!r} of {item.task} cannot be scored in {mode!r} mode "
                              f"(it supports {', '.join(template.modes)})")

    def parts(self, item: Item) -> tuple[str, str]:
        """(prefix, body) of one item."""
        spec = self.spec(item)
        template = spec.template(self.template_name)
        key = (item.task, item.lang, item.n_options)
        if key not in self._prefixes:
            self._prefixes[key] = _prefix(spec, template, item.lang)
        return self._prefixes[key], _body(spec, template, item.lang, item)

    def request(self, item: Item, mode: str) -> ChoiceRequest:
        prefix, body = self.parts(item)
        if mode not in SCORING_MODES:
            raise ConfigError(f"unknown scoring mode {mode!r}; choose one of {', '.join(SCORING_MODES)}")
        if mode == "letter":
            return ChoiceRequest(prefix, body, tuple(LETTERS[: item.n_options]))
        cloze = mode in ("cloze", "cloze-norm")
        return ChoiceRequest(prefix, body, tuple(CLOZE_DELIMITER + text for text in item.options) if cloze else ())


def build_requests(items: Sequence[Item], template: str = DEFAULT_TEMPLATE, mode: str = "letter",
                   tasks: TaskRegistry | None = None) -> list[ChoiceRequest]:
    """One ChoiceRequest per item; letter mode scores "A", "B", ..., cloze modes " " + option text."""
    builder = PromptBuilder(template, tasks)
    checked: set[str] = set()
    out = []
    for item in items:
        if item.task not in checked:
            builder.check_mode(item, mode)
            checked.add(item.task)
        out.append(builder.request(item, mode))
    return out


def request_hash(request: ChoiceRequest, mode: str) -> str:
    """Identifies exactly what a model is asked for one item: the rendered prompt, what is
    scored after it and how. The results store keys on it (with the item's content hash)."""
    blob = json.dumps([PROMPT_VERSION, mode, request.prefix, request.body, list(request.continuations)],
                      ensure_ascii=False)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()[:24]


SENTINEL = "\x00clika-prompt\x00"


def chat_frame(render: Callable[[str], str]) -> tuple[str, str]:
    """(head, tail) a chat template puts around a user message, found with ``render(text)`` (one
    user turn plus the generation prompt, e.g. ``tokenizer.apply_chat_template``): prefix and body
    of a wrapped request are head + prefix and body + tail."""
    rendered = render(SENTINEL)
    if rendered.count(SENTINEL) != 1:
        raise ConfigError("the chat template does not render the user message verbatim exactly once")
    return tuple(rendered.split(SENTINEL))


def wrap_chat(requests: Sequence[ChoiceRequest], frame: tuple[str, str]) -> list[ChoiceRequest]:
    head, tail = frame
    return [ChoiceRequest(head + r.prefix, r.body + tail, r.continuations) for r in requests]
