"""`clika score` and `clika compare` agree on every model's own numbers, and compare/findings
survive a tiny file where most bootstrap resamples leave a metric undefined.

Both read clika's own predictions.jsonl layout, written here."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from clika.analysis.compare import comparison_rows
from clika.metrics.record_io import read_records

CLIKA = str(Path(sys.executable).with_name("clika"))
A, B = "llama_7b", "chinese_llama_7b"  # a registry pair (continued pretraining on zh): compared by default


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([CLIKA, *map(str, args)], capture_output=True, text=True, timeout=300,
                          env={**os.environ, "COLUMNS": "200"})


def write_predictions(folder: Path, right: dict[tuple[str, str], np.ndarray], gold: np.ndarray) -> Path:
    """clika's predictions.jsonl: model/lang -> which items it answered right (else the next option)."""
    folder.mkdir(parents=True, exist_ok=True)
    rows = []
    for (model, lang), ok in right.items():
        for i, (g, r) in enumerate(zip(gold.tolist(), ok.tolist())):
            choice = g if r else (g + 1) % 4
            rows.append({"model": model, "task": "x_geo", "lang": lang, "item_id": f"q{i:03d}", "prediction": choice,
                         "gold": g, "n_options": 4, "correct": bool(r)})
    path = folder / "predictions.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def comparisons(folder: Path) -> list[tuple]:
    """(difference, A's value, B's value) per row of a compare folder, read with the one record reader."""
    return comparison_rows(read_records(folder / "comparisons.jsonl"))


def test_score_and_compare_give_each_model_the_same_values_and_intervals(tmp_path: Path):
    rng = np.random.default_rng(11)
    n, langs = 60, ("en", "zh", "de")
    gold = rng.integers(0, 4, n)
    right = {(model, lang): rng.random(n) < p for model, p0 in ((A, 0.55), (B, 0.45))
             for lang, p in zip(langs, (p0, p0 - 0.1, p0 - 0.15))}
    write_predictions(tmp_path / "preds", right, gold)

    scored = run("score", "--predictions", tmp_path / "preds", "--layout", "clika", "--n-boot", "300", "--seed", "4",
                 "--output", tmp_path / "metrics.jsonl")
    assert scored.returncode == 0, scored.stderr
    compared = run("compare", "--predictions", tmp_path / "preds", "--layout", "clika", "--n-boot", "300",
                   "--seed", "4", "--output", tmp_path / "cmp")
    assert compared.returncode == 0, compared.stderr

    score = {(r.model, r.lang, r.metric): r for r in read_records(tmp_path / "metrics.jsonl")}
    rows = comparisons(tmp_path / "cmp")
    assert {(r.model_ref, r.model) for r, _, _ in rows} == {(A, B)}
    checked = set()
    for row, value_a, value_b in rows:
        for model, side in ((A, value_a), (B, value_b)):
            mine = score[(model, row.lang, row.metric)]
            got = (side.value, side.ci_low, side.ci_high)
            assert got == pytest.approx((mine.value, mine.ci_low, mine.ci_high), rel=1e-9, abs=1e-12), (row, mine)
            assert side.n == mine.n and side.item_set == mine.item_set == row.item_set
            checked.add((model, row.lang, row.metric))
    # every model, language and metric the two commands share was compared: accuracy everywhere,
    # RA and en-CO outside the pivot, and each with a defined interval on this data
    want = {(m, lang, "accuracy") for m in (A, B) for lang in langs}
    want |= {(m, lang, metric) for m in (A, B) for lang in langs[1:] for metric in ("ra", "en_co")}
    assert checked == want
    assert all(score[key].ci_low is not None for key in want)
    # and the delta is B minus A of those same values
    for row, value_a, value_b in rows:
        assert row.value == pytest.approx(value_b.value - value_a.value)


def test_compare_and_findings_on_a_tiny_file_where_english_is_right_once(tmp_path: Path):
    """8 items, en right on one: most resamples have no correct en answer, so RA is undefined there."""
    gold = np.array([0, 1, 2, 3, 0, 1, 2, 3])
    en_once = np.arange(8) == 0
    right = {(A, "en"): en_once, (A, "zh"): np.arange(8) % 2 == 0,
             (B, "en"): en_once, (B, "zh"): np.arange(8) < 5}
    write_predictions(tmp_path / "preds", right, gold)

    compared = run("compare", "--predictions", tmp_path / "preds", "--layout", "clika", "--n-boot", "200",
                   "--output", tmp_path / "cmp")
    assert compared.returncode == 0, compared.stderr
    assert "Traceback" not in compared.stderr
    rows = {(r.lang, r.metric): (r, a, b) for r, a, b in comparisons(tmp_path / "cmp")}
    assert set(rows) == {("en", "accuracy"), ("zh", "accuracy"), ("zh", "ra"), ("zh", "en_co")}
    assert rows[("en", "accuracy")][1].value == pytest.approx(en_once.mean())
    assert rows[("zh", "accuracy")][0].value == pytest.approx(right[(B, "zh")].mean() - right[(A, "zh")].mean())
    ra, _, ra_b = rows[("zh", "ra")]
    assert ra_b.value == pytest.approx(right[(B, "zh")].mean() / en_once.mean())
    assert ra.ci_low is None and "no interval" in ra.note and "interval" in ra.flags  # said why, not a crash or a made-up interval
    for name in ("comparisons.md", "strategy_summary.csv", "findings.md"):
        assert (tmp_path / "cmp" / name).is_file()

    found = run("findings", "--predictions", tmp_path / "preds", "--layout", "clika", "--n-boot", "200",
                "--output", tmp_path / "findings.md")
    assert found.returncode == 0, found.stderr
    text = (tmp_path / "findings.md").read_text(encoding="utf-8")
    assert "**Verdict:" in text and f"{2 * 2 * len(gold)} predictions of 2 models with complete coverage on x_geo" in text
