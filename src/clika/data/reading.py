"""What the prediction readers of every layout (clika.data.predictions_io, upstream_predictions,
lmeval_samples) share: what a read returns (PredictionReadResult: the predictions and every file looked
at, read or skipped with its reason), the model/task/language filter (ReadFilter) and the --exclude rule.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from clika.errors import ConfigError
from clika.predictions import Prediction

# Why a file was not read (FileEntry.reason), in the words the coverage summary uses.
SKIP_REASONS: dict[str, str] = {
    "not_json_lines": "not JSON lines (e.g. a plain-text dump)",
    "malformed": "a malformed record",
    "empty": "empty (no records)",
    "unknown_name": "name outside the known shapes",
    "clika_predictions": "a clika predictions file (read it with --layout clika)",
    "other_language": "language outside the task's languages (name it in --langs to read it)",
    "outside_layout": "not in a language folder of its task",
    "excluded": "matched --exclude",
    "newer_file": "a newer file for the same task is beside it",
}
# Reasons that are the user's own choice: reported, but not as warnings.
CHOSEN_SKIPS = ("excluded",)
Names = Sequence[str] | None


@dataclass
class FileEntry:
    """One file the reader looked at. status: "read" | "skipped" | "other" (item files, model inputs, scripts: not
    predictions). path: relative to the source folder (posix), or the file's own path when the source is a file."""

    path: str
    status: str
    reason: str | None = None  # skipped: a SKIP_REASONS key
    detail: str | None = None  # skipped: why, in one line
    line: int | None = None  # skipped: the first bad line, where there is one
    model: str | None = None
    task: str | None = None
    lang: str | None = None
    n: int | None = None  # read: predictions in the file
    n_items: int | None = None  # read: items in the item file beside it (None: no item file)

    def to_dict(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if v is not None}


@dataclass
class PredictionReadResult:
    """What ``read_predictions`` found.

    extraction_changes: (model, task, lang) -> answers where the smart extractor chose unlike the first-character
        rule (extract="smart" only). warnings: what the reader did that a user should know (items aligned by
        position, labels trusted against the item file...), one line each. files: every file looked at.
    expected_langs: task -> the languages a model needs for complete coverage of it, where the layout defines them
        (upstream: the task's languages with an item file or predictions); None: the languages read.
    """

    predictions: list[Prediction]
    extraction_changes: dict[tuple[str, str, str], int] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    files: list[FileEntry] = field(default_factory=list)
    expected_langs: dict[str, tuple[str, ...]] | None = None
    coverage: Any = None  # clika.data.coverage.Coverage of this read, where the caller built it (clika.api)

    def skip(self, path: str, reason: str, detail: str | None = None, line: int | None = None, **where) -> None:
        self.files.append(FileEntry(path, "skipped", reason, detail or SKIP_REASONS[reason], line, **where))


def excluded(rel_path: str, patterns: Sequence[str]) -> bool:
    """Whether --exclude GLOB matches a file: its path relative to the source folder, or its name."""
    name = rel_path.rsplit("/", 1)[-1]
    return any(fnmatch.fnmatchcase(rel_path, p) or fnmatch.fnmatchcase(name, p) for p in patterns)


def relative(path: Path, root: Path) -> str:
    """path relative to root, posix; the path itself when not under root (a file source)."""
    try:
        rel = path.relative_to(root)
    except ValueError:
        return str(path)
    return rel.as_posix() if rel.parts else path.name


def _require(wanted: frozenset[str], found: set[str], noun: str) -> None:
    """A one-line error naming what of ``wanted`` is not in ``found``, and listing what is."""
    missing = sorted(wanted.difference(found))
    if missing:
        what = noun if len(missing) == 1 else noun + "s"
        raise ConfigError(f"no {what} {_names(missing)}; the predictions have: {_listing(sorted(found))}")


def _names(values: Iterable[str]) -> str:
    return ", ".join(repr(v) for v in values)


def _listing(values: Iterable[str]) -> str:
    return ", ".join(values) or "(nothing)"


@dataclass(frozen=True)
class ReadFilter:  # the models/tasks/langs a read is restricted to (None: all)
    models: frozenset[str] | None = None
    tasks: frozenset[str] | None = None
    langs: frozenset[str] | None = None

    @classmethod
    def of(cls, models: Names = None, tasks: Names = None, langs: Names = None) -> ReadFilter:
        return cls(*(frozenset(values) if values else None for values in (models, tasks, langs)))

    def keep(self, model: str | None = None, task: str | None = None, lang: str | None = None) -> bool:
        pairs = ((model, self.models), (task, self.tasks), (lang, self.langs))
        return not any(value is not None and chosen is not None and value not in chosen for value, chosen in pairs)

    def check_known(self, available: Iterable[tuple[str, str, str]]) -> None:
        """ConfigError, listing what exists, for a ``tasks``/``models`` value the source does not have.
        available: every (model, task, lang) of the source, before filtering; a model counts as known when it has
        predictions within the chosen tasks and languages."""
        have = set(available)
        if self.tasks is not None:
            _require(self.tasks, {t for _, t, _ in have}, "task")
        if self.models is None:
            return
        _require(self.models, {m for m, _, _ in have}, "model")
        in_scope = sorted({m for m, t, lang in have if self.keep(task=t, lang=lang)})
        missing = sorted(self.models.difference(in_scope))
        if missing:
            chosen = (("tasks", self.tasks), ("languages", self.langs))
            scope = "; ".join(f"{kind} {', '.join(sorted(values))}" for kind, values in chosen if values)
            what = "model" if len(missing) == 1 else "models"
            raise ConfigError(f"no predictions of {what} {_names(missing)} for {scope}; "
                              f"the predictions there have: {_listing(in_scope)}")
