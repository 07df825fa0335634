"""The one data model every stage passes around: Item, and the language conventions.

An Item is one multiple-choice question in one language. Items of one task are parallel across languages: the same
``item_id`` names the same question in every language (this is what CT metrics compare on).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from clika.errors import ConfigError

# English is the pivot; order is the paper's.
LANGS: tuple[str, ...] = ("en", "zh", "ja", "fr", "de", "it", "ru", "pl", "he", "ar")
PIVOT = "en"
LETTERS = "ABCDEFGHIJ"


def lang_order_key(lang: str) -> tuple[int, str]:
    """Sort key: the paper's language order first, then other codes alphabetically, then aggregate labels such as
    "avg" last."""
    return (LANGS.index(lang) if lang in LANGS else len(LANGS) + int(lang == "avg"), lang)


def ordered_langs(langs) -> list[str]:
    """Distinct languages in the paper's order (see lang_order_key)."""
    return sorted(set(langs), key=lang_order_key)


def content_hash(task: str, lang: str, question: str, options, gold: int, meta: dict) -> str:
    """Identifies an item's content: the results store keys on it, so editing an item's
    question, options, gold or meta (but keeping its id) means it is scored again."""
    fields = [task, lang, question, list(options), gold, meta]
    blob = json.dumps(fields, ensure_ascii=False, sort_keys=True, default=str)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()[:24]


@dataclass(frozen=True)
class Item:
    """One multiple-choice question in one language."""

    task: str
    stream: str
    lang: str
    item_id: str
    question: str  # for x_copa, the premise
    options: tuple[str, ...]  # option i is letter LETTERS[i]
    gold: int  # index of the correct option
    # task-specific extras, e.g. {"original_lang": "ar"} for the factual stream, {"copa_question": "cause"} for x_copa
    meta: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)
    source: str = field(default="", compare=False)  # "path:line" the item was read from (for error messages)

    @property
    def n_options(self) -> int:
        return len(self.options)

    @property
    def gold_letter(self) -> str:
        return LETTERS[self.gold]

    @property
    def content_hash(self) -> str:
        return content_hash(self.task, self.lang, self.question, self.options, self.gold, self.meta)


def check_langs(langs, available, *, pivot: str = PIVOT, flag: str = "--langs") -> list[str] | None:
    """The requested languages, lower-cased and checked against those the data has; None means "all". Unknown codes
    and a missing pivot (RA and en-CO are relative to it) are one-line ConfigErrors that say what is available."""
    chosen = list(dict.fromkeys(code.strip().lower() for code in langs or () if code.strip()))
    if not chosen:
        return None
    have = set(available)
    unknown = [code for code in chosen if code not in have]
    if unknown:
        raise ConfigError(f"{flag}: unknown language(s) {', '.join(unknown)}; "
                          f"the data has {' '.join(ordered_langs(have)) or 'none'}")
    if pivot not in chosen:
        raise ConfigError(f"{flag} must include the pivot language {pivot!r} (RA and en-CO are relative to it)")
    return chosen
