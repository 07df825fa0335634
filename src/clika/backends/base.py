"""The backend contract: the only thing the rest of clika knows about models.

Kept as small as lm-evaluation-harness's model class. A backend turns ChoiceRequests
(clika.prompts) into option scores, or prompts into generated text. Backends are found by
name in clika.backends.registry (built-in, entry points, or registered at run time).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

from clika.prompts import ChoiceRequest

__all__ = ["Backend", "ChoiceRequest"]


@runtime_checkable
class Backend(Protocol):
    name: str

    def fingerprint(self) -> str:
        """Identifies weights + every setting that changes outputs; keys the results store."""
        ...

    def next_token_logprobs(self, requests: Sequence[ChoiceRequest]) -> list[list[float]]:
        """Letter mode: for each request, the log-probability (at the first position after
        prefix + body) of the first token of each continuation. One forward pass per
        request; only those few vocabulary rows are needed."""
        ...

    def loglikelihoods(self, requests: Sequence[ChoiceRequest]) -> list[list[tuple[float, int]]]:
        """Cloze mode: for each request and continuation, (sum of token log-probabilities of
        the continuation given prefix + body, number of continuation tokens)."""
        ...

    def generate(self, prompts: Sequence[str | Sequence[int]], max_new_tokens: int,
                 stop: Sequence[str] = ()) -> list[str]:
        """Greedy generation; returns only the new text, cut before the first ``stop`` string.
        A prompt may be token ids (e.g. exactly as a fine-tuned model was taught): those are
        used verbatim, without chat wrapping or added special tokens."""
        ...

    def close(self) -> None:
        ...


def cut_at_stop(text: str, stop: Sequence[str]) -> str:
    """``text`` up to the first occurrence of any stop string (lm-eval's ``until``)."""
    end = len(text)
    for s in stop:
        if s:
            at = text.find(s)
            if 0 <= at < end:
                end = at
    return text[:end]
