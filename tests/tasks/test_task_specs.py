"""Tasks are declarative: a toy task from one YAML file in a temporary folder runs end to end on the
tiny test model; the built-in tasks are YAML too; bad specs are one-line errors naming file and line."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from clika.errors import ConfigError
from clika.items import Item
from clika.prompts import build_requests
from clika.tasks import builtin_registry, load_registry, parse_task

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "backends"))
from tiny_model import build_tiny_model  # noqa: E402

TOY = """\
# A toy task: which word is the odd one out, three options, its own prompt.
task: odd_one_out
stream: basic
n_options: 3
description: pick the word that does not belong
dataset: {format: jsonl, path: items.jsonl}
prompt:
  body: "{{ w.q }} {{ question }}\\n{{ options }}{{ w.a }}"
  example_answer: "{{ letter }}"
  separator: "\\n\\n"
  example: {question: "dog, cat, spoon", options: ["dog", "cat", "spoon"], gold: 2}
templates:
  plain:
    words:
      en: {instruction: "Find the odd one out.", q: "Words:", a: "Odd:"}
      de: {instruction: "Finde das unpassende Wort.", q: "Wörter:", a: "Unpassend:"}
"""


def _items(folder: Path) -> None:
    rows = []
    for lang, words in (("en", [("red, blue, chair", ["red", "blue", "chair"], 2),
                                ("apple, car, pear", ["apple", "car", "pear"], 1)]),
                        ("de", [("rot, blau, Stuhl", ["rot", "blau", "Stuhl"], 2),
                                ("Apfel, Auto, Birne", ["Apfel", "Auto", "Birne"], 1)])):
        for i, (q, opts, gold) in enumerate(words):
            rows.append({"task": "odd_one_out", "lang": lang, "id": str(i), "question": q, "options": opts,
                         "answer": gold})
    (folder / "items.jsonl").write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), "utf-8")


def test_a_toy_task_from_one_yaml_file_runs_end_to_end(tmp_path):
    tasks = tmp_path / "my_tasks"
    tasks.mkdir()
    (tasks / "odd_one_out.yaml").write_text(TOY, encoding="utf-8")
    _items(tasks)
    spec = load_registry([tasks])["odd_one_out"]
    item = Item("odd_one_out", "basic", "de", "0", "rot, blau, Stuhl", ("rot", "blau", "Stuhl"), 2)
    request = build_requests([item], "plain", "letter", load_registry([tasks]))[0]
    assert request.prompt == ("Finde das unpassende Wort.\nWörter: dog, cat, spoon\nA. dog\nB. cat\nC. spoon\n"
                              "Unpassend:C\n\nWörter: rot, blau, Stuhl\nA. rot\nB. blau\nC. Stuhl\nUnpassend:")
    assert spec.default_template == "plain" and spec.chance == pytest.approx(1 / 3)
    tiny = build_tiny_model(tmp_path / "tiny")
    clika = Path(sys.executable).parent / "clika"
    out = tmp_path / "out"
    proc = subprocess.run([str(clika), "run", "--model-args", f"pretrained={tiny}", "--include-path", str(tasks),
                           "--tasks", "odd_one_out", "--mode", "letter", "--n-boot", "20", "-o", str(out)],
                          capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    preds = [json.loads(x) for x in (out / "predictions.jsonl").read_text(encoding="utf-8").splitlines()]
    assert {(p["task"], p["lang"]) for p in preds} == {("odd_one_out", "en"), ("odd_one_out", "de")}
    assert all(p["n_options"] == 3 and len(p["scores"]) == 3 for p in preds)
    metrics = [json.loads(x) for x in (out / "metrics.jsonl").read_text(encoding="utf-8").splitlines()]
    acc = next(m for m in metrics if m["metric"] == "accuracy" and m["lang"] == "de")
    assert acc["chance"] == pytest.approx(1 / 3) and acc["n"] == 2
    assert "odd_one_out (plain prompt)" in proc.stdout


def test_the_built_in_tasks_are_yaml_and_nothing_registers_itself():
    names = builtin_registry().names()
    assert names[:4] == ["x_csqa", "x_copa", "x_geo", "x_name"] and {"mini_basic", "mini_factual"} <= set(names)
    for name in names:
        assert builtin_registry()[name].source.endswith(f"{name}.yaml")
    assert "odd_one_out" not in builtin_registry()  # a user's registry is a value, not a global


def test_the_default_template_follows_the_mode():
    # The mini set asks with the cloze-only qa prompt; letter and generate need listed options.
    spec = builtin_registry()["mini_factual"]
    assert spec.default_template == "qa" and "letter" not in spec.templates["qa"].modes
    assert [spec.default_template_for(m) for m in ("cloze", "cloze-norm", "letter", "generate")] == \
        ["qa", "qa", "paper", "paper"]
    assert builtin_registry()["x_geo"].default_template_for("cloze") == "paper"


def _spec(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "t.yaml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize("text, message, line", [
    ("task: t\nn_options: 1\ndataset: {format: jsonl, path: x.jsonl}\ntemplates: {p: {words: {default: {}}}}\n",
     "'n_options' must be an integer from 2", 2),
    ("task: t\nn_options: 2\ncolour: red\n", "unknown key(s) colour", 3),
    ("task: t\nn_options: 2\ndataset: {format: zip}\nprompt: {body: x, example_answer: y, separator: '', "
     "example: null}\ntemplates: {p: {words: {default: {}}}}\n", "dataset format must be one of", 3),
    ("task: t\nn_options: 2\ndataset: {format: jsonl, path: x.jsonl}\n"
     "prompt: {body: 'x', example_answer: 'y', separator: '', example: {question: q, options: [a, b, c], gold: 0}}\n"
     "templates: {p: {words: {default: {}}}}\n", "example has 3 options but the task has n_options 2", None),
    ("task: t\nn_options: 2\n  bad: [\n", "malformed YAML", None),
    ("include: nowhere.yaml\ntask: t\n", "included file 'nowhere.yaml' not found", 1),
])
def test_bad_specs_are_one_line_errors_naming_file_and_line(tmp_path, text, message, line):
    with pytest.raises(ConfigError, match=re.escape(message)) as err:
        parse_task(_spec(tmp_path, text))
    assert str(err.value).startswith(str(tmp_path / "t.yaml")) and "\n" not in str(err.value)
    if line is not None:
        assert err.value.line == line


def test_a_template_that_uses_an_undefined_word_is_a_config_error(tmp_path):
    path = _spec(tmp_path, "task: t\nn_options: 2\ndataset: {format: jsonl, path: x.jsonl}\n"
                           "prompt: {body: '{{ w.nope }}{{ question }}', example_answer: '{{ letter }}', "
                           "separator: '', example: null}\ntemplates: {p: {words: {default: {}}}}\n")
    registry = load_registry([path])
    item = Item("t", "basic", "en", "1", "q", ("a", "b"), 0)
    with pytest.raises(ConfigError, match="task t, template 'p'"):
        build_requests([item], "p", "letter", registry)
