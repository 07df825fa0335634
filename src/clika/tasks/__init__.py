"""Tasks: one declarative YAML file per task (spec.py), collected in a registry (registry.py).

    from clika.tasks import load_registry
    tasks = load_registry(["my_tasks/"])      # the built-in tasks + the user's YAML files
    tasks["x_geo"].n_options                  # 4
"""

from clika.tasks.registry import TaskRegistry, builtin_registry, load_registry
from clika.tasks.spec import DatasetSpec, Example, PromptTemplate, TaskSpec, parse_task

__all__ = ["DatasetSpec", "Example", "PromptTemplate", "TaskRegistry", "TaskSpec", "builtin_registry",
           "load_registry", "parse_task"]
