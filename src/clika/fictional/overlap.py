"""How much of a fact's English surface a target-language question shares.

A type-1 fact asked in language l is a test of cross-lingual transfer only if
its names differ from the English-trained ones. ``surface_overlap`` puts a fact
into one of three strata, from its (English form, target form) name pairs (the
subject, and the answer when it is a name):

- "identical": some pair is equal after ``fold`` (NFKC + casefold): the question
  holds the very English-trained string, and so may the gold;
- "shared_subword": not identical, but some pair shares a token of the model's
  tokenizer ("Silver Harbor" / "Silberhafen" may share "Sil"): partial overlap;
- "none": no shared surface.

Without a tokenizer the middle stratum cannot be told apart: a non-identical
fact is then "none" (read it as "not identical"). Tokens are compared by id,
over the encoding of each form both bare and after a space (a name sits after a
space in most templates, which byte-level BPEs encode differently). Tokens whose
text has no letter or digit (spaces, punctuation, stray bytes) do not count.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Literal

from clika.fictional.dataset import fold

if TYPE_CHECKING:
    from clika.fictional.generator import FictionalSet

Stratum = Literal["identical", "shared_subword", "none"]
STRATA: tuple[str, ...] = ("identical", "shared_subword", "none")


def _encode(tokenizer, text: str) -> list[int]:
    try:
        return list(tokenizer.encode(text, add_special_tokens=False))
    except TypeError:  # a tokenizer without the keyword (no special tokens to add)
        return list(tokenizer.encode(text))


def content_tokens(tokenizer, text: str) -> set[int]:
    """Ids of the tokens of ``text`` (bare and after a space) that carry a letter or digit."""
    return _content_tokens(tokenizer, text, {})


def _content_tokens(tokenizer, text: str, pieces: dict[int, str]) -> set[int]:
    ids = set(_encode(tokenizer, text)) | set(_encode(tokenizer, " " + text))
    for i in ids - pieces.keys():
        pieces[i] = tokenizer.decode([i])
    return {i for i in ids if any(ch.isalnum() for ch in pieces[i])}


def _stratum(pairs: Sequence[tuple[str, str]], tokenizer, pieces: dict[int, str]) -> Stratum:
    if any(fold(en) == fold(tgt) for en, tgt in pairs):
        return "identical"
    if tokenizer is not None:
        for en, tgt in pairs:
            if _content_tokens(tokenizer, en, pieces) & _content_tokens(tokenizer, tgt, pieces):
                return "shared_subword"
    return "none"


def surface_overlap(pairs: Sequence[tuple[str, str]], tokenizer=None) -> Stratum:
    """The overlap stratum of one fact in one language from its (English, target) name pairs."""
    return _stratum(pairs, tokenizer, {})


def fact_overlaps(fset: FictionalSet, target: str, tokenizer=None) -> dict[str, Stratum]:
    """fact_id -> stratum of every fact of the set asked in ``target``.

    Pairs are the subject's names, and the answer's for continent facts (a year is
    written with the same digits everywhere and is not a name)."""
    pieces: dict[int, str] = {}
    return {f.fact_id: _stratum(fset.name_pairs(f, target), tokenizer, pieces) for f in fset.facts}
