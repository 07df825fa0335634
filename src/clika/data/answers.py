"""Answer extraction: from a model's generated text to a chosen option index.

Two rules:

- ``first_char_choice``: the upstream CLiKA rule. The first character of the stripped output is the chosen letter;
  anything else (a lowercase letter, a letter out of range, an empty output) is unparseable (None). Reproducing the
  paper's numbers needs exactly this rule.
- ``smart_choice``: a more forgiving reader for chatty models ("Answer: B", "(B)", "**B**", full-width "Ｂ", "b.",
  native-script letters such as the Hebrew "ב." or the Russian "Б.", or the exact text of one option). When none of its
  rules applies it falls back to the first-character rule; the one case where it drops an answer that rule finds is an
  explicit out-of-range letter ("Answer: E" on a 4-option item, which the first character would read as A).

Both return None for "no answer"; None counts as wrong in every metric.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

from clika.errors import ConfigError
from clika.items import LETTERS

# The answer-extraction rules by their command-line names.
EXTRACTORS: tuple[str, ...] = ("first-char", "smart")

_LETTER_INDEX: dict[str, int] = {c: i for i, c in enumerate(LETTERS)}

# Letters of other scripts that models answer with when the question is in that language, in the order that language
# enumerates options. Cyrillic В/С/Е/Н are left out on purpose: they look like the Latin B/C/E/H, so "В." could mean the
# Russian third option or a Latin B typed with a Cyrillic keyboard.
_NATIVE_LETTERS: dict[str, int] = {
    "А": 0, "Б": 1, "Г": 3, "Д": 4,  # Cyrillic А Б (В) Г Д
    "א": 0, "ב": 1, "ג": 2, "ד": 3, "ה": 4,  # Hebrew alef-bet
    "أ": 0, "ا": 0, "ب": 1, "ج": 2, "د": 3, "ه": 4,  # Arabic abjad order
}

# Words that introduce an answer, in the ten CLiKA languages. Case-insensitive for the words only: the letter after
# them must still be a capital.
_ANSWER_WORDS = ("answer", "the answer is", "correct answer", "antwort", "réponse", "reponse", "risposta", "ответ",
                 "odpowiedź", "odpowiedz", "答案", "回答", "答え", "正解", "תשובה", "الإجابة", "الجواب")
_ANSWER_RE = re.compile(r"(?i:" + "|".join(re.escape(w) for w in sorted(_ANSWER_WORDS, key=len, reverse=True)) + r")"
                        r"(?i:\s*(?:is|ist|est|è|是|为|為|は|:|：|-|—)\s*)*"
                        r"[\s(\[*]*([A-J])(?![A-Za-z])")
# "B", "B.", "B)", "(B)", "[B]", "B: text" -- a capital not followed by a letter. A capital followed by a space ("A big
# dog") is ambiguous with an English word and is left to the later rules.
_LEADING_LETTER_RE = re.compile(r"^[(\[]?([A-J])(?:[.):：,\]]|$)")
_LEADING_LETTER_SPACE_RE = re.compile(r"^([A-J])\s+(.*)$", re.S)
# "b." / "b)" / "(b)": lowercase only with closing punctuation, never "a cat".
_LEADING_LOWER_RE = re.compile(r"^\(?([a-j])[.)](?:\s|$)")
_MARKDOWN_EDGE = "*_#`\"'“”「」«» \t\r\n"


def first_char_choice(res: str | None, n_options: int) -> int | None:
    """The upstream rule: the first character of the stripped output is the letter."""
    stripped = (res or "").strip()
    return _in_range(_LETTER_INDEX.get(stripped[0]), n_options) if stripped else None


def _normalise_text(text: str) -> str:
    """Text compared against option texts: NFKC, case-folded, no edge punctuation."""
    text = unicodedata.normalize("NFKC", text).casefold().strip()
    return text.strip(_MARKDOWN_EDGE + ".。!！?？،,、")


def _in_range(idx: int | None, n_options: int) -> int | None:
    return idx if idx is not None and 0 <= idx < n_options else None


def _option_text_choice(text: str, options: Sequence[str]) -> int | None:
    """The one option whose text the answer is (exactly, after normalising)."""
    target = _normalise_text(text)
    if not target:
        return None
    hits = [i for i, opt in enumerate(options) if _normalise_text(opt) == target]
    return hits[0] if len(hits) == 1 else None


def smart_choice(res: str | None, n_options: int, options: Sequence[str] | None = None) -> int | None:
    """A forgiving reader; see the module docstring. Rules are tried in order."""
    # NFKC folds full-width letters and brackets ("（Ｂ）" -> "(B)").
    text = unicodedata.normalize("NFKC", res or "").strip().strip(_MARKDOWN_EDGE)
    if not text:
        return None
    m = _LEADING_LETTER_RE.match(text)
    if m and (idx := _in_range(_LETTER_INDEX[m.group(1)], n_options)) is not None:
        return idx
    m = _LEADING_LETTER_SPACE_RE.match(text)
    if m and options is not None:
        # "B Paris" counts as B only when the rest is that option's text.
        idx = _in_range(_LETTER_INDEX[m.group(1)], n_options)
        if idx is not None and idx < len(options) and _normalise_text(m.group(2)) == _normalise_text(options[idx]):
            return idx
    m = _ANSWER_RE.search(text)
    if m:
        # An explicit "Answer: E" on a 4-option item is a wrong letter, not an "A" (which is what the first character of
        # "Answer" would give).
        return _in_range(_LETTER_INDEX[m.group(1)], n_options)
    m = _LEADING_LOWER_RE.match(text)
    if m and (idx := _in_range(_LETTER_INDEX[m.group(1).upper()], n_options)) is not None:
        return idx
    native = _NATIVE_LETTERS.get(text[0]) if len(text) == 1 or text[1] in ".)）:" else None
    if (idx := _in_range(native, n_options)) is not None:
        return idx
    if options is not None and (idx := _option_text_choice(text, options[:n_options])) is not None:
        return idx
    return first_char_choice(res, n_options)


def extract_choice(res: str | None, n_options: int, options: Sequence[str] | None, rule: str) -> int | None:
    """Dispatch on the rule name used on the command line ("first-char" or "smart")."""
    if rule == "first-char":
        return first_char_choice(res, n_options)
    if rule == "smart":
        return smart_choice(res, n_options, options)
    raise ConfigError(f"unknown answer extraction rule {rule!r} (use one of {', '.join(EXTRACTORS)})")
