"""clika's items as a Hugging Face ``datasets`` folder: ``clika data export --format hf``.

One configuration per task x language, ``<task>_<lang>`` (``x_geo_de``), with one ``test`` split stored as
``<config>/test.parquet`` and declared in the dataset card's YAML header (``configs:`` with ``data_files``), so
that ``datasets.load_dataset(DIR, "x_geo_de")`` loads it from the folder, offline. The rows are clika's item
format (clika.data.jsonl_items.item_to_record), so ``item_from_record`` turns a row back into the item; every
language of a task is in the pivot language's order.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import yaml

from clika.data.export import Export, ExportSource, finish, langs_table, license_text, origin, start
from clika.data.jsonl_items import item_to_record
from clika.errors import DataError
from clika.items import Item

SPLIT = "test"


def config_name(task: str, lang: str) -> str:
    return f"{task}_{lang}"


def _table(unit: Sequence[Item]) -> pa.Table:
    rows = [item_to_record(item) for item in unit]
    # Explicit types for the fixed fields (an id is always a string, however the source spelled it).
    string = pa.string()
    fields = [(name, string) for name in ("task", "lang", "id", "question")]
    fields += [("options", pa.list_(string)), ("answer", pa.int64()), ("stream", string)]
    meta_keys = list(dict.fromkeys(k for r in rows for k in r.get("meta", {})))
    if meta_keys:
        fields.append(("meta", pa.struct([(k, string) for k in meta_keys])))
        for r in rows:
            meta = r.get("meta", {})
            if any(not isinstance(v, str) for v in meta.values()):
                where = f"{r['task']}/{r['lang']} item {r['id']}"
                raise DataError(f"{where}: meta values must be strings for the hf export")
            r["meta"] = {k: meta.get(k) for k in meta_keys}
    return pa.Table.from_pylist(rows, schema=pa.schema(fields))


def card_text(counts: Mapping[tuple[str, str], int], source: ExportSource, meta_keys: Mapping[str, list[str]],
              version: str) -> str:
    """README.md: the dataset card, its YAML header declaring every configuration."""
    langs, table = langs_table(counts)
    header = {
        "pretty_name": "CLiKA items (clika export)",
        "license": "unknown" if source.commit is not None else "other",
        "language": langs,
        "task_categories": ["multiple-choice"],
        "configs": [{"config_name": config_name(task, lang),
                     "data_files": [{"split": SPLIT, "path": f"{config_name(task, lang)}/{SPLIT}.parquet"}]}
                    for task, lang in counts],
    }
    metas = "; ".join(f"{task}: {', '.join(keys)}" for task, keys in meta_keys.items() if keys) or "none"
    first = next(iter(counts), ("x_geo", "de"))
    return f"""---
{yaml.safe_dump(header, sort_keys=False, allow_unicode=True, width=120)}---

# CLiKA items

Written by `clika data export --format hf` (clika {version}) from {origin(source)}.
CLiKA: Gao et al., *Multilingual Pretraining and Instruction Tuning Improve Cross-Lingual
Knowledge Alignment, But Only Shallowly*, NAACL 2024 (arXiv:2404.04659). The items are
parallel across languages: the same `id` is the same question in every language of a task.

One configuration per task and language (`<task>_<lang>`), one `{SPLIT}` split each:

```python
import datasets
ds = datasets.load_dataset("PATH/TO/THIS/FOLDER", "{config_name(*first)}", split="{SPLIT}")
```

Rows per configuration:

{table}

## Fields

clika's item format (docs/data-format.md of clika):

| field | type | meaning |
| --- | --- | --- |
| `task` | string | x_csqa, x_copa, x_geo or x_name (or another clika task) |
| `lang` | string | ISO 639-1 code of the item's language |
| `id` | string | the CLiKA item id: the same question in every language |
| `question` | string | the question (x_copa: the premise) |
| `options` | list of strings | the options; option *i* is letter A, B, C, ... |
| `answer` | int | index of the correct option |
| `stream` | string | basic (x_csqa, x_copa) or factual (x_geo, x_name) |
| `meta` | struct | task extras ({metas}): `original_lang` is the culture a fact comes from, `copa_question` is cause or effect |

## Licence

{license_text(source)}
"""


def export_hf(items: Sequence[Item], out: Path, *, source: ExportSource, version: str) -> Export:
    """Write the Hugging Face datasets folder of ``items`` into ``out`` (see the module doc)."""
    by_unit = start(items, out)
    files: list[Path] = []
    meta_keys: dict[str, list[str]] = {}
    for (task, lang), unit in by_unit.items():
        table = _table(unit)
        meta = table.schema.field("meta").type if "meta" in table.column_names else []
        meta_keys.setdefault(task, [f.name for f in meta])
        path = out / config_name(task, lang) / f"{SPLIT}.parquet"
        path.parent.mkdir(parents=True, exist_ok=True)
        pq.write_table(table, path)
        files.append(path)
    counts = {key: len(unit) for key, unit in by_unit.items()}
    files = finish(out, "hf", files, card_text(counts, source, meta_keys, version), version)
    return Export("hf", out, files, counts, [config_name(t, lang) for t, lang in by_unit])
