"""What a conductivity run consumes, whatever its source (generated or upstream).

A ConductSplit holds, for one target language l and one source language S (English unless ``--source`` says otherwise):
the training examples (S facts of both types, l facts of type 0, name translations in the taught directions), the test
questions in S and in l (plus the controls: l questions with the S subject), and the name translations to test.
Questions of one fact share ``fact_id`` across languages, which is what the paired bootstrap resamples.

``fold`` is the one comparison form (docs/metrics.md); clika.conduct.judge scores answers.
"""

from __future__ import annotations

import json
import unicodedata
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Literal

from clika.data.lines import read_json_lines, write_json_lines
from clika.errors import ConfigError, DataError


@dataclass(frozen=True)
class TrainExample:
    """One supervised example: the loss is on ``answer`` only."""

    lang: str
    prompt: str
    answer: str
    kind: Literal["fact", "translation"] = "fact"
    fact_id: str = ""  # facts: the fact taught
    entity_id: str = ""  # translations: the entity whose name is taught


DIRECTIONS: tuple[str, ...] = ("to-en", "from-en")
NAME_DIRECTIONS: tuple[str, ...] = ("to-en", "from-en", "both")
# The paper's: upstream fictional/train/<LANG>.json teaches every name target -> English.
PAPER_NAME_DIRECTION = "to-en"


def taught_directions(name_direction: str) -> tuple[str, ...]:
    """The translation directions a --name-direction setting teaches ("en" = the source language)."""
    if name_direction not in NAME_DIRECTIONS:
        raise ConfigError(f"unknown name direction {name_direction!r} (one of {', '.join(NAME_DIRECTIONS)})")
    return DIRECTIONS if name_direction == "both" else (name_direction,)


@dataclass(frozen=True)
class TestQuestion:
    """One fact asked in one language; correct when ``gold`` occurs in the answer.

    kind "question": the fact asked in ``lang`` with its ``lang`` subject; "en_subject" (the positive control): asked
    in the target language's frame with the SOURCE-language subject. ``gold_source`` is the answer's source-language
    form (the controls accept it too)."""

    __test__ = False  # not a pytest test class, despite the name

    fact_id: str
    lang: str
    fact_type: int  # 0: taught in the source language and l; 1: taught in the source language only
    prompt: str
    gold: str
    attribute: str = "continent"
    subject: str = ""  # the entity's name as written in the prompt (pairs with the source question's)
    kind: Literal["question", "en_subject"] = "question"
    gold_source: str = ""


@dataclass(frozen=True)
class TranslationTest:
    """One name translation (``source`` -> ``gold``; lang is the split's target); correct when ``gold`` occurs in the
    answer and ``source`` is not copied. direction "to-en": target -> source language, "from-en": source language ->
    target; taught: whether training taught it."""

    __test__ = False

    name_id: str
    lang: str
    prompt: str
    source: str
    gold: str
    direction: Literal["to-en", "from-en"] = "from-en"
    taught: bool = True


@dataclass
class ConductSplit:
    """Everything one training run (one target language) needs.

    continents: continent id -> its name per language (source and target), so that an answer naming two continents
    can be told (empty: not known, e.g. year facts). gate_prompt: the language the gate's held-out name prompts are
    written in ("native" or "english", clika.fictional.templates.GATE_PROMPTS)."""

    target: str
    train: list[TrainExample]
    questions: list[TestQuestion]
    translations: list[TranslationTest]
    origin: str = "generated"
    meta: dict = field(default_factory=dict)
    source: str = "en"
    name_direction: str = PAPER_NAME_DIRECTION
    continents: dict[str, dict[str, str]] = field(default_factory=dict)
    gate_prompt: str = "native"


def fold(text: str) -> str:
    """The comparison form of docs/metrics.md: Unicode NFKC, then case folding."""
    return unicodedata.normalize("NFKC", text).casefold()


def _train_row(ex: TrainExample) -> dict:
    row = {"lang": ex.lang, "kind": ex.kind, "prompt": ex.prompt, "answer": ex.answer}
    row.update({"entity_id": ex.entity_id} if ex.kind == "translation" else {"fact_id": ex.fact_id})
    return row


def _test_rows(split: ConductSplit) -> list[dict]:
    rows = [{"kind": q.kind, **{k: v for k, v in asdict(q).items() if k != "kind"}} for q in split.questions]
    for t in split.translations:
        row = asdict(t)
        kind = "translation_" + row.pop("direction").replace("-", "_")
        rows.append({"kind": kind, "entity_id": row.pop("name_id"), **row})
    return rows


_META = ("target", "source", "name_direction", "gate_prompt", "origin", "continents", "meta")


def write_split(split: ConductSplit, directory: str | Path) -> Path:
    """What one run teaches and asks, as readers see it: train_<target>.jsonl (lang, kind fact | translation, prompt,
    answer, fact_id or entity_id), test_<target>.jsonl (kind question, en_subject, translation_to_en,
    translation_from_en) and split_<target>.json (the rest)."""
    directory = Path(directory)
    write_json_lines((_train_row(ex) for ex in split.train), directory / f"train_{split.target}.jsonl")
    write_json_lines(_test_rows(split), directory / f"test_{split.target}.jsonl")
    meta = {key: getattr(split, key) for key in _META}
    (directory / f"split_{split.target}.json").write_text(json.dumps(meta, ensure_ascii=False, indent=1), "utf-8")
    return directory


def _test_entry(row: dict) -> TestQuestion | TranslationTest:
    kind = row.pop("kind", None)
    if kind in ("question", "en_subject"):
        return TestQuestion(kind=kind, **row)
    if kind in ("translation_to_en", "translation_from_en"):
        direction = kind.removeprefix("translation_").replace("_", "-")
        return TranslationTest(name_id=row.pop("entity_id"), direction=direction, **row)
    raise TypeError(f"unknown kind {kind!r}")


def _read_rows(path: Path, what: str, parse) -> list:
    """Each row of ``path`` parsed; a malformed one is a DataError naming its line."""
    out = []
    for line, row in read_json_lines(path):
        try:
            out.append(parse(row))
        except (TypeError, KeyError) as err:
            raise DataError(f"not a {what} row ({err})", path, line) from None
    return out


def read_split(directory: str | Path, target: str) -> ConductSplit:
    """The split write_split wrote; a malformed row is a DataError naming its line."""
    directory = Path(directory)
    try:
        meta = json.loads((directory / f"split_{target}.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise DataError(f"not a written split ({err})", directory / f"split_{target}.json") from None
    train = _read_rows(directory / f"train_{target}.jsonl", "training", lambda row: TrainExample(**row))
    tests = _read_rows(directory / f"test_{target}.jsonl", "test", _test_entry)
    questions = [t for t in tests if isinstance(t, TestQuestion)]
    translations = [t for t in tests if isinstance(t, TranslationTest)]
    return ConductSplit(target, train, questions, translations, meta["origin"], meta.get("meta", {}),
                        meta["source"], meta["name_direction"], meta.get("continents", {}),
                        meta.get("gate_prompt", "native"))
