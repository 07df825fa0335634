"""The names of the flags a record carries, and what each means (report/flags.py renders them).

A flag is set where the value is computed, from facts the computation knows, never read back out
of a note; notes are prose. ``flags_from_note`` exists only to migrate files written before
records had flags.
"""

from __future__ import annotations

from clika.items import PIVOT

FLAGS: dict[str, str] = {
    "dominant": "one option is chosen significantly more often than it is right: overlap (en-CO) is inflated",
    "unparseable": "more than UNPARSEABLE_WARN of the answers could not be read (counted wrong)",
    "chance": "the pivot-language accuracy is not above chance 1/k: RA and en-CO compare with a guesser",
    "undefined": "the metric has no value here (division by zero or too few items)",
    "interval": "the 95% interval is withheld or rests on part of the resamples",
    "missing": "items of the task have no prediction in this language",
    "partial": "a language the task expects has no predictions: left out of overall values, ranks and claim pools",
    "left_out": "items missing in one language were left out of the pair",
    "gate_failed": "the conductivity mastery gate failed: XRR is not measured",
}
UNPARSEABLE_WARN = 0.05  # a language with more unparseable answers than this is flagged


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
    elif metric == "unparseable_rate" and value is not None and value > UNPARSEABLE_WARN:
        out.append("unparseable")
    elif metric == "missing_items" and value:
        out.append("partial" if isinstance(n, (int, float)) and value >= n else "missing")
    elif metric == "accuracy" and row.get("lang") == PIVOT and value is not None and row.get("chance") not in (None, ""):
        low = row.get("ci_low")
        try:
            if float(low if low not in (None, "") else value) <= float(row["chance"]):
                out.append("chance")
        except (TypeError, ValueError):
            pass
    return out


__all__ = ["FLAGS", "PIVOT", "UNPARSEABLE_WARN", "flags_from_note", "interval_flags"]
