"""The upstream fictional files (CLiKA's CD data) for one target language.

Layout (under <data>/fictional/, see its README):
  train/<LANG>.json                    JSON lines: prompt, input, answer
  test/target/test<LANG>.jsonl         questions; answer ends in [[continent:..]][[city:..]][[type:0|1]]
  test/target/testEN.jsonl             the same questions in English, line for line
  test/Translate/translate<LANG>.jsonl English -> LANG name translations

Gold of a question = its continent tag; the fact id is the line number (the test files are parallel line by line,
which load checks through the translations). Questions are asked as the test files write them; the positive control
is the target question with the English subject. Upstream holds its target test frame out of training only for de,
he and ar ("Auf welchem Kontinent liegt {S}, bitte? Antwort auf Deutsch.": 0 of 400 among train/DE.json's prompts);
the zh, ja, fr, it, ru and pl frames are training frames (e.g. 202 of 400 test prompts in fr and zh occur verbatim in
train), and so is testEN's (all 400): ``split.meta["test_prompts_in_train"]`` counts them, so a reader sees where a
gate part measures recall of a trained string. The taught name direction (target -> English) is asked with clika's
held-out name prompt, in the target language (``gate_prompt="native"``) or in English ("english").

Data quirks, and what load does about them:

* Conflicting target names: a target city name may translate two English names on different continents (de:
  Wirbeltal for Vortex Valley/Dreamfar and Vortex Vale/Spectros; 1-4 names per language, ``Conflict``). Train
  teaches both continents for it, so its target questions cannot be answered correctly by construction.
  ``exclude=True`` (default) leaves such facts out in both languages (fact ids stay paired for the bootstrap), and
  the name tests of such names; ``report.conflicts`` and ``split.meta`` keep what was removed.
* Self-answering questions: a few golds occur in the question itself (de "Empyrean-Imperium" lies in Imperium), so
  a model that restates the question is scored correct whatever it says; excluded the same way, more after a remap
  (zh 地狱火山口 in 山).
* Train/test continent names (ZH): upstream train/ZH.json teaches other continent names than its tests expect, in
  both halves: "continent of mountain" where testEN expects Mythosia, "山洲"/"山大洲" where testZH expects 神话之地
  (its name translations teach 山 -> mountain). ``report.ok`` is then False and callers must not score the split.
* ``remap=True`` (explicit, off by default): when train renames the continents consistently and one-to-one
  (continent_mapping), the test golds and the continents' name tests are rewritten to the taught names (ZH:
  Mythosia -> mountain, 神话之地 -> 山, as train writes both 山洲 and 山大洲), labelled by ``report.remap``,
  ``split.meta["remap"]`` and the origin "upstream+remap:". Otherwise remap=True raises a one-line DataError naming
  the file and the continent; where train and test agree it is a no-op.
"""

from __future__ import annotations

from dataclasses import asdict, replace
from pathlib import Path

from clika.data.validate import Problem
from clika.errors import DataError
from clika.fictional import upstream_set_check as checks
from clika.fictional.dataset import PAPER_NAME_DIRECTION, ConductSplit, TestQuestion, TrainExample, TranslationTest
from clika.fictional.templates import gate_name_prompt
from clika.fictional.upstream_set_check import Conflict, ConsistencyReport, Mismatch, SelfAnswer, check_consistency

__all__ = ["Conflict", "ConsistencyReport", "Mismatch", "SelfAnswer", "check_consistency", "fictional_dir", "load",
           "target_languages", "validate_fictional"]  # fmt: skip


def fictional_dir(data_dir: str | Path) -> Path:
    """Accept the clika-data root or its fictional/ folder."""
    data_dir = Path(data_dir)
    for cand in (data_dir / "fictional", data_dir):
        if (cand / "train").is_dir() and (cand / "test").is_dir():
            return cand
    raise DataError("no fictional/train and fictional/test folders here", data_dir)


def _paths(root: Path, target: str) -> dict[str, Path]:
    up, tests = target.upper(), root / "test"
    return {"train": root / "train" / f"{up}.json", "en": tests / "target" / "testEN.jsonl",
            "test": tests / "target" / f"test{up}.jsonl", "translate": tests / "Translate" / f"translate{up}.jsonl"}


def target_languages(data_dir: str | Path) -> list[str]:
    """Lower-case codes of every target language with a file in the folder (train, test or translate)."""
    root = fictional_dir(data_dir)
    stems = {p.stem for p in (root / "train").glob("*.json")}
    stems |= {p.stem[4:] for p in (root / "test" / "target").glob("test*.jsonl")} - {"EN"}
    stems |= {p.stem[9:] for p in (root / "test" / "Translate").glob("translate*.jsonl")}
    return sorted(s.lower() for s in stems if s)


def _ok(scanned: tuple[list, list[tuple[int | None, str]]], path: Path) -> list:
    """What scan_rows or scan_facts read from ``path``, or a DataError at its first bad line."""
    items, bad = scanned
    if bad:
        raise DataError(bad[0][1], path, bad[0][0])
    return items


def _consistency(target: str, paths: dict[str, Path], train: list[TrainExample], train_rows: list[checks.Row],
                 tests: dict[str, list[checks.Fact]], pairs: list[checks.Row], conflicts: list[Conflict],
                 remap: bool = False) -> tuple[ConsistencyReport, dict[str, dict[str, str]] | None]:
    """check_consistency of ``train`` against ``tests`` and, where they disagree, the continent_mapping that fixes
    it (conflicting names aside; report.remap_available), or with ``remap`` a DataError when there is none."""
    answers_of = checks.answers_by_city(train, {f.city for _, f in checks.taught_facts(target, tests)})
    report = check_consistency(target, train, tests, str(paths["train"]), str(paths["test"]), str(paths["en"]),
                               answers_of)  # fmt: skip
    mapping = None
    if report.mismatches:
        skip = {c.name for c in conflicts} | {e for c in conflicts for e in c.english}
        try:
            mapping = checks.continent_mapping(target, tests, answers_of, train_rows, pairs, skip, str(paths["train"]),
                                               {"en": str(paths["en"]), target: str(paths["test"])})  # fmt: skip
            report.remap_available = True
        except DataError:
            if remap:
                raise
    return report, mapping


def load(data_dir: str | Path, target: str, remap: bool = False, *, exclude: bool = True, swapped: str = "repair",
         gate_prompt: str = "native") -> tuple[ConductSplit, ConsistencyReport]:
    """The upstream split for ``target`` (e.g. "zh") and its report (see the module docstring).

    remap: rewrite the test golds to the continents train teaches, when that renaming is consistent and one-to-one
    (else DataError); a no-op where train and test agree. exclude: leave out facts about conflicting target names
    and self-answering facts (the default); False keeps them, still reported. swapped: train rows that swap city and
    continent (upstream ZH) are "repair"ed (city and continent exchanged back) or "drop"ped; either labels the
    results ("+repair", "+drop"). gate_prompt: the language of the held-out prompt of the taught name tests."""
    root = fictional_dir(data_dir)
    paths = _paths(root, target)
    train_rows = _ok(checks.scan_rows(paths["train"]), paths["train"])
    rows = {lang: _ok(checks.scan_rows(paths[key]), paths[key]) for lang, key in (("en", "en"), (target, "test"))}
    facts = {lang: _ok(checks.scan_facts(rows[lang]), paths[key]) for lang, key in (("en", "en"), (target, "test"))}
    pairs = _ok(checks.scan_rows(paths["translate"]), paths["translate"])
    count_msg, bad = checks.parallel_problems(facts["en"], facts[target], {r.input: r.answer for r in pairs})
    if count_msg or bad:
        raise DataError(count_msg or bad[0][1], paths["test"], None if count_msg else bad[0][0])

    swaps = {s.line: s for s in checks.find_swapped(target, train_rows, {f.city for f in facts[target]})}
    train = [TrainExample(target, r.text, swaps[r.line].repaired if r.line in swaps else r.answer,
                          "translation" if r.input else "fact")
             for r in train_rows if not (swapped == "drop" and r.line in swaps)]
    conflicts = checks.find_conflicts(target, facts["en"], facts[target], pairs, str(paths["translate"]))
    report, m = _consistency(target, paths, train, train_rows, facts, pairs, conflicts, remap)
    original = facts
    if remap and m is not None:  # the golds and the continents' name tests become the taught names
        facts = {lang: [replace(f, continent=m[lang][f.continent]) for f in fs] for lang, fs in facts.items()}
        pairs = [replace(r, input=m["en"][r.input], answer=m[target][r.answer])
                 if r.input in m["en"] and r.answer in m[target] else r for r in pairs]
        report = check_consistency(target, train, facts, str(paths["train"]), str(paths["test"]), str(paths["en"]))
        report.remap = {lang: {g: v for g, v in lm.items() if g != v} for lang, lm in m.items()}
    translations = _translations(target, pairs, gate_prompt)

    report.conflicts, report.swapped, report.swapped_action = conflicts, list(swaps.values()), swapped
    for lang, key in (("en", "en"), (target, "test")):
        report.self_answering += checks.find_self_answering(lang, facts[lang], rows[lang], str(paths[key]),
                                                            original[lang])  # fmt: skip
    questions = _questions(target, rows, facts)
    continents = {e.continent: {"en": e.continent, target: f.continent} for e, f in zip(facts["en"], facts[target])}
    # meta holds plain dicts (JSON-ready); TestQuestion(**row) rebuilds an excluded question.
    meta: dict = {"conflicts": list(map(asdict, conflicts)), "self_answering": list(map(asdict, report.self_answering))}
    taught_prompts = {r.text for r in train_rows}
    meta["test_prompts_in_train"] = {lang: sum(r.text in taught_prompts for r in rows[lang]) for lang in ("en", target)}
    if exclude:
        questions, translations = _exclude(report, conflicts, questions, translations, meta)
    report.n_questions, report.n_translations = len(questions), len(translations)
    meta["labels"] = ["remap"] * bool(report.remap) + [swapped] * bool(swaps)
    if report.remap:
        meta["remap"] = report.remap
    if swaps:
        meta["swapped_rows"] = [asdict(s) for s in swaps.values()]
    meta["summary"] = report.summary
    origin = f"upstream+remap:{root}" if report.remap else f"upstream:{root}"
    split = ConductSplit(target, train, questions, translations, origin, meta, "en", PAPER_NAME_DIRECTION, continents,
                         gate_prompt)
    return split, report


def _translations(target: str, pairs: list, gate_prompt: str) -> list[TranslationTest]:
    """The name tests. The translate file asks English -> target, the direction train does NOT teach
    (upstream's gate); the taught direction (target -> English) is asked with clika's held-out prompt."""
    tests = [TranslationTest(f"n{i:04d}", target, r.text, r.input, r.answer, "from-en", False)
             for i, r in enumerate(pairs)]
    return tests + [TranslationTest(f"n{i:04d}", target, gate_name_prompt(r.answer, target, "en", gate_prompt),
                                    r.answer, r.input, "to-en", True) for i, r in enumerate(pairs)]


def _questions(target: str, rows: dict, facts: dict) -> list[TestQuestion]:
    """The questions in both languages, and the positive control: the target question with the English subject."""
    questions = [
        TestQuestion(checks.fact_id(i), lang, f.type, r.text, f.continent, "continent", f.city, "question", e.continent)
        for lang in ("en", target) for i, (r, f, e) in enumerate(zip(rows[lang], facts[lang], facts["en"]))
    ]  # fmt: skip
    return questions + [
        TestQuestion(checks.fact_id(i), target, f.type, r.text.replace(f.city, e.city), f.continent, "continent",
                     e.city, "en_subject", e.continent)
        for i, (r, f, e) in enumerate(zip(rows[target], facts[target], facts["en"])) if f.type == 1 and f.city in r.text
    ]  # fmt: skip


def _exclude(report: ConsistencyReport, conflicts: list[Conflict], questions: list[TestQuestion],
             translations: list[TranslationTest], meta: dict) -> tuple[list[TestQuestion], list[TranslationTest]]:
    """Leave out the self-answering facts and those about conflicting target names (recorded in report
    and meta, so that an excluded question can be rebuilt); returns what is kept."""
    report.excluded.update({s.fact_id: f"gold {s.gold!r} occurs in the {s.lang} question about {s.city}"
                            for s in report.self_answering})  # fmt: skip
    report.excluded.update({fid: c.describe() for c in conflicts for fid in c.fact_ids})
    names = {c.name for c in conflicts}
    meta["excluded_questions"] = [asdict(q) for q in questions if q.fact_id in report.excluded]
    meta["excluded_translations"] = [asdict(t) for t in translations if {t.gold, t.source} & names]
    report.n_excluded_questions = len(meta["excluded_questions"])
    report.n_excluded_translations = len(meta["excluded_translations"])
    meta["excluded"] = dict(report.excluded)
    return ([q for q in questions if q.fact_id not in report.excluded],
            [t for t in translations if not {t.gold, t.source} & names])


def validate_fictional(data_dir: str | Path) -> list[Problem]:
    """Every problem of the upstream fictional files, over all target languages present: unreadable lines
    and lines without tags (file:line), test files not parallel to testEN (one per file), train/test
    mismatches (one per train file, with counts and an example), conflicting target names (one per name, at
    its line of the translate file), self-answering questions (at their test line) and train rows that swap
    city and continent. A file with unreadable lines is not checked further."""
    try:
        root = fictional_dir(data_dir)
        langs = target_languages(root)
    except DataError as err:
        return [Problem(err.path or str(data_dir), err.line, err.message)]
    problems: list[Problem] = []

    def scan(path: Path, tagged: bool) -> tuple[list[checks.Row], list[checks.Fact]] | None:
        rows, bad = checks.scan_rows(path)
        facts, bad_tags = checks.scan_facts(rows) if tagged else ([], [])
        problems.extend(Problem(str(path), line, msg) for line, msg in bad + bad_tags)
        return None if bad or bad_tags else (rows, facts)

    def self_answering(lang: str, path: Path, scanned: tuple[list[checks.Row], list[checks.Fact]]) -> None:
        for s in checks.find_self_answering(lang, scanned[1], scanned[0], str(path)):
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
        count_msg, bad = checks.parallel_problems(en[1], test[1], {r.input: r.answer for r in pairs[0]})
        if count_msg:
            problems.append(Problem(str(paths["test"]), None, count_msg))
            continue
        if bad:
            problems.append(Problem(str(paths["test"]), bad[0][0], f"{len(bad)} lines are not parallel to testEN.jsonl "
                                                                   f"(first: {bad[0][1]})"))  # fmt: skip
        conflicts = checks.find_conflicts(target, en[1], test[1], pairs[0], str(paths["translate"]))
        problems.extend(Problem(c.path, c.line, severity="warning", category="conflicting fictional name",
                                message=f"{c.describe()}; its {len(c.fact_ids)} {target} questions "
                                        "cannot be answered correctly (load leaves them out)") for c in conflicts)
        self_answering(target, paths["test"], test)
        if train is None or bad:
            continue
        # the train file against its tests: golds it teaches otherwise, and rows that swap city and continent
        tests = {"en": en[1], target: test[1]}
        examples = [TrainExample(target, r.text, r.answer, "translation" if r.input else "fact") for r in train[0]]
        report = _consistency(target, paths, examples, train[0], tests, pairs[0], conflicts)[0]
        if report.warning:
            problems.append(Problem(report.train_path, None, report.warning[len(report.train_path) + 2 :]))
        if swaps := checks.find_swapped(target, train[0], {f.city for f in test[1]}):
            message = f"{len(swaps)} {target} fact rows swap city and continent (first: {swaps[0].describe()}); "
            problems.append(Problem(str(paths["train"]), swaps[0].line, message + "clika conduct repairs them "
                                    "(--swapped-rows)", "warning", "swapped fictional rows"))  # fmt: skip
    return problems
