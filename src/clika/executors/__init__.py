"""Executors: who scores the work units the runner plans.

A WorkUnit is a plain, picklable spec: one (task, lang) of one model, with the items still to
score, their already-rendered requests and their store keys. An executor turns units into
ChunkResults (predictions for a few batches of items) and yields them as they finish; only
the driver (clika.runner) writes them to the results store. The local executor runs in this
process; the Ray executor ships the same units to workers. Both offer fingerprint(), run(units)
(an iterator of ChunkResults) and close(). Prompts are rendered once, in the
driver, so what a worker scores is exactly what the store keys on.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from clika.items import Item
from clika.predictions import Prediction
from clika.prompts import ChoiceRequest

StoreKey = tuple[str, str]  # (item_hash, request_hash)


@dataclass(frozen=True)
class Chunk:
    """Store-sized piece of a unit: written in one transaction."""

    task: str
    lang: str
    items: tuple[Item, ...]
    requests: tuple[ChoiceRequest, ...]
    keys: tuple[StoreKey, ...]


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

    def chunks(self) -> Iterator[Chunk]:
        for start in range(0, len(self.items), self.chunk_size):
            end = start + self.chunk_size
            yield Chunk(self.task, self.lang, self.items[start:end], self.requests[start:end], self.keys[start:end])


@dataclass(frozen=True)
class ChunkResult:
    """Predictions for one chunk, with the store keys they belong to."""

    task: str
    lang: str
    predictions: tuple[Prediction, ...]
    keys: tuple[StoreKey, ...]


def choose_chunk(backend, unit: WorkUnit, chunk: Chunk) -> ChunkResult:
    """What every executor does with a chunk (locally or in a worker)."""
    from clika.choice import choose

    preds = choose(backend, chunk.items, chunk.requests, unit.mode, unit.extract, unit.batch_size)
    return ChunkResult(chunk.task, chunk.lang, tuple(preds), chunk.keys)
