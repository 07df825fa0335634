"""Reading JSON-lines files fast, with errors that name the file and line.

Every reader in clika.data goes through ``read_json_lines``: it decodes the whole file at once (one
``json.loads`` for all lines is several times faster than one call per line) and only when that fails
walks the lines one by one to find and name the bad one.

``on_problem`` lets ``clika data validate`` collect every problem instead of stopping at the first: it is
called with (path, line, message) and the bad line is skipped. Without it the first problem raises DataError.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from clika.errors import DataError

ProblemSink = Callable[[Path, int | None, str], None]


def raise_problem(path: Path, line: int | None, message: str) -> None:
    raise DataError(message, path, line)


def _decode_lines(path: Path, raw: bytes, on_problem: ProblemSink) -> list[str]:
    """The file's lines; a line with invalid UTF-8 is reported and left blank."""
    try:
        return raw.decode("utf-8").split("\n")
    except UnicodeDecodeError:
        pass
    lines = []
    for i, chunk in enumerate(raw.split(b"\n")):
        try:
            lines.append(chunk.decode("utf-8"))
        except UnicodeDecodeError as err:
            where = f"byte 0x{chunk[err.start]:02x} at column {err.start + 1}"
            on_problem(path, i + 1, f"invalid UTF-8 ({where}); the file must be UTF-8 encoded")
            lines.append("")
    return lines


def read_json_lines(path: Path, on_problem: ProblemSink = raise_problem) -> list[tuple[int, dict[str, Any]]]:
    """(line number, object) for every non-blank line of a JSONL file; a line that is not a JSON object,
    or not valid UTF-8, is reported through ``on_problem`` and skipped."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as err:
        raise DataError(f"cannot read file: {err.strerror or err}", path) from None
    numbered = [(i + 1, ln) for i, ln in enumerate(_decode_lines(path, raw, on_problem)) if ln.strip()]
    try:
        objs = json.loads("[" + ",".join(ln for _, ln in numbered) + "]")
    except json.JSONDecodeError:
        objs = None
    # A line such as `1, 2` parses inside the joined array but is not one value
    # per line, so the fast path is only trusted when the counts agree.
    if objs is not None and len(objs) == len(numbered) and all(type(o) is dict for o in objs):
        return [(n, o) for (n, _), o in zip(numbered, objs)]
    out: list[tuple[int, dict[str, Any]]] = []
    for n, ln in numbered:
        try:
            obj = json.loads(ln)
        except json.JSONDecodeError as err:
            on_problem(path, n, f"invalid JSON: {err.msg} (column {err.colno})")
            continue
        if type(obj) is not dict:
            on_problem(path, n, f"expected a JSON object, got {type(obj).__name__}")
            continue
        out.append((n, obj))
    return out


def write_json_lines(records: Iterable[dict[str, Any]], path: str | Path, compact: bool = False) -> Path:
    """Write one JSON object per line (UTF-8, non-ASCII kept readable, strict JSON: a NaN or infinity is an
    error here, not an invalid token in the file). compact: no spaces after separators (for files shipped
    inside the package)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    separators = (",", ":") if compact else None
    with path.open("w", encoding="utf-8") as fh:
        for rec in records:
            fh.write(json.dumps(rec, ensure_ascii=False, allow_nan=False, separators=separators) + "\n")
    return path
