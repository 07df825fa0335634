"""`clika data validate` / `clika data show` through the real command line."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from clika.data.validate import Problem, validate_source

CLI = [sys.executable, "-c", "from clika.cli import main; main()"]


def clika(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([*CLI, *map(str, args)], capture_output=True, text=True, timeout=120)


def geo_record(i: int, lang: str = "en", answer: int = 0, options: int = 4) -> dict:
    return {"task": "x_geo", "lang": lang, "id": str(i), "question": f"q{i} {lang}",
            "options": [f"o{k}" for k in range(options)], "answer": answer}


def write_lines(path: Path, lines: list[str]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def two_languages(tmp_path: Path, zh_lines: list[str] | None = None) -> tuple[Path, Path]:
    en = write_lines(tmp_path / "items" / "en.jsonl", [json.dumps(geo_record(i)) for i in range(3)])
    zh = write_lines(tmp_path / "items" / "zh.jsonl",
                     zh_lines if zh_lines is not None else [json.dumps(geo_record(i, "zh")) for i in range(3)])
    return en, zh


def assert_one_problem(result: subprocess.CompletedProcess, prefix: str, fragment: str) -> None:
    assert result.returncode == 1, result
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(prefix) and fragment in lines[0], lines[0]
    assert "Traceback" not in result.stderr + result.stdout


def test_valid_folder_prints_counts_and_exits_0(tmp_path: Path):
    two_languages(tmp_path)
    result = clika("data", "validate", tmp_path / "items")
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert "6 items, no problems" in result.stdout
    row = next(ln for ln in result.stdout.splitlines() if "x_geo" in ln)
    assert [c for c in row.replace("│", " ").split()] == ["x_geo", "3", "3", "6"]


def test_bad_json(tmp_path: Path):
    lines = [json.dumps(geo_record(i, "zh")) for i in range(3)]
    lines[1] = lines[1][:-1]  # drop the closing brace
    _, zh = two_languages(tmp_path, lines)
    assert_one_problem(clika("data", "validate", tmp_path / "items"), f"{zh}:2: ", "invalid JSON")


def test_missing_field(tmp_path: Path):
    rec = geo_record(2, "zh")
    del rec["question"]
    _, zh = two_languages(tmp_path, [json.dumps(geo_record(i, "zh")) for i in range(2)] + [json.dumps(rec)])
    assert_one_problem(clika("data", "validate", tmp_path / "items"), f"{zh}:3: ", "missing field(s) 'question'")


def test_label_out_of_range(tmp_path: Path):
    en = write_lines(tmp_path / "one.jsonl", [json.dumps(geo_record(0)), json.dumps(geo_record(1, answer=4))])
    assert_one_problem(clika("data", "validate", en), f"{en}:2: ", "answer 4 is out of range for 4 options")


def test_invalid_utf8(tmp_path: Path):
    en, zh = two_languages(tmp_path)
    data = zh.read_bytes().split(b"\n")
    data[0] = data[0].replace(b"q0 zh", b"q0 \xc3\x28")  # a broken two-byte sequence
    zh.write_bytes(b"\n".join(data))
    assert_one_problem(clika("data", "validate", tmp_path / "items"), f"{zh}:1: ", "invalid UTF-8")


def test_language_missing_an_item(tmp_path: Path):
    en, zh = two_languages(tmp_path, [json.dumps(geo_record(i, "zh")) for i in (0, 2)])
    assert_one_problem(clika("data", "validate", tmp_path / "items"), f"{zh}: ",
                       f"x_geo/zh lacks item '1' (present in en at {en}:2)")


def test_language_missing_an_item_in_the_upstream_layout(tmp_path: Path, shared_data: Path):
    # A copy of two real x_geo files, with one item dropped from the zh one.
    for lang, drop in (("en", None), ("zh", 17)):
        src = shared_data / "x_geo" / lang / f"{lang}_geo_data.jsonl"
        lines = src.read_text(encoding="utf-8").splitlines()
        write_lines(tmp_path / "x_geo" / lang / src.name, [ln for i, ln in enumerate(lines) if i != drop])
    result = clika("data", "validate", tmp_path)
    assert_one_problem(result, f"{tmp_path / 'x_geo/zh/zh_geo_data.jsonl'}: ",
                       f"x_geo/zh lacks item '17' (present in en at {tmp_path / 'x_geo/en/en_geo_data.jsonl'}:18)")


def test_duplicates_and_option_counts_are_all_reported(tmp_path: Path):
    path = write_lines(tmp_path / "d.jsonl", [json.dumps(geo_record(0)), json.dumps(geo_record(0)),
                                              json.dumps(geo_record(1, options=3))])
    report = validate_source(path)
    assert report.problems == [
        Problem(str(path), 3, "x_geo items have 4 options, item '1' has 3"),
        Problem(str(path), 2, f"duplicate id '0' in x_geo/en (first at {path}:1)"),
    ]
    result = clika("data", "validate", path)
    assert result.returncode == 1 and result.stderr.splitlines() == [str(p) for p in report.problems]


def test_real_shared_data_has_one_error_and_known_warning_kinds(shared_data: Path):
    """The shared data: every item is readable and aligned (18800 items), but the fictional set's
    ZH training file contradicts its test files, which is an error (exit 1); the rest are
    warnings, summarised one line per kind."""
    from collections import Counter

    from clika import api
    from clika.data.validate import count_table

    result = clika("data", "validate", shared_data)
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    lines = result.stderr.splitlines()
    errors = [ln for ln in lines if not ln.startswith("warning: ")]
    zh_train = shared_data / "fictional" / "train" / "ZH.json"
    assert len(errors) == 1, errors
    assert errors[0].startswith(f"{zh_train}: inconsistent with the tests: ")
    assert "testZH.jsonl" in errors[0] and "remap=True" in errors[0]

    report = api.validate(api.ValidateOptions(shared_data))
    assert [str(p) for p in report.errors] == errors
    kinds = Counter(w.category for w in report.warnings)
    assert set(kinds) == {"duplicate option text", "empty option text", "conflicting fictional name",
                          "self-answering fictional question", "swapped fictional rows"}
    # one example line per kind, then "N x kind in all" where a kind has more than one
    warning_lines = [ln for ln in lines if ln.startswith("warning: ")]
    for kind, n in kinds.items():
        first = str(next(w for w in report.warnings if w.category == kind))
        assert f"warning: {first}" in warning_lines
        summary = [ln for ln in warning_lines if f" x {kind} in all" in ln]
        assert summary == ([f"warning: {n} x {kind} in all ({n - 1} more; --all-warnings lists them)"]
                           if n > 1 else [])
    assert len(warning_lines) == sum(1 if n == 1 else 2 for n in kinds.values())

    # every item is read and every language aligned: 4 tasks, x_csqa with 1000 items per language
    assert len(report.items) == 18800
    tasks, langs, counts = count_table(report.items)
    assert len(langs) == 10 and [counts.get(("x_csqa", lang)) for lang in langs] == [1000] * 10


def test_show_prints_counts_and_errors_are_one_line(tmp_path: Path, shared_data: Path):
    result = clika("data", "show", shared_data, "--task", "x_name", "--lang", "he")
    assert result.returncode == 0 and "180" in result.stdout
    missing = clika("data", "show", tmp_path / "absent")
    assert missing.returncode == 1 and len(missing.stderr.splitlines()) == 1
    assert missing.stderr.startswith(f"error: {tmp_path / 'absent'}: no such file or folder")


@pytest.mark.parametrize("source", ["builtin"])
def test_builtin_source_validates_when_present(source):
    report = validate_source(source)
    assert report.ok, [str(p) for p in report.problems]
    assert report.items
