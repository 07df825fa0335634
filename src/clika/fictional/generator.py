"""The project's own fictional-knowledge generator (CD level, docs/metrics.md).

``generate(n_facts, langs, seed)`` invents ``n_facts`` cities, a few invented
continents, and one fact per (city, attribute). Names come from one of two
schemes (names.py): ``compound`` (default), meaningful compounds translated into
every language, so that no target-language question contains the English-trained
name; or ``transliterated``, one pseudo-word spelled in each script.

Inside every continent the cities alternate type 0 (taught in English and the
target language) and type 1 (taught in English only), in a seeded order, so that
each continent is asked about in both types. Everything is drawn from one seeded
generator with all ten languages' names screened, so the same seed gives the
same set whatever languages are requested.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from clika.errors import ConfigError, DataError
from clika.fictional.dataset import ConductSplit, TestQuestion, TrainExample, TranslationTest, fold
from clika.fictional.names import (
    SCHEMES,
    NameScreen,
    city_candidates,
    continent_candidates,
    draw_compound,
    draw_transliterated,
)  # fmt: skip
from clika.fictional.scripts import SCRIPT_OF
from clika.fictional.templates import (
    ATTRIBUTES,
    HELD_OUT_TRANSLATION_PROMPT,
    TRAIN_TRANSLATION_PROMPTS,
    translation_prompt,
)  # fmt: skip
from clika.items import LANGS, PIVOT

__all__ = ["Entity", "Fact", "FictionalSet", "fold", "generate", "MIN_TYPE1"]

MIN_TYPE1 = 30  # below this many type-1 facts, xrr intervals are too wide to read


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
    names: str = "compound"  # the naming scheme: "compound" | "transliterated"
    warnings: list[str] = field(default_factory=list)
    _by_id: dict[str, Entity] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self._by_id = {e.entity_id: e for e in (*self.cities, *self.continents)}

    def name(self, entity_id: str, lang: str) -> str:
        return self._by_id[entity_id].names[lang]

    def value(self, fact: Fact, lang: str) -> str:
        """The gold value of a fact in ``lang`` (a continent's name, or a year as digits)."""
        return self.name(fact.value, lang) if fact.attribute == "continent" else fact.value

    def name_pairs(self, fact: Fact, lang: str) -> list[tuple[str, str]]:
        """(English, ``lang``) forms of the fact's names: its subject, and its answer when a name."""
        pairs = [(self.name(fact.entity_id, PIVOT), self.name(fact.entity_id, lang))]
        if fact.attribute == "continent":
            pairs.append((self.value(fact, PIVOT), self.value(fact, lang)))
        return pairs

    def identical_to_en(self, fact: Fact, lang: str) -> bool:
        """Subject or (name) answer spelled as in English, after fold (always true for English)."""
        return any(fold(a) == fold(b) for a, b in self.name_pairs(fact, lang))

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

    def question(self, fact: Fact, lang: str) -> TestQuestion:
        """The test question of a fact in ``lang`` (paraphrase 0), gold = the value in ``lang``."""
        name = self.name(fact.entity_id, lang)
        prompt = ATTRIBUTES[fact.attribute].questions[lang][0].format(name=name)
        return TestQuestion(fact.fact_id, lang, fact.fact_type, prompt, self.value(fact, lang), fact.attribute, name)

    def questions(self, lang: str) -> list[TestQuestion]:
        return [self.question(f, lang) for f in self.facts]

    def translation_examples(self, target: str) -> list[TrainExample]:
        """Every name taught English -> target only, with each training translation prompt."""
        return [
            TrainExample(target, translation_prompt(e.names[PIVOT], PIVOT, target, p), e.names[target], "translation")
            for e in (*self.cities, *self.continents)
            for p in TRAIN_TRANSLATION_PROMPTS
        ]  # fmt: skip

    def translation_tests(self, target: str, mode: str = "held-out") -> list[TranslationTest]:
        """The gate's name test, always with the held-out prompt (never seen in training), so it
        checks that the name is known, not that a prompt was memorised:

        - "held-out": English -> target, the taught direction (the default);
        - "reverse": target -> English, the untrained direction as well: a stricter gate that
          models trained on "A is B" rarely pass ("the reversal curse", Berglund et al. 2023),
          so it can leave XRR unmeasured for reasons unrelated to conductivity.

        Names spelled as in English (folded) are left out: they would test copying."""
        if mode not in TRANSLATION_TESTS:
            raise ConfigError(f"unknown translation test {mode!r} (one of {', '.join(TRANSLATION_TESTS)})")
        held_out = HELD_OUT_TRANSLATION_PROMPT
        out = []
        for e in (*self.cities, *self.continents):
            if fold(e.names[target]) == fold(e.names[PIVOT]):
                continue
            src, tgt = (PIVOT, target) if mode == "held-out" else (target, PIVOT)
            out.append(TranslationTest(e.entity_id, target, translation_prompt(e.names[src], src, tgt, held_out),
                                       e.names[src], e.names[tgt]))
        return out

    def split(self, target: str, translation_test: str = "held-out") -> ConductSplit:
        """One training run's data: English facts (both types), target type 0, translations."""
        if target == PIVOT or target not in self.langs:
            raise ConfigError(f"target {target!r} must be one of the set's non-English languages {self.langs[1:]}")
        train = [*self.examples(PIVOT), *self.examples(target, (0,)), *self.translation_examples(target)]
        questions = [*self.questions(PIVOT), *self.questions(target)]
        tests = self.translation_tests(target, translation_test)
        meta = {"names": self.names, "warnings": list(self.warnings), "translation_test": translation_test,
                "translations_left_out": len(self.cities) + len(self.continents) - len(tests)}  # fmt: skip
        origin = f"generated(seed={self.seed}, names={self.names}, translation_test={translation_test})"
        return ConductSplit(target, train, questions, tests, origin, meta)

    def fact_records(self) -> list[dict]:
        """One inspectable record per fact and language (what facts.jsonl holds)."""
        continent_of = {f.entity_id: f.value for f in self.facts if f.attribute == "continent"}
        rows = []
        for f in self.facts:
            for lang in self.langs:
                q = self.question(f, lang)
                rows.append(dict(
                    fact_id=f.fact_id, lang=lang, type=f.fact_type, attribute=f.attribute, subject=q.subject,
                    answer=q.gold, question=q.prompt, value=f.value, continent_id=continent_of.get(f.entity_id, ""),
                    entity_id=f.entity_id, names=self.names, identical_to_en=self.identical_to_en(f, lang),
                ))  # fmt: skip
        return rows

    def write(self, directory: str | Path) -> Path:
        """entities.jsonl + facts.jsonl (one row per fact and language) + meta.json; ``read`` restores the set."""
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        with (directory / "entities.jsonl").open("w", encoding="utf-8") as fh:
            for e in (*self.cities, *self.continents):
                fh.write(json.dumps(asdict(e), ensure_ascii=False) + "\n")
        with (directory / "facts.jsonl").open("w", encoding="utf-8") as fh:
            for row in self.fact_records():
                fh.write(json.dumps(row, ensure_ascii=False) + "\n")
        meta = {"seed": self.seed, "langs": list(self.langs), "names": self.names, "warnings": self.warnings}
        (directory / "meta.json").write_text(json.dumps(meta, ensure_ascii=False, indent=1), encoding="utf-8")
        return directory

    @classmethod
    def read(cls, directory: str | Path) -> FictionalSet:
        directory = Path(directory)
        try:
            meta = json.loads((directory / "meta.json").read_text(encoding="utf-8"))
            entities = [Entity(**json.loads(x)) for x in (directory / "entities.jsonl").read_text("utf-8").splitlines()]
            facts: dict[str, Fact] = {}
            for line in (directory / "facts.jsonl").read_text("utf-8").splitlines():
                row = json.loads(line)
                if "fact_type" in row:  # the earlier layout: one Fact per line
                    facts[row["fact_id"]] = Fact(**row)
                elif row["fact_id"] not in facts:
                    facts[row["fact_id"]] = Fact(
                        row["fact_id"], row["entity_id"], row["attribute"], row["value"], row["type"]
                    )
        except (OSError, ValueError, TypeError, KeyError) as err:
            raise DataError(f"not a fictional set ({err})", directory) from None
        cities = [e for e in entities if e.kind == "city"]
        continents = [e for e in entities if e.kind == "continent"]
        fset = cls(meta["seed"], tuple(meta["langs"]), cities, continents, list(facts.values()),
                   meta.get("names", "transliterated"), list(meta.get("warnings", [])))  # fmt: skip
        return fset


TRANSLATION_TESTS = ("held-out", "reverse")


def _even_types(rng: np.random.Generator, continent_of: np.ndarray, n_continents: int) -> np.ndarray:
    """Per continent, its cities in a seeded order alternate type 0 / type 1; continents
    with an odd count start alternately with 0 and 1, so the totals differ by at most one."""
    types = np.zeros(len(continent_of), dtype=int)
    start = 0
    for k in rng.permutation(n_continents):
        members = rng.permutation(np.flatnonzero(continent_of == k))
        types[members] = (start + np.arange(len(members))) % 2
        if len(members) % 2:
            start ^= 1
    return types


def _warnings(facts: list[Fact], cities: list[Entity], continents: list[Entity], names: str, langs) -> list[str]:
    out = []
    n_type1 = sum(f.fact_type == 1 for f in facts)
    if n_type1 < MIN_TYPE1:
        out.append(f"only {n_type1} type-1 facts (fewer than {MIN_TYPE1}): acc_l(type 1) and xrr will have wide "
                   f"intervals; generate at least {2 * MIN_TYPE1} facts")  # fmt: skip
    if names == "transliterated":
        same = {lang: sum(fold(e.names[lang]) == fold(e.names[PIVOT]) for e in (*cities, *continents))
                for lang in langs if lang != PIVOT}  # fmt: skip
        hit = {lang: k for lang, k in same.items() if k}
        if hit:
            out.append(f"names='transliterated': names spelled exactly as in English ({hit} of "
                       f"{len(cities) + len(continents)}): their type-1 questions test retrieval of the English "
                       "string, not transfer (see identical_to_en in facts.jsonl)")  # fmt: skip
    return out


def generate(
    n_facts: int = 120,
    langs: tuple[str, ...] | list[str] = LANGS,
    seed: int = 0,
    attributes: tuple[str, ...] = ("continent",),
    n_continents: int | None = None,
    names: str = "compound",
) -> FictionalSet:
    """Invent ``n_facts`` cities (one fact per attribute each) over ``n_continents``
    continents, the cities of each continent half type 0 and half type 1.

    n_continents defaults to one continent per ten cities (2 to 24): 12 for the default 120."""
    langs = tuple(dict.fromkeys((PIVOT, *langs)))
    unknown = [lang for lang in langs if lang not in SCRIPT_OF]
    if unknown or n_facts < 2 or not attributes or any(a not in ATTRIBUTES for a in attributes) or names not in SCHEMES:
        raise ConfigError(
            f"generate needs n_facts >= 2, languages among {LANGS}, attributes among {tuple(ATTRIBUTES)} and names "
            f"among {SCHEMES} (got n_facts={n_facts}, unknown languages {unknown}, attributes {attributes}, names={names!r})"
        )
    n_continents = n_continents or int(np.clip(n_facts // 10, 2, 24))
    if n_continents < 2:
        raise ConfigError(f"n_continents must be at least 2 (got {n_continents})")
    rng = np.random.default_rng(seed)
    template_text = {
        lang: [fold(t) for a in ATTRIBUTES.values() for t in (*a.questions[lang], *a.answers[lang])] for lang in LANGS
    }
    screen = NameScreen(template_text)
    if names == "compound":
        city_forms = draw_compound(rng, screen, city_candidates(), n_facts, False, "city")
        continent_forms = draw_compound(rng, screen, continent_candidates(), n_continents, True, "continent")
    else:
        city_forms = draw_transliterated(rng, screen, n_facts, False, (2, 3))
        continent_forms = draw_transliterated(rng, screen, n_continents, True, (3,))
    cities = [Entity(f"c{i:04d}", "city", f) for i, f in enumerate(city_forms)]
    continents = [Entity(f"k{i:04d}", "continent", f) for i, f in enumerate(continent_forms)]
    continent_of = rng.permutation(np.arange(n_facts) % n_continents)
    types = _even_types(rng, continent_of, n_continents)
    years = rng.integers(1100, 1900, size=n_facts)
    facts = []
    for i, city in enumerate(cities):
        for attr in attributes:
            value = continents[continent_of[i]].entity_id if attr == "continent" else str(years[i])
            facts.append(Fact(f"{city.entity_id}:{attr}", city.entity_id, attr, value, int(types[i])))
    keep = set(langs)
    trim = lambda e: Entity(e.entity_id, e.kind, {k: v for k, v in e.names.items() if k in keep})  # noqa: E731
    cities, continents = [trim(c) for c in cities], [trim(c) for c in continents]
    return FictionalSet(seed, langs, cities, continents, facts, names, _warnings(facts, cities, continents, names, langs))
