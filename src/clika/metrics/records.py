"""The one record type every metric is written as, read back, compared and rendered as (docs/metrics.md, "Records");
clika.metrics.record_io writes and reads it.

A Record's identity is explicit, never packed into strings:

    model, task, metric   what is measured of whom
    model_ref             None, or the other model of a difference model - model_ref
    strategy              None, or the training strategy (analysis/families.yaml) a value is about: of a base ->
                          derived pair, or of the pairs a pool averages (``model`` the strategy too, ``aggregate``
                          "mean of pairs")
    condition             None, or the protocol condition where it is not the paper's (CD: "names-both",
                          "gate-english", "remap+repair", joined by "+")
    lang                  the one language a value is about (None: an aggregate over languages)
    lang_ref              the other language of a pair: the pivot of RA / en-CO, the second language of CO, the
                          source S of home_transfer "S -> lang", the source language of CD
    aggregate             None, or how the value aggregates ("mean": over non-pivot languages, over source
                          languages, over (source, query) pairs)
    stratum               None, or the subgroup a value is restricted to ("overlap=none")

and so are its qualifiers: ``flags`` (clika.metrics.flags) say what changes how a value reads; ``note`` is prose for
people and is never parsed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields
from operator import attrgetter


@dataclass(kw_only=True)
class Record:
    """One value with its 95% interval; None where undefined (``note`` says why)."""

    model: str
    model_ref: str | None = None
    strategy: str | None = None
    task: str
    condition: str | None = None
    metric: str
    lang: str | None = None
    lang_ref: str | None = None
    aggregate: str | None = None
    stratum: str | None = None
    value: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    p_value: float | None = None
    n: int = 0
    item_set: str | None = None  # which items the value is computed on (item_set_id of their ids), where known
    chance: float | None = None
    flags: tuple[str, ...] = ()
    note: str | None = None

    def to_dict(self) -> dict:
        # Built field by field, not with dataclasses.asdict (which deep-copies): 50k records are written at once.
        d = {}
        for k in FIELDS:
            v = getattr(self, k)
            if k in FLOATS and isinstance(v, float) and math.isnan(v):
                v = None
            if k == "flags":  # left out when empty, a list when not
                if v:
                    d[k] = list(v)
            elif v is not None or k in _KEPT_NONE:
                d[k] = v
        return d

    @property
    def key(self) -> tuple:
        """What identifies a record: two records with the same key must agree."""
        return _key(self)

    @property
    def task_label(self) -> str:
        """The task with its condition: "fictional", "fictional+names-both"."""
        return task_label(self.task, self.condition)

    @property
    def where(self) -> str:
        """The record's place in words: "de", "de vs en", "mean", "mean of de" (for messages and tables)."""
        of = self.aggregate and self.aggregate + (" of" if self.lang else "")
        parts = [of, self.lang, self.lang_ref and f"vs {self.lang_ref}"]
        return " ".join(p for p in parts if p) or "all"


FIELDS = tuple(f.name for f in fields(Record))
FLOATS = ("value", "ci_low", "ci_high", "p_value", "chance")
_KEPT_NONE = ("model", "task", "metric", "lang", "value", "ci_low", "ci_high", "n")  # null when None, others left out
_key = attrgetter(*FIELDS[:FIELDS.index("stratum") + 1])


def task_label(task: str, condition: str | None) -> str:
    """A task and its protocol condition in one label for people (parsed back only by record_io's migration)."""
    return f"{task}+{condition}" if condition else task
