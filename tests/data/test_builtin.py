"""The built-in mini set: parallel, complete, well-formed, and usable by the paper template."""

from __future__ import annotations

from collections import Counter, defaultdict

import pytest

from clika.data.builtin import builtin_tasks, load_builtin
from clika.items import LANGS, LETTERS
from clika.tasks import builtin_registry

N_ITEMS = 48  # per task and language


@pytest.fixture(scope="module")
def items():
    return load_builtin()


def test_every_item_in_all_ten_languages_with_the_same_ids(items):
    ids = defaultdict(lambda: defaultdict(list))
    for it in items:
        ids[it.task][it.lang].append(it.item_id)
    assert set(ids) == {"mini_basic", "mini_factual"}
    for task, by_lang in ids.items():
        assert set(by_lang) == set(LANGS)
        en = by_lang["en"]
        assert len(en) == N_ITEMS and len(set(en)) == N_ITEMS
        for lang, lang_ids in by_lang.items():
            assert lang_ids == en, (task, lang)


def test_gold_is_the_same_across_languages_and_spread_over_a_to_d(items):
    gold = defaultdict(dict)
    for it in items:
        assert it.n_options == 4 and 0 <= it.gold < 4
        assert len(set(it.options)) == 4, it.source  # no duplicate options
        assert it.question.strip() and all(o.strip() for o in it.options)
        gold[(it.task, it.item_id)][it.lang] = it.gold
    for key, by_lang in gold.items():
        assert len(set(by_lang.values())) == 1, key
    for task in (t.name for t in builtin_tasks()):
        counts = Counter(LETTERS[g[("en")]] for (t, _), g in gold.items() if t == task)
        assert counts == {letter: N_ITEMS // 4 for letter in "ABCD"}


def test_translations_are_in_their_language(items):
    # A cheap guard against a file filled with the wrong language: the script
    # of each question must match its language.
    scripts = {"zh": (0x4E00, 0x9FFF), "ru": (0x0400, 0x04FF), "he": (0x0590, 0x05FF), "ar": (0x0600, 0x06FF)}
    for it in items:
        if it.lang in scripts:
            lo, hi = scripts[it.lang]
            assert any(lo <= ord(c) <= hi for c in it.question), it.source
        if it.lang == "ja":
            assert any(0x3040 <= ord(c) <= 0x30FF for c in it.question), it.source  # kana
        if it.lang != "en":
            en = next(e for e in items if e.task == it.task and e.lang == "en" and e.item_id == it.item_id)
            assert it.question != en.question, it.source


def test_questions_stand_alone_and_meta_names_a_language(items):
    # The qa templates show no option list: a question must be answerable without one.
    for it in items:
        if it.lang == "en":
            assert "of these" not in it.question.lower() and "following" not in it.question.lower(), it.source
        assert set(it.meta) <= {"original_lang"} and it.meta.get("original_lang", "en") in LANGS, it.source


def test_filters_meta_and_task_registration():
    only = load_builtin(tasks=["mini_factual"], langs=["en", "ar"])
    assert {(i.task, i.lang) for i in only} == {("mini_factual", "en"), ("mini_factual", "ar")}
    assert len(only) == 2 * N_ITEMS
    tasks = builtin_registry()
    assert tasks["mini_factual"].stream == "factual" and tasks["mini_basic"].n_options == 4
    cairo = [i for i in only if i.lang == "ar" and i.options[i.gold] == "القاهرة"]
    assert len(cairo) == 1 and cairo[0].meta == {"original_lang": "ar"}
    assert load_builtin(tasks=["x_csqa"]) == []


def test_load_items_builtin_source_and_paper_template(items):
    from clika import prompts
    from clika.data import load_items

    assert load_items("builtin", tasks=["mini_basic"], langs=["ja"]) == [
        i for i in items if i.task == "mini_basic" and i.lang == "ja"
    ]
    sample = [i for i in items if i.item_id in ("basic-01", "factual-24")]
    requests = prompts.build_requests(sample, "paper", "letter")
    assert len(requests) == len(sample)
    for item, req in zip(sample, requests):
        assert item.question in req.prompt
        assert all(opt in req.prompt for opt in item.options)
        assert req.continuations == ("A", "B", "C", "D")
