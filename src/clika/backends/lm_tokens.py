"""Turning ChoiceRequests into token ids the way lm-evaluation-harness does.

Shared by the hf and vllm backends so both score exactly what lm-eval scores: context tokens =
encode(context); continuation tokens = encode(context + continuation)[len(context tokens):]. Prompts are
always encoded whole, never prefix and body apart, so the split between them cannot change the tokens.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from clika.backends.base import ChoiceRequest
from clika.errors import BackendError

Encode = Callable[[list[str]], list[list[int]]]  # batch of texts -> token ids (with the model's BOS rule)


def _split(encode: Encode, requests: Sequence[ChoiceRequest], contexts: list[str]):
    """(context ids, the ids each continuation adds after its context); the context's cut-off tail
    (``prompt[len(context):]``) starts each continuation."""
    context_ids = encode(contexts)
    pairs = [(i, r.prompt[len(contexts[i]):] + c) for i, r in enumerate(requests) for c in r.continuations]
    wholes = encode([contexts[i] + c for i, c in pairs])
    added: list[list[list[int]]] = [[] for _ in requests]
    for (i, _), whole in zip(pairs, wholes):
        added[i].append(list(whole[len(context_ids[i]):]))
    return context_ids, added


def letter_tokens(encode: Encode, requests: Sequence[ChoiceRequest]) -> tuple[list[list[int]], list[list[int]]]:
    """(context ids, first token id of each continuation) for next-token scoring, right after the whole prompt
    (no whitespace moved): "Answer:" + "A" asks for the token "A" at the position after "Answer:"."""
    contexts, added = _split(encode, requests, [r.prompt for r in requests])
    for r, tails in zip(requests, added):
        for c, tail in zip(r.continuations, tails):
            if not tail:
                raise BackendError(f"continuation {c!r} adds no token after the prompt")
    return contexts, [[tail[0] for tail in tails] for tails in added]


def cloze_tokens(encode: Encode, requests: Sequence[ChoiceRequest]) -> tuple[list[list[int]], list[list[list[int]]]]:
    """(context ids, token ids of each continuation), lm-eval's ``_encode_pair`` rule: trailing whitespace
    of the context moves to the continuation first, so that " word" tokenises as a word-initial token."""
    return _split(encode, requests, [r.prompt.rstrip() for r in requests])
