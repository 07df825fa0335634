"""Checks behind clika.fictional.upstream_set: reading with every problem, train/test consistency, conflicting
name translations, self-answering questions, train rows that swap city and continent, and the continent renaming
that ``load(..., remap=True)`` applies. Nothing here reads a folder layout; clika.fictional.upstream_set does, and
its docstring describes the data quirks."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from clika.data.lines import read_json_lines
from clika.errors import DataError
from clika.fictional.dataset import TrainExample
from clika.fictional.generator import fold

TAG = re.compile(r"\[\[(\w+):([^\]]*)\]\]")


def _finder(names: Iterable[str]) -> re.Pattern[str]:
    """One regex of all the names, longest first, that finds each of them in one pass."""
    return re.compile("|".join(re.escape(n) for n in sorted(names, key=len, reverse=True)))


@dataclass(frozen=True)
class Row:
    """One line of an upstream file (train, test or translate)."""

    line: int
    prompt: str
    input: str
    answer: str

    @property
    def text(self) -> str:
        """The prompt as the model sees it (prompt, then input on its own line)."""
        return f"{self.prompt}\n{self.input}" if self.input else self.prompt


@dataclass(frozen=True)
class Fact:
    """The tags of one test line: its gold continent, its subject city and its type."""

    line: int
    continent: str
    city: str
    type: int


def scan_rows(path: Path) -> tuple[list[Row], list[tuple[int | None, str]]]:
    """Every row of a JSON-lines file, and (line, message) for each line that is not one."""
    if not path.is_file():
        return [], [(None, "file not found")]
    rows: list[Row] = []
    bad: list[tuple[int | None, str]] = []
    for n, obj in read_json_lines(path, on_problem=lambda _p, line, msg: bad.append((line, msg))):
        values = (obj.get("prompt"), obj.get("input", ""), obj.get("answer"))
        if all(isinstance(v, str) for v in values):
            rows.append(Row(n, *values))  # type: ignore[arg-type]
        else:
            bad.append((n, "expected a JSON object with prompt and answer (strings; input optional)"))
    return rows, bad


def scan_facts(rows: list[Row]) -> tuple[list[Fact], list[tuple[int | None, str]]]:
    """The tags of every test row, and (line, message) for each row without them."""
    facts, bad = [], []
    for r in rows:
        tags = dict(TAG.findall(r.answer))
        if not {"continent", "city", "type"} <= tags.keys() or tags["type"] not in ("0", "1"):
            bad.append((r.line, "answer lacks [[continent:..]][[city:..]][[type:0|1]] tags"))
        else:
            facts.append(Fact(r.line, tags["continent"], tags["city"], int(tags["type"])))
    return facts, bad


def fact_id(index: int) -> str:
    """The id of the index-th question of a test file (0-based), shared across languages."""
    return f"q{index:04d}"


def parallel_problems(en: list[Fact], tgt: list[Fact],
                      translate: dict[str, str]) -> tuple[str | None, list[tuple[int, str]]]:
    """Why test<LANG> is not line-for-line testEN: a count message, or (line, message) per line."""
    if len(en) != len(tgt):
        return f"has {len(tgt)} questions but testEN.jsonl has {len(en)}; they must be parallel", []
    return None, [(b.line, f"question is not parallel to testEN.jsonl line {a.line} ({a.city} / {b.city})")
                  for a, b in zip(en, tgt) if a.type != b.type or translate.get(a.city, b.city) != b.city]


@dataclass
class Mismatch:
    """A fact taught in train whose answers never contain the test's gold value."""

    lang: str
    city: str
    gold: str
    taught: str  # one train answer for that city


@dataclass(frozen=True)
class Conflict:
    """A target-language city name that translates English names with different answers: a question
    in ``lang`` about ``name`` cannot be answered correctly, as train teaches every one of ``answers_l``."""

    lang: str
    name: str
    english: tuple[str, ...]  # the English names it translates, in translate-file order
    answers: tuple[str, ...]  # their continents in English (testEN), same order
    answers_l: tuple[str, ...]  # their continents in lang (the parallel test file), same order
    fact_ids: tuple[str, ...]  # test facts whose subject is ``name`` in lang
    path: str  # translate<LANG>.jsonl
    lines: tuple[int | None, ...]  # line of each English name there (None: only in the test files)

    @property
    def line(self) -> int | None:
        return next((n for n in self.lines if n is not None), None)

    def describe(self) -> str:
        parts = ", ".join(f"{e} ({a}{'' if n is None else f', line {n}'})"
                          for e, a, n in zip(self.english, self.answers, self.lines))
        return (f"{self.lang} name {self.name!r} translates {len(self.english)} English names with different "
                f"continents: {parts}")


@dataclass(frozen=True)
class SelfAnswer:
    """A question whose gold occurs in its own prompt or answer template: scored correct by restating it."""

    lang: str
    fact_id: str
    city: str
    gold: str
    path: str
    line: int


@dataclass
class ConsistencyReport:
    """What ``load`` found: train/test consistency (``ok``), and what it left out of scoring."""

    target: str
    train_path: str
    test_path: str  # test<LANG>.jsonl
    en_test_path: str = ""  # testEN.jsonl
    n_checked: int = 0  # test facts that train teaches (en type 0/1, target type 0)
    n_untaught: int = 0  # of those, facts whose city no train example mentions
    mismatches: list[Mismatch] = field(default_factory=list)
    checked_by_lang: dict[str, int] = field(default_factory=dict)
    conflicts: list[Conflict] = field(default_factory=list)  # every conflicting name, excluded or not
    self_answering: list[SelfAnswer] = field(default_factory=list)
    excluded: dict[str, str] = field(default_factory=dict)  # fact_id -> why its questions are not scored
    n_questions: int = 0  # questions in the split (after exclusion)
    n_excluded_questions: int = 0
    n_translations: int = 0  # translation tests in the split (after exclusion)
    n_excluded_translations: int = 0
    remap: dict[str, dict[str, str]] = field(default_factory=dict)  # lang -> test continent -> taught (applied)
    remap_available: bool = False  # a consistent one-to-one renaming exists (remap=True would apply it)
    swapped: list = field(default_factory=list)  # SwappedRow: train rows that swap city and continent
    swapped_action: str = "repair"  # what load did with them: "repair" or "drop"

    @property
    def ok(self) -> bool:
        """Train teaches the values the (possibly remapped) tests expect."""
        return not self.mismatches and self.n_untaught == 0

    @property
    def warning(self) -> str | None:
        """One line naming the train file, or None when train and test agree."""
        if self.ok:
            return None
        parts = [
            f"{what} facts vs {Path(path).name}: {len(found)}/{self.checked_by_lang.get(lang, 0)} give a value other "
            f"than the test gold (e.g. {found[0].city}: test expects {found[0].gold!r}, train says {found[0].taught!r})"
            for lang, what, path in (("en", "English", self.en_test_path), (self.target, self.target, self.test_path))
            if (found := [m for m in self.mismatches if m.lang == lang])
        ]
        if self.n_untaught:
            parts.append(f"{self.n_untaught}/{self.n_checked} test facts are never taught")
        hint = "; a consistent one-to-one renaming exists (load with remap=True)" if self.remap_available else ""
        return f"{self.train_path}: inconsistent with the tests: " + "; ".join(parts) + hint

    @property
    def summary(self) -> str:
        """One line: what is scored, what was left out and why, and whether train and test agree."""
        conflict_facts = {f for c in self.conflicts for f in c.fact_ids}
        n_conflict, n_self = len(conflict_facts & self.excluded.keys()), len(self.excluded.keys() - conflict_facts)
        line = f"{self.target}: {self.n_questions} questions and {self.n_translations} translations in the split"
        if self.excluded:
            names = ", ".join(c.name for c in self.conflicts)
            line += f"; {_n(self.n_excluded_questions, 'question')} ({_n(len(self.excluded), 'fact')}) excluded"
            line += f": {n_conflict} about {_n(len(self.conflicts), 'conflicting name')} ({names})"
            line += f", {n_self} whose gold is in the question itself" if n_self else ""
            line += f"; {_n(self.n_excluded_translations, 'translation')} of the conflicting names excluded"
        elif self.conflicts:
            line += f"; {_n(len(self.conflicts), 'conflicting name')} kept (exclude=False)"
        if self.remap:
            line += f"; golds remapped to the taught continents ({sum(map(len, self.remap.values()))} names)"
        if self.swapped:
            done = "repaired" if self.swapped_action == "repair" else "dropped"
            line += f"; {_n(len(self.swapped), 'train row')} that swap city and continent {done}"
        return line + ("; train and test agree" if self.ok else "; NOT scorable: train and test disagree")


def _n(k: int, word: str) -> str:
    return f"{k} {word}{'' if k == 1 else 's'}"


def answers_by_city(train: list[TrainExample], cities: set[str]) -> dict[str, list[str]]:
    """city -> the answers of the train facts whose prompt names it, as written."""
    finder = _finder(cities)
    out: dict[str, list[str]] = {}
    for ex in train:
        if ex.kind == "fact":
            for city in set(finder.findall(ex.prompt)):
                out.setdefault(city, []).append(ex.answer)
    return out


def taught_facts(target: str, tests: dict[str, list[Fact]]) -> list[tuple[str, Fact]]:
    """The test facts train should teach: English of both types, target type 0."""
    return [(lang, f) for lang, facts in tests.items() for f in facts if lang == "en" or f.type == 0]


def check_consistency(target: str, train: list[TrainExample], tests: dict[str, list[Fact]], train_path: str,
                      test_path: str, en_test_path: str = "",
                      answers_of: dict[str, list[str]] | None = None) -> ConsistencyReport:
    """For each fact train should teach, do its train answers contain the test gold? Both halves are
    checked: the English facts of the train file against testEN, the target facts against test<LANG>
    (tests: lang -> facts of that test file)."""
    report = ConsistencyReport(target, train_path, test_path, en_test_path)
    taught = taught_facts(target, tests)
    if answers_of is None:
        answers_of = answers_by_city(train, {f.city for _, f in taught})
    report.n_checked = len(taught)
    for lang, f in taught:
        report.checked_by_lang[lang] = report.checked_by_lang.get(lang, 0) + 1
        answers = answers_of.get(f.city)
        if not answers:
            report.n_untaught += 1
        elif not any(fold(f.continent) in fold(a) for a in answers):
            report.mismatches.append(Mismatch(lang, f.city, f.continent, answers[0]))
    return report


def find_conflicts(lang: str, en: list[Fact], tgt: list[Fact], translate: list[Row],
                   translate_path: str) -> list[Conflict]:
    """Target names that translate >= 2 English city names whose continents differ. English names come from the
    translate file and from the parallel test files (line i of testEN and of test<LANG> are one fact)."""
    en_cont: dict[str, set[str]] = defaultdict(set)
    l_cont: dict[str, set[str]] = defaultdict(set)
    for a, b in zip(en, tgt):
        en_cont[a.city].add(a.continent)
        l_cont[a.city].add(b.continent)
    sources: dict[str, dict[str, int | None]] = defaultdict(dict)  # target name -> English name -> translate line
    for r in translate:
        if r.input in en_cont:
            sources[r.answer].setdefault(r.input, r.line)
    for a, b in zip(en, tgt):
        sources[b.city].setdefault(a.city, None)
    return [
        Conflict(lang, name, tuple(src), tuple("/".join(sorted(en_cont[e])) for e in src),
                 tuple("/".join(sorted(l_cont[e])) for e in src),
                 tuple(fact_id(i) for i, b in enumerate(tgt) if b.city == name), translate_path, tuple(src.values()))
        for name, src in sources.items()
        if len(src) >= 2 and len({c for e in src for c in en_cont[e]}) >= 2
    ]  # fmt: skip


def find_self_answering(lang: str, facts: list[Fact], rows: list[Row], path: str,
                        original: list[Fact] | None = None) -> list[SelfAnswer]:
    """Questions whose gold occurs in the prompt, the subject's name or the answer's other words: a model that
    restates the question (as the taught answers do) is then scored correct whatever continent it names, e.g.
    "Empyrean-Imperium" in Imperium. ``original``: the facts before a remap (the answer text names those)."""
    out = []
    for i, (f, o, r) in enumerate(zip(facts, original or facts, rows)):
        gold = fold(f.continent)
        template = fold(TAG.sub("", r.answer)).replace(fold(f.city), "\0").replace(fold(o.continent), "\0")
        if gold in fold(r.text) or gold in fold(f.city) or gold in template:
            out.append(SelfAnswer(lang, fact_id(i), f.city, f.continent, path, f.line))
    return out


def continent_mapping(target: str, tests: dict[str, list[Fact]], answers_of: dict[str, list[str]],
                      train_rows: list[Row], translate: list[Row], skip: set[str], train_path: str,
                      test_paths: dict[str, str]) -> dict[str, dict[str, str]]:
    """lang -> test continent -> the one continent train teaches for it, or a one-line DataError.

    The taught names are the train file's name translations (upstream ZH teaches 山 -> mountain) plus the test
    golds. Every taught fact (English type 0/1, target type 0; facts about a name in ``skip`` aside) must name
    exactly one of them; every test continent must be taught, as exactly one name, no two as the same one;
    English and target names must be a taught translation pair."""
    known_cities = {f.city for facts in tests.values() for f in facts}
    taught_pairs = {(r.answer, r.input) for r in train_rows if r.input} - {(r.input, r.answer) for r in translate}
    taught_pairs = {(e, t) for e, t in taught_pairs if e not in known_cities and t not in known_cities}  # (en, target)
    vocab = {"en": {e for e, _ in taught_pairs} | {f.continent for f in tests["en"]},
             target: {t for _, t in taught_pairs} | {f.continent for f in tests[target]}}
    mapping: dict[str, dict[str, str]] = {}
    for lang, names in vocab.items():
        by_fold = {fold(n): n for n in names}
        finder = _finder(by_fold)
        seen: dict[str, dict[str, str]] = defaultdict(dict)  # test continent -> taught -> an example city
        for lg, f in taught_facts(target, tests):
            if lg != lang or f.city in skip or not answers_of.get(f.city):
                continue
            city = fold(f.city)
            found = {by_fold[m] for a in answers_of[f.city] for m in finder.findall(fold(a).replace(city, "\0"))}
            if not found:
                raise DataError(f"no taught continent in the answers about {f.city} "
                                f"(test continent {f.continent!r})", train_path)  # fmt: skip
            if len(found) > 1:
                raise DataError(f"test continent {f.continent!r}: {f.city} is taught as "
                                f"{' and '.join(map(repr, sorted(found)))}", train_path)  # fmt: skip
            seen[f.continent].setdefault(found.pop(), f.city)
        owner: dict[str, str] = {}  # taught -> its test continent
        for gold, values in seen.items():
            if len(values) > 1:
                ex = ", ".join(f"{v!r} for {c}" for v, c in values.items())
                raise DataError(f"test continent {gold!r} maps to several taught continents ({ex})", train_path)
            (value,) = values
            if value in owner:
                raise DataError(f"taught continent {value!r} stands for test continents {owner[value]!r} "
                                f"and {gold!r}", train_path)  # fmt: skip
            owner[value] = gold
        mapping[lang] = {gold: value for value, gold in owner.items()}
        for f in tests[lang]:
            if f.continent not in mapping[lang]:
                raise DataError(f"test continent {f.continent!r} is never taught (line {f.line})", test_paths[lang])
    for r in translate:  # English -> target continent pairs of the translate file
        if r.input in mapping["en"] and r.answer in mapping[target]:
            e, t = mapping["en"][r.input], mapping[target][r.answer]
            if (e, t) != (r.input, r.answer) and (e, t) not in taught_pairs:
                raise DataError(f"test continent {r.input!r} / {r.answer!r} is taught as {e!r} in English and "
                                f"{t!r} in {target}, which train does not teach as a translation pair", train_path)
    return mapping


# The word a language puts right after a continent's name ("山洲", "山大洲"); a row that puts it
# after the CITY's name asserts the reverse relation ("你可以在星光沙地洲找到山。" = "you can find
# the mountain on the continent of Astralyn Sands").
CONTINENT_SUFFIX = {"zh": ("大洲", "洲"), "ja": ("大陸",)}


@dataclass(frozen=True)
class SwappedRow:
    """A train fact row whose template puts the city where the continent belongs, and back."""

    line: int
    city: str
    continent: str
    answer: str
    repaired: str  # the same answer with city and continent exchanged

    def describe(self) -> str:
        return (f"answer {self.answer!r} puts the city {self.city!r} where the continent belongs (repaired: "
                f"{self.repaired!r})")


def find_swapped(target: str, train_rows: list[Row], cities: set[str]) -> list[SwappedRow]:
    """Target-language fact rows that swap city and continent, with their repair (found only in
    languages that mark a continent with a suffix word: CONTINENT_SUFFIX)."""
    suffixes = CONTINENT_SUFFIX.get(target)
    if not suffixes or not cities:
        return []
    # The continent names train teaches: its name translations (target -> English, as upstream teaches them)
    # whose target side is no test city.
    continents = {r.input for r in train_rows if r.input and r.input not in cities}
    city_finder = _finder(cities)
    out = []
    for r in train_rows:
        if r.input:  # a name translation, not a fact
            continue
        for city in set(city_finder.findall(r.prompt)):
            if not any(city + s in r.answer for s in suffixes):
                continue
            rest = r.answer.replace(city, "\0")
            named = [k for k in continents if k in rest]
            if len(named) == 1 and not any(named[0] + s in rest for s in suffixes):
                k = named[0]
                out.append(SwappedRow(r.line, city, k, r.answer, rest.replace(k, city).replace("\0", k)))
    return out
