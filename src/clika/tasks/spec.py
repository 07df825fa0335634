"""A task is one declarative YAML file: what it is, where its items live, how it is asked.

    include: _mc.yaml            # optional: a base file merged under this one (lm-eval style)
    task: x_geo                  # the task's name
    stream: factual              # basic | factual | fictional (or any word for a user task)
    n_options: 4
    description: ...
    dataset: {format: upstream, file: "*_geo_data.jsonl", record: factual}
    prompt:                      # defaults for every template
      body: "{{ w.question }}{{ question }}\\n{{ options }}{{ w.answer }}"
      example_answer: "{{ letter }}. {{ text }}"
      separator: "\\n"
      example: {question: "2+3=?", options: ["1", "2", "3", "5"], gold: 3}
    default_template: paper      # optional: what `clika run` asks with (default: the first template)
    templates:
      paper: {words: {default: {instruction: ..., question: "Question:", answer: "Answer:"}}}
      native: {words: {en: {...}, zh: {...}}}
      qa: {body: ..., example: null, instruction: false, modes: [cloze, cloze-norm], words_from: native}

A template may override body / example_answer / separator / example / modes, and hide the
instruction (``instruction: false``); its
``words`` give, per language (or ``default`` for all), the strings the Jinja2
templates read as ``w``; a per-language ``example`` replaces the shared one.
``words_from`` reuses another template's words. Dataset formats: ``upstream``
(the CLiKA layout: ``file`` is the item file glob inside each language folder,
``record`` the record shape: csqa | copa | factual), ``jsonl`` (``path`` relative
to the YAML file), ``builtin`` (clika's own mini set), ``hf`` (``path`` = a
Hugging Face dataset name).

Every problem is a ConfigError naming the file and line.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from clika.errors import ConfigError
from clika.items import LETTERS

DATASET_FORMATS = ("upstream", "jsonl", "builtin", "hf")
UPSTREAM_RECORDS = ("csqa", "copa", "factual")
SCORING_MODES = ("letter", "cloze", "cloze-norm", "generate")
_TOP_KEYS = {"include", "task", "stream", "n_options", "description", "dataset", "prompt", "templates",
             "default_template"}
_PROMPT_KEYS = {"body", "example_answer", "separator", "example", "modes"}
_TEMPLATE_KEYS = _PROMPT_KEYS | {"words", "words_from", "instruction"}


@dataclass(frozen=True)
class Example:
    """The one-shot example shown before every item (None in a template: zero-shot)."""

    question: str
    options: tuple[str, ...]
    gold: int
    meta: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)


@dataclass(frozen=True)
class PromptTemplate:
    """One way of asking a task's items (Jinja2 sources; rendered by clika.prompts)."""

    name: str
    body: str
    example_answer: str
    separator: str
    example: Example | None
    words: dict[str, dict[str, str]]  # lang (or "default") -> words
    examples: dict[str, Example]  # lang -> example that replaces the shared one
    modes: tuple[str, ...] = SCORING_MODES
    instruction: bool = True  # False: the words' "instruction" is not shown (e.g. qa prompts)

    def words_for(self, lang: str) -> dict[str, str]:
        if lang in self.words:
            return self.words[lang]
        if "default" in self.words:
            return self.words["default"]
        raise ConfigError(f"template {self.name!r} has no words for language {lang!r} "
                          f"(it has {', '.join(sorted(self.words))}); use --template paper")

    def example_for(self, lang: str) -> Example | None:
        return self.examples.get(lang, self.example)


@dataclass(frozen=True)
class DatasetSpec:
    format: str
    path: str | None = None  # jsonl: file or folder; builtin: folder name; hf: dataset name
    file: str | None = None  # upstream: item-file glob inside each language folder
    record: str | None = None  # upstream: record shape


@dataclass(frozen=True)
class TaskSpec:
    """One task: the declarative description lm-evaluation-harness calls a task config."""

    name: str
    stream: str
    n_options: int
    description: str
    dataset: DatasetSpec
    templates: dict[str, PromptTemplate]
    source: str = ""  # the YAML file it came from
    default_template: str = "paper"  # what `clika run` asks with when --template is not given

    @property
    def chance(self) -> float:
        """Accuracy of uniform guessing."""
        return 1.0 / self.n_options

    def default_template_for(self, mode: str) -> str:
        """The template asked with when none is named: the declared default, unless it cannot be
        scored in ``mode`` (a cloze template has no option letters to choose from); then the
        first declared template that can. An unknown mode keeps the default (its error comes later)."""
        if mode in self.templates[self.default_template].modes:
            return self.default_template
        return next((name for name, t in self.templates.items() if mode in t.modes), self.default_template)

    def template(self, name: str) -> PromptTemplate:
        if name not in self.templates:
            raise ConfigError(f"task {self.name} has no prompt template {name!r}; "
                              f"choose one of {', '.join(self.templates)}")
        return self.templates[name]


# ---------------------------------------------------------------- YAML with line numbers

class _LineLoader(yaml.SafeLoader):
    """SafeLoader whose mappings remember the line of each key (for file:line errors)."""


class LineDict(dict):
    """A dict that knows the line of its mapping and of each key."""

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.line = 0
        self.key_lines: dict[str, int] = {}


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode) -> LineDict:
    out = LineDict()
    out.line = node.start_mark.line + 1
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        out[key] = loader.construct_object(value_node, deep=True)
        out.key_lines[key] = key_node.start_mark.line + 1
    return out


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def read_yaml(path: Path) -> LineDict:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise ConfigError(f"cannot read task file ({err})", path) from None
    try:
        data = yaml.load(text, Loader=_LineLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        raise ConfigError(f"malformed YAML: {getattr(err, 'problem', None) or err}", path,
                          mark.line + 1 if mark else None) from None
    if not isinstance(data, dict):
        raise ConfigError("a task file must be a YAML mapping", path, 1)
    return data


def _merge(base: dict, override: dict) -> dict:
    """Deep merge: mappings merge key by key, anything else in ``override`` wins."""
    out = LineDict(base)
    out.line = getattr(override, "line", getattr(base, "line", 0))
    out.key_lines = {**getattr(base, "key_lines", {}), **getattr(override, "key_lines", {})}
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            out[key] = _merge(base[key], value)
        else:
            out[key] = value
    return out


def resolve_includes(path: Path, seen: tuple[Path, ...] = ()) -> LineDict:
    """The file's mapping with its ``include`` chain merged under it."""
    path = path.resolve()
    if path in seen:
        raise ConfigError("include cycle: " + " -> ".join(p.name for p in (*seen, path)), path)
    data = read_yaml(path)
    include = data.pop("include", None)
    if include is None:
        return data
    if not isinstance(include, str):
        raise ConfigError("'include' must be a file name", path, data.key_lines.get("include"))
    base_path = path.parent / include
    if not base_path.is_file():
        raise ConfigError(f"included file {include!r} not found next to it", path, data.key_lines.get("include"))
    return _merge(resolve_includes(base_path, (*seen, path)), data)


# ---------------------------------------------------------------- validation

class _Where:
    def __init__(self, path: Path):
        self.path = path

    def fail(self, message: str, node: Any = None, key: str | None = None) -> ConfigError:
        line = None
        if isinstance(node, LineDict):
            line = node.key_lines.get(key, node.line) if key is not None else node.line
        return ConfigError(message, self.path, line)


def _str(where: _Where, node: dict, key: str, *, required: bool = True, default: str | None = None) -> str | None:
    if key not in node:
        if required:
            raise where.fail(f"missing {key!r}", node)
        return default
    value = node[key]
    if not isinstance(value, str):
        raise where.fail(f"{key!r} must be a string", node, key)
    return value


def _example(where: _Where, node: Any, n_options: int, what: str) -> Example | None:
    if node is None:
        return None
    if not isinstance(node, dict):
        raise where.fail(f"{what} must be a mapping with question, options and gold (or null)")
    question = _str(where, node, "question")
    options = node.get("options")
    if not isinstance(options, list) or not all(isinstance(o, (str, int, float)) for o in options):
        raise where.fail(f"{what}: 'options' must be a list of strings", node, "options")
    if len(options) != n_options:
        raise where.fail(f"{what} has {len(options)} options but the task has n_options {n_options}", node, "options")
    gold = node.get("gold")
    if isinstance(gold, bool) or not isinstance(gold, int) or not 0 <= gold < n_options:
        raise where.fail(f"{what}: 'gold' must be an option index below {n_options}", node, "gold")
    meta = node.get("meta") or {}
    if not isinstance(meta, dict):
        raise where.fail(f"{what}: 'meta' must be a mapping", node, "meta")
    return Example(question, tuple(str(o) for o in options), gold, dict(meta))


def _words(where: _Where, node: Any, template: str, n_options: int) -> tuple[dict, dict]:
    if not isinstance(node, dict) or not node:
        raise where.fail(f"template {template!r}: 'words' must map languages (or 'default') to strings", node)
    words, examples = {}, {}
    for lang, entry in node.items():
        if not isinstance(entry, dict):
            raise where.fail(f"template {template!r}: words for {lang!r} must be a mapping", node, lang)
        plain = {}
        for key, value in entry.items():
            if key == "example":
                examples[lang] = _example(where, value, n_options, f"template {template!r} example for {lang!r}")
            elif isinstance(value, str):
                plain[key] = value
            else:
                raise where.fail(f"template {template!r}, {lang}: {key!r} must be a string", entry, key)
        words[lang] = plain
    return words, examples


def _template(where: _Where, name: str, node: Any, defaults: dict, n_options: int,
              raw_templates: dict) -> PromptTemplate:
    if not isinstance(node, dict):
        raise where.fail(f"template {name!r} must be a mapping")
    unknown = set(node) - _TEMPLATE_KEYS
    if unknown:
        raise where.fail(f"template {name!r}: unknown key(s) {', '.join(sorted(unknown))}", node, sorted(unknown)[0])
    merged = {**defaults, **{k: v for k, v in node.items() if k in _PROMPT_KEYS}}
    words_node = node.get("words")
    if "words_from" in node:
        other = node["words_from"]
        if other not in raw_templates or "words" not in raw_templates[other]:
            raise where.fail(f"template {name!r}: words_from {other!r} names no template with words", node, "words_from")
        words_node = raw_templates[other]["words"]
    words, examples = _words(where, words_node, name, n_options)
    for key in ("body", "example_answer", "separator"):
        if not isinstance(merged.get(key), str):
            raise where.fail(f"template {name!r}: {key!r} (in the template or in 'prompt') must be a string", node)
    modes = merged.get("modes", list(SCORING_MODES))
    if not isinstance(modes, list) or not modes or any(m not in SCORING_MODES for m in modes):
        raise where.fail(f"template {name!r}: 'modes' must list some of {', '.join(SCORING_MODES)}", node, "modes")
    example = _example(where, merged.get("example"), n_options, f"template {name!r} example")
    show_instruction = node.get("instruction", True)
    if not isinstance(show_instruction, bool):
        raise where.fail(f"template {name!r}: 'instruction' must be true or false", node, "instruction")
    return PromptTemplate(name, merged["body"], merged["example_answer"], merged["separator"], example,
                          words, examples, tuple(modes), show_instruction)


def _dataset(where: _Where, node: Any) -> DatasetSpec:
    if not isinstance(node, dict):
        raise where.fail("'dataset' must be a mapping, e.g. {format: jsonl, path: items.jsonl}")
    fmt = node.get("format")
    if fmt not in DATASET_FORMATS:
        raise where.fail(f"dataset format must be one of {', '.join(DATASET_FORMATS)}", node, "format")
    spec = DatasetSpec(fmt, _str(where, node, "path", required=False), _str(where, node, "file", required=False),
                       _str(where, node, "record", required=False))
    if fmt == "upstream" and (spec.file is None or spec.record not in UPSTREAM_RECORDS):
        raise where.fail(f"an upstream dataset needs 'file' (a glob) and 'record' ({', '.join(UPSTREAM_RECORDS)})", node)
    if fmt in ("jsonl", "builtin", "hf") and spec.path is None:
        raise where.fail(f"a {fmt} dataset needs 'path'", node)
    if fmt == "jsonl" and not Path(spec.path).is_absolute():
        spec = DatasetSpec(fmt, str((where.path.parent / spec.path).resolve()))
    return spec


def parse_task(path: Path) -> TaskSpec:
    """The TaskSpec of one YAML file (includes resolved), or a ConfigError naming file and line."""
    path = Path(path)
    return parse_task_data(resolve_includes(path), path)


def parse_task_data(data: dict, path: Path) -> TaskSpec:
    """The TaskSpec of an already-read mapping (``path`` names it in errors)."""
    where = _Where(path)
    unknown = set(data) - _TOP_KEYS
    if unknown:
        key = sorted(unknown)[0]
        raise where.fail(f"unknown key(s) {', '.join(sorted(unknown))}", data, key)
    name = _str(where, data, "task")
    if not name or not name.replace("_", "").replace("-", "").isalnum():
        raise where.fail(f"task name {name!r} must be letters, digits, '_' or '-'", data, "task")
    n_options = data.get("n_options")
    if isinstance(n_options, bool) or not isinstance(n_options, int) or not 2 <= n_options <= len(LETTERS):
        raise where.fail(f"'n_options' must be an integer from 2 to {len(LETTERS)}", data, "n_options")
    defaults = data.get("prompt") or {}
    if not isinstance(defaults, dict) or set(defaults) - _PROMPT_KEYS:
        raise where.fail(f"'prompt' may hold {', '.join(sorted(_PROMPT_KEYS))}", data, "prompt")
    raw_templates = data.get("templates")
    if not isinstance(raw_templates, dict) or not raw_templates:
        raise where.fail("'templates' must define at least one prompt template", data, "templates")
    templates = {t: _template(where, t, node, defaults, n_options, raw_templates) for t, node in raw_templates.items()}
    default = _str(where, data, "default_template", required=False) or next(iter(templates))
    if default not in templates:
        raise where.fail(f"default_template {default!r} is not one of its templates ({', '.join(templates)})",
                         data, "default_template")
    return TaskSpec(name, _str(where, data, "stream", required=False, default="basic"), n_options,
                    _str(where, data, "description", required=False, default="") or "",
                    _dataset(where, data.get("dataset")), templates, str(path), default)
