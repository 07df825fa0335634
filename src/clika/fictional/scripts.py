"""Pseudo-word names and their one spelling in each language's script
(the ``names="transliterated"`` scheme of names.py; the default is ``compound``).

A name is a tuple of syllables; a syllable is (onset, vowel, coda) drawn from a
small inventory (CV or CVC, the onset is always present). Each language renders
a syllable with a fixed table, the way foreign names are transcribed:

- Latin (en fr de it pl): English letters with light per-language respellings
  (de/pl v -> w, fr u -> ou, it k -> c/ch), so translation is not the identity;
- Cyrillic (ru), Hebrew (he, unpointed, with final letter forms), Arabic (ar,
  vowels written as long vowels, as in transcribed names);
- Japanese katakana (ja), one mora per CV, codas as an extra mora (n -> ン);
- Chinese (zh): a fixed syllable -> hanzi table of characters conventionally
  used for foreign names (巴, 卡, 拉, ...).

The tables are pure data: the same syllables give the same spelling forever, so
a name has exactly one form per language. Distinct names may collide in one
script (l and r are one row in katakana); the generator rejects such names.
"""

from __future__ import annotations

from collections.abc import Sequence

Syllable = tuple[str, str, str]  # (onset, vowel, coda); coda "" for CV

ONSETS: tuple[str, ...] = ("b", "d", "f", "g", "k", "l", "m", "n", "p", "r", "s", "t", "v", "z")
VOWELS: tuple[str, ...] = ("a", "e", "i", "o", "u")
CODAS: tuple[str, ...] = ("", "", "", "n", "r", "s", "l")  # CV is more common than CVC

LATIN_LANGS = ("en", "fr", "de", "it", "pl")
SCRIPT_OF: dict[str, str] = {
    **{lang: "latin" for lang in LATIN_LANGS},
    "ru": "cyrillic",
    "he": "hebrew",
    "ar": "arabic",
    "ja": "katakana",
    "zh": "hanzi",
}

# Per-language Latin respellings: onset and vowel overrides.
_LATIN_ONSET = {"de": {"v": "w", "z": "ts"}, "pl": {"v": "w"}}
_LATIN_VOWEL = {"fr": {"u": "ou"}}

_CYRILLIC = {
    "b": "б", "d": "д", "f": "ф", "g": "г", "k": "к", "l": "л", "m": "м", "n": "н",
    "p": "п", "r": "р", "s": "с", "t": "т", "v": "в", "z": "з",
    "a": "а", "e": "е", "i": "и", "o": "о", "u": "у",
}  # fmt: skip

_HEBREW_CONS = {
    "b": "ב", "d": "ד", "f": "פ", "g": "ג", "k": "ק", "l": "ל", "m": "מ", "n": "נ",
    "p": "פ", "r": "ר", "s": "ס", "t": "ט", "v": "וו", "z": "ז",
}  # fmt: skip
_HEBREW_VOWEL = {"a": "", "e": "", "i": "י", "o": "ו", "u": "ו"}
_HEBREW_FINAL_VOWEL = {"a": "ה", "e": "ה"}  # a word-final a/e is written with he
_HEBREW_FINAL_FORM = {"כ": "ך", "מ": "ם", "נ": "ן", "פ": "ף", "צ": "ץ"}

_ARABIC_CONS = {
    "b": "ب", "d": "د", "f": "ف", "g": "غ", "k": "ك", "l": "ل", "m": "م", "n": "ن",
    "p": "ب", "r": "ر", "s": "س", "t": "ت", "v": "ف", "z": "ز",
}  # fmt: skip
_ARABIC_VOWEL = {"a": "ا", "e": "ي", "i": "ي", "o": "و", "u": "و"}

# Katakana: onset -> the five moras (a e i o u order as VOWELS).
_KATAKANA = {
    "b": ("バ", "ベ", "ビ", "ボ", "ブ"), "d": ("ダ", "デ", "ディ", "ド", "ドゥ"),
    "f": ("ファ", "フェ", "フィ", "フォ", "フ"), "g": ("ガ", "ゲ", "ギ", "ゴ", "グ"),
    "k": ("カ", "ケ", "キ", "コ", "ク"), "l": ("ラ", "レ", "リ", "ロ", "ル"),
    "m": ("マ", "メ", "ミ", "モ", "ム"), "n": ("ナ", "ネ", "ニ", "ノ", "ヌ"),
    "p": ("パ", "ペ", "ピ", "ポ", "プ"), "r": ("ラ", "レ", "リ", "ロ", "ル"),
    "s": ("サ", "セ", "シ", "ソ", "ス"), "t": ("タ", "テ", "ティ", "ト", "トゥ"),
    "v": ("ヴァ", "ヴェ", "ヴィ", "ヴォ", "ヴ"), "z": ("ザ", "ゼ", "ジ", "ゾ", "ズ"),
}  # fmt: skip
_KATAKANA_CODA = {"n": "ン", "r": "ル", "s": "ス", "l": "ル"}

# Hanzi used phonetically in transcribed foreign names (a e i o u order).
_HANZI = {
    "b": ("巴", "贝", "比", "波", "布"), "d": ("达", "德", "迪", "多", "杜"),
    "f": ("法", "费", "菲", "佛", "富"), "g": ("加", "格", "吉", "戈", "古"),
    "k": ("卡", "克", "基", "科", "库"), "l": ("拉", "勒", "利", "洛", "卢"),
    "m": ("马", "梅", "米", "莫", "穆"), "n": ("纳", "内", "尼", "诺", "努"),
    "p": ("帕", "佩", "皮", "坡", "普"), "r": ("腊", "雷", "里", "罗", "鲁"),
    "s": ("萨", "塞", "西", "索", "苏"), "t": ("塔", "特", "蒂", "托", "图"),
    "v": ("瓦", "维", "韦", "沃", "武"), "z": ("扎", "泽", "齐", "佐", "祖"),
}  # fmt: skip
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


def _cyrillic(syllables: Sequence[Syllable]) -> str:
    return "".join(_CYRILLIC[o] + _CYRILLIC[v] + (_CYRILLIC[c] if c else "") for o, v, c in syllables).capitalize()


def _hebrew(syllables: Sequence[Syllable]) -> str:
    out = []
    for i, (onset, vowel, coda) in enumerate(syllables):
        last = i == len(syllables) - 1
        v = _HEBREW_FINAL_VOWEL.get(vowel, _HEBREW_VOWEL[vowel]) if last and not coda else _HEBREW_VOWEL[vowel]
        out.append(_HEBREW_CONS[onset] + v + (_HEBREW_CONS[coda] if coda else ""))
    word = "".join(out)
    return word[:-1] + _HEBREW_FINAL_FORM.get(word[-1], word[-1])


def _arabic(syllables: Sequence[Syllable]) -> str:
    return "".join(_ARABIC_CONS[o] + _ARABIC_VOWEL[v] + (_ARABIC_CONS[c] if c else "") for o, v, c in syllables)


def _moraic(syllables: Sequence[Syllable], table: dict, coda_table: dict[str, str]) -> str:
    return "".join(table[o][VOWELS.index(v)] + coda_table.get(c, "") for o, v, c in syllables)


def render(syllables: Sequence[Syllable], lang: str) -> str:
    """The one spelling of a pseudo-word in ``lang``'s script."""
    script = SCRIPT_OF.get(lang)
    if script == "latin":
        return _latin(syllables, lang)
    if script == "cyrillic":
        return _cyrillic(syllables)
    if script == "hebrew":
        return _hebrew(syllables)
    if script == "arabic":
        return _arabic(syllables)
    if script == "katakana":
        return _moraic(syllables, _KATAKANA, _KATAKANA_CODA)
    if script == "hanzi":
        return _moraic(syllables, _HANZI, _HANZI_CODA)
    raise ValueError(f"no script table for language {lang!r}")
