"""Invented names for the fictional facts, in two schemes.

``compound`` (the default): a city is a meaningful compound, modifier + place noun ("Silver Harbor"), and a continent
a meaningful coinage ("Emberland"), each rendered as a real translation in all ten languages from the lexicon in
``lexicon/*.yaml``. Each language composes the two parts its own way:

  en  "Silver Harbor"            de  one compound word: "Silberhafen"
  fr  "Port d'Argent"            it  "Porto d'Argento"    (noun + de/di complement)
  ru  "Серебряная Гавань"        pl  "Srebrna Przystań"   (adjective agreeing in gender)
  he  "נמל הכסף"                 ar  "ميناء الفضة"          (construct state + definite noun)
  zh  "银港"                     ja  "銀港"               (native compounds)

so a target-language question does not contain the English name: the model has to carry the fact across languages,
not retrieve a string it was trained on. Compound names whose target form folds to the English one are never drawn.

``transliterated``: one pseudo-word spelled in each script (scripts.py). In the Latin-script languages most names are
then spelled as in English: a legitimate second condition (same name, other language's frame), recorded as such.

Both schemes pass every name through the same screen (``NameScreen``): in every language no name contains another or
equals another (two English names never collapse to one target form), and no continent occurs inside the template
text, so that "gold occurs in the answer" scoring cannot be fooled.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources

import yaml

from clika.errors import ConfigError, DataError
from clika.fictional.dataset import fold
from clika.fictional.scripts import CODAS, ONSETS, VOWELS, render
from clika.items import LANGS, PIVOT

SCHEMES: tuple[str, ...] = ("compound", "transliterated")
_GENDER = {"m": 0, "f": 1, "n": 2}


@dataclass(frozen=True)
class Lexicon:
    modifiers: list[dict]
    places: list[dict]
    continents: list[dict]
    avoid: frozenset[tuple[str, str]]


def _load(name: str) -> list:
    path = resources.files("clika.fictional") / "lexicon" / f"{name}.yaml"
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as err:
        raise DataError(f"cannot read the name lexicon ({err})", str(path)) from None


def _check(entries: list[dict], kind: str, inflected: dict[str, int]) -> None:
    """Every entry has an id and all ten languages; ru/pl have the expected shape."""
    for entry in entries:
        missing = [lang for lang in ("id", *LANGS) if lang not in entry]
        bad = [lang for lang, size in inflected.items()
               if not (isinstance(entry.get(lang), list) and len(entry[lang]) == size)]  # fmt: skip
        if kind == "places":
            bad += [lang for lang in ("ru", "pl") if not bad and entry[lang][1] not in _GENDER]
        if missing or bad:
            raise DataError(f"{kind} entry {entry.get('id')!r}: missing {missing}, malformed {bad}", f"lexicon/{kind}.yaml")


@cache
def lexicon() -> Lexicon:
    """The compound lexicon (package data), loaded once and checked."""
    mods, places, continents = _load("modifiers"), _load("places"), _load("continents")
    _check(mods, "modifiers", {"ru": 3, "pl": 3})
    _check(places, "places", {"ru": 2, "pl": 2})
    _check(continents, "continents", {})
    avoid = frozenset(tuple(pair) for pair in _load("avoid"))
    known = ({m["id"] for m in mods}, {p["id"] for p in places})
    unknown = [pair for pair in avoid if pair[0] not in known[0] or pair[1] not in known[1]]
    if unknown:
        raise DataError(f"avoid pairs name unknown parts {unknown}", "lexicon/avoid.yaml")
    return Lexicon(mods, places, continents, avoid)


def compose_city(modifier: dict, place: dict, lang: str) -> str:
    """A compound city name in ``lang`` from a modifier and a place entry."""
    if lang in ("de", "zh", "ja"):  # one word: "Silberhafen", "银港"
        return modifier[lang] + place[lang]
    if lang in ("fr", "it", "he", "ar"):
        return f"{place[lang]} {modifier[lang]}"
    if lang in ("ru", "pl"):
        noun, gender = place[lang]
        return f"{modifier[lang][_GENDER[gender]]} {noun}"
    if lang == "en":
        return f"{modifier['en']} {place['en']}"
    raise ValueError(f"no composition rule for language {lang!r}")


def city_candidates() -> list[dict[str, str]]:
    """Every allowed compound city, as its forms in all ten languages, in lexicon order."""
    lex = lexicon()
    pairs = [(m, p) for m in lex.modifiers for p in lex.places if (m["id"], p["id"]) not in lex.avoid]
    return [{lang: compose_city(m, p, lang) for lang in LANGS} for m, p in pairs]


def continent_candidates() -> list[dict[str, str]]:
    return [{lang: c[lang] for lang in LANGS} for c in lexicon().continents]


def identical_to_pivot(forms: dict[str, str]) -> list[str]:
    """The languages whose form folds to the English one."""
    en = fold(forms[PIVOT])
    return [lang for lang, form in forms.items() if lang != PIVOT and fold(form) == en]


class NameScreen:
    """Accepts a name only if, in every language, it neither contains nor is contained in (nor equals) an accepted
    name. Keeps each language's names and all their substrings in sets, so a check costs O(len(name)^2) whatever the
    number of names."""

    def __init__(self, forbidden_text: dict[str, list[str]]):
        self.names: dict[str, set[str]] = {lang: set() for lang in LANGS}
        self.substrings: dict[str, set[str]] = {lang: set() for lang in LANGS}
        self.forbidden_text = forbidden_text  # per language: template text a value may not occur in

    @staticmethod
    def _subs(word: str) -> set[str]:
        return {word[i:j] for i in range(len(word)) for j in range(i + 1, len(word) + 1)}

    def accept(self, forms: dict[str, str], is_value: bool) -> bool:
        folded = {lang: fold(f) for lang, f in forms.items()}
        for lang, word in folded.items():
            if word in self.substrings[lang] or self.names[lang] & self._subs(word):
                return False
            if is_value and any(word in text for text in self.forbidden_text[lang]):
                return False
        for lang, word in folded.items():
            self.names[lang].add(word)
            self.substrings[lang] |= self._subs(word)
        return True


def draw_transliterated(rng, screen: NameScreen, n: int, is_value: bool,
                        syllables: tuple[int, ...]) -> list[dict[str, str]]:
    """``n`` pseudo-words (forms in all ten scripts) that pass the screen."""
    out: list[dict[str, str]] = []
    tries = 0
    while len(out) < n:
        tries += 1
        if tries > 200 * n + 1000:
            raise ConfigError(f"could not invent {n} distinct names; ask for fewer facts")
        n_syllables = int(rng.choice(syllables))
        onsets, vowels, codas = (rng.integers(len(table), size=n_syllables) for table in (ONSETS, VOWELS, CODAS))
        syl = tuple((ONSETS[o], VOWELS[v], CODAS[c]) for o, v, c in zip(onsets, vowels, codas))
        forms = {lang: render(syl, lang) for lang in LANGS}
        if screen.accept(forms, is_value):
            out.append(forms)
    return out


def draw_compound(rng, screen: NameScreen, candidates: list[dict[str, str]], n: int, is_value: bool,
                  what: str) -> list[dict[str, str]]:
    """``n`` lexicon names in a seeded order that pass the screen and differ from English everywhere."""
    out: list[dict[str, str]] = []
    for i in rng.permutation(len(candidates)):
        if len(out) == n:
            break
        forms = candidates[int(i)]
        if not identical_to_pivot(forms) and screen.accept(forms, is_value):
            out.append(forms)
    if len(out) < n:
        raise ConfigError(f"the compound lexicon yields only {len(out)} distinct {what} names (asked for {n}); "
                          "ask for fewer, or use names='transliterated'")
    return out
