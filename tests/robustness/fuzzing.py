"""Shared pieces of the fuzz tests: record generators with a known outcome, file mangling, clean-error checks.

Every generator returns (record, expected) where expected is what a correct
loader must make of the record, or None when the record is definitely invalid
(a required field removed, a wrong type, a label out of range). A test writes
the records as a file, loads it, and then knows exactly what must happen: the
expected objects, or a ClikaError naming the file and the line of the first
invalid record. Nothing else (no other exception, no partial or altered load).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from clika.errors import ClikaError

FUZZ = settings(max_examples=40, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

# Text that exercises every script the loaders meet, plus JSON-hostile characters.
TEXT = st.text(alphabet=st.sampled_from(list("abcXYZ019 .,?'\"\\/{}[]:\téßü中文日本語Привет שלום مرحبا\u2028\x7f")),
               min_size=1, max_size=30)
# Values of every JSON type, for "wrong type" mutations.
WRONG_VALUES: dict[str, Any] = {
    "null": None, "bool": True, "float": 1.5, "list": [1, 2], "object": {"a": 1}, "string": "x", "int": 7,
}


def wrong_value(field_types: tuple[str, ...]) -> st.SearchStrategy[Any]:
    """A JSON value whose type is none of ``field_types`` (names from WRONG_VALUES)."""
    return st.sampled_from([v for name, v in WRONG_VALUES.items() if name not in field_types])


def mutate(draw: Any, record: dict[str, Any], rules: dict[str, tuple[str, ...]],
           optional: frozenset[str] = frozenset()) -> dict[str, Any]:
    """A definitely invalid copy of ``record``: one required field dropped, or a field given a wrong type.

    rules: field -> the JSON types that field accepts; optional: fields that may be absent.
    """
    key = draw(st.sampled_from(sorted(rules)))
    bad = dict(record)
    if key not in optional and draw(st.booleans()):
        del bad[key]
    else:
        bad[key] = draw(wrong_value(rules[key]))
    return bad


def with_extra_fields(draw: Any, record: dict[str, Any]) -> dict[str, Any]:
    """Unknown extra fields must be ignored, never change the result."""
    if draw(st.booleans()):
        return {**record, "zz_extra": draw(st.sampled_from([None, 1, "x", [1], {"k": "v"}]))}
    return record


def assert_clean_error(err: ClikaError, path: Path, line: int | None = None) -> None:
    """A user-facing error: one line, naming ``path`` (and ``line`` when given)."""
    text = str(err)
    assert "\n" not in text and "\r" not in text, text
    assert err.path is not None and Path(err.path) == Path(path), (err.path, path, text)
    assert str(path) in text
    if line is not None:
        assert err.line == line, (err.line, line, text)


def first_invalid_line(expected: list[Any]) -> int | None:
    """1-based line of the first record whose expected outcome is None (invalid)."""
    return next((n for n, e in enumerate(expected, start=1) if e is None), None)


def assert_cli_clean_failure(proc: Any) -> None:
    """The CLI's contract for bad input: exit 1, exactly one stderr line, no traceback."""
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert proc.returncode == 1, (proc.returncode, proc.stderr[-2000:])
    assert len(lines) == 1, proc.stderr[-2000:]
    assert "Traceback" not in proc.stderr and lines[0].startswith("error: "), lines
