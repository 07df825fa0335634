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
        for unit in units:
            for chunk in unit.chunks():
                yield chunk.choose(self.backend)

    def close(self) -> None:
        self.backend.close()
