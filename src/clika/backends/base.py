"""The backend contract: the only thing the rest of clika knows about models.

Kept as small as lm-evaluation-harness's model class. A backend turns
ChoiceRequests into option scores, or prompts into generated text.
Backends are registered by name in clika.backends.registry.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, Sequence, runtime_checkable


@dataclass(frozen=True)
class ChoiceRequest:
    """One item, ready to be scored.

    prefix: the text shared by every item of a (task, lang, template): the
        instruction and the one-shot example. A backend may encode it once and
        reuse its KV cache for every item.
    body: the item's own text, ending right where the answer starts
        (e.g. "Question:...\nA. ...\nAnswer:"). prefix + body is the full prompt,
        byte for byte.
    continuations: what is scored after prefix + body: the option letters
        (letter mode, e.g. ("A", "B", "C", "D")) or the option texts (cloze mode,
        usually with a leading space).
    """

    prefix: str
    body: str
    continuations: tuple[str, ...]

    @property
    def prompt(self) -> str:
        return self.prefix + self.body


@runtime_checkable
class Backend(Protocol):
    name: str

    def fingerprint(self) -> str:
        """Identifies weights + settings that change outputs; keys the results store."""
        ...

    def next_token_logprobs(self, requests: Sequence[ChoiceRequest]) -> list[list[float]]:
        """Letter mode: for each request, the log-probability (at the first
        position after prefix + body) of the first token of each continuation.
        One forward pass per request; only those few vocabulary rows are needed."""
        ...

    def loglikelihoods(self, requests: Sequence[ChoiceRequest]) -> list[list[tuple[float, int]]]:
        """Cloze mode: for each request and continuation, (sum of token
        log-probabilities of the continuation given prefix + body, number of
        continuation tokens)."""
        ...

    def generate(self, prompts: Sequence[str], max_new_tokens: int) -> list[str]:
        """Greedy generation; returns only the new text."""
        ...

    def close(self) -> None:
        ...
