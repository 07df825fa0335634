"""The command line's conventions (clika/cli/app.py): --output/-o everywhere with the old --out as an
alias, lm-eval's underscore spellings, comma lists, case-insensitive language codes, --version, and
one-line errors that name the flag and say what exists, raised before any work is done."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from clika.metrics.record_io import read_records

CLIKA = str(Path(sys.executable).with_name("clika"))
MODELS = ("model_a", "model_b")
LANGS = ("en", "zh", "de")


def clika(*args, cwd: Path | None = None, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run([CLIKA, *map(str, args)], capture_output=True, text=True, cwd=cwd, timeout=timeout,
                          env={**os.environ, "COLUMNS": "200"})


def one_line_error(done: subprocess.CompletedProcess) -> str:
    assert done.returncode == 1, (done.stdout, done.stderr)
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and "Traceback" not in done.stderr, done.stderr
    return lines[0]


@pytest.fixture(scope="module")
def predictions(tmp_path_factory) -> Path:
    """clika's predictions.jsonl: two models, x_geo, three languages, 12 items."""
    folder = tmp_path_factory.mktemp("preds")
    rows = []
    for m, model in enumerate(MODELS):
        for lang_no, lang in enumerate(LANGS):
            for i in range(12):
                gold = i % 4
                choice = gold if (i + m + lang_no) % 3 else (gold + 1) % 4
                rows.append({"model": model, "task": "x_geo", "lang": lang, "item_id": str(i), "prediction": choice,
                             "gold": gold, "n_options": 4})
    (folder / "predictions.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return folder


def score(predictions: Path, *args) -> subprocess.CompletedProcess:
    return clika("score", "--predictions", predictions, "--layout", "clika", "--n-boot", "20", *args)


def test_version():
    import tomllib

    from clika import __version__

    done = clika("--version")
    assert done.returncode == 0 and done.stdout.strip() == f"clika {__version__}"
    # the version the package is built with (an editable install's metadata may lag behind it)
    pyproject = tomllib.loads((Path(__file__).resolve().parent.parent / "pyproject.toml").read_text("utf-8"))
    assert __version__ == pyproject["project"]["version"]


def test_the_command_line_loads_without_torch_or_transformers():
    # `clika --help` and `clika score` must not pay for the model stack (1.6 s for torch alone).
    code = ("import sys, clika.cli; heavy = sorted({'torch', 'transformers', 'peft', 'scipy.stats'} & set(sys.modules)); "
            "print(','.join(heavy))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and done.stdout.strip() == "", done.stdout + done.stderr


def test_out_and_output_and_o_write_the_same_records(predictions: Path, tmp_path: Path):
    paths = []
    for flag in ("--output", "--out", "-o"):
        path = tmp_path / f"via{flag.strip('-')}.jsonl"
        done = score(predictions, flag, path)
        assert done.returncode == 0, done.stderr
        paths.append(path)
    first = read_records(paths[0])
    assert first and all(read_records(p) == first for p in paths[1:])
    assert {r.model for r in first} == set(MODELS)


def test_model_alias_and_comma_lists_on_score(predictions: Path, tmp_path: Path):
    # --models a,b == --model a --model b; --langs takes a comma list
    via_list = tmp_path / "list.jsonl"
    via_repeat = tmp_path / "repeat.jsonl"
    assert score(predictions, "--models", ",".join(MODELS), "--langs", "en,zh", "-o", via_list).returncode == 0
    done = score(predictions, "--model", MODELS[0], "--model", MODELS[1], "--langs", "en", "--langs", "zh",
                 "-o", via_repeat)
    assert done.returncode == 0, done.stderr
    assert read_records(via_list) == read_records(via_repeat)
    only_b = tmp_path / "b.jsonl"
    assert score(predictions, "--model", MODELS[1], "-o", only_b).returncode == 0
    assert {r.model for r in read_records(only_b)} == {MODELS[1]}


def test_language_codes_are_case_insensitive(predictions: Path, tmp_path: Path):
    upper, lower = tmp_path / "upper.jsonl", tmp_path / "lower.jsonl"
    done = score(predictions, "--langs", "EN,ZH", "-o", upper)
    assert done.returncode == 0, done.stderr
    assert score(predictions, "--langs", "en,zh", "-o", lower).returncode == 0
    records = read_records(upper)
    assert records == read_records(lower)
    assert {r.lang for r in records if r.metric == "accuracy"} == {"en", "zh"}


def test_unknown_language_is_one_line_listing_the_datas_languages(predictions: Path, tmp_path: Path):
    line = one_line_error(score(predictions, "--langs", "en,xx", "-o", tmp_path / "x.jsonl"))
    assert line == f"error: --langs: unknown language(s) xx; the data has {' '.join(LANGS)}"
    assert not (tmp_path / "x.jsonl").exists()


def test_unknown_models_and_tasks_list_what_exists(predictions: Path, tmp_path: Path):
    line = one_line_error(score(predictions, "--models", f"{MODELS[0]},nope", "-o", tmp_path / "x.jsonl"))
    assert "'nope'" in line and all(m in line for m in MODELS)
    line = one_line_error(score(predictions, "--tasks", "x_nope", "-o", tmp_path / "x.jsonl"))
    assert "'x_nope'" in line and "x_geo" in line
    # run: an unknown task lists the registered ones
    from clika.tasks import builtin_registry

    line = one_line_error(clika("run", "--tasks", "x_nope", "--output", tmp_path / "run"))
    assert "unknown task 'x_nope'" in line and all(name in line for name in builtin_registry().specs)


def test_score_output_is_checked_before_reading(tmp_path: Path, predictions: Path):
    # The predictions do not even exist: an error about --output shows it was checked first.
    start = time.monotonic()
    line = one_line_error(clika("score", "--predictions", tmp_path / "absent", "--output", "/proc/x.jsonl"))
    assert "--output" in line and "/proc/x.jsonl" in line and "absent" not in line
    line = one_line_error(score(predictions, "--output", tmp_path / "metrics.txt"))
    assert line == f"error: {tmp_path / 'metrics.txt'}: --output: must end in .jsonl or .csv, got 'metrics.txt'"
    assert time.monotonic() - start < 60  # no bootstrap, no reading: only the start-up of two processes


def test_report_output_that_is_a_file_is_one_line(tmp_path: Path, predictions: Path):
    metrics = tmp_path / "metrics.jsonl"
    assert score(predictions, "-o", metrics).returncode == 0
    existing = tmp_path / "existing"
    existing.write_text("keep me", encoding="utf-8")
    line = one_line_error(clika("report", metrics, "--output", existing))
    assert line == f"error: {existing}: --output: is a file, not a folder"
    assert existing.read_text(encoding="utf-8") == "keep me"


def test_underscore_spellings_name_the_canonical_flag(tmp_path: Path):
    line = one_line_error(clika("run", "--batch_size", "0", "--output", tmp_path / "o"))
    assert "--batch-size" in line
    line = one_line_error(clika("run", "--model_args", "no-equals-sign", "--output", tmp_path / "o"))
    assert line == "error: --model-args: expected key=value, got 'no-equals-sign'"


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory) -> Path:
    from tests.backends.tiny_model import build_tiny_model

    return build_tiny_model(tmp_path_factory.mktemp("tiny") / "tiny-llama")


def test_underscore_spellings_run_the_tiny_model(tiny_model: Path, tmp_path: Path):
    out = tmp_path / "run"
    done = clika("run", "--model_args", f"pretrained={tiny_model},dtype=float32", "--batch_size", "3",
                 "--tasks", "mini_basic", "--langs", "EN,ZH", "--limit", "3", "--n_boot", "10", "--output_path", out)
    assert done.returncode == 0, done.stderr
    rows = [json.loads(line) for line in (out / "predictions.jsonl").read_text(encoding="utf-8").splitlines()]
    assert {(r["model"], r["lang"]) for r in rows} == {("tiny-llama", "en"), ("tiny-llama", "zh")}
    assert len(rows) == 2 * 3
    from clika.store import ResultsStore

    with ResultsStore(out / "results.sqlite", readonly=True) as store:
        (run,) = store.runs()
    assert run["args"]["batch_size"] == 3 and run["args"]["limit"] == 3
    assert run["args"]["model_args"]["pretrained"] == str(tiny_model)
