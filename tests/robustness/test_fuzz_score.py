"""Fuzzing `clika score`: the numbers it computes from arbitrary (well-formed) predictions,
including item sets that do not match across languages, are the hand-computed ones;
and every malformed input ends in a one-line error (library: ClikaError; CLI: exit 1,
one stderr line, no traceback).
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from clika import api
from clika.errors import ClikaError
from clika.items import LETTERS
from tests.robustness.fuzzing import FUZZ, assert_clean_error, assert_cli_clean_failure

CLIKA = str(Path(sys.executable).parent / "clika")
UPSTREAM_SUFFIX = "_res_bf16_add_simple_example.jsonl"

# One language's answers: item id -> (chosen option or None, gold option); x_geo has 4 options.
ANSWERS = st.dictionaries(st.integers(0, 11).map(lambda i: f"item{i}"),
                          st.tuples(st.one_of(st.none(), st.integers(0, 3)), st.integers(0, 3)),
                          min_size=1, max_size=12)


def _write_clika(path: Path, by_lang: dict[str, dict[str, tuple[int | None, int]]]) -> None:
    rows = [{"model": "m", "task": "x_geo", "lang": lang, "item_id": item_id, "prediction": choice, "gold": gold,
             "n_options": 4} for lang, answers in by_lang.items() for item_id, (choice, gold) in answers.items()]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")


def _write_upstream(root: Path, by_lang: dict[str, dict[str, tuple[int | None, int]]]) -> None:
    for lang, answers in by_lang.items():
        folder = root / "x_geo" / lang
        folder.mkdir(parents=True)
        rows = [{"id": i, "res": "unsure" if choice is None else f"{LETTERS[choice]}. text", "label": LETTERS[gold],
                 "uuid": item_id} for i, (item_id, (choice, gold)) in enumerate(answers.items())]
        (folder / f"m{UPSTREAM_SUFFIX}").write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")


def _expected(en: dict, other: dict) -> dict[str, Any]:
    """accuracy, ra and en_co of the other language, computed by hand from METRICS.md."""
    both = set(en) & set(other)
    right = lambda answers, ids: {i for i in ids if answers[i][0] is not None and answers[i][0] == answers[i][1]}  # noqa: E731
    c_en, c_l = right(en, both), right(other, both)
    p_en, p_l = (len(c_en) / len(both), len(c_l) / len(both)) if both else (math.nan, math.nan)
    union = c_en | c_l
    return {
        "accuracy": len(right(other, other)) / len(other),
        "ra": p_l / p_en if both and p_en > 0 else None,
        "en_co": len(c_en & c_l) / len(union) if union else None,
        "n_pair": len(both),
        "left_out": len(set(en) ^ set(other)),
    }


def _check(records: list, en: dict, other: dict) -> None:
    by_metric = {r.metric: r for r in records if r.lang == "zh"}
    want = _expected(en, other)
    assert by_metric["accuracy"].value == pytest.approx(want["accuracy"])
    assert by_metric["accuracy"].n == len(other)
    for metric in ("ra", "en_co"):
        rec = by_metric[metric]
        if want[metric] is None:
            assert rec.value is None and rec.note, rec
        else:
            assert rec.value == pytest.approx(want[metric]), (metric, rec, want)
        assert rec.n == want["n_pair"]
        # Items missing in one language are never dropped silently: the record says how many.
        if want["left_out"]:
            assert f"{want['left_out']} item(s) left out" in (rec.note or ""), rec
        else:
            assert "left out" not in (rec.note or "")


@FUZZ
@given(en=ANSWERS, zh=ANSWERS, layout=st.sampled_from(["clika", "clika-repo"]))
def test_score_matches_hand_computation_with_mismatched_ids(en: dict, zh: dict, layout: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        if layout == "clika":
            _write_clika(root / "predictions.jsonl", {"en": en, "zh": zh})
        else:
            _write_upstream(root, {"en": en, "zh": zh})
        result = api.score(api.ScoreOptions(root, layout=layout, n_boot=0))
    _check(result.records, en, zh)


@settings(max_examples=10, deadline=None, derandomize=True)
@given(en=ANSWERS, zh=ANSWERS)
def test_same_seed_same_intervals(en: dict, zh: dict) -> None:
    """METRICS.md: a fixed seed gives the same intervals for the same inputs, run after run."""
    with tempfile.TemporaryDirectory() as tmp:
        _write_clika(Path(tmp) / "predictions.jsonl", {"en": en, "zh": zh})
        opts = api.ScoreOptions(Path(tmp), layout="clika", n_boot=50, seed=3)
        first, second = (api.score(opts).records for _ in range(2))
    assert [r.to_dict() for r in first] == [r.to_dict() for r in second]


# Lines that break a predictions.jsonl in different ways; each must be named by file and line.
BAD_LINES = [
    b'{"model": "m", "task": "x_geo", "lang": "en", "item_id": "x", "prediction": 9, "gold": 0, "n_options": 4}',
    b'{"model": "m", "task": "x_geo", "lang": "en", "item_id": "x", "prediction": 0, "gold": "A", "n_options": 4}',
    b'{"model": "m", "task": "x_geo", "lang": "en", "item_id": "x", "prediction": 0, "gold": 0}',
    b'{"model": "m", "task": "x_geo", "lang": "en", "item_id": "x", "prediction": 0, "gold": 0, "n_options": 4, '
    b'"correct": false}',
    b'{"model": "m", "task": "x_geo", "lang": "en", "item_id": "x", "prediction": 0.5, "gold": 0, "n_options": 4}',
    "{\"model\": \"m\", \"task\": \"x_geo\", \"lang\": \"en\", \"item_id\": \"é\"".encode("latin-1"),
    b"\xff\xfe{\x00}\x00",
    b"[1, 2, 3]",
    b'{"model": "m", "task": "x_geo", "lang": "en", "item_id": "x", "prediction": NaN',
]


@FUZZ
@given(good=st.lists(st.tuples(st.sampled_from(["en", "zh"]), st.integers(0, 3)), max_size=6, unique=True),
       bad=st.sampled_from(BAD_LINES), position=st.integers(0, 6))
def test_score_names_the_bad_line(good: list, bad: bytes, position: int) -> None:
    lines = [json.dumps({"model": "m", "task": "x_geo", "lang": lang, "item_id": f"i{k}", "prediction": k % 4,
                         "gold": 0, "n_options": 4}).encode() for lang, k in good]
    position = min(position, len(lines))
    lines.insert(position, bad)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "predictions.jsonl"
        path.write_bytes(b"\n".join(lines) + b"\n")
        with pytest.raises(ClikaError) as info:
            api.score(api.ScoreOptions(path, layout="clika", n_boot=0, output=Path(tmp) / "m.jsonl"))
        assert_clean_error(info.value, path, position + 1)
        assert not (Path(tmp) / "m.jsonl").exists(), "a failed score must not leave a results file"


# -- the real CLI, a few cases -------------------------------------------------------

def _clika(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([CLIKA, *args], cwd=cwd, capture_output=True, text=True, timeout=120)


def test_cli_reports_left_out_items(tmp_path: Path) -> None:
    en = {"a": (0, 0), "b": (1, 1), "c": (2, 0)}
    zh = {"b": (1, 1), "c": (0, 0), "d": (3, 3)}
    _write_clika(tmp_path / "predictions.jsonl", {"en": en, "zh": zh})
    proc = _clika("score", "--predictions", str(tmp_path), "--layout", "clika", "--n-boot", "0",
                  "--out", str(tmp_path / "m.jsonl"), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    rows = {(r["metric"], r["lang"]): r for r in map(json.loads, (tmp_path / "m.jsonl").read_text().splitlines())}
    # both = {b, c}; correct en: {b}; correct zh: {b, c} -> en_co 1/2, ra (2/2)/(1/2) = 2; a and d left out.
    assert rows[("en_co", "zh")]["value"] == pytest.approx(0.5)
    assert rows[("ra", "zh")]["value"] == pytest.approx(2.0)
    assert "2 item(s) left out" in rows[("en_co", "zh")]["note"]


@pytest.mark.parametrize("case", ["bad-line", "latin-1", "utf-16", "no-such-folder", "bad-suffix", "bad-layout",
                                  "empty", "binary"])
def test_cli_bad_input_is_one_line(tmp_path: Path, case: str) -> None:
    preds = tmp_path / "predictions.jsonl"
    good = b'{"model": "m", "task": "x_geo", "lang": "en", "item_id": "1", "prediction": 0, "gold": 0, "n_options": 4}'
    content = {"bad-line": good + b"\n" + BAD_LINES[0], "latin-1": BAD_LINES[5],
               "utf-16": good.decode().encode("utf-16"), "empty": b"", "binary": bytes(range(256)) * 4}
    preds.write_bytes(content.get(case, good))
    source = str(tmp_path / "missing") if case == "no-such-folder" else str(preds)
    out = str(tmp_path / ("m.txt" if case == "bad-suffix" else "m.jsonl"))
    layout = "nonsense" if case == "bad-layout" else "clika"
    proc = _clika("score", "--predictions", source, "--layout", layout, "--n-boot", "0", "--out", out, cwd=tmp_path)
    assert_cli_clean_failure(proc)
    if case in ("bad-line", "latin-1", "utf-16", "binary"):
        assert f"{preds}:" in proc.stderr  # names the file and a line
    assert not (tmp_path / "m.jsonl").exists()
