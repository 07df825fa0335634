"""The runner: planning against the store, resuming, outputs, and real backends end to end."""

from __future__ import annotations

import json
import pickle
from pathlib import Path

import pytest

from clika.data.builtin import load_builtin
from clika.errors import ConfigError
from clika.predictions import Prediction
from clika.prompts import PromptBuilder, request_hash
from clika.runner import RunEvent, RunOptions, collect, display_name, evaluate, plan_units, select_items
from clika.store import ResultsStore
from clika.tasks import builtin_registry
from tests.backends.fake_openai_server import FakeServer


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory) -> Path:
    from tests.backends.tiny_model import build_tiny_model

    return build_tiny_model(tmp_path_factory.mktemp("tiny") / "tiny-llama")


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
    with pytest.raises(ConfigError, match="--limit must be >= 1, got 0"):
        RunOptions(limit=0).check()


def test_plan_skips_what_the_store_has_and_collect_reads_back(tmp_path: Path):
    builtin = load_builtin(tasks=["mini_basic"], langs=["en", "zh"])
    en = [i for i in builtin if i.lang == "en"]
    items = en + [i for i in builtin if i.lang == "zh"][:6]  # every en item, 6 zh ones
    tasks = builtin_registry()
    opts = RunOptions(mode="letter", template="paper", batch_size=2)
    with ResultsStore(tmp_path / "r.sqlite") as store:
        units, n_done, all_keys = plan_units(items, store, "fp", opts, tasks, chunk_size=5)
        assert n_done == 0 and [(u.task, u.lang, len(u.items)) for u in units] == [
            ("mini_basic", "en", len(en)), ("mini_basic", "zh", 6)]
        assert [len(c.items) for c in units[1].chunks()] == [5, 1]
        assert pickle.loads(pickle.dumps(units[1])) == units[1]  # ready to ship to a Ray worker
        # every unit carries its rendered requests and the store keys of exactly those requests
        for unit in units:
            assert len(unit.requests) == len(unit.items) == len(unit.keys)
            for item, request, (ih, rh) in zip(unit.items, unit.requests, unit.keys):
                assert ih == item.content_hash and rh == request_hash(request, "letter")
        en_keys = all_keys[("mini_basic", "en")]
        assert [k[0] for k in en_keys] == [i.item_id for i in en]
        # store answers for the first 10 en items, as a killed run would have left them
        first = [Prediction("old-name", i.task, i.lang, i.item_id, i.gold, i.gold, 4) for i in items[:10]]
        store.add_predictions("fp", "letter", "-", first, [k[1:] for k in en_keys[:10]])
        units, n_done, all_keys = plan_units(items, store, "fp", opts, tasks, chunk_size=5)
        assert n_done == 10 and [len(u.items) for u in units] == [len(en) - 10, 6]
        assert units[0].items == tuple(en[10:])
        # a different mode is a different request: nothing is done there
        cloze = RunOptions(mode="cloze", template="paper", batch_size=2)
        _, n_other, _ = plan_units(items, store, "fp", cloze, tasks, chunk_size=5)
        assert n_other == 0
        # another template is a different request wherever it renders other text; where it renders
        # byte for byte the same prompt (native = paper in the pivot language) the answers are reused
        native = RunOptions(mode="letter", template="native", batch_size=2)
        same = [i for i in items[:10] if request_hash(PromptBuilder("native", tasks).request(i, "letter"), "letter")
                == request_hash(PromptBuilder("paper", tasks).request(i, "letter"), "letter")]
        native_units, n_native, _ = plan_units(items, store, "fp", native, tasks, chunk_size=5)
        assert n_native == len(same) and sum(len(u.items) for u in native_units) == len(items) - len(same)
        assert {u.lang: len(u.items) for u in native_units}["zh"] == 6  # zh renders differently: all to do
        got = collect(items, all_keys, store, "fp", opts, "new-name")
        assert [p.item_id for p in got] == [i.item_id for i in items[:10]]
        assert {p.model for p in got} == {"new-name"}


def write_items(path: Path, records: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    return path


def geo_items(n: int = 4, langs=("en", "zh")) -> list[dict]:
    return [{"task": "x_geo", "lang": lang, "id": str(i), "question": f"Where is place {i} ({lang})?",
             "options": [f"{lang} option {k} of {i}" for k in range(4)], "answer": i % 4}
            for lang in langs for i in range(n)]


def test_bad_options_are_config_errors(tmp_path: Path):
    with pytest.raises(ConfigError, match="--mode: unknown scoring mode 'guess'"):
        evaluate(RunOptions(mode="guess", output_dir=tmp_path))
    with pytest.raises(ConfigError, match="--extract: unknown answer extraction rule"):
        evaluate(RunOptions(extract="last-char", output_dir=tmp_path))
    with pytest.raises(ConfigError, match="pivot"):
        evaluate(RunOptions(langs=["zh", "ja"], output_dir=tmp_path))
    with pytest.raises(ConfigError, match="unknown language"):
        evaluate(RunOptions(langs=["en", "xx"], output_dir=tmp_path))
    with pytest.raises(ConfigError, match="--n-boot >= 0"):
        evaluate(RunOptions(n_boot=-1, output_dir=tmp_path))
    # an unknown task lists the known ones
    with pytest.raises(ConfigError, match="unknown task 'x_nope'; known: .*mini_basic"):
        evaluate(RunOptions(tasks=["x_nope"], output_dir=tmp_path))
    # a known task that the data lacks says what the data has
    data = write_items(tmp_path / "items.jsonl", geo_items(2))
    with pytest.raises(ConfigError, match="no items for task.s. x_name in .*items.jsonl; it has x_geo"):
        evaluate(RunOptions(tasks=["x_name"], data=data, output_dir=tmp_path))
    # a template that cannot be scored in the mode fails before any model loads (this one does not exist)
    out = tmp_path / "no_store"
    with pytest.raises(ConfigError, match="template 'qa' of mini_basic cannot be scored in 'letter' mode"):
        evaluate(RunOptions(model="hf", model_args={"pretrained": str(tmp_path / "no-such-model")}, mode="letter",
                            template="qa", output_dir=out))
    assert not (out / "results.sqlite").exists()


def _read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_evaluate_tiny_model_writes_outputs_and_resumes(tiny_model: Path, tmp_path: Path):
    out = tmp_path / "run"
    opts = RunOptions(model="hf", model_args=f"pretrained={tiny_model},dtype=float32", tasks=["mini_basic"],
                      langs=["en", "zh", "he"], limit=4, batch_size=2, n_boot=20, output_dir=out)
    events = []
    first = evaluate(opts, on_event=events.append)
    assert events[0] == RunEvent("planned", 0, 12)
    assert [e.kind for e in events[1:]] == ["chunk"] * len(events[1:]) and events[-1].done == events[-1].total == 12
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

    again = evaluate(opts)  # the same command: everything comes from the store
    assert again.n_scored == 0 and again.n_resumed == 12
    assert again.predictions == first.predictions
    assert [r.to_dict() for r in again.records] == [r.to_dict() for r in first.records]
    with ResultsStore(out / "results.sqlite", readonly=True) as store:
        assert store.count() == 12 and len(store.runs()) == 2


def test_evaluate_over_http_with_the_openai_backend(tmp_path: Path):
    server = FakeServer()  # always puts " A" first, so every answer is A
    try:
        result = evaluate(RunOptions(model="openai",
                                     model_args=f"model=fake-model,base_url={server.url},api_key=sk-XYZ-secret",
                                     tasks=["mini_factual"], langs=["en", "de"], n_boot=10, mode="letter",
                                     output_dir=tmp_path / "o"))
    finally:
        server.close()
    items = load_builtin(tasks=["mini_factual"], langs=["en"])
    assert result.n_scored == 2 * len(items) and {p.choice for p in result.predictions} == {0}
    gold_a = sum(i.gold == 0 for i in items)  # the items whose gold is A
    acc = {r.lang: r.value for r in result.records if r.metric == "accuracy" and r.lang in ("en", "de")}
    assert acc == {"en": pytest.approx(gold_a / len(items)), "de": pytest.approx(gold_a / len(items))}
    for path in tmp_path.rglob("*"):
        if path.is_file():
            assert b"sk-XYZ-secret" not in path.read_bytes(), path


def _edit_between_runs(tiny_model: Path, tmp_path: Path, edit) -> tuple:
    """Run the tiny model over a JSONL file, apply ``edit`` to one record (same id), run again."""
    records = geo_items(4)
    data = write_items(tmp_path / "items.jsonl", records)
    opts = RunOptions(model="hf", model_args=f"pretrained={tiny_model},dtype=float32", data=data, batch_size=2,
                      n_boot=10, output_dir=tmp_path / "run")
    first = evaluate(opts)
    assert first.n_scored == len(records) and first.n_resumed == 0
    target = records[5]  # zh, item "1"
    edit(target)
    write_items(data, records)
    second = evaluate(opts)
    return records, target, first, second


def _check_only_the_edited_item_is_scored_again(records, target, first, second, tmp_path: Path):
    assert second.n_scored == 1 and second.n_resumed == len(records) - 1
    key = (target["task"], target["lang"], str(target["id"]))
    by_key = {(p.task, p.lang, p.item_id): p for p in second.predictions}
    before = {(p.task, p.lang, p.item_id): p for p in first.predictions}
    assert set(by_key) == set(before) and len(second.predictions) == len(records)
    assert by_key[key].gold == target["answer"]
    for other, p in by_key.items():
        if other != key:
            assert p == before[other]  # resumed: the very same stored prediction
    # the store keeps both versions of the edited item (content-keyed); predictions.jsonl has the new one
    with ResultsStore(second.store_path, readonly=True) as store:
        assert store.count(second.fingerprint) == len(records) + 1
    rows = {(r["task"], r["lang"], r["item_id"]): r for r in _read_jsonl(second.predictions_path)}
    assert rows[key]["gold"] == target["answer"]


def test_editing_one_items_gold_rescores_exactly_that_item(tiny_model: Path, tmp_path: Path):
    def new_gold(record):
        record["answer"] = (record["answer"] + 1) % 4

    records, target, first, second = _edit_between_runs(tiny_model, tmp_path, new_gold)
    _check_only_the_edited_item_is_scored_again(records, target, first, second, tmp_path)
    key = (target["task"], target["lang"], str(target["id"]))
    old = next(p for p in first.predictions if (p.task, p.lang, p.item_id) == key)
    new = next(p for p in second.predictions if (p.task, p.lang, p.item_id) == key)
    assert new.gold != old.gold
    # the prompt did not change (gold is not in it): the model's scores are the same, only gold moved
    assert new.scores == pytest.approx(old.scores, abs=1e-5)


def test_editing_one_option_text_rescores_exactly_that_item(tiny_model: Path, tmp_path: Path):
    def new_option(record):
        record["options"][2] = record["options"][2] + " (renamed)"

    records, target, first, second = _edit_between_runs(tiny_model, tmp_path, new_option)
    _check_only_the_edited_item_is_scored_again(records, target, first, second, tmp_path)
