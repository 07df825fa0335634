"""The task registry: CLiKA's tasks and the mini set from the package's YAML files, plus the user's own from
``--include-path`` folders (as in lm-evaluation-harness).

Nothing is registered as a side effect: a registry is a value, built by ``load_registry`` and passed to whatever needs
task specs. An item of a task no YAML defines (e.g. a user's JSONL file) gets an ad-hoc multiple-choice spec (the
shared ``_mc.yaml`` prompt with an arithmetic one-shot example sized to its option count).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

from clika.errors import ConfigError
from clika.tasks.spec import LineDict, TaskSpec, parse_task, parse_task_data, resolve_includes

PACKAGE_DIR = Path(str(resources.files("clika.tasks")))
GENERIC_BASE = "_mc.yaml"


def task_files(folder: Path) -> list[Path]:
    """Task YAMLs under a folder (recursively); files whose name starts with "_" are includes."""
    return sorted(p for p in folder.rglob("*.y*ml") if p.suffix in (".yaml", ".yml") and not p.name.startswith("_"))


def arithmetic_example(n_options: int) -> dict:
    """The upstream one-shot "2+3=?" example for any option count: 1,2,3,5(,6...) with answer 5."""
    if n_options >= 4:
        return {"question": "2+3=?", "options": ["1", "2", "3", "5", "6", "7", "8", "9", "10", "11"][:n_options],
                "gold": 3}
    return {"question": "2+3=?", "options": ["3", "5", "6"][3 - n_options:], "gold": n_options - 2}


@dataclass(frozen=True)
class TaskRegistry:
    specs: dict[str, TaskSpec]

    def get(self, name: str) -> TaskSpec | None:
        return self.specs.get(name)

    def __getitem__(self, name: str) -> TaskSpec:
        spec = self.specs.get(name)
        if spec is None:
            raise ConfigError(f"unknown task {name!r}; known: {', '.join(self.names())} "
                              "(add your own with --include-path DIR holding a task YAML)")
        return spec

    def __contains__(self, name: object) -> bool:
        return name in self.specs

    def names(self) -> list[str]:
        return list(self.specs)

    def upstream(self) -> list[TaskSpec]:
        """Tasks read from the upstream CLiKA layout, in registry order."""
        return [s for s in self.specs.values() if s.dataset.format == "upstream"]

    def spec_for(self, name: str, n_options: int, stream: str = "basic") -> TaskSpec:
        """The registered spec, or an ad-hoc multiple-choice one for a task no YAML defines."""
        spec = self.specs.get(name)
        return spec if spec is not None else _ad_hoc(name, n_options, stream)

    def with_include_paths(self, paths: Iterable[str | Path]) -> TaskRegistry:
        """This registry plus the tasks of the YAML files under ``paths`` (theirs win on a name clash)."""
        specs = dict(self.specs)
        defined_here: dict[str, str] = {}
        for folder in paths:
            folder = Path(folder)
            if not folder.exists():
                raise ConfigError("--include-path: no such file or folder", folder)
            files = [folder] if folder.is_file() else task_files(folder)
            if not files:
                raise ConfigError("--include-path: no task YAML files here", folder)
            for path in files:
                spec = parse_task(path)
                if spec.name in defined_here:
                    raise ConfigError(f"task {spec.name!r} is defined twice (also in {defined_here[spec.name]})", path)
                defined_here[spec.name] = str(path)
                specs[spec.name] = spec
        return TaskRegistry(specs)


@lru_cache(maxsize=1)
def builtin_registry() -> TaskRegistry:
    """CLiKA's four tasks and the mini set, from the YAML files shipped in clika/tasks/."""
    specs = {spec.name: spec for spec in map(parse_task, task_files(PACKAGE_DIR))}
    order = ("x_csqa", "x_copa", "x_geo", "x_name")  # the paper's order first
    return TaskRegistry({n: specs[n] for n in sorted(specs, key=lambda n: (order.index(n) if n in order else 99, n))})


def load_registry(include_paths: Sequence[str | Path] | None = None) -> TaskRegistry:
    """The built-in tasks, extended by the user's YAML files under ``include_paths``."""
    registry = builtin_registry()
    return registry.with_include_paths(include_paths) if include_paths else registry


@lru_cache(maxsize=64)
def _ad_hoc(name: str, n_options: int, stream: str) -> TaskSpec:
    if not 2 <= n_options <= 10:
        raise ConfigError(f"task {name!r}: a multiple-choice item needs 2 to 10 options, got {n_options}")
    base_path = PACKAGE_DIR / GENERIC_BASE
    data = LineDict(resolve_includes(base_path))
    data.update(task=name, stream=stream, n_options=n_options, description="(no task YAML: generic multiple choice)",
                dataset=LineDict(format="jsonl", path=str(base_path.parent)))
    data["prompt"] = LineDict({**data["prompt"], "example": arithmetic_example(n_options)})
    return parse_task_data(data, base_path)
