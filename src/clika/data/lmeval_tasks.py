"""clika's tasks as an lm-evaluation-harness task folder: ``clika data export --format lm-eval``.

``lm_eval --include_path DIR --tasks clika_x_geo_de`` then runs clika's items with clika's prompts, and ``clika score
--layout lm-eval`` reads the ``--log_samples`` output back (clika.data.lmeval_samples). Each task x language is one
lm-eval task per variant (VARIANTS), grouped by task and overall; the README (readme_text) says what each is. DIR holds
it, data/<task>_<lang>.jsonl (one document per item, shared by the variants), the *.yaml files and clika_docs.py.

Every prompt is rendered by clika's own prompt code (passed in by the caller: the data layer does not import
clika.prompts) into the documents (``prompt_<template>``); the YAML only names the field, so lm-eval asks exactly what
``clika run`` asks. Documents keep the item id as ``clika_id`` (what aligns languages), in the pivot language's order,
so ``--limit N`` takes the same items in every language.

lm-eval hands relative ``data_files`` to ``datasets`` as they are (relative to the working directory), so the tasks
load their documents through ``custom_dataset`` (as lm-eval's own ruler tasks do), which finds them beside the YAML:
DIR can be moved to another machine and needs no network.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml

from clika.data.export import Export, ExportSource, finish, langs_table, license_text, origin, start, write_text
from clika.data.jsonl_items import item_to_record
from clika.data.lines import write_json_lines
from clika.data.lmeval_export import RequestLike, greedy_kwargs
from clika.data.lmeval_samples import VARIANTS, Variant, export_task_name, lm_eval_task_name
from clika.errors import DataError
from clika.items import LETTERS, Item

LOADER = "clika_docs"  # DIR/clika_docs.py
FALLBACK = "[invalid]"  # lm-eval's regex filter value for "no letter": clika reads it as unparseable

# (items, template, mode) -> one rendered request per item, in order (clika.prompts.build_requests)
Render = Callable[[Sequence[Item], str, str], Sequence[RequestLike]]

_LOADER_SOURCE = '''"""Loads the documents of clika's lm-eval tasks from beside this file (written by clika data export)."""

from pathlib import Path

import datasets

HERE = Path(__file__).resolve().parent


def load_docs(data_files, **_metadata):
    """lm-eval's custom_dataset: the task's dataset_kwargs.data_files, relative to this folder."""
    return datasets.load_dataset("json", data_files={split: str(HERE / path) for split, path in data_files.items()})
'''


def prompt_field(template: str) -> str:  # the document field of one template's rendered prompt
    return f"prompt_{template.replace('-', '_')}"


def data_file(task: str, lang: str) -> str:  # a unit's documents, relative to the export folder
    return f"data/{lm_eval_task_name(task, lang)}.jsonl"


def group_name(variant: Variant, task: str | None = None) -> str:  # clika_x_geo / clika, + the variant's suffix
    return "clika" + (f"_{task}" if task else "") + variant.suffix


def first_letter_regex(n_options: int) -> str:
    """upstream's rule (clika.data.answers.first_char_choice) as a regex: the first character of the stripped
    output, one of the item's option letters."""
    return rf"^\s*([{LETTERS[0]}-{LETTERS[n_options - 1]}])"


def _n_options(unit: Sequence[Item]) -> int:
    counts = {i.n_options for i in unit}
    if len(counts) != 1:
        first = unit[0]
        raise DataError(f"{first.task}/{first.lang}: items with {sorted(counts)} options; an lm-eval task "
                        "needs one option count (its letters and first-letter rule)", first.source or None)
    return counts.pop()


def documents(unit: Sequence[Item], render: Render) -> list[dict[str, Any]]:
    """The lm-eval documents of one (task, lang): clika's item record with the id as clika_id, the answer letter,
    the option letters and each variant template's rendered prompt."""
    modes: dict[str, str] = {}
    for v in VARIANTS:  # each template once, rendered in its first variant's mode
        modes.setdefault(v.template, v.mode)
    prompts = {template: render(unit, template, mode) for template, mode in modes.items()}
    docs = []
    for k, item in enumerate(unit):
        record = item_to_record(item)
        doc = {"clika_id": record.pop("id"), **record, "answer_letter": item.gold_letter,
               "letters": list(LETTERS[: item.n_options])}
        for template, requests in prompts.items():
            doc[prompt_field(template)] = requests[k].prompt
        docs.append(doc)
    return docs


def _metrics(variant: Variant) -> list[str]:
    """The variant's metrics: the one whose value is clika's accuracy, and cloze's acc_norm."""
    return [variant.metric, "acc_norm"] if variant.mode == "cloze" else [variant.metric]


def task_config(task: str, lang: str, variant: Variant, n_options: int, max_gen_toks: int, version: str) -> dict:
    """One lm-eval task's YAML (without custom_dataset, a YAML tag: see _yaml_text)."""
    config: dict[str, Any] = {
        "task": export_task_name(task, lang, variant),
        "dataset_path": "json",
        "dataset_kwargs": {"data_files": {"test": data_file(task, lang)}},
        "test_split": "test",
        "num_fewshot": 0,  # the one-shot example of the paper's prompt is inside the prompt
        "doc_to_text": prompt_field(variant.template),
    }
    if variant.mode == "generate":
        regex = {"function": "regex", "regex_pattern": first_letter_regex(n_options), "group_select": 0}
        config["output_type"] = "generate_until"
        config["doc_to_target"] = "answer_letter"
        # clika's generate mode: greedy, GENERATE_MAX_NEW_TOKENS new tokens, no stop string
        config["generation_kwargs"] = greedy_kwargs(max_gen_toks)
        filters = [regex | {"fallback": FALLBACK}, {"function": "take_first"}]
        config["filter_list"] = [{"name": variant.filter, "filter": filters}]
    else:
        letters = variant.mode == "letter"
        config["output_type"] = "multiple_choice"
        config["doc_to_choice"] = "letters" if letters else "options"
        config["doc_to_target"] = "answer"
        # letter: "Answer:" + "A", as the paper's example shows; cloze: " " + option text (lm-eval's delimiter)
        config["target_delimiter"] = "" if letters else " "
    config["metric_list"] = [{"metric": m, "aggregation": "mean", "higher_is_better": True} for m in _metrics(variant)]
    config["metadata"] = {"version": 1.0, "clika_version": version, "clika_task": task, "lang": lang}
    config["metadata"] |= {"clika_mode": variant.mode, "clika_template": variant.template}
    return config


def group_configs(keys: Sequence[tuple[str, str]], variant: Variant) -> list[dict[str, Any]]:
    """The groups of one variant: clika_<task> (its languages, mean weighted by size) and clika
    (the tasks; no mean across tasks, whose chance levels differ)."""
    tasks = list(dict.fromkeys(t for t, _ in keys))
    extra = {"filter_list": variant.filter} if variant.mode == "generate" else {}
    aggregates = [{"metric": m, "aggregation": "mean", "weight_by_size": True} | extra for m in _metrics(variant)]
    groups = []
    for task in tasks:
        names = [export_task_name(task, lang, variant) for t, lang in keys if t == task]
        group = {"group": group_name(variant, task), "task": names, "aggregate_metric_list": aggregates}
        groups.append(group | {"metadata": {"version": 1.0}})
    top = {"group": group_name(variant), "task": [group_name(variant, t) for t in tasks], "metadata": {"version": 1.0}}
    return [*groups, top]


def _yaml_text(config: Mapping[str, Any], custom_dataset: bool) -> str:
    text = yaml.safe_dump(dict(config), sort_keys=False, allow_unicode=True, width=120)
    if custom_dataset:  # a YAML tag lm-eval resolves against the YAML's folder
        text += f"custom_dataset: !function {LOADER}.load_docs\n"
    return text


def export_lm_eval(items: Sequence[Item], out: Path, render: Render, *, max_gen_toks: int, source: ExportSource,
                   version: str) -> Export:
    """Write the lm-eval task folder of ``items`` into ``out``. max_gen_toks: new tokens of the _gen tasks
    (clika.choice.GENERATE_MAX_NEW_TOKENS)."""
    by_unit = start(items, out)
    files: list[Path] = []
    task_names: list[str] = []
    for (task, lang), unit in by_unit.items():
        n_options = _n_options(unit)
        files.append(write_json_lines(documents(unit, render), out / data_file(task, lang)))
        for variant in VARIANTS:
            config = task_config(task, lang, variant, n_options, max_gen_toks, version)
            task_names.append(config["task"])
            files.append(write_text(out / f"{config['task']}.yaml", _yaml_text(config, custom_dataset=True)))
    groups = [group for variant in VARIANTS for group in group_configs(list(by_unit), variant)]
    files += [write_text(out / f"_{group['group']}.yaml", _yaml_text(group, custom_dataset=False)) for group in groups]
    files.append(write_text(out / f"{LOADER}.py", _LOADER_SOURCE))
    counts = {key: len(unit) for key, unit in by_unit.items()}
    files = finish(out, "lm-eval", files, readme_text(counts, source, max_gen_toks, version), version)
    return Export("lm-eval", out, files, counts, task_names, [group["group"] for group in groups])


def readme_text(counts: Mapping[tuple[str, str], int], source: ExportSource, max_gen_toks: int, version: str) -> str:
    tasks = list(dict.fromkeys(t for t, _ in counts))
    langs, table = langs_table(counts)
    example_task = tasks[-1] if tasks else "x_geo"
    example = f"clika_{example_task}_{langs[-1]}" if langs else "clika_x_geo_de"
    return f"""# CLiKA tasks for lm-evaluation-harness

Written by `clika data export --format lm-eval` (clika {version}) from {origin(source)}.
CLiKA: Gao et al., *Multilingual Pretraining and Instruction Tuning Improve Cross-Lingual
Knowledge Alignment, But Only Shallowly*, NAACL 2024 (arXiv:2404.04659).

Items per task and language:

{table}

## Tasks

Each task x language is three lm-eval tasks, one per way of asking it:

| lm-eval task | prompt | output_type | metric clika reads |
| --- | --- | --- | --- |
| `clika_<task>_<lang>` | the paper's: instruction, one-shot example, options listed (`prompt_paper`) | multiple_choice over the option letters (`A`, `B`, ... right after `Answer:`) | `acc` |
| `clika_<task>_<lang>_gen` | the same | generate_until, greedy, {max_gen_toks} new tokens; filter `first_letter`: the first character of the stripped answer, one of the option letters (the upstream rule), else `{FALLBACK}` | `exact_match,first_letter` |
| `clika_<task>_<lang>_cloze` | the qa prompt (`Question: ...` / `Answer:`, no option list; `prompt_qa`) | multiple_choice over the option texts (` ` + text) | `acc` (and `acc_norm`) |

Groups: `clika_<task>` (a task's languages, mean weighted by size) and `clika` (the tasks),
and the same with `_gen` and `_cloze` (`clika_x_geo_gen`, `clika_cloze`).

The prompts are rendered by clika itself into each document, so lm-eval asks exactly what
`clika run --mode letter|generate|cloze --template paper|paper|qa` asks. Each document keeps
the item's CLiKA id as `clika_id` (what aligns languages), its question, options, answer
(index) and `answer_letter`, and `meta` (e.g. `original_lang`, the culture of a fact).
Within a task every language lists the items in English's order, so `--limit N` takes the
same items in every language.

The documents are in `data/`; `clika_docs.py` loads them from beside itself (lm-eval's
`custom_dataset`), so this folder works wherever it is copied, offline.

## Running and scoring

```bash
lm_eval --model hf --model_args pretrained=MODEL --include_path THIS_FOLDER \\
    --tasks clika --log_samples --output_path OUT    # or clika_gen, clika_cloze, clika_{example_task}, {example}
clika score --layout lm-eval --predictions OUT -o OUT/clika.jsonl
```

`clika score` aligns the languages by `clika_id`; its records' notes name the lm-eval task
and metric each value came from. Score one variant of a task at a time (`--exclude`).

## Licence

{license_text(source)}
"""
