"""What a prediction reader returns, and the model/task/language filter every reader shares.

Kept apart from predictions_io so that the per-layout readers (lmeval_samples,
the upstream and clika readers in predictions_io) import it without an import
cycle. ``clika.data.predictions_io`` re-exports ``PredictionReadResult``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from clika.errors import ConfigError
from clika.predictions import Prediction


@dataclass
class PredictionReadResult:
    """What ``read_predictions`` found.

    extraction_changes: (model, task, lang) -> number of answers where the smart
        extractor chose differently from the first-character rule (extract="smart" only).
    warnings: things the reader did that a user should know about (files skipped,
        items aligned by position...), one line each.
    """

    predictions: list[Prediction]
    extraction_changes: dict[tuple[str, str, str], int] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


def _as_set(values: Sequence[str] | None) -> frozenset[str] | None:
    return frozenset(values) if values else None


def _require(wanted: frozenset[str] | set[str], found: set[str], noun: str) -> None:
    """A one-line error naming what of ``wanted`` is not in ``found``, and listing what is."""
    missing = sorted(set(wanted).difference(found))
    if missing:
        what = noun if len(missing) == 1 else noun + "s"
        raise ConfigError(f"no {what} {_names(missing)}; the predictions have: {_listing(sorted(found))}")


def _names(values: Iterable[str]) -> str:
    return ", ".join(repr(v) for v in values)


def _listing(values: Iterable[str]) -> str:
    return ", ".join(values) or "(nothing)"


@dataclass(frozen=True)
class ReadFilter:
    """The models/tasks/langs a read is restricted to (None: all)."""

    models: frozenset[str] | None = None
    tasks: frozenset[str] | None = None
    langs: frozenset[str] | None = None

    @classmethod
    def of(cls, models: Sequence[str] | None = None, tasks: Sequence[str] | None = None,
           langs: Sequence[str] | None = None) -> ReadFilter:
        return cls(_as_set(models), _as_set(tasks), _as_set(langs))

    def keep(self, model: str | None = None, task: str | None = None, lang: str | None = None) -> bool:
        return not (
            (model is not None and self.models is not None and model not in self.models)
            or (task is not None and self.tasks is not None and task not in self.tasks)
            or (lang is not None and self.langs is not None and lang not in self.langs)
        )

    def check_known(self, available: Iterable[tuple[str, str, str]]) -> None:
        """ConfigError, listing what exists, for a ``tasks``/``models`` value the source does not have.

        available: every (model, task, lang) the source holds predictions for,
        before filtering. A model counts as known when it has predictions
        within the chosen tasks and languages.
        """
        if self.tasks is None and self.models is None:
            return
        have = set(available)
        if self.tasks is not None:
            _require(self.tasks, {t for _, t, _ in have}, "task")
        if self.models is not None:
            _require(self.models, {m for m, _, _ in have}, "model")
            in_scope = sorted({m for m, t, lang in have if self.keep(task=t, lang=lang)})
            missing = sorted(self.models.difference(in_scope))
            if missing:
                scope = "; ".join(
                    f"{kind} {', '.join(sorted(values))}"
                    for kind, values in (("tasks", self.tasks), ("languages", self.langs)) if values
                )
                what = "model" if len(missing) == 1 else "models"
                raise ConfigError(f"no predictions of {what} {_names(missing)} for {scope}; "
                                  f"the predictions there have: {_listing(in_scope)}")
