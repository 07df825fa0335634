"""Turning ChoiceRequests into token ids the way lm-evaluation-harness does.

Shared by the hf and vllm backends so that both score exactly what lm-eval
scores: context tokens = encode(context); continuation tokens =
encode(context + continuation)[len(context tokens):]. Prompts are always
encoded whole, never prefix and body separately, so the split between them
cannot change the tokens.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from clika.backends.base import ChoiceRequest
from clika.errors import BackendError

Encode = Callable[[list[str]], list[list[int]]]  # batch of texts -> token ids (with the model's BOS rule)


def letter_tokens(encode: Encode, requests: Sequence[ChoiceRequest]) -> tuple[list[list[int]], list[list[int]]]:
    """(context ids, first token id of each continuation) for next-token scoring.

    The continuation is scored right after the whole prompt (no whitespace moved),
    so "Answer:" + "A" asks for the token "A" at the position after "Answer:".
    """
    contexts = encode([r.prompt for r in requests])
    pairs = [(i, c) for i, r in enumerate(requests) for c in r.continuations]
    wholes = encode([requests[i].prompt + c for i, c in pairs])
    firsts: list[list[int]] = [[] for _ in requests]
    for (i, c), whole in zip(pairs, wholes):
        if len(whole) <= len(contexts[i]):
            raise BackendError(f"continuation {c!r} adds no token after the prompt")
        firsts[i].append(whole[len(contexts[i])])
    return contexts, firsts


def cloze_tokens(encode: Encode, requests: Sequence[ChoiceRequest]) -> tuple[list[list[int]], list[list[list[int]]]]:
    """(context ids, token ids of each continuation), lm-eval's ``_encode_pair`` rule.

    Trailing whitespace of the context moves to the continuation first (lm-eval
    does this so that " word" tokenises as a word-initial token).
    """
    prompts = [r.prompt for r in requests]
    stripped = [p.rstrip() for p in prompts]
    contexts = encode(stripped)
    pairs = [(i, p[len(s):] + c) for i, (p, s, r) in enumerate(zip(prompts, stripped, requests))
             for c in r.continuations]
    wholes = encode([stripped[i] + c for i, c in pairs])
    continuations: list[list[list[int]]] = [[] for _ in requests]
    for (i, _), whole in zip(pairs, wholes):
        continuations[i].append(list(whole[len(contexts[i]):]))
    return contexts, continuations
