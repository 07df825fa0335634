"""The upstream fictional files (CLiKA's CD data) for one target language.

Layout (under <data>/fictional/, see its README):
  train/<LANG>.json                   JSON lines: prompt, input, answer
  test/target/test<LANG>.jsonl        questions; answer ends in [[continent:..]][[city:..]][[type:0|1]]
  test/target/testEN.jsonl            the same questions in English, line for line
  test/Translate/translate<LANG>.jsonl English -> LANG name translations

Gold of a question = its continent tag; the fact id is the line number (the
test files are parallel line by line, which load checks through the translations).

Consistency: the continents taught in train/<LANG>.json must be the gold values
of the test files. Upstream train/ZH.json names them differently ("mountain",
"山洲") from testZH/testEN (Mythosia, 神话之地): every taught fact then "fails"
for a reason that has nothing to do with the model. ``check_consistency`` finds
such facts; ``load`` returns a ConsistencyReport whose ``warning`` is one line
naming the file, and callers must not score a split whose report is not ok.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from clika.errors import DataError
from clika.fictional.dataset import ConductSplit, TestQuestion, TrainExample, TranslationTest
from clika.fictional.generator import fold

_TAG = re.compile(r"\[\[(\w+):([^\]]*)\]\]")


@dataclass
class Mismatch:
    """A fact taught in train whose answers never contain the test's gold value."""

    lang: str
    city: str
    gold: str
    taught: str  # one train answer for that city


@dataclass
class ConsistencyReport:
    target: str
    train_path: str
    test_path: str
    n_checked: int = 0  # test facts that train teaches (en type 0/1, target type 0)
    n_untaught: int = 0  # of those, facts whose city no train example mentions
    mismatches: list[Mismatch] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.mismatches and self.n_untaught == 0

    @property
    def warning(self) -> str | None:
        """One line naming the file, or None when train and test agree."""
        if self.ok:
            return None
        parts = []
        if self.mismatches:
            m = self.mismatches[0]
            parts.append(
                f"{len(self.mismatches)}/{self.n_checked} taught facts give a value other than the test gold "
                f"(e.g. {m.city}: test expects {m.gold!r}, train says {m.taught!r})"
            )
        if self.n_untaught:
            parts.append(f"{self.n_untaught}/{self.n_checked} test facts are never taught")
        return f"{self.train_path}: inconsistent with {self.test_path}: " + "; ".join(parts)


def fictional_dir(data_dir: str | Path) -> Path:
    """Accept the clika-data root or its fictional/ folder."""
    data_dir = Path(data_dir)
    for cand in (data_dir / "fictional", data_dir):
        if (cand / "train").is_dir() and (cand / "test").is_dir():
            return cand
    raise DataError("no fictional/train and fictional/test folders here", data_dir)


def _read_rows(path: Path) -> list[dict]:
    if not path.is_file():
        raise DataError("file not found", path)
    rows = []
    with path.open(encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
                rows.append({"prompt": row["prompt"], "input": row.get("input", ""), "answer": row["answer"]})
            except (json.JSONDecodeError, KeyError, TypeError) as err:
                raise DataError(f"expected a JSON object with prompt and answer ({err})", path, lineno) from None
    return rows


def _prompt(row: dict) -> str:
    return f"{row['prompt']}\n{row['input']}" if row["input"] else row["prompt"]


def _tags(row: dict, path: Path, lineno: int) -> dict[str, str]:
    tags = dict(_TAG.findall(row["answer"]))
    if not {"continent", "city", "type"} <= tags.keys() or tags["type"] not in ("0", "1"):
        raise DataError("answer lacks [[continent:..]][[city:..]][[type:0|1]] tags", path, lineno)
    return tags


def check_consistency(
    target: str, train: list[TrainExample], tests: dict[str, list[dict]], train_path: str, test_path: str
) -> ConsistencyReport:
    """For each fact train should teach, do its train answers contain the test gold?

    tests: lang -> tag dicts (continent, city, type) of that language's test file."""
    report = ConsistencyReport(target, train_path, test_path)
    facts = [(ex.prompt, ex.answer) for ex in train if ex.kind == "fact"]
    taught = [(lang, t) for lang, rows in tests.items() for t in rows if lang == "en" or t["type"] == "0"]
    # One regex of all city names, longest first, finds each train example's city in one pass.
    cities = sorted({t["city"] for _, t in taught}, key=len, reverse=True)
    finder = re.compile("|".join(re.escape(c) for c in cities))
    answers_of: dict[str, list[str]] = {}  # city -> its train answers, as written
    for prompt, answer in facts:
        for city in set(finder.findall(prompt)):
            answers_of.setdefault(city, []).append(answer)
    for lang, t in taught:
        report.n_checked += 1
        answers = answers_of.get(t["city"])
        if not answers:
            report.n_untaught += 1
        elif not any(fold(t["continent"]) in fold(a) for a in answers):
            report.mismatches.append(Mismatch(lang, t["city"], t["continent"], answers[0]))
    return report


def load(data_dir: str | Path, target: str) -> tuple[ConductSplit, ConsistencyReport]:
    """The upstream split for ``target`` (e.g. "zh") and its train/test consistency report."""
    root = fictional_dir(data_dir)
    lang_up = target.upper()
    train_path = root / "train" / f"{lang_up}.json"
    test_paths = {"en": root / "test" / "target" / "testEN.jsonl", target: root / "test" / "target" / f"test{lang_up}.jsonl"}
    translate_path = root / "test" / "Translate" / f"translate{lang_up}.jsonl"

    train = [
        TrainExample(target, _prompt(r), r["answer"], "translation" if r["input"] else "fact")
        for r in _read_rows(train_path)
    ]
    tags: dict[str, list[dict]] = {}
    questions: list[TestQuestion] = []
    for lang, path in test_paths.items():
        rows = _read_rows(path)
        tags[lang] = [_tags(r, path, i) for i, r in enumerate(rows, 1)]
        questions += [
            TestQuestion(f"q{i:04d}", lang, int(t["type"]), _prompt(r), t["continent"])
            for i, (r, t) in enumerate(zip(rows, tags[lang]))
        ]
    pairs = _read_rows(translate_path)
    translations = [
        TranslationTest(f"n{i:04d}", target, _prompt(r), r["input"], r["answer"]) for i, r in enumerate(pairs)
    ]
    _check_parallel(tags, {r["input"]: r["answer"] for r in pairs}, test_paths[target], target)
    report = check_consistency(target, train, tags, str(train_path), str(test_paths[target]))
    split = ConductSplit(target, train, questions, translations, f"upstream:{root}")
    return split, report


def _check_parallel(tags: dict[str, list[dict]], translate: dict[str, str], path: Path, target: str) -> None:
    """testEN and test<LANG> must be the same questions line by line (fact ids are line numbers)."""
    en, tgt = tags["en"], tags[target]
    if len(en) != len(tgt):
        raise DataError(f"has {len(tgt)} questions but testEN.jsonl has {len(en)}; they must be parallel", path)
    for i, (a, b) in enumerate(zip(en, tgt), 1):
        known = translate.get(a["city"])
        if a["type"] != b["type"] or (known is not None and known != b["city"]):
            raise DataError(f"question is not parallel to testEN.jsonl line {i} ({a['city']} / {b['city']})", path, i)
