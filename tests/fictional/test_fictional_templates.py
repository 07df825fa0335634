"""Held-out question frames and gate prompts: every question a run is scored on uses a frame that
no training prompt uses, in every language (issue 23, item 3), and the English gate prompt is
held out too (item 7)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from clika.cli import app
from clika.errors import ConfigError
from clika.fictional.dataset import read_split, write_split
from clika.fictional.generator import generate
from clika.fictional.templates import (
    ATTRIBUTES,
    GATE_PROMPTS,
    LANGUAGE_NAMES,
    NATIVE_NAME_PROMPTS,
    TRAIN_TRANSLATION_PROMPTS,
    gate_name_prompt,
    translation_prompt,
)  # fmt: skip
from clika.items import LANGS


def _rows(path: Path) -> list[dict]:
    return [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines()]


@pytest.mark.parametrize("attribute", sorted(ATTRIBUTES))
def test_every_language_has_one_held_out_frame_no_training_question_uses(attribute):
    tpl = ATTRIBUTES[attribute]
    assert set(tpl.held_out) == set(tpl.questions) == set(LANGS)
    taught = {q for lang in LANGS for q in tpl.questions[lang]}
    for lang, frame in tpl.held_out.items():
        assert frame.count("{name}") == 1 and frame not in taught, (lang, frame)
        # not a taught question with something added around it either
        assert not any(q.replace("{name}", "") in frame for q in tpl.questions[lang]), (lang, frame)


def test_gate_name_prompts_are_held_out_in_both_conditions():
    taught = {translation_prompt("X", s, t, p) for s in LANGS for t in LANGS if s != t
              for p in TRAIN_TRANSLATION_PROMPTS}  # fmt: skip
    for src in LANGS:
        for tgt in LANGS:
            if src == tgt:
                continue
            native, english = (gate_name_prompt("X", src, tgt, g) for g in GATE_PROMPTS)
            assert native not in taught and english not in taught
            assert english == NATIVE_NAME_PROMPTS["en"][1].format(name="X", tgt=LANGUAGE_NAMES[tgt])
    with pytest.raises(ConfigError, match="gate prompt"):
        gate_name_prompt("X", "de", "en", "german")


def test_english_gate_prompt_asks_names_in_english_and_is_recorded():
    fset = generate(20, ("de",), seed=1)
    native, english = fset.split("de"), fset.split("de", gate_prompt="english")
    assert native.train == english.train and native.questions == english.questions  # only the name tests differ
    to_en = [t for t in english.translations if t.direction == "to-en"]
    assert to_en and all(t.prompt == f"What is the place {t.source} called in English?" for t in to_en)
    assert all(t.prompt.startswith("Wie heißt der Ort") for t in native.translations if t.direction == "to-en")
    assert {t.prompt for t in english.translations}.isdisjoint(ex.prompt for ex in english.train)
    assert english.gate_prompt == "english" and "gate_prompt=english" in english.origin
    with pytest.raises(ConfigError, match="gate prompt"):
        fset.split("de", gate_prompt="german")


def test_gate_prompt_survives_write_and_read(tmp_path):
    split = generate(12, ("zh",), seed=0, n_continents=3).split("zh", gate_prompt="english")
    again = read_split(write_split(split, tmp_path), "zh")
    assert again.gate_prompt == "english" and again.translations == split.translations


def test_generated_files_score_no_question_in_a_trained_frame(tmp_path):
    """`clika fictional generate --facts 120 --seed 0 --langs de,zh`: no scored question's frame (its
    prompt with the subject replaced by a placeholder) equals a training prompt's frame, in any language."""
    out = tmp_path / "set"
    result = CliRunner().invoke(app, ["fictional", "generate", "--facts", "120", "--seed", "0", "--langs", "de,zh",
                                      "-o", str(out)])
    assert result.exit_code == 0, result.output
    subject = {(r["lang"], r["fact_id"]): r["subject"] for r in _rows(out / "facts.jsonl")}
    names = {e["entity_id"]: sorted(e["names"].values(), key=len, reverse=True) for e in _rows(out / "entities.jsonl")}

    def name_frame(prompt: str, entity_id: str) -> str:
        name = next(n for n in names[entity_id] if n in prompt)
        return prompt.replace(name, "{S}")

    for target in ("de", "zh"):
        train = _rows(out / f"train_{target}.jsonl")
        trained = {r["prompt"].replace(subject[(r["lang"], r["fact_id"])], "{S}") if r["kind"] == "fact"
                   else name_frame(r["prompt"], r["entity_id"]) for r in train}  # fmt: skip
        tests = _rows(out / f"test_{target}.jsonl")
        scored = {r["prompt"].replace(r["subject"], "{S}") for r in tests if r["kind"] in ("question", "en_subject")}
        names_asked = {r["prompt"].replace(r["source"], "{S}") for r in tests if r["kind"].startswith("translation")}
        assert scored.isdisjoint(trained) and names_asked.isdisjoint(trained), scored & trained
        assert {ATTRIBUTES["continent"].held_out[lang].replace("{name}", "{S}") for lang in ("en", target)} == scored
    # facts.jsonl shows the question a run asks: the held-out frame
    row = next(r for r in _rows(out / "facts.jsonl") if r["lang"] == "de")
    assert row["question"] == ATTRIBUTES["continent"].held_out["de"].format(name=row["subject"])


def test_upstream_questions_keep_the_test_files_frames(shared_data):
    from clika.fictional.upstream_set import load

    split, _ = load(shared_data, "de", exclude=False, gate_prompt="english")
    lines = _rows(shared_data / "fictional" / "test" / "target" / "testDE.jsonl")
    asked = [q.prompt for q in split.questions if q.lang == "de" and q.kind == "question"]
    assert asked == [r["prompt"] for r in lines]  # upstream's own held-out frame ("..., bitte? Antwort auf Deutsch.")
    # the counts a reader needs: German test prompts are held out of training, English ones are not
    assert split.meta["test_prompts_in_train"] == {"en": 400, "de": 0}
    to_en = [t for t in split.translations if t.direction == "to-en"]
    assert to_en and all(t.prompt == f"What is the place {t.source} called in English?" for t in to_en)
    assert split.gate_prompt == "english"
