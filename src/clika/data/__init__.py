"""Item data: one entry point, ``load_items``, over every supported source (docs/data-format.md):

- None: each task's own dataset, as its YAML declares it (the built-in mini set, a JSONL file next to a
  user's task YAML, the fetched CLiKA data for the upstream tasks, a hub set)
- "builtin": the built-in mini set (clika.data.builtin)
- a folder in the upstream CLiKA layout (x_csqa/, x_copa/, x_geo/, x_name/)
- a .jsonl file in the project's format, or a folder of such files
- "hf:NAME[:CONFIG]": a Hugging Face dataset in the project's column layout
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from clika.data.lines import ProblemSink, raise_problem
from clika.errors import ConfigError
from clika.items import Item
from clika.tasks import TaskRegistry, builtin_registry

__all__ = ["load_items", "filter_items", "jsonl_files"]


def filter_items(items: list[Item], tasks: Sequence[str] | None, langs: Sequence[str] | None) -> list[Item]:
    task_set, lang_set = set(tasks or ()), set(langs or ())
    return [i for i in items if (not task_set or i.task in task_set) and (not lang_set or i.lang in lang_set)]


def jsonl_files(folder: Path) -> list[Path]:
    """The .jsonl files under a folder, in a stable order."""
    return sorted(p for p in folder.rglob("*.jsonl") if p.is_file())


def _load_hf_source(spec: str, tasks, langs, registry: TaskRegistry) -> list[Item]:
    from clika.data.hub import load_hf

    name, _, config = spec.partition(":")
    if not name:
        raise ConfigError("an hf: source needs a dataset name, e.g. hf:user/clika-items[:config]")
    if not tasks or len(tasks) != 1:
        raise ConfigError("an hf: source holds one task: name exactly one task (--tasks) for it")
    lang = langs[0] if langs and len(langs) == 1 else None
    items = load_hf(name, task=tasks[0], lang=lang, config=config or None, registry=registry)
    return filter_items(items, None, langs)


def _load_path(path: Path, tasks, langs, on_problem, registry: TaskRegistry) -> list[Item]:
    from clika.data.jsonl_items import load_jsonl
    from clika.data.upstream_items import is_upstream_root, load_upstream

    if is_upstream_root(path, registry):
        return load_upstream(path, tasks=tasks, langs=langs, on_problem=on_problem, registry=registry)
    files = [path] if path.is_file() and path.suffix == ".jsonl" else jsonl_files(path) if path.is_dir() else []
    if files:
        return filter_items([item for f in files for item in load_jsonl(f, on_problem, registry)], tasks, langs)
    if path.is_dir():
        raise ConfigError("folder holds neither the upstream layout (x_csqa/, x_copa/, ...) nor .jsonl files", path)
    if not path.exists():
        raise ConfigError("no such file or folder (sources: builtin, a folder, a .jsonl file, hf:NAME)", path)
    raise ConfigError("unsupported item source (use builtin, a folder, a .jsonl file or hf:NAME)", path)


def _load_own_datasets(tasks: Sequence[str], langs, on_problem, registry: TaskRegistry) -> list[Item]:
    """Each named task from the dataset its YAML declares."""
    from clika.data.builtin import load_builtin
    from clika.data.upstream_items import load_upstream

    items: list[Item] = []
    for name in tasks:
        ds = registry[name].dataset
        if ds.format == "builtin":
            items += load_builtin([name], langs, registry)
        elif ds.format == "jsonl":
            items += filter_items(_load_path(Path(ds.path or ""), [name], langs, on_problem, registry), [name], langs)
        elif ds.format == "hf":
            items += _load_hf_source(ds.path or "", [name], langs, registry)
        else:  # upstream: the CLiKA data, fetched once with `clika data fetch`
            from clika.data.fetch import find_data_dir, missing_data_message

            root = find_data_dir()
            if root is None:
                raise ConfigError(f"task {name}: {missing_data_message()}")
            items += load_upstream(root, tasks=[name], langs=langs, on_problem=on_problem, registry=registry)
    return items


def load_items(source: str | Path | None, tasks: Sequence[str] | None = None, langs: Sequence[str] | None = None,
               on_problem: ProblemSink = raise_problem, registry: TaskRegistry | None = None) -> list[Item]:
    """Items from any supported source, restricted to ``tasks`` and ``langs``.

    source None: each task's own dataset (tasks must then be named, or the built-in mini set is meant)."""
    from clika.data.builtin import load_builtin

    registry = registry or builtin_registry()
    if source is None:
        return _load_own_datasets(tasks, langs, on_problem, registry) if tasks else load_builtin(None, langs, registry)
    text = str(source)
    if text == "builtin":
        return load_builtin(tasks, langs, registry)
    if text.startswith("hf:"):
        return _load_hf_source(text[3:], tasks, langs, registry)
    return _load_path(Path(source), tasks, langs, on_problem, registry)
