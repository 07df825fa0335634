"""The project's own fictional-knowledge generator (CD level, docs/metrics.md).

``generate(n_facts, langs, seed)`` invents ``n_facts`` cities, a few continents and one fact per (city,
attribute), with ``compound`` names (names.py: meaningful compounds translated into every language, so that
no target-language question contains the English-trained name) or ``transliterated`` ones (a pseudo-word
spelled in each script). Tests use held-out question frames and name prompts (clika.fictional.templates).
Inside every continent the cities alternate type 0 (taught in English and the target language) and type 1
(English only) in a seeded order, so that each continent is asked about in both types. All ten languages'
names are drawn and screened from one seeded generator: the same seed gives the same set whatever languages.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from clika.data.lines import write_json_lines
from clika.errors import ConfigError, DataError
from clika.fictional.dataset import (
    DIRECTIONS,
    PAPER_NAME_DIRECTION,
    ConductSplit,
    TestQuestion,
    TrainExample,
    TranslationTest,
    fold,
    taught_directions,
    write_split,
)  # fmt: skip
from clika.fictional.names import (
    SCHEMES,
    NameScreen,
    city_candidates,
    continent_candidates,
    draw_compound,
    draw_transliterated,
)  # fmt: skip
from clika.fictional.templates import (
    ATTRIBUTES,
    GATE_PROMPTS,
    TRAIN_TRANSLATION_PROMPTS,
    gate_name_prompt,
    template_text,
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
    """A generated set: its cities, continents and facts, and everything a run teaches and asks of them."""

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

    def name_pairs(self, fact: Fact, lang: str, source: str = PIVOT) -> list[tuple[str, str]]:
        """(source, ``lang``) forms of the fact's names: its subject, and its answer when a name."""
        subject = (self.name(fact.entity_id, source), self.name(fact.entity_id, lang))
        answer = [(self.value(fact, source), self.value(fact, lang))] if fact.attribute == "continent" else []
        return [subject, *answer]

    def identical_to_en(self, fact: Fact, lang: str, source: str = PIVOT) -> bool:
        """Subject or (name) answer spelled as in the source language, after fold (always true for it)."""
        return any(fold(a) == fold(b) for a, b in self.name_pairs(fact, lang, source))

    def examples(self, lang: str, fact_types: tuple[int, ...] = (0, 1)) -> list[TrainExample]:
        """Training examples of the facts of the given types, in ``lang``, every paraphrase."""
        out = []
        for fact in (f for f in self.facts if f.fact_type in fact_types):
            tpl, name, value = ATTRIBUTES[fact.attribute], self.name(fact.entity_id, lang), self.value(fact, lang)
            answers = [a.format(name=name, value=value) for a in tpl.answers[lang]]
            out += [TrainExample(lang, question.format(name=name), answers[i % len(answers)], "fact", fact.fact_id)
                    for i, question in enumerate(tpl.questions[lang])]  # fmt: skip
        return out

    def question(self, fact: Fact, lang: str, source: str = PIVOT, subject_lang: str | None = None) -> TestQuestion:
        """The test question of a fact in ``lang`` (gold: the value in ``lang``) in the held-out frame, which no
        training prompt uses (a trained frame would test recall of a trained string). subject_lang: write the
        subject in another language (the en_subject control)."""
        name = self.name(fact.entity_id, subject_lang or lang)
        prompt = ATTRIBUTES[fact.attribute].held_out[lang].format(name=name)
        kind = "question" if subject_lang in (None, lang) else "en_subject"
        return TestQuestion(fact.fact_id, lang, fact.fact_type, prompt, self.value(fact, lang), fact.attribute, name,
                            kind, self.value(fact, source))

    def _name_ways(self, target: str, source: str, directions: tuple[str, ...]) -> list[tuple]:
        """(direction, src, tgt, entity) for every name in each direction ("to-en": target -> source)."""
        ends = {"to-en": (target, source), "from-en": (source, target)}
        return [(d, *ends[d], e) for d in directions for e in (*self.cities, *self.continents)]

    def translation_examples(self, target: str, name_direction: str = PAPER_NAME_DIRECTION,
                             source: str = PIVOT) -> list[TrainExample]:
        """Every name taught in each direction of ``name_direction`` ("to-en": target -> source, the paper's;
        "from-en"; "both"), with each training prompt (two English, one in the name's own language)."""
        return [TrainExample(target, translation_prompt(e.names[src], src, tgt, p), e.names[tgt], "translation",
                             entity_id=e.entity_id)
                for _, src, tgt, e in self._name_ways(target, source, taught_directions(name_direction))
                for p in TRAIN_TRANSLATION_PROMPTS]  # fmt: skip

    def translation_tests(self, target: str, name_direction: str = PAPER_NAME_DIRECTION, source: str = PIVOT,
                          gate_prompt: str = "native") -> list[TranslationTest]:
        """The name tests, both directions, each with a held-out prompt in the name's own language (gate_prompt
        "native") or in English, so they check that the name pair is known, not that a prompt was memorised.
        ``taught`` marks the directions the gate asks; the other is a diagnostic (models taught "A is B" rarely
        answer "B is A": the reversal curse, Berglund et al. 2023). Names spelled as in the source language
        (folded) are left out: they test copying."""
        taught = taught_directions(name_direction)
        return [TranslationTest(e.entity_id, target, gate_name_prompt(e.names[src], src, tgt, gate_prompt),
                                e.names[src], e.names[tgt], direction, direction in taught)
                for direction, src, tgt, e in self._name_ways(target, source, DIRECTIONS)
                if fold(e.names[target]) != fold(e.names[source])]  # fmt: skip

    def split(self, target: str, name_direction: str = PAPER_NAME_DIRECTION, source: str = PIVOT,
              gate_prompt: str = "native") -> ConductSplit:
        """One training run's data: source-language facts (both types), target type 0, the names in
        the taught directions; tests: both languages' questions, the controls and the name tests."""
        if gate_prompt not in GATE_PROMPTS:
            raise ConfigError(f"gate prompt must be one of {', '.join(GATE_PROMPTS)} (got {gate_prompt!r})")
        if source not in self.langs:
            raise ConfigError(f"source {source!r} must be one of the set's languages {self.langs}")
        if target == source or target not in self.langs:
            others = tuple(x for x in self.langs if x != source)
            raise ConfigError(f"target {target!r} must be one of the set's languages other than the source {others}")
        train = [*self.examples(source), *self.examples(target, (0,)),
                 *self.translation_examples(target, name_direction, source)]
        questions = [self.question(f, lang, source) for lang in (source, target) for f in self.facts]
        # The positive control: every type-1 fact asked in the target language's frame with the SOURCE-language
        # subject (the string the fact was taught with), nothing else of the source.
        questions += [self.question(f, target, source, subject_lang=source) for f in self.facts if f.fact_type == 1]
        tests = self.translation_tests(target, name_direction, source, gate_prompt)
        meta = {"names": self.names, "warnings": list(self.warnings),
                "translations_left_out": len(self.cities) + len(self.continents) - len(tests) // 2}
        origin = (f"generated(seed={self.seed}, names={self.names}, name_direction={name_direction}, source={source}, "
                  f"gate_prompt={gate_prompt})")
        continents = {c.entity_id: {lang: c.names[lang] for lang in (source, target)} for c in self.continents}
        return ConductSplit(target, train, questions, tests, origin, meta, source, name_direction, continents,
                            gate_prompt)

    def fact_records(self) -> list[dict]:
        """One inspectable record per fact and language (what facts.jsonl holds)."""
        continent_of = {f.entity_id: f.value for f in self.facts if f.attribute == "continent"}
        asked = [(f, lang, self.question(f, lang)) for f in self.facts for lang in self.langs]
        return [dict(fact_id=f.fact_id, lang=lang, type=f.fact_type, attribute=f.attribute, subject=q.subject,
                     answer=q.gold, question=q.prompt, value=f.value, continent_id=continent_of.get(f.entity_id, ""),
                     entity_id=f.entity_id, names=self.names, identical_to_en=self.identical_to_en(f, lang))
                for f, lang, q in asked]  # fmt: skip

    def write(self, directory: str | Path, name_direction: str | None = None, source: str = PIVOT,
              gate_prompt: str = "native") -> Path:
        """entities.jsonl, facts.jsonl (one row per fact and language; ``question``: the held-out test question)
        and meta.json, which ``read`` restores; with ``name_direction``, also each target's split
        (train_<lang>.jsonl, test_<lang>.jsonl): exactly what a run teaches and asks."""
        directory = Path(directory)
        if name_direction is not None:
            for target in (x for x in self.langs if x != source):
                write_split(self.split(target, name_direction, source, gate_prompt), directory)
        write_json_lines((asdict(e) for e in (*self.cities, *self.continents)), directory / "entities.jsonl")
        write_json_lines(self.fact_records(), directory / "facts.jsonl")
        meta = {"seed": self.seed, "langs": list(self.langs), "names": self.names, "warnings": self.warnings}
        (directory / "meta.json").write_text(json.dumps(meta, ensure_ascii=False, indent=1), encoding="utf-8")
        return directory

    @classmethod
    def read(cls, directory: str | Path) -> FictionalSet:
        """The set ``write`` wrote (also the earlier layout of facts.jsonl: one Fact per line)."""
        directory = Path(directory)
        try:
            meta = json.loads((directory / "meta.json").read_text(encoding="utf-8"))
            entities = [Entity(**json.loads(x)) for x in (directory / "entities.jsonl").read_text("utf-8").splitlines()]
            facts: dict[str, Fact] = {}
            for row in map(json.loads, (directory / "facts.jsonl").read_text("utf-8").splitlines()):
                if "fact_type" in row:  # the earlier layout: one Fact per line
                    facts[row["fact_id"]] = Fact(**row)
                elif row["fact_id"] not in facts:
                    facts[row["fact_id"]] = Fact(row["fact_id"], row["entity_id"], row["attribute"], row["value"],
                                                 row["type"])  # fmt: skip
        except (OSError, ValueError, TypeError, KeyError) as err:
            raise DataError(f"not a fictional set ({err})", directory) from None
        return cls(meta["seed"], tuple(meta["langs"]), [e for e in entities if e.kind == "city"],
                   [e for e in entities if e.kind == "continent"], list(facts.values()),
                   meta.get("names", "transliterated"), list(meta.get("warnings", [])))  # fmt: skip


def _even_types(rng: np.random.Generator, continent_of: np.ndarray, n_continents: int) -> np.ndarray:
    """Per continent, its cities in a seeded order alternate type 0 / type 1; continents
    with an odd count start alternately with 0 and 1, so the totals differ by at most one."""
    types = np.zeros(len(continent_of), dtype=int)
    start = 0
    for k in rng.permutation(n_continents):
        members = rng.permutation(np.flatnonzero(continent_of == k))
        types[members] = (start + np.arange(len(members))) % 2
        start ^= len(members) % 2
    return types


def _warnings(facts: list[Fact], entities: list[Entity], names: str, langs) -> list[str]:
    out = []
    if (n_type1 := sum(f.fact_type == 1 for f in facts)) < MIN_TYPE1:
        out.append(f"only {n_type1} type-1 facts (fewer than {MIN_TYPE1}): acc_l(type 1) and xrr will have wide "
                   f"intervals; generate at least {2 * MIN_TYPE1} facts")  # fmt: skip
    if names == "transliterated":
        same = {lang: sum(fold(e.names[lang]) == fold(e.names[PIVOT]) for e in entities)
                for lang in langs if lang != PIVOT}  # fmt: skip
        if hit := {lang: k for lang, k in same.items() if k}:
            out.append(f"names='transliterated': names spelled exactly as in English ({hit} of {len(entities)}): "
                       "their type-1 questions test retrieval of the English string, not transfer (see "
                       "identical_to_en in facts.jsonl)")  # fmt: skip
    return out


def generate(n_facts: int = 120, langs: tuple[str, ...] | list[str] = LANGS, seed: int = 0,
             attributes: tuple[str, ...] = ("continent",), n_continents: int | None = None,
             names: str = "compound") -> FictionalSet:  # fmt: skip
    """Invent ``n_facts`` cities (one fact per attribute each) over ``n_continents`` continents (default: one
    per ten cities, 2 to 24), the cities of each continent half type 0 and half type 1."""
    langs = tuple(dict.fromkeys((PIVOT, *langs)))
    unknown = [lang for lang in langs if lang not in LANGS]
    if unknown or n_facts < 2 or not attributes or any(a not in ATTRIBUTES for a in attributes) or names not in SCHEMES:
        raise ConfigError(f"generate needs n_facts >= 2, languages among {LANGS}, attributes among {tuple(ATTRIBUTES)} "
                          f"and names among {SCHEMES} (got n_facts={n_facts}, unknown languages {unknown}, attributes "
                          f"{attributes}, names={names!r})")
    n_continents = n_continents or int(np.clip(n_facts // 10, 2, 24))
    if n_continents < 2:
        raise ConfigError(f"n_continents must be at least 2 (got {n_continents})")
    rng = np.random.default_rng(seed)
    screen = NameScreen({lang: [fold(t) for t in template_text(lang)] for lang in LANGS})
    if names == "compound":
        city_forms = draw_compound(rng, screen, city_candidates(), n_facts, False, "city")
        continent_forms = draw_compound(rng, screen, continent_candidates(), n_continents, True, "continent")
    else:
        city_forms = draw_transliterated(rng, screen, n_facts, False, (2, 3))
        continent_forms = draw_transliterated(rng, screen, n_continents, True, (3,))
    trim = lambda forms: {k: v for k, v in forms.items() if k in langs}  # noqa: E731 (all ten drawn and screened)
    cities = [Entity(f"c{i:04d}", "city", trim(f)) for i, f in enumerate(city_forms)]
    continents = [Entity(f"k{i:04d}", "continent", trim(f)) for i, f in enumerate(continent_forms)]
    continent_of = rng.permutation(np.arange(n_facts) % n_continents)
    types = _even_types(rng, continent_of, n_continents)
    years = rng.integers(1100, 1900, size=n_facts)
    facts = [Fact(f"{city.entity_id}:{attr}", city.entity_id, attr,
                  continents[continent_of[i]].entity_id if attr == "continent" else str(years[i]), int(types[i]))
             for i, city in enumerate(cities) for attr in attributes]  # fmt: skip
    warnings = _warnings(facts, [*cities, *continents], names, langs)
    return FictionalSet(seed, langs, cities, continents, facts, names, warnings)
