"""The flags a record carries, what each means, the one threshold of each, and which values each qualifies.

A flag is set where the value is computed, never read back out of a note (notes are prose; ``flags_from_note`` only
migrates files written before records had flags). It is raised on the record of its diagnostic (``SOURCE``) and
carried by every value it qualifies (``qualify``), so a filter on a value's own ``flags`` finds it:
- dominant: RA, en-CO, CO, RankC of a language that is flagged, or whose pivot or other language is; a mean over
  languages when any averaged language or the pivot is;
- unparseable: every PF/CT value computed over such a language's answers (its accuracy too);
- partial: every record of the (model, task) but the other missing_items records: a language the task expects has no
  predictions, or fewer than its item file has items.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from contextlib import suppress

from clika.items import PIVOT
from clika.metrics.records import Record
from clika.metrics.registry import lookup

# More than this share of a language's answers unreadable (counted wrong) flags the language, everywhere. 5%, not
# 20%: an unreadable answer lowers accuracy by up to the share, and 5 points is already about the half-width of a 95%
# interval on 200-1,000 items; above it the loss is not within the noise.
UNPARSEABLE_FLAG = 0.05

FLAGS: dict[str, str] = {
    "dominant": "one option is chosen significantly more often than it is right: overlap (en-CO) is inflated",
    "unparseable": f"more than {UNPARSEABLE_FLAG:.0%} of the answers could not be read (counted wrong)",
    "chance": "the pivot-language accuracy is not above chance 1/k: RA and en-CO compare with a guesser",
    "undefined": "the metric has no value here (division by zero or too few items)",
    "interval": "the 95% interval is withheld or rests on part of the resamples",
    "missing": "items of the task have no prediction in this language",
    "partial": "a language the task expects has no predictions, or fewer than its item file has items: left out "
               "of overall values, ranks and claim pools",
    "left_out": "items missing in one language were left out of the pair",
    "gate_failed": "the conductivity mastery gate failed: XRR is not measured",
}
# The diagnostic record on which each qualifying flag is raised (the one a report lists it from).
SOURCE = {"dominant": "dominant_option_flag", "unparseable": "unparseable_rate", "partial": "missing_items",
          "missing": "missing_items"}
# The scopes of the values a per-language flag qualifies: a dominant option inflates what compares answers across
# languages; unreadable answers lower every value counted over them.
QUALIFIES = {"dominant": ("pivot", "items", "pair"), "unparseable": ("lang", "pivot", "items", "pair")}


def unparseable(rate: float | None) -> bool:
    """The unparseable rule: more than UNPARSEABLE_FLAG of the answers could not be read."""
    return rate is not None and rate > UNPARSEABLE_FLAG


def interval_flags(value, withheld: bool, partial: bool) -> tuple[str, ...]:
    """The flags of a value and its interval: undefined, or an interval withheld / from part of the resamples."""
    if value is None:
        return ("undefined",)
    return ("interval",) if withheld or partial else ()


def flags_from_note(row: dict) -> list[str]:
    """Flags of a record (a dict) written before records had flags: the one place a note is read."""
    metric, note, n = row["metric"], row.get("note") or "", row.get("n")
    try:
        value = None if row.get("value") in (None, "") else float(row["value"])
    except (TypeError, ValueError):  # the reader reports the bad value with its line
        return []
    out = []
    if value is None:
        out.append("gate_failed" if "gate failed" in note else "undefined")
    elif "interval" in note:
        out.append("interval")
    if "left out" in note:
        out.append("left_out")
    if metric == "dominant_option_flag" and value == 1.0:
        out.append("dominant")
    elif metric == "unparseable_rate" and unparseable(value):
        out.append("unparseable")
    elif metric == "missing_items" and value:
        out.append("partial" if isinstance(n, (int, float)) and value >= n else "missing")
    elif (metric == "accuracy" and row.get("lang") == PIVOT and value is not None
          and row.get("chance") not in (None, "")):
        low = row.get("ci_low")
        with suppress(TypeError, ValueError):
            if float(low if low not in (None, "") else value) <= float(row["chance"]):
                out.append("chance")
    return out


def qualify(records: Iterable[Record]) -> list[Record]:
    """The records, each value carrying the dominant, unparseable and partial flags that qualify it (set in place)."""
    records = list(records)
    raised: dict[tuple, set[str | None]] = defaultdict(set)  # (model, task, condition, kind) -> languages
    averaged: dict[tuple, set[str]] = defaultdict(set)  # what a mean is taken over: the languages with a value
    for r in records:
        if r.aggregate is None and r.stratum is None:
            for kind in r.flags:
                if SOURCE.get(kind) == r.metric:
                    raised[(r.model, r.task, r.condition, kind)].add(r.lang)
        if r.aggregate is None and r.lang is not None and r.value is not None:
            averaged[(r.model, r.task, r.condition, r.metric, r.lang_ref, r.stratum)].add(r.lang)
    if not raised:
        return records
    for r in records:
        # on missing_items "partial" names the language that makes the cell partial, so it is not spread there
        partial = (r.model, r.task, r.condition, "partial") in raised and r.metric != SOURCE["partial"]
        add = ["partial"] if partial else []
        defn = lookup(r.metric)
        for kind, scopes in QUALIFIES.items():
            langs = raised.get((r.model, r.task, r.condition, kind))
            if not langs or defn is None or defn.scope not in scopes:
                continue
            over = {r.lang, r.lang_ref} - {None}
            if r.aggregate is not None and r.lang is None:
                over |= averaged[(r.model, r.task, r.condition, r.metric, r.lang_ref, r.stratum)]
            if over & langs:
                add.append(kind)
        if add:
            r.flags = tuple(dict.fromkeys((*r.flags, *add)))
    return records
