"""Pseudo-word names and their one spelling in each language's script (the ``names="transliterated"`` scheme of
names.py; the default is ``compound``).

A name is a tuple of syllables; a syllable is (onset, vowel, coda) drawn from a small inventory (CV or CVC, the onset
is always present). Each language renders a syllable with a fixed table, the way foreign names are transcribed:

- Latin (en fr de it pl): English letters with light per-language respellings (de/pl v -> w, fr u -> ou,
  it k -> c/ch), so translation is not the identity;
- Cyrillic (ru), Hebrew (he, unpointed, with final letter forms), Arabic (ar, vowels written as long vowels, as in
  transcribed names);
- Japanese katakana (ja), one mora per CV, codas as an extra mora (n -> ン);
- Chinese (zh): a fixed syllable -> hanzi table of characters conventionally used for foreign names (巴, 卡, 拉, ...).

The tables are pure data: the same syllables give the same spelling forever, so a name has exactly one form per
language. Distinct names may collide in one script (l and r are one row in katakana); the generator rejects such names.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial

Syllable = tuple[str, str, str]  # (onset, vowel, coda); coda "" for CV

ONSETS: tuple[str, ...] = ("b", "d", "f", "g", "k", "l", "m", "n", "p", "r", "s", "t", "v", "z")
VOWELS: tuple[str, ...] = ("a", "e", "i", "o", "u")
CODAS: tuple[str, ...] = ("", "", "", "n", "r", "s", "l")  # CV is more common than CVC

LATIN_LANGS = ("en", "fr", "de", "it", "pl")
_NON_LATIN = {"ru": "cyrillic", "he": "hebrew", "ar": "arabic", "ja": "katakana", "zh": "hanzi"}
SCRIPT_OF: dict[str, str] = {**dict.fromkeys(LATIN_LANGS, "latin"), **_NON_LATIN}

# Per-language Latin respellings: onset and vowel overrides.
_LATIN_ONSET = {"de": {"v": "w", "z": "ts"}, "pl": {"v": "w"}}
_LATIN_VOWEL = {"fr": {"u": "ou"}}

_CYRILLIC = dict(zip("bdfgklmnprstvzaeiou", "бдфгклмнпрствзаеиоу"))  # onsets, codas and vowels alike
_HEBREW_CONS = dict(zip(ONSETS, ("ב", "ד", "פ", "ג", "ק", "ל", "מ", "נ", "פ", "ר", "ס", "ט", "וו", "ז")))
_HEBREW_VOWEL = {"a": "", "e": "", "i": "י", "o": "ו", "u": "ו"}
_HEBREW_FINAL_FORM = {"כ": "ך", "מ": "ם", "נ": "ן", "פ": "ף", "צ": "ץ"}
_ARABIC_CONS = dict(zip(ONSETS, "بدفغكلمنبرستفز"))
_ARABIC_VOWEL = dict(zip(VOWELS, "اييوو"))

# Katakana: each onset's five moras (a e i o u, as VOWELS), in ONSETS order.
_KATAKANA_ROWS = (
    "バ ベ ビ ボ ブ", "ダ デ ディ ド ドゥ", "ファ フェ フィ フォ フ", "ガ ゲ ギ ゴ グ", "カ ケ キ コ ク",
    "ラ レ リ ロ ル", "マ メ ミ モ ム", "ナ ネ ニ ノ ヌ", "パ ペ ピ ポ プ", "ラ レ リ ロ ル",
    "サ セ シ ソ ス", "タ テ ティ ト トゥ", "ヴァ ヴェ ヴィ ヴォ ヴ", "ザ ゼ ジ ゾ ズ",
)  # fmt: skip
_KATAKANA = dict(zip(ONSETS, (tuple(row.split()) for row in _KATAKANA_ROWS)))
_KATAKANA_CODA = {"n": "ン", "r": "ル", "s": "ス", "l": "ル"}

# Hanzi used phonetically in transcribed foreign names: each onset's five (a e i o u), in ONSETS order.
_HANZI = dict(zip(ONSETS, (
    "巴贝比波布", "达德迪多杜", "法费菲佛富", "加格吉戈古", "卡克基科库", "拉勒利洛卢", "马梅米莫穆",
    "纳内尼诺努", "帕佩皮坡普", "腊雷里罗鲁", "萨塞西索苏", "塔特蒂托图", "瓦维韦沃武", "扎泽齐佐祖",
)))  # fmt: skip
_HANZI_CODA = {"n": "恩", "r": "尔", "s": "斯", "l": "尔"}


def _latin(syllables: Sequence[Syllable], lang: str) -> str:
    onset_map = _LATIN_ONSET.get(lang, {})
    vowel_map = _LATIN_VOWEL.get(lang, {})
    parts = []
    for onset, vowel, coda in syllables:
        if lang == "it" and onset in ("k", "g"):
            # Italian: c/g are hard before a o u, "ch"/"gh" keep them hard before e i.
            onset = ("c" if onset == "k" else "g") + ("h" if vowel in "ei" else "")
        else:
            onset = onset_map.get(onset, onset)
        parts.append(onset + vowel_map.get(vowel, vowel) + coda)
    return "".join(parts).capitalize()


def _alphabetic(syllables: Sequence[Syllable], consonants: dict[str, str], vowels: dict[str, str]) -> str:
    """Letter by letter; capitalize() leaves the caseless scripts (Hebrew, Arabic) as they are."""
    return "".join(consonants[o] + vowels[v] + consonants.get(c, "") for o, v, c in syllables).capitalize()


def _hebrew(syllables: Sequence[Syllable]) -> str:
    word = _alphabetic(syllables, _HEBREW_CONS, _HEBREW_VOWEL)
    if word and syllables[-1][1] in "ae" and not syllables[-1][2]:
        word += "ה"  # a word-final a/e is written with he
    return word[:-1] + _HEBREW_FINAL_FORM.get(word[-1], word[-1])


def _moraic(syllables: Sequence[Syllable], table: dict, coda_table: dict[str, str]) -> str:
    return "".join(table[o][VOWELS.index(v)] + coda_table.get(c, "") for o, v, c in syllables)


_RENDER = {
    "cyrillic": partial(_alphabetic, consonants=_CYRILLIC, vowels=_CYRILLIC),
    "hebrew": _hebrew,
    "arabic": partial(_alphabetic, consonants=_ARABIC_CONS, vowels=_ARABIC_VOWEL),
    "katakana": partial(_moraic, table=_KATAKANA, coda_table=_KATAKANA_CODA),
    "hanzi": partial(_moraic, table=_HANZI, coda_table=_HANZI_CODA),
}


def render(syllables: Sequence[Syllable], lang: str) -> str:
    """The one spelling of a pseudo-word in ``lang``'s script."""
    script = SCRIPT_OF.get(lang)
    if script is None:
        raise ValueError(f"no script table for language {lang!r}")
    return _latin(syllables, lang) if script == "latin" else _RENDER[script](syllables)
