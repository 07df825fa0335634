"""Loading items with Hugging Face ``datasets``.

``name_or_path`` may be a hub dataset name, a local data file (.json, .jsonl, .parquet, .csv) or a folder written by
``Dataset.save_to_disk``. Columns map to Item fields; the default mapping is the project's JSONL format (id, question,
options, answer, lang). ``columns["options"]`` may also be a list of column names, one per option (e.g. ["choice1",
"choice2"] for COPA-style data), and the answer column may hold an index or a letter.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

from clika.data.jsonl_items import task_stream
from clika.errors import ConfigError, DataError, quiet_logger
from clika.items import LETTERS, Item
from clika.tasks import TaskRegistry

DEFAULT_COLUMNS: dict[str, Any] = {"id": "id", "question": "question", "options": "options", "answer": "answer"}
_FILE_BUILDERS = {".json": "json", ".jsonl": "json", ".parquet": "parquet", ".csv": "csv"}


def _open_dataset(name_or_path: str, split: str, config: str | None):
    try:
        import datasets
    except ImportError as err:  # an optional dependency
        raise ConfigError("loading from Hugging Face needs the 'datasets' package (pip install datasets)") from err

    path = Path(name_or_path)
    try:
        if path.is_dir() and ((path / "dataset_info.json").is_file() or (path / "dataset_dict.json").is_file()):
            ds = datasets.load_from_disk(str(path))
            if isinstance(ds, datasets.DatasetDict):
                if split not in ds:
                    raise ConfigError(f"split {split!r} not found; available: {', '.join(ds)}", path)
                ds = ds[split]
            return ds
        if path.is_file():
            builder = _FILE_BUILDERS.get(path.suffix.lower())
            if builder is None:
                message = f"unsupported data file type {path.suffix!r} (use .jsonl, .json, .parquet or .csv)"
                raise ConfigError(message, path)
            # A single local file is one split; name it as asked so `split` works.
            return datasets.load_dataset(builder, data_files={split: str(path)}, split=split)
        _check_hub(name_or_path)
        # No "Retrying in 8s" lines from huggingface_hub on the console: a failure ends in one line.
        with quiet_logger(logging.getLogger("huggingface_hub"), logging.ERROR):
            return datasets.load_dataset(name_or_path, config, split=split)
    except (FileNotFoundError, ValueError) as err:
        raise ConfigError(f"cannot load dataset {name_or_path!r}: {str(err).splitlines()[0]}") from None
    except (ConnectionError, OSError) as err:  # the hub went away between the check and the download
        raise ConfigError(f"cannot download dataset {name_or_path!r} from the Hugging Face Hub "
                          f"({type(err).__name__}); set HF_HUB_OFFLINE=1 to use a cached copy") from None


def _offline() -> bool:
    values = (os.environ.get(v, "").strip().lower() for v in ("HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE"))
    return any(value in ("1", "true", "yes", "on") for value in values)


def _check_hub(name: str, timeout: float = 10.0) -> None:
    """One quick request before datasets' download logic (which retries for half a minute and
    logs every retry): no network or no such dataset is then one line, at once."""
    if _offline():
        return  # datasets reads its cache, or says that it has no copy
    from huggingface_hub import HfApi
    from huggingface_hub.errors import RepositoryNotFoundError

    try:
        HfApi().dataset_info(name, timeout=timeout)
    except RepositoryNotFoundError:
        message = f"no dataset {name!r} on the Hugging Face Hub (or it is private: log in with `hf auth login`)"
        raise ConfigError(message) from None
    except Exception as err:  # connection refused, DNS failure, timeout, proxy errors
        if type(err).__name__ in ("GatedRepoError", "HfHubHTTPError") and "401" not in str(err):
            return  # reachable; let datasets decide
        raise ConfigError(f"cannot reach the Hugging Face Hub for dataset {name!r} (no network?): pass a local "
                          "path, or set HF_HUB_OFFLINE=1 to use a cached copy") from None


def _column(ds, name: str, where: str) -> list[Any]:
    if name not in ds.column_names:
        raise DataError(f"column {name!r} not found (columns: {', '.join(ds.column_names)})", where)
    return ds[name]


def _answer_index(value: Any, n_options: int, where: str, row: int) -> int:
    if isinstance(value, str) and len(value) == 1 and value in LETTERS:
        value = LETTERS.index(value)
    elif isinstance(value, str) and value.strip().isdigit():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise DataError(f"row {row}: answer must be an option index or letter, got {value!r}", where)
    if not 0 <= value < n_options:
        raise DataError(f"row {row}: answer {value} is out of range for {n_options} options", where)
    return value


def load_hf(name_or_path: str, *, task: str, lang: str | None = None, split: str = "test", config: str | None = None,
            columns: dict | None = None, lang_column: str | None = None,
            registry: TaskRegistry | None = None) -> list[Item]:
    """Items of one task from a Hugging Face dataset (hub name or local files). The language comes from ``lang`` or
    ``lang_column`` (default "lang" when the dataset has one); with both, only rows of that language are kept."""
    ds = _open_dataset(name_or_path, split, config)
    where = f"{name_or_path}[{split}]"
    cols = {**DEFAULT_COLUMNS, **(columns or {})}
    lang_col = lang_column or ("lang" if "lang" in ds.column_names else None)
    if lang_col is None and lang is None:
        raise ConfigError(f"{where}: no 'lang' column; pass lang= or lang_column=")
    langs = [str(v) for v in _column(ds, lang_col, where)] if lang_col else [lang] * len(ds)

    questions = _column(ds, cols["question"], where)
    if isinstance(cols["options"], (list, tuple)):
        options = [list(row) for row in zip(*(_column(ds, c, where) for c in cols["options"]))]
    else:
        options = _column(ds, cols["options"], where)
    answers = _column(ds, cols["answer"], where)
    ids = _column(ds, cols["id"], where) if cols["id"] in ds.column_names else list(range(len(ds)))
    stream = task_stream(task, registry)

    items: list[Item] = []
    for row, (item_lang, item_id, question, opts, answer) in enumerate(zip(langs, ids, questions, options, answers)):
        if lang is not None and item_lang != lang:
            continue
        if not isinstance(question, str) or not isinstance(opts, list) or not all(isinstance(o, str) for o in opts):
            raise DataError(f"row {row}: question must be a string and options a list of strings", where)
        gold = _answer_index(answer, len(opts), where, row)
        items.append(Item(task, stream, lang or item_lang, str(item_id), question, tuple(opts), gold, {},
                          f"{where}:{row}"))
    return items
