"""The project's own fictional-knowledge generator (CD level, METRICS.md).

``generate(n_facts, langs, seed)`` invents ``n_facts`` cities with pseudo-word
names, a few invented continents, and one fact per (city, attribute). Half the
cities are type 0 (taught in English and the target language), the rest type 1
(taught in English only). Everything is drawn from one seeded generator and the
names are checked against all ten languages, so the same seed gives the same
set whatever languages are requested.

Names are screened so that containment scoring (gold occurs in the answer)
cannot be fooled: in every script, no name contains another name, and no
continent name occurs inside the template text.
"""

from __future__ import annotations

import json
import unicodedata
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from clika.errors import ConfigError, DataError
from clika.fictional.dataset import ConductSplit, TestQuestion, TrainExample, TranslationTest
from clika.fictional.scripts import CODAS, ONSETS, SCRIPT_OF, VOWELS, Syllable, render
from clika.fictional.templates import ATTRIBUTES, translation_prompt
from clika.items import LANGS, PIVOT


def fold(text: str) -> str:
    """The comparison form of METRICS.md: Unicode NFKC, then case folding."""
    return unicodedata.normalize("NFKC", text).casefold()


@dataclass(frozen=True)
class Entity:
    """An invented name (a city or a continent) with its one form per language."""

    entity_id: str
    kind: str  # "city" | "continent"
    names: dict[str, str]


@dataclass(frozen=True)
class Fact:
    """city -> value of an attribute. value is a continent id or a literal (a year)."""

    fact_id: str
    entity_id: str
    attribute: str
    value: str
    fact_type: int


@dataclass
class FictionalSet:
    seed: int
    langs: tuple[str, ...]
    cities: list[Entity]
    continents: list[Entity]
    facts: list[Fact]
    _by_id: dict[str, Entity] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self._by_id = {e.entity_id: e for e in (*self.cities, *self.continents)}

    def name(self, entity_id: str, lang: str) -> str:
        return self._by_id[entity_id].names[lang]

    def value(self, fact: Fact, lang: str) -> str:
        """The gold value of a fact in ``lang`` (a continent's name, or a year as digits)."""
        return self.name(fact.value, lang) if fact.attribute == "continent" else fact.value

    def examples(self, lang: str, fact_types: tuple[int, ...] = (0, 1)) -> list[TrainExample]:
        """Training examples of the facts of the given types, in ``lang``, every paraphrase."""
        out = []
        for fact in self.facts:
            if fact.fact_type not in fact_types:
                continue
            tpl = ATTRIBUTES[fact.attribute]
            name, value = self.name(fact.entity_id, lang), self.value(fact, lang)
            answers = tpl.answers[lang]
            for i, question in enumerate(tpl.questions[lang]):
                answer = answers[i % len(answers)].format(name=name, value=value)
                out.append(TrainExample(lang, question.format(name=name), answer, "fact", fact.fact_id))
        return out

    def questions(self, lang: str) -> list[TestQuestion]:
        """One test question per fact in ``lang`` (paraphrase 0), gold = the value in ``lang``."""
        return [
            TestQuestion(
                f.fact_id, lang, f.fact_type,
                ATTRIBUTES[f.attribute].questions[lang][0].format(name=self.name(f.entity_id, lang)),
                self.value(f, lang), f.attribute,
            )
            for f in self.facts
        ]  # fmt: skip

    def translation_examples(self, target: str) -> list[TrainExample]:
        """Every name taught in both directions, with every translation prompt."""
        out = []
        for e in (*self.cities, *self.continents):
            en, tgt = e.names[PIVOT], e.names[target]
            for p in range(2):
                out.append(TrainExample(target, translation_prompt(en, PIVOT, target, p), tgt, "translation"))
                out.append(TrainExample(target, translation_prompt(tgt, target, PIVOT, p), en, "translation"))
        return out

    def translation_tests(self, target: str) -> list[TranslationTest]:
        return [
            TranslationTest(e.entity_id, target, translation_prompt(e.names[PIVOT], PIVOT, target),
                            e.names[PIVOT], e.names[target])
            for e in (*self.cities, *self.continents)
        ]  # fmt: skip

    def split(self, target: str) -> ConductSplit:
        """One training run's data: English facts (both types), target type 0, translations."""
        if target == PIVOT or target not in self.langs:
            raise ConfigError(f"target {target!r} must be one of the set's non-English languages {self.langs[1:]}")
        train = [*self.examples(PIVOT), *self.examples(target, (0,)), *self.translation_examples(target)]
        questions = [*self.questions(PIVOT), *self.questions(target)]
        return ConductSplit(target, train, questions, self.translation_tests(target), f"generated(seed={self.seed})")

    def write(self, directory: str | Path) -> Path:
        """entities.jsonl + facts.jsonl + meta.json; ``read`` restores the same set."""
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        with (directory / "entities.jsonl").open("w", encoding="utf-8") as fh:
            for e in (*self.cities, *self.continents):
                fh.write(json.dumps(asdict(e), ensure_ascii=False) + "\n")
        with (directory / "facts.jsonl").open("w", encoding="utf-8") as fh:
            for f in self.facts:
                fh.write(json.dumps(asdict(f), ensure_ascii=False) + "\n")
        (directory / "meta.json").write_text(json.dumps({"seed": self.seed, "langs": list(self.langs)}))
        return directory

    @classmethod
    def read(cls, directory: str | Path) -> FictionalSet:
        directory = Path(directory)
        try:
            meta = json.loads((directory / "meta.json").read_text())
            entities = [Entity(**json.loads(x)) for x in (directory / "entities.jsonl").read_text("utf-8").splitlines()]
            facts = [Fact(**json.loads(x)) for x in (directory / "facts.jsonl").read_text("utf-8").splitlines()]
        except (OSError, ValueError, TypeError) as err:
            raise DataError(f"not a fictional set ({err})", directory) from None
        cities = [e for e in entities if e.kind == "city"]
        continents = [e for e in entities if e.kind == "continent"]
        return cls(meta["seed"], tuple(meta["langs"]), cities, continents, facts)


class _NameScreen:
    """Accepts a name only if, in every script, it neither contains nor is contained
    in an accepted name. Keeps each language's names and all their substrings in
    sets, so a check costs O(len(name)^2) whatever the number of names."""

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


def _draw_syllables(rng: np.random.Generator, n_syllables: int) -> tuple[Syllable, ...]:
    o = rng.integers(len(ONSETS), size=n_syllables)
    v = rng.integers(len(VOWELS), size=n_syllables)
    c = rng.integers(len(CODAS), size=n_syllables)
    return tuple((ONSETS[a], VOWELS[b], CODAS[d]) for a, b, d in zip(o, v, c))


def _draw_entities(rng, screen: _NameScreen, n: int, kind: str, prefix: str, syllables: tuple[int, ...]) -> list[Entity]:
    out: list[Entity] = []
    tries = 0
    while len(out) < n:
        tries += 1
        if tries > 200 * n + 1000:
            raise ConfigError(f"could not invent {n} distinct {kind} names; ask for fewer facts")
        syl = _draw_syllables(rng, int(rng.choice(syllables)))
        forms = {lang: render(syl, lang) for lang in LANGS}
        if screen.accept(forms, is_value=(kind == "continent")):
            out.append(Entity(f"{prefix}{len(out):04d}", kind, forms))
    return out


def generate(
    n_facts: int,
    langs: tuple[str, ...] | list[str] = LANGS,
    seed: int = 0,
    attributes: tuple[str, ...] = ("continent",),
    n_continents: int | None = None,
) -> FictionalSet:
    """Invent ``n_facts`` cities (one fact per attribute each), half of them type 0.

    n_continents defaults to about one continent per four cities (2 to 20)."""
    langs = tuple(dict.fromkeys((PIVOT, *langs)))
    unknown = [lang for lang in langs if lang not in SCRIPT_OF]
    if unknown or n_facts < 2 or not attributes or any(a not in ATTRIBUTES for a in attributes):
        raise ConfigError(
            f"generate needs n_facts >= 2, languages among {LANGS} and attributes among {tuple(ATTRIBUTES)} "
            f"(got n_facts={n_facts}, unknown languages {unknown}, attributes {attributes})"
        )
    n_continents = n_continents or int(np.clip(n_facts // 4, 2, 20))
    rng = np.random.default_rng(seed)
    template_text = {
        lang: [fold(t) for a in ATTRIBUTES.values() for t in (*a.questions[lang], *a.answers[lang])] for lang in LANGS
    }
    screen = _NameScreen(template_text)
    cities = _draw_entities(rng, screen, n_facts, "city", "c", (2, 3))
    continents = _draw_entities(rng, screen, n_continents, "continent", "k", (3,))
    # Type 0 / type 1: a seeded permutation, first half type 0; continents spread evenly.
    types = np.ones(n_facts, dtype=int)
    types[rng.permutation(n_facts)[: (n_facts + 1) // 2]] = 0
    continent_of = rng.permutation(np.arange(n_facts) % n_continents)
    years = rng.integers(1100, 1900, size=n_facts)
    facts = []
    for i, city in enumerate(cities):
        for attr in attributes:
            value = continents[continent_of[i]].entity_id if attr == "continent" else str(years[i])
            facts.append(Fact(f"{city.entity_id}:{attr}", city.entity_id, attr, value, int(types[i])))
    keep = set(langs)
    trim = lambda e: Entity(e.entity_id, e.kind, {k: v for k, v in e.names.items() if k in keep})  # noqa: E731
    return FictionalSet(seed, langs, [trim(c) for c in cities], [trim(c) for c in continents], facts)
