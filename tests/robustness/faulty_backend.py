"""A real HF backend that kills its own process mid-run: a worker crash, on demand.

``dying_hf`` is a backend factory (register it with clika.backends.registry):
    model_args: pretrained=DIR,die_after=N,die_marker=PATH[,die_once=true]
While PATH exists, the N-th scoring call of each backend instance ends the
process with os._exit (no cleanup, like a kill -9 or an out-of-memory kill).
With die_once the marker is removed first, so exactly one process dies.
Everything else is the plain HF backend, so the fingerprint and the
predictions are the ones `--model hf` gives for the same weights.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any


class DyingBackend:
    def __init__(self, inner: Any, marker: Path, after: int, once: bool):
        self.inner, self.marker, self.after, self.once = inner, marker, after, once
        self.name = inner.name
        self.calls = 0

    def _maybe_die(self) -> None:
        self.calls += 1
        if self.calls == self.after and self.marker.exists():
            if self.once:
                self.marker.unlink()
            os._exit(17)

    def fingerprint(self) -> str:
        return self.inner.fingerprint()

    def next_token_logprobs(self, requests):
        self._maybe_die()
        return self.inner.next_token_logprobs(requests)

    def loglikelihoods(self, requests):
        self._maybe_die()
        return self.inner.loglikelihoods(requests)

    def generate(self, prompts, max_new_tokens, stop=()):
        self._maybe_die()
        return self.inner.generate(prompts, max_new_tokens, stop)

    def close(self) -> None:
        self.inner.close()


def dying_hf(*, die_marker: str, die_after: int = 1, die_once: bool = False, **hf_args: Any) -> DyingBackend:
    from clika.backends.registry import make_backend

    return DyingBackend(make_backend("hf", hf_args), Path(die_marker), die_after, die_once)
