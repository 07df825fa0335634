"""Prompt templates: the paper template is byte-exact against every upstream prompt."""

from __future__ import annotations

from collections import defaultdict

import pytest

from clika.errors import ConfigError
from clika.items import LANGS, LETTERS, Item
from clika.prompts import build_requests, chat_frame, request_hash, wrap_chat
from clika.tasks import builtin_registry

UPSTREAM_TASKS = ("x_csqa", "x_copa", "x_geo", "x_name")


def words(task: str, template: str, lang: str) -> dict:
    return builtin_registry()[task].template(template).words_for(lang)


@pytest.fixture(scope="module")
def upstream_items(shared_data):
    from clika.data.upstream_items import load_upstream

    groups: dict[tuple[str, str], list[Item]] = defaultdict(list)
    for item in load_upstream(shared_data):
        groups[(item.task, item.lang)].append(item)
    return groups


def test_paper_template_reproduces_every_upstream_prompt_byte_for_byte(upstream_items, model_inputs):
    checked = 0
    for task in UPSTREAM_TASKS:
        for lang in LANGS:
            items = upstream_items[(task, lang)]
            expected = model_inputs(task, lang)
            assert len(items) == len(expected) > 0, (task, lang)
            requests = build_requests(items, "paper", "letter")
            for item, request, (prompt, gold_letter) in zip(items, requests, expected):
                assert request.prompt == prompt, (task, lang, item.item_id)
                assert LETTERS[item.gold] == gold_letter
            checked += len(items)
    assert checked == 18800  # 10 x (1000 + 500 + 200 + 180)


def test_prefix_is_shared_and_body_is_the_item(upstream_items):
    items = upstream_items[("x_geo", "de")][:5]
    requests = build_requests(items, "paper", "letter")
    assert len({r.prefix for r in requests}) == 1
    assert requests[0].prefix.endswith("Answer:D. 5\n")  # a newline: a safe token boundary
    assert requests[0].body.startswith("Question:" + items[0].question + "\nA. ")
    assert all(r.body.endswith("Answer:") for r in requests)
    assert requests[0].continuations == ("A", "B", "C", "D")


def test_copa_prefix_and_effect_question(upstream_items):
    items = upstream_items[("x_copa", "en")]
    effect = next(it for it in items if it.meta["copa_question"] == "effect")
    request = build_requests([effect], "paper")[0]
    assert request.prefix.endswith("Answer:A. It's night.\n\n")
    assert request.body == (f"Premise:{effect.question}\nQuestion:What happened as a result?\n"
                            f"A. {effect.options[0]}\nB. {effect.options[1]}\nAnswer:")


def test_cloze_continuations_are_space_plus_option_text(upstream_items):
    item = upstream_items[("x_geo", "en")][0]
    request = build_requests([item], "paper", "cloze")[0]
    assert request.continuations == tuple(" " + o for o in item.options)
    assert request.prompt == build_requests([item], "paper", "letter")[0].prompt


def test_csqa_example_has_five_options_and_others_four(upstream_items):
    csqa = build_requests(upstream_items[("x_csqa", "en")][:1])[0].prefix
    geo = build_requests(upstream_items[("x_geo", "en")][:1])[0].prefix
    assert "E. 6\nAnswer:D. 5\n" in csqa
    assert "D. 5\nAnswer:D. 5\n" in geo and "E. 6" not in geo


@pytest.mark.parametrize("lang", [lang for lang in LANGS if lang != "en"])
def test_native_template_speaks_the_item_language(lang, upstream_items):
    for task in UPSTREAM_TASKS:
        w = words(task, "native", lang)
        item = upstream_items[(task, lang)][0]
        request = build_requests([item], "native", "letter")[0]
        prompt = request.prompt
        for english in ("Question:", "Answer:", "Premise:", "multiple choice", "What was the cause"):
            assert english not in prompt, (lang, task, english)
        assert prompt.endswith(w["answer"])
        assert item.question in request.body
        assert request.prefix.startswith(w["instruction"] + "\n")
        if task == "x_copa":
            asked = w[item.meta["copa_question"]]
            assert f"{w['question']}{asked}\n" in request.body
        else:
            assert request.prefix.startswith(w["instruction"] + "\n" + w["question"] + "2+3=?")


def test_native_english_keeps_the_paper_structure(upstream_items):
    item = upstream_items[("x_geo", "en")][0]
    assert build_requests([item], "native")[0].prompt == build_requests([item], "paper")[0].prompt
    assert words("x_geo", "native", "en")["instruction"] == words("x_geo", "paper", "en")["instruction"]


def test_qa_template_has_no_option_list_and_only_cloze_modes(upstream_items):
    item = upstream_items[("x_geo", "en")][0]
    request = build_requests([item], "qa", "cloze")[0]
    assert request.prompt == f"Question: {item.question}\nAnswer:"
    assert request.continuations == tuple(" " + o for o in item.options)
    native = build_requests([upstream_items[("x_geo", "zh")][0]], "qa-native", "cloze")[0]
    assert native.prefix == "" and native.prompt.startswith(words("x_geo", "native", "zh")["question"])
    with pytest.raises(ConfigError, match="cannot be scored in 'letter' mode"):
        build_requests([item], "qa", "letter")


def test_generate_mode_asks_the_full_prompt(upstream_items):
    items = upstream_items[("x_name", "ru")][:3]
    generate = [r.prompt for r in build_requests(items, "paper", "generate")]
    assert generate == [r.prompt for r in build_requests(items, "paper")]


def test_request_hash_covers_the_rendered_prompt_continuations_and_mode(upstream_items):
    item = upstream_items[("x_geo", "zh")][0]
    letter = build_requests([item], "paper", "letter")[0]
    base = request_hash(letter, "letter")
    assert base == request_hash(build_requests([item], "paper", "letter")[0], "letter")
    others = {request_hash(build_requests([item], "native", "letter")[0], "letter"),
              request_hash(build_requests([item], "paper", "cloze")[0], "cloze"),
              request_hash(letter, "generate"),
              request_hash(build_requests([upstream_items[("x_geo", "zh")][1]], "paper", "letter")[0], "letter")}
    assert base not in others and len(others) == 4
    edited = Item(**{**item.__dict__, "options": (item.options[0] + "!",) + item.options[1:]})
    assert request_hash(build_requests([edited], "paper", "letter")[0], "letter") != base


def test_unknown_template_mode_and_language_are_config_errors():
    item = Item("x_geo", "factual", "sw", "1", "q?", ("a", "b", "c", "d"), 0)
    with pytest.raises(ConfigError, match="no words for language 'sw'"):
        build_requests([item], "native")
    with pytest.raises(ConfigError, match="has no prompt template 'fancy'"):
        build_requests([item], "fancy")
    with pytest.raises(ConfigError, match="unknown scoring mode"):
        build_requests([item], "paper", "beam")


def test_user_task_with_three_options_keeps_a_valid_example():
    item = Item("my_task", "basic", "en", "1", "Pick one", ("x", "y", "z"), 2)
    prefix = build_requests([item])[0].prefix
    assert prefix.endswith("Question:2+3=?\nA. 3\nB. 5\nC. 6\nAnswer:B. 5\n")


def test_chat_frame_splits_the_template_around_the_prompt():
    template = "<|user|>\n{text}<|end|>\n<|assistant|>\n"
    frame = chat_frame(lambda text: template.format(text=text))
    assert frame == ("<|user|>\n", "<|end|>\n<|assistant|>\n")
    item = Item("x_geo", "factual", "en", "1", "q?", ("a", "b", "c", "d"), 0)
    plain = build_requests([item])[0]
    wrapped = wrap_chat([plain], frame)[0]
    assert wrapped.prompt == template.format(text=plain.prompt)
    with pytest.raises(ConfigError, match="verbatim"):
        chat_frame(lambda text: "<|user|>\n" + text.upper())
