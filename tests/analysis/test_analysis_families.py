"""The model-family registry: our YAML covers the 40 upstream models; user files extend/override; errors name file:line."""

from __future__ import annotations

from pathlib import Path

import pytest

from clika.analysis.families import STRATEGIES, load_families
from clika.errors import DataError

SUFFIX = "_res_bf16_add_simple_example.jsonl"


def test_registry_covers_every_upstream_model(shared_data: Path):
    models = {p.name[: -len(SUFFIX)] for p in (shared_data / "x_geo" / "en").glob("*" + SUFFIX)}
    assert len(models) == 40
    reg = load_families()
    assert {m for m in models if reg.get(m) is None} == set()
    assert all(reg.get(m).strategy in STRATEGIES for m in models)


def test_the_llama2_70b_pair_is_published_upstream_and_registered(shared_data: Path):
    """upstream-tree.tsv lists the pinned commit's files: llama2_70b and llama2_70b_chat are both there."""
    tree = (shared_data / "upstream-tree.tsv").read_text(encoding="utf-8")
    published = {line.rsplit("/", 1)[-1][: -len(SUFFIX)] for line in tree.splitlines() if line.endswith(SUFFIX)}
    assert {"llama2_70b", "llama2_70b_chat"} <= published
    assert ("llama2_70b", "llama2_70b_chat", "instruction_tuning_en") in load_families().pairs()


def test_known_lineages():
    reg = load_families()
    assert ("llama_7b", "chinese_llama_7b", "continued_pretraining") in reg.pairs("continued_pretraining")
    assert reg.get("LeoLM_leo_hessianai_13b").target_lang == "de"
    assert ("bloom_7b1", "bloomz_7b1_mt", "instruction_tuning_multilingual") in reg.pairs()
    assert ("llama2_13b", "llama2_13b_chat", "instruction_tuning_en") in reg.pairs("instruction_tuning_en")
    # pretraining mix is inherited along the chain of bases
    assert reg.pretraining_of("chinese_alpaca_pro_13b") == "english_dominant"
    assert reg.pretraining_of("bloomz_7b1") == "mixed_multilingual"
    # lookups tolerate spelling: case and separators
    assert reg.resolve("LLaMA2-7B-Chat") == "llama2_7b_chat"
    with pytest.raises(DataError, match="unknown strategy"):
        reg.pairs("finetuning")


def test_user_file_extends_and_overrides(tmp_path: Path):
    user = tmp_path / "mine.yaml"
    user.write_text(
        "models:\n"
        "  my_llama_fr: {family: llama2, base: llama2_7b, strategy: continued_pretraining, target_lang: fr}\n"
        "  chatglm3_6b: {family: chatglm, base: null, strategy: instruction_tuning_multilingual}\n",
        encoding="utf-8",
    )
    reg = load_families(user)
    assert ("llama2_7b", "my_llama_fr", "continued_pretraining") in reg.pairs()
    assert reg.get("chatglm3_6b").strategy == "instruction_tuning_multilingual"
    assert reg.get("chatglm3_6b").source == f"{user}:3"
    assert reg.get("llama_7b").strategy == "base"  # ours still there


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("models:\n  a: {family: x, strategy: base}\n  b: {family: x, strategy: pretraining}\n", 3, "unknown strategy"),
        ("models:\n  a: {family: x, strategy: base\n  b: 1\n", 3, "malformed YAML"),
        ("models:\n  a: {family: x, strategy: base}\n  b: {family: x, base: nowhere, strategy: other}\n", 3, "not in the registry"),
        ("models:\n  a: {family: x, strategy: continued_pretraining}\n", 2, "needs a target_lang"),
        ("models:\n  a: {family: x, strategy: base, colour: red}\n", 2, "unknown field"),
        ("models:\n  - a\n", 2, "top-level 'models:'"),
    ],
)
def test_bad_user_file_names_file_and_line(tmp_path: Path, text: str, line: int, message: str):
    bad = tmp_path / "bad.yaml"
    bad.write_text(text, encoding="utf-8")
    with pytest.raises(DataError, match=message) as info:
        load_families(bad)
    assert info.value.path == str(bad) and info.value.line == line
    assert "\n" not in str(info.value)
