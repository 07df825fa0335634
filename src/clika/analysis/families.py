"""The model-family registry: for each model, its family, base model and training strategy. Ours ships as package data
(families.yaml); a user's YAML in the same format extends it and overrides entries of the same name. Errors name the
file and line of the bad entry.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from importlib import resources
from pathlib import Path

import yaml

from clika.errors import DataError
from clika.items import LANGS

STRATEGIES: tuple[str, ...] = ("base", "continued_pretraining", "mixed_multilingual_pretraining",
                               "instruction_tuning_en", "instruction_tuning_multilingual", "other")
PRETRAINING_MIXES = ("english_dominant", "mixed_multilingual")
_FIELDS = {"family", "base", "strategy", "target_lang", "pretraining", "size", "note", "aliases"}


@dataclass(frozen=True)
class ModelEntry:
    """How one model was made. `source` is "file:line" of its YAML entry."""

    name: str
    family: str
    base: str | None
    strategy: str
    target_lang: str | None = None
    pretraining: str | None = None
    size: str | None = None
    note: str | None = None
    aliases: tuple[str, ...] = ()
    source: str = field(default="", compare=False)


def normalise_name(name: str) -> str:
    """Lookup key: case-folded, any run of non-alphanumerics as one '_' (llama2-7b == LLaMA2_7B)."""
    return re.sub(r"[^0-9a-z]+", "_", name.casefold()).strip("_")


@dataclass
class FamilyRegistry:
    entries: dict[str, ModelEntry]

    def __post_init__(self) -> None:
        self._index = {normalise_name(key): e.name for e in self.entries.values() for key in (e.name, *e.aliases)}

    def resolve(self, model: str) -> str | None:
        """The registry's name for `model` (exact, alias or normalised match), or None."""
        return self._index.get(normalise_name(model))

    def get(self, model: str) -> ModelEntry | None:
        name = self.resolve(model)
        return self.entries[name] if name else None

    def pretraining_of(self, model: str) -> str | None:
        """The pretraining mix, inherited along the chain of bases."""
        entry, seen = self.get(model), set()
        while entry is not None and entry.name not in seen:
            if entry.pretraining:
                return entry.pretraining
            seen.add(entry.name)
            entry = self.get(entry.base) if entry.base else None
        return None

    def pairs(self, strategy: str | None = None) -> list[tuple[str, str, str]]:
        """(base, derived, strategy) for every model with a base, optionally one strategy only."""
        if strategy is not None and strategy not in STRATEGIES:
            raise DataError(f"unknown strategy {strategy!r} (known: {', '.join(STRATEGIES)})")
        derived = [e for e in self.entries.values() if e.base is not None]
        return [(e.base, e.name, e.strategy) for e in derived if strategy is None or e.strategy == strategy]


def _entry_from_node(name: str, value_node: yaml.Node, path: str) -> ModelEntry:
    line = value_node.start_mark.line + 1

    def bad(problem: str) -> DataError:
        return DataError(f"model {name!r}: {problem}", path=path, line=line)

    if not isinstance(value_node, yaml.MappingNode):
        raise bad("expected a mapping of fields")
    raw = yaml.safe_load(yaml.serialize(value_node)) or {}
    unknown, strategy, target = set(raw) - _FIELDS, raw.get("strategy"), raw.get("target_lang")
    problems = ((unknown, f"unknown field(s) {', '.join(sorted(map(str, unknown)))}"),
                (strategy not in STRATEGIES, f"unknown strategy {strategy!r} (known: {', '.join(STRATEGIES)})"),
                (not raw.get("family"), "missing 'family'"),
                (target is not None and target not in LANGS, f"target_lang {target!r} is not one of {', '.join(LANGS)}"),
                (strategy == "continued_pretraining" and target is None, "continued_pretraining needs a target_lang"),
                (raw.get("pretraining") not in (None, *PRETRAINING_MIXES),
                 f"pretraining must be one of {', '.join(PRETRAINING_MIXES)}"))
    if problem := next((text for failed, text in problems if failed), None):
        raise bad(problem)
    aliases = raw.get("aliases") or ()
    aliases = (aliases,) if isinstance(aliases, str) else aliases
    text = {key: None if raw.get(key) is None else str(raw[key]) for key in ("family", "base", "size")}
    kept = {key: raw.get(key) for key in ("strategy", "target_lang", "pretraining", "note")}
    return ModelEntry(name, **text, **kept, aliases=tuple(str(a) for a in aliases), source=f"{path}:{line}")


def parse_registry_text(text: str, path: str) -> dict[str, ModelEntry]:
    """Entries of one YAML document ({models: {name: {...}}}); DataError with file:line on any problem."""
    try:
        root = yaml.compose(text)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        problem = getattr(err, "problem", None) or str(err)
        raise DataError(f"malformed YAML: {problem}", path, mark.line + 1 if mark else None) from None
    if root is None:
        return {}
    is_mapping = isinstance(root, yaml.MappingNode)
    models_node = next((v for k, v in root.value if k.value == "models"), None) if is_mapping else None
    if not isinstance(models_node, yaml.MappingNode):
        where = models_node if models_node is not None else root
        raise DataError("expected a top-level 'models:' mapping of model names", path, where.start_mark.line + 1)
    entries: dict[str, ModelEntry] = {}
    for key_node, value_node in models_node.value:
        name = str(key_node.value)
        if name in entries:
            raise DataError(f"model {name!r} is listed twice", path, key_node.start_mark.line + 1)
        entries[name] = _entry_from_node(name, value_node, path)
    return entries


def load_families(user_file: Path | None = None) -> FamilyRegistry:
    """Our registry, extended/overridden by `user_file` (same format) when given."""
    ours = resources.files("clika.analysis").joinpath("families.yaml")
    entries = parse_registry_text(ours.read_text(encoding="utf-8"), "clika/analysis/families.yaml")
    if user_file is not None:
        user_file = Path(user_file)
        if not user_file.is_file():
            raise DataError("registry file not found", user_file)
        user = parse_registry_text(user_file.read_text(encoding="utf-8"), str(user_file))
        # A user entry replaces ours whole; an old alias of ours must not shadow it.
        for name, entry in user.items():
            entries.pop(name, None)
            entries[name] = entry
    registry = FamilyRegistry(entries)
    for entry in registry.entries.values():
        if entry.base is not None and registry.resolve(entry.base) is None:
            path, _, line = entry.source.rpartition(":")
            raise DataError(f"model {entry.name!r}: base {entry.base!r} is not in the registry", path, int(line))
        if entry.base is not None:
            registry.entries[entry.name] = replace(entry, base=registry.resolve(entry.base))
    return registry
