"""Prediction: what a model chose for one item, the input of all metrics.

A Prediction carries its gold index so that metrics can be computed from prediction files
alone (the upstream files carry the gold letter too). What a read of prediction files
returns, and the filter the readers share, are in clika.data.reading.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Prediction:
    """One model's answer to one item in one language.

    choice: the chosen option index, or None when the answer was unparseable
        or missing (it then counts as wrong; see docs/metrics.md).
    raw: the raw model output (generate mode) if any.
    scores: per-option scores (letter/cloze modes) if any.
    """

    model: str
    task: str
    lang: str
    item_id: str
    choice: int | None
    gold: int
    n_options: int
    raw: str | None = None
    scores: tuple[float, ...] | None = None
    extra: dict[str, Any] = field(default_factory=dict, compare=False)

    @property
    def correct(self) -> bool:
        return self.choice is not None and self.choice == self.gold
