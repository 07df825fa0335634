"""Predictions in the upstream layout: every file under a task folder is read, or skipped with its reason.

    <root>/<task>/<langdir>/<model>_res[_<variant>].jsonl   predictions: id, res, label (gold letter), uuid
    <root>/<task>/<langdir>/<item file>                     the items (en_geo_data.jsonl, validation.jsonl...)

File names -> run names: split at the LAST ``_res`` followed by ``_`` or ``.jsonl`` (a model name may contain
``_res``; a variant may not). ``_res`` and ``_res_bf16_add_simple_example`` give the plain model name, any other
variant the run ``<model>@<variant>`` ("@" cannot occur in a file's name); ``models=`` matches these names exactly:

    llama2_7b_res_bf16_add_simple_example.jsonl -> llama2_7b   (the paper's main runs)
    chatgpt_res.jsonl                           -> chatgpt     (zero-shot runs, "input" kept)
    llama2_7b_res_visual.jsonl                  -> llama2_7b@visual
    llama2_7b_res_fixed_en_prompt.jsonl         -> llama2_7b@fixed_en_prompt

Each file under a task folder is one ``FileEntry`` of the result: read (a prediction file in a folder of one of
the task's languages: the paper's ten, another only when ``langs`` names it); "other", quietly (item file, model
inputs, scripts: NOT_PREDICTIONS); or skipped with its reason (clika.data.reading.SKIP_REASONS; e.g. the plain-text
``_res_visual`` dumps are not JSON lines; an unknown name's detail names the spelling that would be read) and the
first bad line. A skipped file leaves its model without that task and language: the model is then partial
(clika.data.coverage), never averaged over fewer languages without a word.

Hard errors (DataError: the file reads fine but its numbers would be wrong): labels that disagree with the item file
beside them (ItemMismatch; ``trust_labels`` scores with the file's labels and warns), a file without uuid whose ids
do not follow the item file or that has no item file, two files for one run in one folder, a broken item file.
Items are aligned by ``uuid`` (int or str); a file without ``uuid`` by ``id``, the position in the item file.
"""

from __future__ import annotations

import dataclasses
import fnmatch
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from clika.data.answers import smart_choice
from clika.data.lines import read_json_lines
from clika.data.reading import FileEntry, PredictionReadResult, ReadFilter, excluded, relative
from clika.data.upstream_items import item_file, parse_item_file, task_lang_dirs, upstream_tasks
from clika.errors import ConfigError, DataError
from clika.items import LANGS, LETTERS, Item, ordered_langs
from clika.predictions import Prediction
from clika.tasks import TaskSpec

MAIN_VARIANT = "bf16_add_simple_example"
# Files of the upstream layout that hold no predictions (inputs, validation splits, scripts): "other", no warning.
NOT_PREDICTIONS = ("generate_input.jsonl", "val.*.jsonl", "test.jsonl", "validation.jsonl", "*_model_input.jsonl",
                   "*.py", "*.sh", "*.md", ".*")

# Greedy model part: the split is at the last "_res" followed by "_" or ".jsonl".
_RUN_FILE = re.compile(r"(?P<model>.+)_res(?:_(?P<variant>.+))?\.jsonl", re.DOTALL)
_RUN_FILE_ANY_CASE = re.compile(r"(?P<model>.+)_res(?P<variant>_.+)?\.jsonl?", re.DOTALL | re.IGNORECASE)
NAMING = "not named <model>_res.jsonl or <model>_res_<variant>.jsonl"
_NOT_JSON = ("invalid JSON", "expected a JSON object", "invalid UTF-8")


class ItemMismatch(DataError):
    """Predictions that do not match the item file beside them: never skipped, always said."""


def upstream_run_name(filename: str) -> str | None:
    """The model (run) name of an upstream prediction file name; None when it does not parse."""
    match = _RUN_FILE.fullmatch(filename)
    if match is None or "@" in match["model"]:
        return None
    variant = match["variant"]
    return match["model"] if variant is None or variant == MAIN_VARIANT else f"{match['model']}@{variant}"


def _classify(name: str, spec: TaskSpec) -> tuple[str, str | None]:
    """("item" | "run" | "other" | a skip reason, the run name or the skip's detail)."""
    if fnmatch.fnmatchcase(name, spec.dataset.file or ""):
        return "item", None
    run = upstream_run_name(name)
    if run is not None:
        return "run", run
    if fnmatch.fnmatchcase(name, "*predictions*.jsonl"):
        return "clika_predictions", None
    if any(fnmatch.fnmatchcase(name, pattern) for pattern in NOT_PREDICTIONS):
        return "other", None
    # an unknown name: the detail names the spelling that would be read when only case or suffix differ
    match = _RUN_FILE_ANY_CASE.fullmatch(name)
    if match is not None:
        variant = match["variant"] or ""
        variant = variant.lower() if variant.lower() == f"_{MAIN_VARIANT}" else variant
        fixed = f"{match['model']}_res{variant}.jsonl"
        if upstream_run_name(fixed):
            return "unknown_name", f"{NAMING} (names are case-sensitive and end in .jsonl: {fixed} would be read)"
    return "unknown_name", NAMING


@dataclasses.dataclass
class _Folder:  # the prediction files chosen for reading in one <task>/<langdir> folder
    spec: TaskSpec
    lang: str
    path: Path
    item_path: Path | None
    runs: dict[str, list[Path]]


def _choose(root: Path, keep: ReadFilter, exclude: Sequence[str],
            result: PredictionReadResult) -> tuple[list[_Folder], list[tuple[str, str, str]]]:
    """The folders and files to read, and (run, task, lang) of every prediction file in a language folder (the
    filter checks its names against them); every other file goes to result.files with its status."""
    folders: dict[tuple[str, str], _Folder] = {}
    known: list[tuple[str, str, str]] = []
    for spec in upstream_tasks():
        task, task_dir = spec.name, root / spec.name
        if not task_dir.is_dir():
            continue
        lang_of = {d.name: lang for lang, d in task_lang_dirs(root, task).items()}
        for path in sorted(p for p in task_dir.rglob("*") if p.is_file()):
            kind, detail = _classify(path.name, spec)
            parts = path.relative_to(task_dir).parts
            lang = lang_of.get(parts[0]) if len(parts) == 2 else None  # None: not directly in a language folder
            if kind == "run" and lang:
                known.append((detail or "", task, lang))
            if not keep.keep(task=task):
                continue
            rel = relative(path, root)
            if kind == "item" and lang is not None:
                folders.setdefault((task, lang), _Folder(spec, lang, path.parent, None, {})).item_path = path
            if kind == "other" or (kind == "item" and lang is not None):
                result.files.append(FileEntry(rel, "other", task=task, lang=lang))
                continue
            where = {"task": task, "lang": lang, "model": detail if kind == "run" else None}
            if excluded(rel, exclude):
                result.skip(rel, "excluded", **where)
            elif lang is None:
                result.skip(rel, "outside_layout", **where)
            elif kind != "run":
                result.skip(rel, kind, detail, **where)
            elif keep.langs is None and lang not in LANGS:
                result.skip(rel, "other_language", f"language {lang!r} is not one of the task's "
                            f"({' '.join(LANGS)}); name it in --langs to read it", **where)
            elif keep.keep(model=detail, lang=lang):
                folder = folders.setdefault((task, lang), _Folder(spec, lang, path.parent, None, {}))
                folder.runs.setdefault(detail or "", []).append(path)
    return list(folders.values()), known


def read_upstream(root: Path, keep: ReadFilter, extract: str, exclude: Sequence[str] = (),
                  trust_labels: bool = False) -> PredictionReadResult:
    """Every prediction file of the upstream layout under root (see the module docstring)."""
    if not any((root / t.name).is_dir() for t in upstream_tasks()):
        raise ConfigError("not an upstream CLiKA folder (no x_csqa/, x_copa/, x_geo/ or x_name/)", root)
    result = PredictionReadResult([])
    folders, known = _choose(root, keep, exclude, result)
    keep.check_known(known)
    for folder in folders:
        if folder.runs:
            _read_folder(folder, root, extract, trust_labels, result)
    wanted = keep.langs or frozenset(LANGS)
    read = {(f.task, f.lang) for f in result.files if f.status == "read"}
    langs_of: dict[str, list[str]] = {}
    for f in folders:
        if f.lang in wanted and (f.item_path is not None or (f.spec.name, f.lang) in read):
            langs_of.setdefault(f.spec.name, []).append(f.lang)
    result.expected_langs = {task: tuple(ordered_langs(langs)) for task, langs in langs_of.items()}
    return result


def _read_folder(folder: _Folder, root: Path, extract: str, trust_labels: bool,
                 result: PredictionReadResult) -> None:
    spec, lang, task = folder.spec, folder.lang, folder.spec.name
    items = parse_item_file(folder.item_path, spec, lang) if folder.item_path is not None else None
    gold_of = {i.item_id: i.gold for i in items} if items is not None else None
    item_name = folder.item_path.name if folder.item_path is not None else f"matching {spec.dataset.file!r}"
    origins = None
    if items is not None and spec.dataset.record == "factual":  # the culture of each fact (home_transfer)
        origins = {i.item_id: {"original_lang": i.meta["original_lang"]} for i in items if i.meta.get("original_lang")}
    for model, paths in folder.runs.items():
        if len(paths) > 1:
            raise DataError(f"{len(paths)} prediction files give model {model!r} for {task}/{lang}: "
                            f"{', '.join(p.name for p in paths)}; keep one, or rename the others "
                            f"to {model}_res_<variant>.jsonl to read them as runs {model}@<variant>", folder.path)
        path, where = paths[0], {"model": model, "task": task, "lang": lang}
        rel = relative(path, root)
        try:  # a file that does not read, or whose records are malformed, is skipped; an ItemMismatch is not
            records = read_json_lines(path)
            if not records:
                result.skip(rel, "empty", **where)
                continue
            preds, by_position = predictions_of(records, path, model, task, lang, spec.n_options, items, item_name,
                                                origins, trust_labels, result.warnings, gold_of)
        except ItemMismatch:
            raise
        except DataError as err:
            # bad JSON on the first non-blank line (the first record's): not JSON lines at all, e.g. a text dump
            not_json = err.message.startswith(_NOT_JSON) and err.line == next(
                (n for n, chunk in enumerate(path.read_bytes().split(b"\n"), start=1) if chunk.strip()), 1)
            result.skip(rel, "not_json_lines" if not_json else "malformed", err.message, err.line, **where)
            continue
        if by_position:
            result.warnings.append(f"{path}: no 'uuid' field; items aligned by 'id' as positions in {item_name}")
        if extract == "smart":
            preds, changed = _apply_smart(preds, items, folder, path)
            result.extraction_changes[(model, task, lang)] = changed
        if spec.dataset.record == "factual" and origins is None:
            # prediction files alone are enough to score; only home_transfer needs the items
            result.warnings.append(f"{path}: no item file next to it, so no original_lang: "
                                   "home_transfer is not computed for it")
        result.files.append(FileEntry(rel, "read", n=len(preds), n_items=len(items) if items is not None else None,
                                      **where))
        result.predictions.extend(preds)


def _apply_smart(preds: list[Prediction], items: list[Item] | None, folder: _Folder,
                 path: Path) -> tuple[list[Prediction], int]:
    """Re-read answers with the smart extractor (it needs the option texts); count how many changed."""
    if items is None:
        item_file(folder.path, folder.spec)  # raises the one-line error naming the folder
    options_by_id = {i.item_id: i.options for i in items or ()}
    out, changed = [], 0
    for p in preds:
        options = options_by_id.get(p.item_id)
        if options is None:
            raise DataError(f"uuid {p.item_id!r} is not an item of {p.task}/{p.lang}", path)
        choice = smart_choice(p.raw, p.n_options, options)
        changed += choice != p.choice
        out.append(p if choice == p.choice else dataclasses.replace(p, choice=choice))
    return out, changed


def predictions_of(records: list[tuple[int, dict[str, Any]]], path: Path, model: str, task: str, lang: str,
                   n_options: int, items: list[Item] | None, item_name: str,
                   origins: dict[str, dict[str, str]] | None, trust_labels: bool,
                   warnings: list[str], gold_of: dict[str, int] | None = None) -> tuple[list[Prediction], bool]:
    """The predictions of one file's records, and whether they were aligned by 'id' (no 'uuid').

    items: the item file ``item_name`` beside it (None: none). A label that disagrees with it is an ItemMismatch
    naming the count and the first one, unless trust_labels (then a line in ``warnings``). gold_of: item id -> gold
    of ``items``, when the caller has it already (one item file serves every model of a folder)."""
    first_line, first = records[0]
    if "uuid" not in first:
        return _by_position(records, path, model, task, lang, n_options, items, item_name, origins), True
    if gold_of is None and items is not None:
        gold_of = {i.item_id: i.gold for i in items}
    item_gold = gold_of.get if gold_of is not None else None
    get_origin = (origins or {}).get
    letter_index = {c: i for i, c in enumerate(LETTERS[:n_options])}
    preds: list[Prediction] = []
    seen: set[str] = set()
    n_bad, first_bad = 0, None
    for line, rec in records:
        # Parsing, checking and scoring in one loop: ~750k times for the full upstream set, so cheap type tests.
        try:
            res, label, uuid = rec["res"], rec["label"], rec["uuid"]
        except KeyError as err:
            if err.args[0] == "uuid":
                raise DataError(f"no field 'uuid', but line {first_line} has one "
                                "(give 'uuid' on every line or on none)", path, line) from None
            raise DataError(f"missing field {err.args[0]!r}", path, line) from None
        if type(uuid) is not str:
            if type(uuid) is not int:
                raise DataError(f"field 'uuid' must be a string or an integer, got {type(uuid).__name__}", path, line)
            uuid = str(uuid)
        choice, gold = _answer(res, label, letter_index, n_options, path, line)
        if uuid in seen:
            raise DataError(f"duplicate uuid {uuid!r}", path, line)
        seen.add(uuid)
        if item_gold is not None and item_gold(uuid) != gold:
            n_bad += 1
            first_bad = first_bad or (line, uuid, label, item_gold(uuid))
        preds.append(Prediction(model, task, lang, uuid, choice, gold, n_options, res, None, get_origin(uuid) or {}))
    if first_bad is not None:
        line, uuid, label, expected = first_bad
        where = "no item of it has this uuid" if expected is None else f"its gold is {LETTERS[expected]!r}"
        text = (f"{n_bad} of {len(preds)} labels disagree with the item file {item_name} "
                f"(first: line {line}, uuid {uuid!r}: label {label!r}, {where})")
        if not trust_labels:
            raise ItemMismatch(f"{text}; fix the file, or pass --trust-labels to score with its labels", path)
        warnings.append(f"{path}: {text}; scored with the file's labels (--trust-labels)")
    return preds, False


def _answer(res: Any, label: Any, letter_index: dict[str, int], n_options: int, path: Path,
            line: int) -> tuple[int | None, int]:
    """(choice, gold) of one record's 'res' and 'label'."""
    if type(res) is str:
        choice = letter_index.get(res.strip()[:1])
    elif res is None:  # no output at all: unparseable, counts as wrong
        choice = None
    else:
        raise DataError(f"field 'res' must be a string, got {type(res).__name__}", path, line)
    gold = letter_index.get(label) if type(label) is str else None
    if gold is None:
        raise DataError(f"field 'label' must be a letter A-{LETTERS[n_options - 1]}, got {label!r}", path, line)
    return choice, gold


def _by_position(records, path: Path, model: str, task: str, lang: str, n_options: int, items: list[Item] | None,
                 items_name: str, origins: dict[str, dict[str, str]] | None) -> list[Prediction]:
    """A file without 'uuid': 'id' is the item's position in the folder's item file (rare, so not tuned)."""
    first_line = records[0][0]
    if items is None:
        raise ItemMismatch(f"no field 'uuid', so 'id' must be aligned through the item file, but there is no item "
                           f"file {items_name} beside it", path, first_line)
    letter_index = {c: i for i, c in enumerate(LETTERS[:n_options])}
    preds: list[Prediction] = []
    seen: set[int] = set()
    for line, rec in records:
        if "uuid" in rec:
            raise DataError(f"field 'uuid' is here but not on line {first_line} "
                            "(give 'uuid' on every line or on none)", path, line)
        for key in ("res", "label", "id"):
            if key not in rec:
                what = "fields 'uuid' and 'id' (one of them names the item)" if key == "id" else f"field {key!r}"
                raise DataError(f"missing {what}", path, line)
        pos = rec["id"]
        if type(pos) is not int:
            raise DataError(f"field 'id' must be an item position (an integer), got {pos!r}", path, line)
        if not 0 <= pos < len(items):
            raise ItemMismatch(f"field 'id' must be an item position 0-{len(items) - 1} in {items_name}, "
                               f"got {pos!r}", path, line)
        choice, gold = _answer(rec["res"], rec["label"], letter_index, n_options, path, line)
        item = items[pos]
        if gold != item.gold:
            raise ItemMismatch(f"label {rec['label']!r} but item {pos} of {items_name} (id {item.item_id!r}) has gold "
                               f"{LETTERS[item.gold]}: 'id' does not follow the item file's order", path, line)
        if pos in seen:
            raise DataError(f"duplicate id {pos!r}", path, line)
        seen.add(pos)
        extra = (origins or {}).get(item.item_id) or {}
        preds.append(Prediction(model, task, lang, item.item_id, choice, gold, n_options, rec["res"], None, extra))
    return preds
