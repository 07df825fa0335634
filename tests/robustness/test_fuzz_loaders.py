"""Property-based fuzzing of every loader: item JSONL, the upstream layout, predictions in
all three layouts, and the metrics files `clika report` reads.

The only acceptable outcomes: exactly the objects the records describe (checked
against an oracle built with the records), or a one-line ClikaError naming the
file and the line of the first bad record. Any other exception, a dropped or
altered record, or an accepted bad record fails the test.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from clika.errors import ClikaError
from clika.items import Item
from tests.robustness.formats import (
    ALL_FORMATS,
    ITEM_JSONL,
    PRED_CLIKA,
    PRED_LMEVAL,
    PRED_UPSTREAM,
    UPSTREAM_GEO,
    Format,
)
from tests.robustness.fuzzing import FUZZ, assert_clean_error, first_invalid_line, mutate

IDS = [f.name for f in ALL_FORMATS]


def _comparable(objs: list[Any]) -> list[Any]:
    # Item.meta is excluded from Item equality; it carries e.g. original_lang, so compare it too.
    return [(o, o.meta) if isinstance(o, Item) else o for o in objs]


def _draw_file(draw: Any, fmt: Format, n: int, bad_share: int) -> tuple[list[dict], list[Any]]:
    records, expected = [], []
    for index in range(n):
        rec, exp = fmt.record(draw, index)
        if bad_share and draw(st.integers(0, bad_share - 1)) == 0:
            rec, exp = mutate(draw, rec, fmt.rules, fmt.optional), None
        records.append(rec)
        expected.append(exp)
    return records, expected


def _dumps(records: list[dict], ascii_only: bool) -> str:
    return "".join(json.dumps(r, ensure_ascii=ascii_only) + "\n" for r in records)


def _load(fmt: Format, root: Path, content: bytes) -> tuple[Path, list[Any] | ClikaError]:
    path = root / fmt.relpath
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    try:
        return path, fmt.load(root)
    except ClikaError as err:  # anything else escapes and fails the test
        return path, err


@pytest.mark.parametrize("fmt", ALL_FORMATS, ids=IDS)
@FUZZ
@given(data=st.data())
def test_records_load_exactly_or_fail_at_first_bad_line(fmt: Format, data: st.DataObject) -> None:
    records, expected = _draw_file(data.draw, fmt, data.draw(st.integers(1, 6)), bad_share=4)
    text = _dumps(records, ascii_only=data.draw(st.booleans()))
    with tempfile.TemporaryDirectory() as tmp:
        path, outcome = _load(fmt, Path(tmp), text.encode("utf-8"))
    bad_line = first_invalid_line(expected)
    if isinstance(outcome, ClikaError):
        assert bad_line is not None, f"a valid file was rejected: {outcome}"
        assert_clean_error(outcome, path, bad_line)
    else:
        assert bad_line is None, f"line {bad_line} is invalid ({records[bad_line - 1]}) but was accepted"
        assert _comparable(outcome) == _comparable(expected)


@pytest.mark.parametrize("fmt", ALL_FORMATS, ids=IDS)
@FUZZ
@given(data=st.data())
def test_truncated_line_is_named(fmt: Format, data: st.DataObject) -> None:
    """A line cut short (a killed writer, a partial copy) is reported at its own line number."""
    records, _ = _draw_file(data.draw, fmt, data.draw(st.integers(1, 5)), bad_share=0)
    lines = [json.dumps(r, ensure_ascii=False).encode("utf-8") for r in records]
    cut_line = data.draw(st.integers(0, len(lines) - 1))
    # Any proper prefix of a JSON object is invalid JSON (or, cut inside a character, invalid UTF-8).
    lines[cut_line] = lines[cut_line][: data.draw(st.integers(1, len(lines[cut_line]) - 1))]
    with tempfile.TemporaryDirectory() as tmp:
        path, outcome = _load(fmt, Path(tmp), b"\n".join(lines) + b"\n")
    assert isinstance(outcome, ClikaError), "a truncated line was accepted"
    assert_clean_error(outcome, path, cut_line + 1)


@pytest.mark.parametrize("fmt", ALL_FORMATS, ids=IDS)
@FUZZ
@given(data=st.data(), encoding=st.sampled_from(["latin-1", "utf-16", "utf-16-le", "utf-8-sig"]))
def test_wrong_encodings(fmt: Format, data: st.DataObject, encoding: str) -> None:
    records, expected = _draw_file(data.draw, fmt, data.draw(st.integers(1, 5)), bad_share=0)
    text = _dumps(records, ascii_only=False)
    # latin-1 cannot hold CJK; written as \\uXXXX escapes those still mean the same JSON string.
    content = text.encode(encoding, errors="backslashreplace")
    with tempfile.TemporaryDirectory() as tmp:
        path, outcome = _load(fmt, Path(tmp), content)
    if encoding == "latin-1":
        # Exactly the lines holding U+0080..U+00FF are not UTF-8 any more.
        bad = [n for n, ln in enumerate(text.split("\n"), start=1) if any(0x80 <= ord(c) <= 0xFF for c in ln)]
        if not bad:
            assert _comparable(outcome) == _comparable(expected)
            return
        assert isinstance(outcome, ClikaError), "latin-1 bytes were read as if they were UTF-8"
        assert_clean_error(outcome, path, bad[0])
    elif encoding == "utf-8-sig" and not isinstance(outcome, ClikaError):
        assert _comparable(outcome) == _comparable(expected)  # a BOM may be skipped, but nothing else changes
    else:
        assert isinstance(outcome, ClikaError), f"{encoding} text was accepted"
        assert_clean_error(outcome, path)


@pytest.mark.parametrize("fmt", ALL_FORMATS, ids=IDS)
@FUZZ
@given(content=st.one_of(st.binary(max_size=400),
                         st.lists(st.sampled_from([b"{}", b"[]", b"null", b"1, 2", b"{\"a\":", b"\xff\xfe", b"\x00",
                                                   b"NaN", b"\"x\"", b"{\"res\": \"A\"}", b"  ", b"\r"]),
                                  max_size=6).map(b"\n".join)))
def test_random_bytes(fmt: Format, content: bytes) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path, outcome = _load(fmt, Path(tmp), content)
    if isinstance(outcome, ClikaError):
        assert_clean_error(outcome, path)
    else:  # only blank content can be a correct load: nothing in it describes a record
        assert outcome == [] and not content.strip(), (content, outcome)


@pytest.mark.parametrize("fmt", [ITEM_JSONL, UPSTREAM_GEO, PRED_CLIKA, PRED_UPSTREAM], ids=lambda f: f.name)
def test_huge_line_loads_exactly(fmt: Format) -> None:
    """A 3.3-million-character line (a long passage, a rambling generation) is data, not an error."""
    huge = "Привет, 中文 " * 300_000
    records, expected = [], []
    for index in range(3):
        rec, exp = fmt.record(_fixed_draw, index)
        records.append(rec)
        expected.append(exp)
    field = {"item-jsonl": "question", "upstream-x_geo": "questions", "predictions-clika": "raw",
             "predictions-clika-repo": "res"}[fmt.name]
    records[1][field] = "A " + huge
    with tempfile.TemporaryDirectory() as tmp:
        _, outcome = _load(fmt, Path(tmp), _dumps(records, ascii_only=False).encode("utf-8"))
    assert not isinstance(outcome, ClikaError), outcome
    assert len(outcome) == 3
    assert (outcome[1].question if isinstance(outcome[1], Item) else outcome[1].raw) == "A " + huge
    assert _comparable([outcome[0], outcome[2]]) == _comparable([expected[0], expected[2]])


def _fixed_draw(strategy: st.SearchStrategy[Any]) -> Any:
    """A deterministic 'draw' for hand-built examples: the strategy's simplest value."""
    from hypothesis import find

    return find(strategy, lambda _: True)


@pytest.mark.parametrize("fmt", [PRED_UPSTREAM, PRED_LMEVAL, PRED_CLIKA], ids=lambda f: f.name)
def test_duplicate_prediction_is_named(fmt: Format) -> None:
    """Two answers for one item would be counted twice: the second one's line is named."""
    records = [fmt.record(_fixed_draw, index)[0] for index in range(3)]
    id_field = {"predictions-clika-repo": "uuid", "predictions-lm-eval": "doc", "predictions-clika": "item_id"}[fmt.name]
    records[2][id_field] = records[0][id_field]
    with tempfile.TemporaryDirectory() as tmp:
        path, outcome = _load(fmt, Path(tmp), _dumps(records, ascii_only=True).encode("utf-8"))
    assert isinstance(outcome, ClikaError), "a duplicated prediction was accepted"
    assert_clean_error(outcome, path, 3)
    assert "duplicate" in str(outcome)
