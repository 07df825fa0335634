"""The in-process executor: one backend, units scored one chunk at a time."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from clika.backends.base import Backend
from clika.executors import ChunkResult, WorkUnit


class LocalExecutor:
    """Scores units with a backend that lives in this process (loaded once, reused)."""

    def __init__(self, backend: Backend):
        self.backend = backend

    def fingerprint(self) -> str:
        return self.backend.fingerprint()

    def run(self, units: Sequence[WorkUnit]) -> Iterator[ChunkResult]:
        from clika.scoring import score_items

        for unit in units:
            for chunk in unit.chunks():
                preds = score_items(
                    self.backend, list(chunk), mode=unit.mode, template=unit.template,
                    batch_size=unit.batch_size, extract=unit.extract,
                )
                yield ChunkResult(unit.task, unit.lang, unit.prompt_hash, tuple(preds))

    def close(self) -> None:
        self.backend.close()
