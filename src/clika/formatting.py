"""How numbers are written for people: one formatter for every table, report and message.

An undefined value or interval is written as a dash (never a crash formatting None, never a bare "nan"); chance level
and n are written beside a value where they change its meaning.
"""

from __future__ import annotations

import math

DASH = "—"


def _finite(x) -> bool:
    return x is not None and not (isinstance(x, float) and math.isnan(x))


CSV_SIGNIFICANT_DIGITS = 6  # the precision of every number in a CSV that clika writes


def csv_number(x) -> str:
    """A number as clika's CSV files write it: 6 significant digits ("0.166667"), "" when undefined.
    A reader who compares a CSV cell with its record compares it at this precision."""
    if not _finite(x):
        return ""
    return f"{x:.{CSV_SIGNIFICANT_DIGITS}g}" if isinstance(x, float) else str(x)


def format_number(x, spec: str = ".3f") -> str:
    return format(x, spec) if _finite(x) else DASH


def format_interval(low, high, spec: str = ".2f", signed: bool = False) -> str:
    """ "[0.31, 0.45]", or "" when the interval is withheld."""
    if not (_finite(low) and _finite(high)):
        return ""
    spec = ("+" + spec) if signed and not spec.startswith("+") else spec
    return f"[{format(low, spec)}, {format(high, spec)}]"


def format_value(value, low=None, high=None, *, spec: str = ".3f", ci_spec: str = ".2f", signed: bool = False,
                 n: int | None = None, chance: float | None = None) -> str:
    """ "0.412 [0.31, 0.52]" (+ " n=24, chance 0.25" when asked); a dash when undefined."""
    if not _finite(value):
        return DASH
    text = format(value, ("+" + spec) if signed else spec)
    if ci := format_interval(low, high, ci_spec, signed):
        text += " " + ci
    extras = [f"n={n}"] if n is not None else []
    if _finite(chance):
        extras.append(f"chance {chance:.2f}")
    return text + (f" ({', '.join(extras)})" if extras else "")


def format_record(rec, **kwargs) -> str:
    """A Record's value and interval ("—" for a missing or undefined record)."""
    return DASH if rec is None else format_value(rec.value, rec.ci_low, rec.ci_high, **kwargs)
