"""Executors: who scores the work units the runner plans.

A WorkUnit is a plain, picklable spec: one (task, lang) of one model, with the items still to score, their
already-rendered requests and their store keys. An executor cuts units into store-sized chunks (units themselves),
scores them into ChunkResults and yields these as they finish; only the driver (clika.runner) writes them to the
results store. The local executor runs in this process; the Ray executor ships the same chunks to workers. Both
offer fingerprint(), run(units) (an iterator of ChunkResults) and close(). Prompts are rendered once, in the
driver, so what a worker scores is exactly what the store keys on.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace

from clika.items import Item
from clika.predictions import Prediction
from clika.prompts import ChoiceRequest

StoreKey = tuple[str, str]  # (item_hash, request_hash)


@dataclass(frozen=True)
class WorkUnit:
    """The items of one (task, lang) still to score, and how to score them."""

    task: str
    lang: str
    items: tuple[Item, ...]
    requests: tuple[ChoiceRequest, ...]
    keys: tuple[StoreKey, ...]
    mode: str
    extract: str
    batch_size: int
    chunk_size: int

    def chunks(self) -> Iterator[WorkUnit]:
        """Store-sized pieces of the unit, each written in one transaction."""
        for start in range(0, len(self.items), self.chunk_size):
            piece = slice(start, start + self.chunk_size)
            yield replace(self, items=self.items[piece], requests=self.requests[piece], keys=self.keys[piece])

    def choose(self, backend) -> ChunkResult:
        """What every executor does with a chunk (locally or in a worker)."""
        from clika.choice import choose

        preds = choose(backend, self.items, self.requests, self.mode, self.extract, self.batch_size)
        return ChunkResult(self.task, self.lang, tuple(preds), self.keys)


@dataclass(frozen=True)
class ChunkResult:
    """Predictions for one chunk, with the store keys they belong to."""

    task: str
    lang: str
    predictions: tuple[Prediction, ...]
    keys: tuple[StoreKey, ...]
