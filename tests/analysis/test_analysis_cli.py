"""`clika compare` and `clika findings` on the real shared predictions, and their one-line errors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from clika.analysis.compare import row_test
from clika.metrics.record_io import read_records


def _clika(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", "from clika.cli import main; main()", *args],
                          capture_output=True, text=True, timeout=120)


def test_compare_registry_pairs_on_shared_data(shared_data: Path, tmp_path: Path):
    out = tmp_path / "cmp"
    run = _clika("compare", "--predictions", str(shared_data), "--tasks", "x_geo", "--n-boot", "200", "--output", str(out))
    assert run.returncode == 0, run.stderr
    everything = read_records(out / "comparisons.jsonl")  # the one record reader reads a comparison
    rows = [r for r in everything if r.model_ref is not None]
    pairs = {(r.model_ref, r.model) for r in rows}
    assert len(pairs) == 29 and ("llama2_13b", "LeoLM_leo_hessianai_13b") in pairs
    # per pair: 10 accuracy rows + 9 ra + 9 en_co on one task, and both models' own values beside each
    assert len(rows) == 29 * 28 and len(everything) == 3 * len(rows)
    leo = {(r.lang, r.metric): r for r in rows if r.model == "LeoLM_leo_hessianai_13b"}
    assert leo[("de", "accuracy")].n == 200 and row_test("accuracy") == "mcnemar_exact"
    assert leo[("de", "accuracy")].strategy == "continued_pretraining"
    for r in rows:
        if r.value is not None and r.ci_low is not None:
            assert r.ci_low <= r.value + 1e-12 and r.value <= r.ci_high + 1e-12
    summary = read_records(out / "strategy_summary.csv")
    zh = [s for s in summary if (s.strategy, s.lang, s.metric, s.stratum, s.task)
          == ("continued_pretraining", "zh", "ra", "target", "all")]
    assert len(zh) == 1 and zh[0].note.startswith("6 pairs: ") and zh[0].aggregate == "mean of pairs"
    assert "## llama_7b -> chinese_llama_7b (continued_pretraining)" in (out / "comparisons.md").read_text(encoding="utf-8")
    assert "**Verdict:" in (out / "findings.md").read_text(encoding="utf-8")


def test_compare_one_pair_matches_hand_count(shared_data: Path, tmp_path: Path):
    """The accuracy delta of one pair equals the difference of first-character-correct counts, read by hand here."""
    a, b = "llama2_7b", "llama2_7b_chat"
    out = tmp_path / "one"
    run = _clika("compare", "--predictions", str(shared_data), "--tasks", "x_name", "--langs", "en,zh",
                 "--pair", f"{a}:{b}", "--n-boot", "100", "--output", str(out))
    assert run.returncode == 0, run.stderr
    rows = read_records(out / "comparisons.jsonl")
    got = next(r for r in rows if r.lang == "zh" and r.metric == "accuracy" and r.model_ref == a)

    def n_correct(model: str) -> int:
        path = shared_data / "x_name" / "zh" / f"{model}_res_bf16_add_simple_example.jsonl"
        recs = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
        return sum(r["res"].strip()[:1] == r["label"].strip() for r in recs)

    assert got.value == pytest.approx((n_correct(b) - n_correct(a)) / got.n)


def test_findings_document_states_its_command(tmp_path: Path):
    doc = Path(__file__).resolve().parents[2] / "docs" / "findings.md"
    if not doc.is_file():
        pytest.skip("docs/findings.md not generated yet")
    line = doc.read_text(encoding="utf-8").splitlines()[2]
    command = line.split("`")[1]  # the command that remakes it, as the README gives it (-o for --output)
    assert command.startswith("clika findings --predictions ../shared/clika-data") and command.endswith(
        "--output docs/findings.md")
    readme = (doc.parents[1] / "README.md").read_text(encoding="utf-8")
    assert command.replace("--output", "-o") in readme


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["compare", "--output", "X"], "nothing to compare"),
        (["compare", "--predictions", "{data}", "--tasks", "x_geo", "--pair", "llama_7b:nobody", "--output", "X"], "no predictions"),
        (["compare", "--predictions", "{data}", "--layout", "csv", "--output", "X"], "unknown --layout"),
        (["compare", "--predictions", "{data}", "--registry", "{bad}", "--output", "X"], "unknown strategy"),
    ],
)
def test_bad_input_is_one_line_exit_1(shared_data: Path, tmp_path: Path, args: list[str], message: str):
    bad = tmp_path / "bad.yaml"
    bad.write_text("models:\n  x: {family: f, strategy: magic}\n", encoding="utf-8")
    args = [a.replace("{data}", str(shared_data)).replace("{bad}", str(bad)).replace("X", str(tmp_path / "o")) for a in args]
    run = _clika(*args)
    assert run.returncode == 1
    assert message in run.stderr and len(run.stderr.strip().splitlines()) == 1 and "Traceback" not in run.stderr


def test_report_html_includes_a_compare_folder(shared_data: Path, tmp_path: Path):
    """`clika report --html --comparisons DIR` puts the comparisons and findings of `clika compare` in the page."""
    cmp_dir, metrics, report = tmp_path / "cmp", tmp_path / "m.jsonl", tmp_path / "report"
    pair = "llama2_7b:llama2_7b_chat"
    run = _clika("compare", "--predictions", str(shared_data), "--tasks", "x_name", "--langs", "en,zh",
                 "--pair", pair, "--n-boot", "50", "--output", str(cmp_dir))
    assert run.returncode == 0, run.stderr
    run = _clika("score", "--predictions", str(shared_data), "--tasks", "x_name", "--langs", "en,zh",
                 "--model", "llama2_7b", "--model", "llama2_7b_chat", "--n-boot", "50", "--out", str(metrics))
    assert run.returncode == 0, run.stderr
    run = _clika("report", str(metrics), "--output", str(report), "--html", "--comparisons", str(cmp_dir))
    assert run.returncode == 0, run.stderr
    page = (report / "report.html").read_text(encoding="utf-8")
    assert "llama2_7b_chat" in page and "mcnemar" in page.lower()
    assert 'title="verdict">' in page and "**Verdict" not in page and "<pre" not in page  # findings as HTML

    bad = _clika("report", str(metrics), "--output", str(report), "--html", "--comparisons", str(tmp_path))
    assert bad.returncode == 1 and bad.stderr.count("\n") == 1 and "comparisons.jsonl" in bad.stderr
