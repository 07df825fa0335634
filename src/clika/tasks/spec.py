"""A task is one declarative YAML file: what it is, where its items live, how it is asked.

docs/tasks.md describes the format (include, task, stream, n_options, description, dataset,
prompt, default_template and templates, with their words / words_from / example / modes /
instruction). Every problem is a ConfigError naming the file and line.
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
        for key in (lang, "default"):
            if key in self.words:
                return self.words[key]
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
        """The template asked with when none is named: the declared default, unless it cannot be scored in
        ``mode`` (a cloze template has no option letters); then the first that can. An unknown mode keeps it."""
        if mode in self.templates[self.default_template].modes:
            return self.default_template
        return next((name for name, t in self.templates.items() if mode in t.modes), self.default_template)

    def template(self, name: str) -> PromptTemplate:
        if name not in self.templates:
            raise ConfigError(f"task {self.name} has no prompt template {name!r}; "
                              f"choose one of {', '.join(self.templates)}")
        return self.templates[name]


# ---------------------------------------------------------------- YAML with line numbers

class LineDict(dict):
    """A dict that knows the line of its mapping and of each key."""

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.line = 0
        self.key_lines: dict[str, int] = {}


class _LineLoader(yaml.SafeLoader):
    """SafeLoader whose mappings remember the line of each key (for file:line errors)."""

    def construct_line_mapping(self, node: yaml.MappingNode) -> LineDict:
        out = LineDict()
        out.line = node.start_mark.line + 1
        for key_node, value_node in node.value:
            key = self.construct_object(key_node, deep=True)
            out[key] = self.construct_object(value_node, deep=True)
            out.key_lines[key] = key_node.start_mark.line + 1
        return out


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _LineLoader.construct_line_mapping)


def read_yaml(path: Path) -> LineDict:
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_LineLoader)  # noqa: S506 - a SafeLoader subclass
    except (OSError, UnicodeDecodeError) as err:
        raise ConfigError(f"cannot read task file ({err})", path) from None
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
        both_mappings = isinstance(value, dict) and isinstance(base.get(key), dict)
        out[key] = _merge(base[key], value) if both_mappings else value
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

def _require(ok: bool, path: Path, message: str, node: Any = None, key: Any = None) -> None:
    """Unless ``ok``, a ConfigError in ``path`` at the line of ``node`` (of its ``key`` when given)."""
    if ok:
        return
    if not isinstance(node, LineDict):
        raise ConfigError(message, path)
    raise ConfigError(message, path, node.line if key is None else node.key_lines.get(key, node.line))


def _str(path: Path, node: dict, key: str, *, required: bool = False, default: str | None = None) -> str | None:
    if key not in node:
        _require(not required, path, f"missing {key!r}", node)
        return default
    _require(isinstance(node[key], str), path, f"{key!r} must be a string", node, key)
    return node[key]


def _example(path: Path, node: Any, n_options: int, what: str) -> Example | None:
    if node is None:
        return None
    _require(isinstance(node, dict), path, f"{what} must be a mapping with question, options and gold (or null)")
    question = _str(path, node, "question", required=True)
    options, gold, meta = node.get("options"), node.get("gold"), node.get("meta") or {}
    _require(isinstance(options, list) and all(isinstance(o, (str, int, float)) for o in options),
             path, f"{what}: 'options' must be a list of strings", node, "options")
    _require(len(options) == n_options,
             path, f"{what} has {len(options)} options but the task has n_options {n_options}", node, "options")
    _require(not isinstance(gold, bool) and isinstance(gold, int) and 0 <= gold < n_options,
             path, f"{what}: 'gold' must be an option index below {n_options}", node, "gold")
    _require(isinstance(meta, dict), path, f"{what}: 'meta' must be a mapping", node, "meta")
    return Example(question, tuple(str(o) for o in options), gold, dict(meta))


def _words(path: Path, node: Any, template: str, n_options: int) -> tuple[dict, dict]:
    what = f"template {template!r}"
    _require(isinstance(node, dict) and bool(node),
             path, f"{what}: 'words' must map languages (or 'default') to strings", node)
    words, examples = {}, {}
    for lang, entry in node.items():
        _require(isinstance(entry, dict), path, f"{what}: words for {lang!r} must be a mapping", node, lang)
        words[lang] = {}
        for key, value in entry.items():
            if key == "example":
                examples[lang] = _example(path, value, n_options, f"{what} example for {lang!r}")
            else:
                _require(isinstance(value, str), path, f"{what}, {lang}: {key!r} must be a string", entry, key)
                words[lang][key] = value
    return words, examples


def _template(path: Path, name: str, node: Any, defaults: dict, n_options: int, raw_templates: dict) -> PromptTemplate:
    what = f"template {name!r}"
    _require(isinstance(node, dict), path, f"{what} must be a mapping")
    unknown = sorted(set(node) - _TEMPLATE_KEYS)
    _require(not unknown, path, f"{what}: unknown key(s) {', '.join(unknown)}", node, unknown[0] if unknown else None)
    merged = {**defaults, **{k: v for k, v in node.items() if k in _PROMPT_KEYS}}
    words_node = node.get("words")
    if "words_from" in node:
        other = node["words_from"]
        _require(other in raw_templates and "words" in raw_templates[other],
                 path, f"{what}: words_from {other!r} names no template with words", node, "words_from")
        words_node = raw_templates[other]["words"]
    words, examples = _words(path, words_node, name, n_options)
    for key in ("body", "example_answer", "separator"):
        _require(isinstance(merged.get(key), str),
                 path, f"{what}: {key!r} (in the template or in 'prompt') must be a string", node)
    modes = merged.get("modes", list(SCORING_MODES))
    _require(isinstance(modes, list) and bool(modes) and all(m in SCORING_MODES for m in modes),
             path, f"{what}: 'modes' must list some of {', '.join(SCORING_MODES)}", node, "modes")
    example = _example(path, merged.get("example"), n_options, f"{what} example")
    instruction = node.get("instruction", True)
    _require(isinstance(instruction, bool), path, f"{what}: 'instruction' must be true or false", node, "instruction")
    return PromptTemplate(name, merged["body"], merged["example_answer"], merged["separator"], example,
                          words, examples, tuple(modes), instruction)


def _dataset(path: Path, node: Any) -> DatasetSpec:
    _require(isinstance(node, dict), path, "'dataset' must be a mapping, e.g. {format: jsonl, path: items.jsonl}")
    fmt = node.get("format")
    _require(fmt in DATASET_FORMATS,
             path, f"dataset format must be one of {', '.join(DATASET_FORMATS)}", node, "format")
    spec = DatasetSpec(fmt, *(_str(path, node, key) for key in ("path", "file", "record")))
    _require(fmt != "upstream" or (spec.file is not None and spec.record in UPSTREAM_RECORDS),
             path, f"an upstream dataset needs 'file' (a glob) and 'record' ({', '.join(UPSTREAM_RECORDS)})", node)
    _require(fmt == "upstream" or spec.path is not None, path, f"a {fmt} dataset needs 'path'", node)
    if fmt == "jsonl" and not Path(spec.path).is_absolute():
        spec = DatasetSpec(fmt, str((path.parent / spec.path).resolve()))
    return spec


def parse_task(path: Path) -> TaskSpec:
    """The TaskSpec of one YAML file (includes resolved), or a ConfigError naming file and line."""
    return parse_task_data(resolve_includes(Path(path)), Path(path))


def parse_task_data(data: dict, path: Path) -> TaskSpec:
    """The TaskSpec of an already-read mapping (``path`` names it in errors)."""
    unknown = sorted(set(data) - _TOP_KEYS)
    _require(not unknown, path, f"unknown key(s) {', '.join(unknown)}", data, unknown[0] if unknown else None)
    name = _str(path, data, "task", required=True)
    _require(bool(name) and name.replace("_", "").replace("-", "").isalnum(),
             path, f"task name {name!r} must be letters, digits, '_' or '-'", data, "task")
    n_options = data.get("n_options")
    _require(not isinstance(n_options, bool) and isinstance(n_options, int) and 2 <= n_options <= len(LETTERS),
             path, f"'n_options' must be an integer from 2 to {len(LETTERS)}", data, "n_options")
    defaults = data.get("prompt") or {}
    _require(isinstance(defaults, dict) and not set(defaults) - _PROMPT_KEYS,
             path, f"'prompt' may hold {', '.join(sorted(_PROMPT_KEYS))}", data, "prompt")
    raw_templates = data.get("templates")
    _require(isinstance(raw_templates, dict) and bool(raw_templates),
             path, "'templates' must define at least one prompt template", data, "templates")
    templates = {t: _template(path, t, node, defaults, n_options, raw_templates) for t, node in raw_templates.items()}
    default = _str(path, data, "default_template") or next(iter(templates))
    _require(default in templates, path, f"default_template {default!r} is not one of its templates "
             f"({', '.join(templates)})", data, "default_template")
    return TaskSpec(name, _str(path, data, "stream", default="basic"), n_options,
                    _str(path, data, "description", default=""), _dataset(path, data.get("dataset")),
                    templates, str(path), default)
