"""What a conductivity run consumes, whatever its source (generated or upstream).

A ConductSplit holds, for one target language l: the training examples (English
facts of both types, l facts of type 0, name translations), the test questions
in English and in l, and the name translations to test. Questions of one fact
share ``fact_id`` across languages, which is what the paired bootstrap resamples.

``fold`` is the one comparison form (docs/metrics.md): a test is correct when the
folded gold occurs in the folded answer.
"""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Literal, TypeVar

from clika.data.lines import write_json_lines
from clika.errors import DataError

ExampleKind = Literal["fact", "translation"]


@dataclass(frozen=True)
class TrainExample:
    """One supervised example: the loss is on ``answer`` only."""

    lang: str
    prompt: str
    answer: str
    kind: ExampleKind = "fact"
    fact_id: str = ""


@dataclass(frozen=True)
class TestQuestion:
    """One fact asked in one language; correct when ``gold`` occurs in the answer."""

    __test__ = False  # not a pytest test class, despite the name

    fact_id: str
    lang: str
    fact_type: int  # 0: taught in English and l; 1: taught in English only
    prompt: str
    gold: str
    attribute: str = "continent"
    subject: str = ""  # the entity's name as written in the prompt (pairs with the English question's)


@dataclass(frozen=True)
class TranslationTest:
    """One name translation (``source`` -> ``gold``; lang is the split's target);
    correct when ``gold`` occurs in the answer. Generated sets ask l -> English."""

    __test__ = False

    name_id: str
    lang: str
    prompt: str
    source: str
    gold: str


@dataclass
class ConductSplit:
    """Everything one training run (one target language) needs."""

    target: str
    train: list[TrainExample]
    questions: list[TestQuestion]
    translations: list[TranslationTest]
    origin: str = "generated"
    meta: dict = field(default_factory=dict)


T = TypeVar("T")


def fold(text: str) -> str:
    """The comparison form of docs/metrics.md: Unicode NFKC, then case folding."""
    return unicodedata.normalize("NFKC", text).casefold()


def write_jsonl(rows: Iterable, path: str | Path) -> Path:
    """Write dataclass rows as JSON lines (UTF-8, non-ASCII kept readable)."""
    return write_json_lines((asdict(row) for row in rows), path)


def read_jsonl(path: str | Path, cls: type[T]) -> list[T]:
    """Read rows written by write_jsonl; a bad line is a DataError naming it."""
    path = Path(path)
    if not path.is_file():
        raise DataError("file not found", path)
    rows: list[T] = []
    with path.open(encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                rows.append(cls(**json.loads(line)))
            except (json.JSONDecodeError, TypeError) as err:
                raise DataError(f"not a {cls.__name__} row ({err})", path, lineno) from None
    return rows


def write_split(split: ConductSplit, directory: str | Path) -> Path:
    """Write a split as train.jsonl, questions.jsonl, translations.jsonl under directory."""
    directory = Path(directory)
    write_jsonl(split.train, directory / "train.jsonl")
    write_jsonl(split.questions, directory / "questions.jsonl")
    write_jsonl(split.translations, directory / "translations.jsonl")
    return directory


def read_split(directory: str | Path, target: str) -> ConductSplit:
    directory = Path(directory)
    return ConductSplit(
        target=target,
        train=read_jsonl(directory / "train.jsonl", TrainExample),
        questions=read_jsonl(directory / "questions.jsonl", TestQuestion),
        translations=read_jsonl(directory / "translations.jsonl", TranslationTest),
        origin=str(directory),
    )
