"""The runner: planning against the store, resuming, outputs, and real backends end to end."""

from __future__ import annotations

import json
import pickle
from pathlib import Path

import pytest

from clika.data.builtin import load_builtin
from clika.errors import ConfigError
from clika.predictions import Prediction
from clika.runner import collect, display_name, evaluate, plan_units, safe_dirname, select_items
from clika.store import ResultsStore

from tests.backends.fake_openai_server import FakeServer


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory) -> Path:
    from tests.backends.tiny_model import build_tiny_model

    return build_tiny_model(tmp_path_factory.mktemp("tiny") / "tiny-llama")


def test_safe_dirname_never_escapes():
    assert safe_dirname("meta-llama/Llama-3-8B") == "meta-llama__Llama-3-8B"
    for evil in ("../../etc/passwd", "..", "/abs/../x", "a\\..\\b", "", "...", "~/x y"):
        name = safe_dirname(evil)
        assert name and "/" not in name and "\\" not in name and ".." not in name and not name.startswith(".")
        assert (Path("/runs") / name).resolve().parent == Path("/runs")


def test_display_name(tmp_path: Path):
    assert display_name("hf", {}) == "gemma3-270m"
    assert display_name("hf", {"pretrained": "Qwen/Qwen2.5-0.5B"}) == "Qwen/Qwen2.5-0.5B"
    assert display_name("hf", {"pretrained": str(tmp_path / "my-model")}) == "my-model"
    assert display_name("openai", {"model": "gpt-x"}) == "gpt-x"


def test_limit_keeps_the_same_ids_in_every_language():
    items = load_builtin(langs=["en", "zh", "ar"])
    some = select_items(items, 5)
    assert len(some) == 2 * 3 * 5
    for task in ("mini_basic", "mini_factual"):
        ids = {lang: [i.item_id for i in some if i.task == task and i.lang == lang] for lang in ("en", "zh", "ar")}
        assert ids["en"] == ids["zh"] == ids["ar"] == [i.item_id for i in items if i.task == task and i.lang == "en"][:5]
    with pytest.raises(ConfigError):
        select_items(items, 0)


def test_plan_skips_what_the_store_has_and_collect_reads_back(tmp_path: Path):
    pytest.importorskip("clika.prompts")
    items = [i for i in load_builtin(tasks=["mini_basic"], langs=["en", "zh"])][:30]  # 24 en + 6 zh
    with ResultsStore(tmp_path / "r.sqlite") as store:
        units, n_done = plan_units(items, store, "fp", mode="letter", template="paper", batch_size=2,
                                   chunk_size=5, extract="first-char")
        assert n_done == 0 and [(u.task, u.lang, len(u.items)) for u in units] == [
            ("mini_basic", "en", 24), ("mini_basic", "zh", 6)]
        assert [len(c) for c in units[1].chunks()] == [5, 1]
        assert pickle.loads(pickle.dumps(units[1])) == units[1]  # ready to ship to a Ray worker
        # store answers for the first 10 en items, as a killed run would have left them
        first = [Prediction("old-name", i.task, i.lang, i.item_id, i.gold, i.gold, 4) for i in items[:10]]
        store.add_predictions("fp", units[0].prompt_hash, "letter", first)
        units, n_done = plan_units(items, store, "fp", mode="letter", template="paper", batch_size=2,
                                   chunk_size=5, extract="first-char")
        assert n_done == 10 and [len(u.items) for u in units] == [14, 6]
        assert units[0].items == tuple(items[10:24])
        # a different mode or template is a different prompt: nothing is done there
        other, n_other = plan_units(items, store, "fp", mode="cloze", template="paper", batch_size=2,
                                    chunk_size=5, extract="first-char")
        assert n_other == 0
        got = collect(items, units, store, "fp", "new-name")
        assert [p.item_id for p in got] == [i.item_id for i in items[:10]]
        assert {p.model for p in got} == {"new-name"}


def test_bad_options_are_config_errors(tmp_path: Path):
    with pytest.raises(ConfigError, match="unknown --mode"):
        evaluate(mode="guess", output_dir=tmp_path)
    with pytest.raises(ConfigError, match="pivot"):
        evaluate(langs=["zh", "ja"], output_dir=tmp_path)
    with pytest.raises(ConfigError, match="unknown language"):
        evaluate(langs=["en", "xx"], output_dir=tmp_path)
    with pytest.raises(ConfigError, match="no items for task"):
        evaluate(tasks=["x_nope"], output_dir=tmp_path)


def _read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_evaluate_tiny_model_writes_outputs_and_resumes(tiny_model: Path, tmp_path: Path):
    pytest.importorskip("clika.scoring")
    out = tmp_path / "run"
    kw = dict(model="hf", model_args=f"pretrained={tiny_model},dtype=float32", tasks=["mini_basic"],
              langs=["en", "zh", "he"], limit=4, batch_size=2, n_boot=20, output_dir=out)
    first = evaluate(**kw)
    assert first.model == "tiny-llama" and first.n_scored == 12 and first.n_resumed == 0
    assert first.store_path == out / "results.sqlite"
    rows = _read_jsonl(out / "predictions.jsonl")
    assert len(rows) == 12 and {r["lang"] for r in rows} == {"en", "zh", "he"}
    for r in rows:
        assert r["model"] == "tiny-llama" and r["task"] == "mini_basic"
        assert r["prediction"] is None or 0 <= r["prediction"] < 4
        assert r["correct"] == (r["prediction"] == r["gold"]) and len(r["scores"]) == 4
    metrics = {(m["lang"], m["metric"]): m for m in _read_jsonl(out / "metrics.jsonl")}
    en_acc = sum(r["correct"] for r in rows if r["lang"] == "en") / 4
    assert metrics[("en", "accuracy")]["value"] == pytest.approx(en_acc)
    assert ("zh", "en_co") in {k for k in metrics} or ("zh", "ra") in metrics

    again = evaluate(**kw)  # the same command: everything comes from the store
    assert again.n_scored == 0 and again.n_resumed == 12
    assert again.predictions == first.predictions
    assert [r.to_dict() for r in again.records] == [r.to_dict() for r in first.records]
    with ResultsStore(out / "results.sqlite", readonly=True) as store:
        assert store.count() == 12 and len(store.runs()) == 2


def test_evaluate_over_http_with_the_openai_backend(tmp_path: Path):
    pytest.importorskip("clika.scoring")
    server = FakeServer()  # always puts " A" first, so every answer is A
    try:
        result = evaluate(model="openai", model_args=f"model=fake-model,base_url={server.url},api_key=sk-XYZ-secret",
                          tasks=["mini_factual"], langs=["en", "de"], n_boot=10, mode="letter",
                          output_dir=tmp_path / "o")
    finally:
        server.close()
    assert result.n_scored == 48 and {p.choice for p in result.predictions} == {0}
    items = load_builtin(tasks=["mini_factual"], langs=["en"])
    gold_a = sum(i.gold == 0 for i in items)  # 6 of 24 golds are A
    acc = {r.lang: r.value for r in result.records if r.metric == "accuracy" and r.lang in ("en", "de")}
    assert acc == {"en": pytest.approx(gold_a / 24), "de": pytest.approx(gold_a / 24)}
    for path in tmp_path.rglob("*"):
        if path.is_file():
            assert b"sk-XYZ-secret" not in path.read_bytes(), path
