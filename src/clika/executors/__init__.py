"""Executors: who scores the work units the runner plans.

A WorkUnit is a plain, picklable spec: one (task, lang) of one model, with the
items still to score. An executor turns units into ChunkResults (predictions
for a few batches of items) and yields them as they finish; only the driver
(clika.runner) writes them to the results store. The local executor runs in
this process; a Ray executor can ship the same units to workers.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Protocol

from clika.items import Item
from clika.predictions import Prediction


@dataclass(frozen=True)
class WorkUnit:
    """The items of one (task, lang) still to score, and how to score them."""

    task: str
    lang: str
    prompt_hash: str
    items: tuple[Item, ...]
    mode: str = "letter"
    template: str = "paper"
    batch_size: int = 16
    chunk_size: int = 64
    extract: str = "first-char"

    def chunks(self) -> Iterator[tuple[Item, ...]]:
        """The items in store-sized pieces: each piece is written in one transaction."""
        for start in range(0, len(self.items), self.chunk_size):
            yield self.items[start : start + self.chunk_size]


@dataclass(frozen=True)
class ChunkResult:
    """Predictions for one chunk of one unit."""

    task: str
    lang: str
    prompt_hash: str
    predictions: tuple[Prediction, ...]


class Executor(Protocol):
    def fingerprint(self) -> str:
        """The fingerprint of the backend that scores (keys the results store)."""
        ...

    def run(self, units: Sequence[WorkUnit]) -> Iterator[ChunkResult]:
        """Score every unit; yield each chunk's predictions as soon as it is done."""
        ...

    def close(self) -> None:
        ...
