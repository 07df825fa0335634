"""Prediction: what a model chose for one item, the input of all metrics.

A Prediction carries its gold index so that metrics can be computed from prediction files alone (the upstream files
carry the gold letter too). What a read of prediction files returns, and the readers' filter, are in clika.data.reading.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Prediction:
    """One model's answer to one item in one language."""

    model: str
    task: str
    lang: str
    item_id: str
    choice: int | None  # None: unparseable or missing, which counts as wrong (docs/metrics.md)
    gold: int
    n_options: int
    raw: str | None = None  # the raw model output (generate mode)
    scores: tuple[float, ...] | None = None  # per-option scores (letter/cloze modes)
    extra: dict[str, Any] = field(default_factory=dict, compare=False)

    @property
    def correct(self) -> bool:
        return self.choice is not None and self.choice == self.gold
