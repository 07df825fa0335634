"""Item data: one entry point, ``load_items``, over every supported source.

Sources:
- "builtin": the built-in mini set (clika.data.builtin)
- a folder in the upstream CLiKA layout (x_csqa/, x_copa/, x_geo/, x_name/)
- a .jsonl file in the project's format, or a folder of such files
- "hf:NAME[:CONFIG]": a Hugging Face dataset in the project's column layout

See docs/data-format.md for the formats.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from clika.data.lines import ProblemSink, raise_problem
from clika.errors import ConfigError
from clika.items import Item

__all__ = ["load_items", "filter_items", "jsonl_files"]


def filter_items(items: list[Item], tasks: Sequence[str] | None, langs: Sequence[str] | None) -> list[Item]:
    task_set, lang_set = set(tasks or ()), set(langs or ())
    return [i for i in items if (not task_set or i.task in task_set) and (not lang_set or i.lang in lang_set)]


def jsonl_files(folder: Path) -> list[Path]:
    """The .jsonl files under a folder, in a stable order."""
    return sorted(p for p in folder.rglob("*.jsonl") if p.is_file())


def _load_hf_source(spec: str, tasks: Sequence[str] | None, langs: Sequence[str] | None) -> list[Item]:
    from clika.data.hub import load_hf

    name, _, config = spec.partition(":")
    if not name:
        raise ConfigError("an hf: source needs a dataset name, e.g. hf:user/clika-items[:config]")
    if not tasks or len(tasks) != 1:
        raise ConfigError("an hf: source holds one task: name exactly one task (--task) for it")
    lang = langs[0] if langs and len(langs) == 1 else None
    items = load_hf(name, task=tasks[0], lang=lang, config=config or None)
    return filter_items(items, None, langs)


def load_items(
    source: str | Path,
    tasks: Sequence[str] | None = None,
    langs: Sequence[str] | None = None,
    on_problem: ProblemSink = raise_problem,
) -> list[Item]:
    """Items from any supported source, restricted to ``tasks`` and ``langs``."""
    from clika.data.jsonl import load_jsonl
    from clika.data.upstream import is_upstream_root, load_upstream

    text = str(source)
    if text == "builtin":
        from clika.data.builtin import load_builtin

        return load_builtin(tasks=tasks, langs=langs)
    if text.startswith("hf:"):
        return _load_hf_source(text[3:], tasks, langs)
    path = Path(source)
    if is_upstream_root(path):
        return load_upstream(path, tasks=tasks, langs=langs, on_problem=on_problem)
    if path.is_file() and path.suffix == ".jsonl":
        return filter_items(load_jsonl(path, on_problem), tasks, langs)
    if path.is_dir():
        files = jsonl_files(path)
        if files:
            items = [item for f in files for item in load_jsonl(f, on_problem)]
            return filter_items(items, tasks, langs)
        raise ConfigError("folder holds neither the upstream layout (x_csqa/, x_copa/, ...) nor .jsonl files", path)
    if not path.exists():
        raise ConfigError("no such file or folder (sources: builtin, a folder, a .jsonl file, hf:NAME)", path)
    raise ConfigError("unsupported item source (use builtin, a folder, a .jsonl file or hf:NAME)", path)
