"""How much of a fact's source-language subject a target-language question shares.

A type-1 fact asked in language l tests cross-lingual transfer only if the l question does not hold the string the
fact was taught with. The stratum of a fact compares its SUBJECT only (the city name in the question: the answer is
what is being retrieved, so it does not define the condition), without any model's tokenizer, so that a fact lands in
the same stratum for every model:

- both names are normalised: Unicode NFKC, case folding, accents stripped (NFD, combining marks removed), every run
  of non-letters/digits a word break;
- "identical": the normalised names are equal (the question holds the taught string);
- "cognate": not identical, but their character trigrams overlap with a Dice coefficient of at least COGNATE_DICE
  ("Astralyn Sands" / "Astralyn-Sande"; "Silver Harbor" / "Silberhafen" shares only "sil": Dice 0.12, not cognate);
- "none": below that (different scripts always, translated compounds mostly).

Trigrams are taken inside words, so fragments of two characters or fewer never count. ``token_overlap`` keeps the
older, model-dependent measure as an extra column: whether the two subject forms share a token of the model's
tokenizer carrying at least three letters or digits.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Literal

from clika.fictional.dataset import fold

Stratum = Literal["identical", "cognate", "none"]
STRATA: tuple[str, ...] = ("identical", "cognate", "none")
COGNATE_DICE = 0.3
MIN_FRAGMENT = 3  # characters: shorter words and tokens carry no evidence of a shared name

_WORD = re.compile(r"[^\W_]+")


def normalise(name: str) -> str:
    """NFKC, casefold, accents stripped, words joined by single spaces."""
    decomposed = unicodedata.normalize("NFD", fold(name))
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(_WORD.findall(unicodedata.normalize("NFC", stripped)))


def trigrams(name: str) -> set[str]:
    return {w[i : i + 3] for w in normalise(name).split() if len(w) >= MIN_FRAGMENT for i in range(len(w) - 2)}


def dice(a: str, b: str) -> float:
    """Dice coefficient of the two names' character-trigram sets (0 when either has none)."""
    ta, tb = trigrams(a), trigrams(b)
    return 2 * len(ta & tb) / (len(ta) + len(tb)) if ta and tb else 0.0


def subject_overlap(source_subject: str, target_subject: str) -> tuple[Stratum, float]:
    """The stratum of one fact in one target language, and the Dice coefficient behind it."""
    if normalise(source_subject) == normalise(target_subject):
        return "identical", 1.0
    d = dice(source_subject, target_subject)
    return ("cognate" if d >= COGNATE_DICE else "none"), d


def token_overlap(tokenizer, source_subject: str, target_subject: str) -> bool:
    """Whether the two forms share a token of ``tokenizer`` (bare or after a space) with at least
    MIN_FRAGMENT letters or digits: the model-dependent measure, reported beside the strata."""
    return bool(_tokens(tokenizer, source_subject) & _tokens(tokenizer, target_subject))


def _tokens(tokenizer, text: str) -> set[int]:
    ids = {i for form in (text, " " + text) for i in tokenizer.encode(form, add_special_tokens=False)}
    return {i for i in ids if sum(ch.isalnum() for ch in tokenizer.decode([i])) >= MIN_FRAGMENT}
