"""The backend contract, as small as lm-evaluation-harness's model class: the only thing the rest of clika
knows about models. Backends are found by name in clika.backends.registry."""

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
        """Letter mode: per request, the log-probability (right after prefix + body) of the first token
        of each continuation. One forward pass per request; only those few vocabulary rows are needed."""
        ...

    def loglikelihoods(self, requests: Sequence[ChoiceRequest]) -> list[list[tuple[float, int]]]:
        """Cloze mode: per request and continuation, (sum of its token log-probabilities given
        prefix + body, number of its tokens)."""
        ...

    def generate(self, prompts: Sequence[str | Sequence[int]], max_new_tokens: int,
                 stop: Sequence[str] = ()) -> list[str]:
        """Greedy generation of only the new text, cut before the first ``stop`` string. Token-id prompts
        (e.g. exactly as a fine-tuned model was taught) are used verbatim: no chat wrapping or special tokens."""
        ...

    def close(self) -> None: ...


def cut_at_stop(text: str, stop: Sequence[str]) -> str:
    """``text`` up to the first occurrence of any stop string (lm-eval's ``until``)."""
    return text[:min((text.find(s) for s in stop if s and s in text), default=len(text))]
