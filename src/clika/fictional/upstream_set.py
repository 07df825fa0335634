"""The upstream fictional files (CLiKA's CD data) for one target language.

Layout (under <data>/fictional/, see its README):
  train/<LANG>.json                   JSON lines: prompt, input, answer
  test/target/test<LANG>.jsonl        questions; answer ends in [[continent:..]][[city:..]][[type:0|1]]
  test/target/testEN.jsonl            the same questions in English, line for line
  test/Translate/translate<LANG>.jsonl English -> LANG name translations

Gold of a question = its continent tag; the fact id is the line number (the
test files are parallel line by line, which load checks through the translations).
``load(data_dir, target)`` returns the split and a ConsistencyReport; its
``summary`` is one line (what is scored, what was left out), its ``warning``
one line naming the train file when train and test disagree.

Question frames. The questions are asked exactly as the test files write them (their own
frames), and the positive control is the target question with the English subject. Upstream
holds its target test frame out of training only for de, he and ar ("Auf welchem Kontinent liegt
{S}, bitte? Antwort auf Deutsch.": 0 of 400 test prompts among train/DE.json's); the zh, ja, fr,
it, ru and pl frames are training frames (about half of their test prompts, e.g. 202 of 400 in
fr and zh, occur verbatim in train),
and so is testEN's ("Which continent is {S} located in?": all 400). ``split.meta
["test_prompts_in_train"]`` counts, per language, the test prompts that occur verbatim among the
training prompts, so a reader sees where a gate part measures recall of a trained string. The
taught name direction (target -> English) is asked with clika's held-out name prompt, written in
the target language (``gate_prompt="native"``) or in English ("english"), as for generated sets.

Data quirks, and what load does about them:

* Conflicting target names. Some target-language city names translate two
  English names that lie on different continents (de: Wirbeltal for Vortex
  Valley/Dreamfar and Vortex Vale/Spectros; Kristalliner Hafen, Leuchtende
  Lagune, Eklipse-Ödland; 1-4 per language, ``Conflict``). Train teaches both
  continents for the one name, so a question about it in the target language
  cannot be answered correctly by construction. By default (``exclude=True``)
  such facts are left out of ``split.questions`` in both languages (fact ids
  stay paired for the bootstrap), and the translation tests whose gold is such
  a name are left out of ``split.translations``. The report keeps the full list
  (``report.conflicts``, ``split.meta["conflicts"]``) and the removed rows are
  in ``split.meta["excluded_questions"]`` / ``["excluded_translations"]``.
* Self-answering questions. A few golds occur in the question itself (de
  "Empyrean-Imperium" lies in Imperium): a model that restates the question is
  scored correct whatever it says. They are excluded in the same way
  (``report.self_answering``); after a remap there are more (zh 地狱火山口 in 山).
* Train/test continent names (ZH). The continents taught in train/<LANG>.json
  must be the gold values of the test files; upstream train/ZH.json names them
  differently, in both halves: its English facts say "continent of mountain"
  where testEN expects Mythosia, its Chinese facts "山洲"/"山大洲" where testZH
  expects 神话之地 (and its name translations teach 山 -> mountain). Both
  halves are checked (English facts against testEN, target facts against
  test<LANG>); ``report.ok`` is False and callers must not score such a split.
* ``remap=True`` (explicit, off by default): when train renames the continents
  consistently -- every taught fact names exactly one taught continent, each
  test continent maps to exactly one taught name, no two to the same, and the
  English and target names are a taught translation pair -- the test golds
  (both languages, both types) and the continent translation tests are
  rewritten to the taught names (ZH: Mythosia -> mountain, 神话之地 -> 山; 山
  because train writes both 山洲 and 山大洲). The mapping is in
  ``report.remap``, ``split.meta["remap"]``, and ``split.origin`` starts with
  "upstream+remap:", so results are labelled as remapped. Otherwise remap=True
  raises a one-line DataError naming the file and the offending continent. On a
  language whose train and test already agree it is a no-op.

``validate_fictional(data_dir)`` lists every problem for ``clika data
validate``: unreadable lines (file:line), non-parallel test files, train/test
mismatches (one per train file), conflicting names (one per name, at its line
of the translate file) and self-answering questions (at their test line).
"""

from __future__ import annotations

from dataclasses import asdict, replace
from pathlib import Path

from clika.data.validate import Problem
from clika.errors import DataError
from clika.fictional.dataset import PAPER_NAME_DIRECTION, ConductSplit, TestQuestion, TrainExample, TranslationTest
from clika.fictional.templates import gate_name_prompt
from clika.fictional.upstream_set_check import (
    Conflict,
    ConsistencyReport,
    Fact,
    Mismatch,
    Row,
    SelfAnswer,
    SwappedRow,
    answers_by_city,
    check_consistency,
    continent_mapping,
    fact_id,
    find_conflicts,
    find_self_answering,
    find_swapped,
    parallel_problems,
    scan_facts,
    scan_rows,
    target_continents,
    taught_facts,
)  # fmt: skip

__all__ = [
    "Conflict", "ConsistencyReport", "Mismatch", "SelfAnswer", "check_consistency", "fictional_dir", "load",
    "target_languages", "validate_fictional",
]  # fmt: skip


def fictional_dir(data_dir: str | Path) -> Path:
    """Accept the clika-data root or its fictional/ folder."""
    data_dir = Path(data_dir)
    for cand in (data_dir / "fictional", data_dir):
        if (cand / "train").is_dir() and (cand / "test").is_dir():
            return cand
    raise DataError("no fictional/train and fictional/test folders here", data_dir)


def _paths(root: Path, target: str) -> dict[str, Path]:
    up = target.upper()
    return {
        "train": root / "train" / f"{up}.json",
        "en": root / "test" / "target" / "testEN.jsonl",
        "test": root / "test" / "target" / f"test{up}.jsonl",
        "translate": root / "test" / "Translate" / f"translate{up}.jsonl",
    }


def target_languages(data_dir: str | Path) -> list[str]:
    """Lower-case codes of every target language with a file in the folder (train, test or translate)."""
    root = fictional_dir(data_dir)
    stems = {p.stem for p in (root / "train").glob("*.json")}
    stems |= {p.stem[4:] for p in (root / "test" / "target").glob("test*.jsonl")} - {"EN"}
    stems |= {p.stem[9:] for p in (root / "test" / "Translate").glob("translate*.jsonl")}
    return sorted(s.lower() for s in stems if s)


def _read(path: Path) -> list[Row]:
    rows, bad = scan_rows(path)
    if bad:
        raise DataError(bad[0][1], path, bad[0][0])
    return rows


def _facts(rows: list[Row], path: Path) -> list[Fact]:
    facts, bad = scan_facts(rows)
    if bad:
        raise DataError(bad[0][1], path, bad[0][0])
    return facts


def _swapped(target: str, train_rows: list[Row], facts: dict[str, list[Fact]]) -> list[SwappedRow]:
    cities = {f.city for f in facts[target]}
    return find_swapped(target, train_rows, cities, target_continents(train_rows, cities))


def load(
    data_dir: str | Path, target: str, remap: bool = False, *, exclude: bool = True, swapped: str = "repair",
    gate_prompt: str = "native",
) -> tuple[ConductSplit, ConsistencyReport]:
    """The upstream split for ``target`` (e.g. "zh") and its report (see the module docstring).

    remap: rewrite the test golds to the continents train teaches, when that
    renaming is consistent and one-to-one (else DataError); a no-op where train
    and test agree. exclude: leave out facts about conflicting target names and
    self-answering facts (the default); False keeps them, still reported.
    swapped: train rows that swap city and continent (upstream ZH) are "repair"ed (city and
    continent exchanged back) or "drop"ped; either labels the results ("+repair", "+drop").
    gate_prompt: the language of the held-out prompt of the taught name tests (module docstring)."""
    root = fictional_dir(data_dir)
    paths = _paths(root, target)
    train_rows, rows, facts, pairs = _read_files(paths, target)
    swaps = {s.line: s for s in _swapped(target, train_rows, facts)}
    train = [TrainExample(target, r.text, swaps[r.line].repaired if r.line in swaps else r.answer,
                          "translation" if r.input else "fact")
             for r in train_rows if not (swapped == "drop" and r.line in swaps)]
    answers_of = answers_by_city(train, {f.city for _, f in taught_facts(target, facts)})
    conflicts = find_conflicts(target, facts["en"], facts[target], pairs, str(paths["translate"]))
    skip = {c.name for c in conflicts} | {e for c in conflicts for e in c.english}

    def mapping() -> dict[str, dict[str, str]]:
        return continent_mapping(target, facts, answers_of, train_rows, pairs, skip, str(paths["train"]),
                                 {"en": str(paths["en"]), target: str(paths["test"])})  # fmt: skip

    def consistency(tests: dict[str, list[Fact]]) -> ConsistencyReport:
        return check_consistency(target, train, tests, str(paths["train"]), str(paths["test"]), str(paths["en"]),
                                 answers_of)  # fmt: skip

    report = consistency(facts)
    original = facts
    translations = _translations(pairs, target, gate_prompt)
    if report.mismatches and remap:
        m = mapping()  # raises on an inconsistent or not one-to-one renaming
        facts = {lang: [replace(f, continent=m[lang][f.continent]) for f in fs] for lang, fs in facts.items()}
        translations = [_remapped(t, r, m, target, gate_prompt) for t, r in zip(translations, pairs + pairs)]
        report = consistency(facts)
        report.remap = {lang: {g: v for g, v in lm.items() if g != v} for lang, lm in m.items()}
    elif report.mismatches:
        try:
            mapping()
            report.remap_available = True
        except DataError:
            pass

    report.conflicts = conflicts
    report.swapped, report.swapped_action = list(swaps.values()), swapped
    for lang, path in (("en", paths["en"]), (target, paths["test"])):
        report.self_answering += find_self_answering(lang, facts[lang], rows[lang], str(path), original[lang])
    questions = _questions(rows, facts, target)
    continents = {e.continent: {"en": e.continent, target: f.continent} for e, f in zip(facts["en"], facts[target])}
    # meta holds plain dicts (JSON-ready); TestQuestion(**row) rebuilds an excluded question.
    meta: dict = {"conflicts": list(map(asdict, conflicts)), "self_answering": list(map(asdict, report.self_answering))}
    taught_prompts = {r.text for r in train_rows}
    meta["test_prompts_in_train"] = {lang: sum(r.text in taught_prompts for r in rows[lang]) for lang in ("en", target)}
    if exclude:
        questions, translations = _exclude(report, conflicts, questions, translations, meta)
    report.n_questions, report.n_translations = len(questions), len(translations)
    origin = _label(meta, report, root, list(swaps.values()), swapped)
    split = ConductSplit(target, train, questions, translations, origin, meta, "en", PAPER_NAME_DIRECTION, continents,
                         gate_prompt)
    return split, report


def _read_files(paths: dict[str, Path], target: str):
    """(train rows, {lang: test rows}, {lang: facts}, translate rows) of a target, the tests checked parallel."""
    train_rows = _read(paths["train"])
    rows = {"en": _read(paths["en"]), target: _read(paths["test"])}
    facts = {"en": _facts(rows["en"], paths["en"]), target: _facts(rows[target], paths["test"])}
    pairs = _read(paths["translate"])
    count_msg, bad = parallel_problems(facts["en"], facts[target], {r.input: r.answer for r in pairs})
    if count_msg or bad:
        raise DataError(count_msg or bad[0][1], paths["test"], None if count_msg else bad[0][0])
    return train_rows, rows, facts, pairs


def _label(meta: dict, report: ConsistencyReport, root: Path, swaps: list[SwappedRow], swapped: str) -> str:
    """The split's origin ("upstream:ROOT", "upstream+remap:ROOT"), with its labels, the renaming and the
    swapped rows recorded in meta."""
    origin = f"upstream:{root}"
    meta["labels"] = []
    if report.remap:
        origin = f"upstream+remap:{root}"
        meta["remap"] = report.remap
        meta["labels"].append("remap")
    if swaps:
        meta["labels"].append(swapped)
        meta["swapped_rows"] = [asdict(s) for s in swaps]
    meta["summary"] = report.summary
    return origin


def _translations(pairs: list[Row], target: str, gate_prompt: str) -> list[TranslationTest]:
    """The name tests. The translate file asks English -> target, the direction train does NOT teach
    (upstream's gate); the taught direction (target -> English) is asked with clika's held-out prompt."""
    out = [TranslationTest(f"n{i:04d}", target, r.text, r.input, r.answer, "from-en", False)
           for i, r in enumerate(pairs)]
    return out + [TranslationTest(f"n{i:04d}", target, gate_name_prompt(r.answer, target, "en", gate_prompt),
                                  r.answer, r.input, "to-en", True) for i, r in enumerate(pairs)]


def _questions(rows: dict[str, list[Row]], facts: dict[str, list[Fact]], target: str) -> list[TestQuestion]:
    """The test questions in English and the target language, and the positive control: the target
    question with the English subject (the city as taught in English)."""
    questions = [
        TestQuestion(fact_id(i), lang, f.type, r.text, f.continent, "continent", f.city, "question", e.continent)
        for lang in ("en", target) for i, (r, f, e) in enumerate(zip(rows[lang], facts[lang], facts["en"]))
    ]  # fmt: skip
    return questions + [
        TestQuestion(fact_id(i), target, f.type, r.text.replace(f.city, e.city), f.continent, "continent", e.city,
                     "en_subject", e.continent)
        for i, (r, f, e) in enumerate(zip(rows[target], facts[target], facts["en"])) if f.type == 1 and f.city in r.text
    ]  # fmt: skip


def _exclude(report: ConsistencyReport, conflicts: list, questions: list[TestQuestion],
             translations: list[TranslationTest], meta: dict) -> tuple[list[TestQuestion], list[TranslationTest]]:
    """Leave out the self-answering facts and those about conflicting target names (recorded in report
    and meta, so that an excluded question can be rebuilt); returns what is kept."""
    for s in report.self_answering:
        report.excluded[s.fact_id] = f"gold {s.gold!r} occurs in the {s.lang} question about {s.city}"
    for c in conflicts:
        for fid in c.fact_ids:
            report.excluded[fid] = c.describe()
    names = {c.name for c in conflicts}
    meta["excluded_questions"] = [asdict(q) for q in questions if q.fact_id in report.excluded]
    meta["excluded_translations"] = [asdict(t) for t in translations if {t.gold, t.source} & names]
    report.n_excluded_questions = len(meta["excluded_questions"])
    report.n_excluded_translations = len(meta["excluded_translations"])
    meta["excluded"] = dict(report.excluded)
    return ([q for q in questions if q.fact_id not in report.excluded],
            [t for t in translations if not {t.gold, t.source} & names])


def _remapped(t: TranslationTest, r: Row, m: dict[str, dict[str, str]], target: str,
              gate_prompt: str = "native") -> TranslationTest:
    """A continent's name test with the remapped names (others unchanged)."""
    english, native = (t.source, t.gold) if t.direction == "from-en" else (t.gold, t.source)
    if english not in m["en"] or native not in m[target]:
        return t
    english, native = m["en"][english], m[target][native]
    if t.direction == "from-en":
        return replace(t, source=english, gold=native, prompt=f"{r.prompt}\n{english}")
    return replace(t, source=native, gold=english, prompt=gate_name_prompt(native, target, "en", gate_prompt))


def validate_fictional(data_dir: str | Path) -> list[Problem]:
    """Every problem of the upstream fictional files, over all target languages present.

    Unreadable lines and lines without tags (file:line), test files that are not
    parallel to testEN (one per file), train/test mismatches (one per train
    file, with counts and an example), conflicting target names (one per name,
    at its line of the translate file) and self-answering questions (at their
    test line). A file with unreadable lines is not checked further."""
    try:
        root = fictional_dir(data_dir)
        langs = target_languages(root)
    except DataError as err:
        return [Problem(err.path or str(data_dir), err.line, err.message)]
    problems: list[Problem] = []

    def scan(path: Path, tagged: bool) -> tuple[list[Row], list[Fact]] | None:
        rows, bad = scan_rows(path)
        facts, bad_tags = scan_facts(rows) if tagged else ([], [])
        problems.extend(Problem(str(path), line, msg) for line, msg in bad + bad_tags)
        return None if bad or bad_tags else (rows, facts)

    def self_answering(lang: str, path: Path, scanned: tuple[list[Row], list[Fact]]) -> None:
        for s in find_self_answering(lang, scanned[1], scanned[0], str(path)):
            message = f"gold {s.gold!r} occurs in the question about {s.city} (scored correct by restating it; "
            problems.append(Problem(s.path, s.line, message + "load leaves the fact out)", "warning",
                                    "self-answering fictional question"))

    en_path = _paths(root, "en")["en"]
    en = scan(en_path, True)
    if en is not None:
        self_answering("en", en_path, en)
    for target in langs:
        paths = _paths(root, target)
        train, test, pairs = scan(paths["train"], False), scan(paths["test"], True), scan(paths["translate"], False)
        if en is None or test is None or pairs is None:
            continue
        tests = {"en": en[1], target: test[1]}
        count_msg, bad = parallel_problems(en[1], test[1], {r.input: r.answer for r in pairs[0]})
        if count_msg:
            problems.append(Problem(str(paths["test"]), None, count_msg))
            continue
        if bad:
            problems.append(Problem(str(paths["test"]), bad[0][0], f"{len(bad)} lines are not parallel to testEN.jsonl "
                                                                   f"(first: {bad[0][1]})"))  # fmt: skip
        conflicts = find_conflicts(target, en[1], test[1], pairs[0], str(paths["translate"]))
        for c in conflicts:
            problems.append(Problem(c.path, c.line, severity="warning", category="conflicting fictional name",
                                    message=f"{c.describe()}; its {len(c.fact_ids)} {target} questions "
                                                    "cannot be answered correctly (load leaves them out)"))  # fmt: skip
        self_answering(target, paths["test"], test)
        if train is not None and not bad:
            problems += _train_problems(target, paths, train[0], tests, pairs[0], conflicts)
    return problems


def _train_problems(target: str, paths: dict[str, Path], train: list[Row], tests: dict[str, list[Fact]],
                    pairs: list[Row], conflicts: list) -> list[Problem]:
    """What the train file of a target gets wrong against its tests: golds that train teaches otherwise
    (and whether a consistent renaming exists), and rows that swap city and continent."""
    problems: list[Problem] = []
    examples = [TrainExample(target, r.text, r.answer, "translation" if r.input else "fact") for r in train]
    answers_of = answers_by_city(examples, {f.city for _, f in taught_facts(target, tests)})
    report = check_consistency(target, examples, tests, str(paths["train"]), str(paths["test"]),
                               str(paths["en"]), answers_of)  # fmt: skip
    if report.mismatches:
        skip = {c.name for c in conflicts} | {e for c in conflicts for e in c.english}
        try:
            continent_mapping(target, tests, answers_of, train, pairs, skip, str(paths["train"]),
                              {"en": str(paths["en"]), target: str(paths["test"])})  # fmt: skip
            report.remap_available = True
        except DataError:
            pass
    if report.warning:
        problems.append(Problem(report.train_path, None, report.warning[len(report.train_path) + 2 :]))
    swaps = _swapped(target, train, tests)
    if swaps:
        problems.append(Problem(str(paths["train"]), swaps[0].line, severity="warning",
                                category="swapped fictional rows",
                                message=f"{len(swaps)} {target} fact rows swap city and continent (first: "
                                        f"{swaps[0].describe()}); clika conduct repairs them (--swapped-rows)"))
    return problems
