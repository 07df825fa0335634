"""Reading predictions from three layouts, and writing clika's own.

- "clika-repo": the upstream repository, <task>/<langdir>/<model>_res*.jsonl
  (fields id, res, label = gold letter, uuid = item id). Answers are read with
  the upstream first-character rule unless ``extract="smart"``.
- "lm-eval": lm-evaluation-harness ``--log_samples`` output (see lmeval_samples.py).
- "clika": clika's predictions.jsonl, one record per item (docs/data-format.md);
  a file, or a folder searched for *predictions*.jsonl.

Upstream file names -> model (run) names. A prediction file is named
``<model>_res.jsonl`` or ``<model>_res_<variant>.jsonl``; the name is split at
its LAST ``_res`` that is followed by ``_`` or by ``.jsonl`` (so a model name
may itself contain ``_res``; a variant may not):

    llama2_7b_res_bf16_add_simple_example.jsonl -> llama2_7b   (the paper's main runs)
    chatgpt_res.jsonl                           -> chatgpt     (zero-shot runs, "input" kept)
    llama2_7b_res_visual.jsonl                  -> llama2_7b@visual
    llama2_7b_res_fixed_en_prompt.jsonl         -> llama2_7b@fixed_en_prompt
    llama2_7b_res_without_uuid.jsonl            -> llama2_7b@without_uuid

i.e. ``_res`` and ``_res_bf16_add_simple_example`` both give the plain model
name and any other variant gives the separate run ``<model>@<variant>`` ("@"
cannot occur in a model name taken from a file name). The ``models=`` filter
matches these names exactly: "llama2_7b" does not select "llama2_7b@visual".
A ``*_res*.jsonl`` file whose name does not parse is skipped with a warning;
two files giving the same name in one folder (``x_res.jsonl`` next to
``x_res_bf16_add_simple_example.jsonl``) are a DataError, never a silent pick.

Items are aligned by ``uuid`` (an integer or a string). A file without
``uuid`` is aligned by ``id``, the item's position in the item file of its
folder (what ``id`` is in every upstream file); the reader then checks each
label against that item's gold and says so in the warnings. ``uuid`` on some
lines but not on others, or a file with no records, is a DataError.

Every malformed line raises DataError naming the file and line. A ``models=``
or ``tasks=`` value the source does not have is a ConfigError listing what it has.
"""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from clika.data.answers import EXTRACTORS, smart_choice
from clika.data.lines import read_json_lines, write_json_lines
from clika.data.lmeval_samples import read_lm_eval
from clika.data.read_result import PredictionReadResult, ReadFilter
from clika.data.upstream import item_file, parse_item_file, task_lang_dirs, upstream_tasks
from clika.errors import ConfigError, DataError
from clika.items import LETTERS, Item
from clika.predictions import Prediction
from clika.tasks import builtin_registry

__all__ = [
    "LAYOUTS", "EXTRACTORS", "PredictionReadResult", "read_predictions", "list_upstream_models",
    "upstream_run_name", "read_upstream_file", "prediction_to_record", "write_predictions_jsonl",
]

UPSTREAM_SUFFIX = "_res_bf16_add_simple_example.jsonl"  # the paper's main runs
MAIN_VARIANT = "bf16_add_simple_example"
UPSTREAM_GLOB = "*_res*.jsonl"
LAYOUTS = ("clika-repo", "lm-eval", "clika")

_Filter = ReadFilter  # the name this module used before read_result.py existed

# Greedy model part: the split is at the last "_res" followed by "_" or ".jsonl".
_RUN_FILE = re.compile(r"(?P<model>.+)_res(?:_(?P<variant>.+))?\.jsonl", re.DOTALL)
_NAMING = "not named <model>_res.jsonl or <model>_res_<variant>.jsonl"


def read_predictions(
    source: Path,
    layout: str,
    models: Sequence[str] | None = None,
    tasks: Sequence[str] | None = None,
    langs: Sequence[str] | None = None,
    extract: str = "first-char",
    task_map: Mapping[str, tuple[str, str]] | None = None,
) -> PredictionReadResult:
    """Predictions under ``source`` in ``layout``, restricted to models/tasks/langs.

    A models/tasks value that ``source`` does not have is a ConfigError naming
    what it has. task_map (lm-eval only): lm-eval task name -> (task, lang),
    for task names that do not end in "<task>_<lang>".
    """
    if layout not in LAYOUTS:
        raise ConfigError(f"unknown predictions layout {layout!r} (use one of {', '.join(LAYOUTS)})")
    if extract not in EXTRACTORS:
        raise ConfigError(f"unknown answer extraction rule {extract!r} (use one of {', '.join(EXTRACTORS)})")
    source = Path(source)
    if not source.exists():
        raise ConfigError("no such file or folder", source)
    keep = ReadFilter.of(models, tasks, langs)
    if layout == "clika-repo":
        return _read_upstream(source, keep, extract)
    if layout == "lm-eval":
        return read_lm_eval(source, keep, extract, task_map)
    return _read_clika(source, keep)


# --- upstream (clika-repo) ----------------------------------------------------


def upstream_run_name(filename: str) -> str | None:
    """The model (run) name of an upstream prediction file name; None when it does not parse.

    See the module docstring: "m_res.jsonl" and "m_res_bf16_add_simple_example.jsonl"
    -> "m", "m_res_visual.jsonl" -> "m@visual".
    """
    match = _RUN_FILE.fullmatch(filename)
    if match is None or "@" in match["model"]:
        return None
    variant = match["variant"]
    return match["model"] if variant is None or variant == MAIN_VARIANT else f"{match['model']}@{variant}"


@dataclass
class _LangRuns:
    """The prediction files of one <task>/<langdir> folder."""

    lang_dir: Path
    runs: dict[str, list[Path]]  # model (run) name -> its files (more than one: ambiguous)
    unparsed: list[Path]


def _scan_upstream(root: Path) -> dict[tuple[str, str], _LangRuns]:
    """(task, lang) -> its prediction files, for every task folder under root (file names only, nothing read)."""
    found: dict[tuple[str, str], _LangRuns] = {}
    for task in (t.name for t in upstream_tasks()):
        if not (root / task).is_dir():
            continue
        for lang, lang_dir in task_lang_dirs(root, task).items():
            runs: dict[str, list[Path]] = {}
            unparsed: list[Path] = []
            for path in sorted(lang_dir.glob(UPSTREAM_GLOB)):
                name = upstream_run_name(path.name)
                if name is None:
                    unparsed.append(path)
                else:
                    runs.setdefault(name, []).append(path)
            found[(task, lang)] = _LangRuns(lang_dir, runs, unparsed)
    return found


def list_upstream_models(root: Path) -> list[str]:
    """Names of all models (and <model>@<variant> runs) with at least one upstream prediction file."""
    return sorted({name for lr in _scan_upstream(Path(root)).values() for name in lr.runs})


_Items = tuple[list[Item], Path]  # the items of a folder, in file order, and their file


def _folder_items(lang_dir: Path, task: str, lang: str) -> _Items:
    path = item_file(lang_dir, task)
    return parse_item_file(path, task, lang), path


def read_upstream_file(path: Path, model: str, task: str, lang: str, n_options: int) -> list[Prediction]:
    """One upstream *_res*.jsonl file, scored with the first-character rule.

    A file without 'uuid' is aligned by 'id' through the item file of its folder.
    """
    path = Path(path)
    return _read_upstream_file(path, model, task, lang, n_options,
                               lambda: _folder_items(path.parent, task, lang))[0]


def _read_upstream_file(path: Path, model: str, task: str, lang: str, n_options: int,
                        get_items: Callable[[], _Items],
                        origins: dict[str, dict[str, str]] | None = None) -> tuple[list[Prediction], bool]:
    """The predictions of one file, and whether they were aligned by 'id' (no 'uuid' in the file).
    ``origins``: item id -> the ``extra`` its predictions carry (the fact's original_lang)."""
    records = read_json_lines(path)
    if not records:
        raise DataError("empty prediction file (no records); remove it or fill it", path)
    first_line, first = records[0]
    if "uuid" not in first:
        return _read_by_position(records, path, model, task, lang, n_options, get_items, origins), True
    get_origin = (origins or {}).get
    letter_index = {c: i for i, c in enumerate(LETTERS[:n_options])}
    get_letter = letter_index.get
    preds: list[Prediction] = []
    append = preds.append
    seen: set[str] = set()
    for line, rec in records:
        # One loop does parsing, checking and scoring: this runs ~750k times
        # for the full upstream set, so every check is a cheap type test.
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
        if type(res) is str:
            choice = get_letter(res.strip()[:1])
        elif res is None:  # no output at all: unparseable, counts as wrong
            choice = None
        else:
            raise DataError(f"field 'res' must be a string, got {type(res).__name__}", path, line)
        gold = get_letter(label) if type(label) is str else None
        if gold is None:
            raise DataError(f"field 'label' must be a letter A-{LETTERS[n_options - 1]}, got {label!r}", path, line)
        if uuid in seen:
            raise DataError(f"duplicate uuid {uuid!r}", path, line)
        seen.add(uuid)
        append(Prediction(model, task, lang, uuid, choice, gold, n_options, res, None, get_origin(uuid) or {}))
    return preds, False


def _read_by_position(records: list[tuple[int, dict[str, Any]]], path: Path, model: str, task: str, lang: str,
                      n_options: int, get_items: Callable[[], _Items],
                      origins: dict[str, dict[str, str]] | None = None) -> list[Prediction]:
    """A file without 'uuid': 'id' is the item's position in the folder's item file (rare, so not tuned)."""
    first_line = records[0][0]
    try:
        items, items_path = get_items()
    except DataError as err:  # name the prediction file that needs the item file, not only the folder
        raise DataError(f"no field 'uuid', so 'id' must be aligned through the item file, but: {err}",
                        path, first_line) from None
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
        res, label, pos = rec["res"], rec["label"], rec["id"]
        if type(pos) is not int or not 0 <= pos < len(items):
            raise DataError(f"field 'id' must be an item position 0-{len(items) - 1} in {items_path.name}, "
                            f"got {pos!r}", path, line)
        if type(res) is str:
            choice = letter_index.get(res.strip()[:1])
        elif res is None:
            choice = None
        else:
            raise DataError(f"field 'res' must be a string, got {type(res).__name__}", path, line)
        gold = letter_index.get(label) if type(label) is str else None
        if gold is None:
            raise DataError(f"field 'label' must be a letter A-{LETTERS[n_options - 1]}, got {label!r}", path, line)
        item = items[pos]
        if gold != item.gold:
            raise DataError(f"label {label!r} but item {pos} of {items_path.name} (id {item.item_id!r}) has gold "
                            f"{LETTERS[item.gold]}: 'id' does not follow the item file's order", path, line)
        if pos in seen:
            raise DataError(f"duplicate id {pos!r}", path, line)
        seen.add(pos)
        preds.append(Prediction(model, task, lang, item.item_id, choice, gold, n_options, res, None,
                                (origins or {}).get(item.item_id) or {}))
    return preds


def _apply_smart(preds: list[Prediction], options_by_id: dict[str, tuple[str, ...]],
                 path: Path) -> tuple[list[Prediction], int]:
    """Re-read answers with the smart extractor; count how many changed."""
    out, changed = [], 0
    for p in preds:
        options = options_by_id.get(p.item_id)
        if options is None:
            raise DataError(f"uuid {p.item_id!r} is not an item of {p.task}/{p.lang}", path)
        choice = smart_choice(p.raw, p.n_options, options)
        if choice != p.choice:
            changed += 1
            p = dataclasses.replace(p, choice=choice)
        out.append(p)
    return out, changed


def _read_upstream(root: Path, keep: ReadFilter, extract: str) -> PredictionReadResult:
    result = PredictionReadResult([])
    if not any((root / t.name).is_dir() for t in upstream_tasks()):
        raise ConfigError("not an upstream CLiKA folder (no x_csqa/, x_copa/, x_geo/ or x_name/)", root)
    scan = _scan_upstream(root)
    keep.check_known((model, task, lang) for (task, lang), lr in scan.items() for model in lr.runs)
    for (task, lang), lr in scan.items():
        if not keep.keep(task=task, lang=lang):
            continue
        result.warnings.extend(f"skipped {path}: {_NAMING}" for path in lr.unparsed)
        spec = builtin_registry()[task]
        n_options = spec.n_options
        cache: list[_Items] = []
        options_by_id: dict[str, tuple[str, ...]] | None = None

        def get_items(lang_dir: Path = lr.lang_dir, task: str = task, lang: str = lang,
                      cache: list[_Items] = cache) -> _Items:
            if not cache:  # item texts, read at most once per (task, lang)
                cache.append(_folder_items(lang_dir, task, lang))
            return cache[0]

        origins: dict[str, dict[str, str]] | None = None
        if spec.dataset.record == "factual":  # items carry the culture a fact comes from (home_transfer)
            if any(lr.lang_dir.glob(spec.dataset.file or "")):
                origins = {i.item_id: {"original_lang": i.meta["original_lang"]}
                           for i in get_items()[0] if i.meta.get("original_lang")}
        for model, paths in lr.runs.items():
            if not keep.keep(model=model):
                continue
            if len(paths) > 1:
                raise DataError(f"{len(paths)} prediction files give model {model!r} for {task}/{lang}: "
                                f"{', '.join(p.name for p in paths)}; keep one, or rename the others "
                                f"to {model}_res_<variant>.jsonl to read them as runs {model}@<variant>",
                                lr.lang_dir)
            path = paths[0]
            preds, by_position = _read_upstream_file(path, model, task, lang, n_options, get_items, origins)
            if by_position:
                result.warnings.append(f"{path}: no 'uuid' field; items aligned by 'id' "
                                       f"as positions in {get_items()[1].name}")
            if extract == "smart":
                if options_by_id is None:
                    options_by_id = {i.item_id: i.options for i in get_items()[0]}
                preds, changed = _apply_smart(preds, options_by_id, path)
                result.extraction_changes[(model, task, lang)] = changed
            if spec.dataset.record == "factual" and origins is None:
                # prediction files alone are enough to score; only home_transfer needs the items
                result.warnings.append(f"{path}: no item file next to it, so no original_lang: "
                                       "home_transfer is not computed for it")
            result.predictions.extend(preds)
    return result


# --- clika's own predictions.jsonl ---------------------------------------------

_CLIKA_FIELDS = ("model", "task", "lang", "item_id", "prediction", "gold", "n_options")


def _is_int(v: Any) -> bool:
    return type(v) is int


def _clika_prediction(rec: dict[str, Any]) -> Prediction | str:
    missing = [k for k in _CLIKA_FIELDS if k not in rec]
    if missing:
        return f"missing field(s) {', '.join(repr(k) for k in missing)}"
    for key in ("model", "task", "lang"):
        if not isinstance(rec[key], str) or not rec[key]:
            return f"field {key!r} must be a non-empty string"
    item_id, choice, gold, n = rec["item_id"], rec["prediction"], rec["gold"], rec["n_options"]
    if not (isinstance(item_id, str) or _is_int(item_id)):
        return "field 'item_id' must be a string or an integer"
    if not _is_int(n) or n < 2:
        return "field 'n_options' must be an integer >= 2"
    if not _is_int(gold) or not 0 <= gold < n:
        return f"field 'gold' must be an option index below {n}, got {gold!r}"
    if choice is not None and (not _is_int(choice) or not 0 <= choice < n):
        return f"field 'prediction' must be null or an option index below {n}, got {choice!r}"
    if "correct" in rec and rec["correct"] is not ((choice is not None) and choice == gold):
        return f"field 'correct' is {rec['correct']!r} but prediction {choice!r} vs gold {gold} says otherwise"
    raw, scores = rec.get("raw"), rec.get("scores")
    if raw is not None and not isinstance(raw, str):
        return "field 'raw' must be a string or null"
    if scores is not None:
        if not isinstance(scores, list) or not all(
            s is None or (isinstance(s, (int, float)) and not isinstance(s, bool)) for s in scores
        ):
            return "field 'scores' must be a list of numbers (null = -inf) or null"
        scores = tuple(float("-inf") if s is None else float(s) for s in scores)
    extra = rec.get("extra") or {}
    return Prediction(rec["model"], rec["task"], rec["lang"], str(item_id), choice, gold, n, raw, scores, extra)


def _read_clika(source: Path, keep: ReadFilter) -> PredictionReadResult:
    # A run folder also holds other JSONL (metric records...): in a folder only
    # files named *predictions*.jsonl are predictions.
    files = [source] if source.is_file() else sorted(source.rglob("*predictions*.jsonl"))
    if not files:
        raise ConfigError("no predictions*.jsonl files here", source)
    result = PredictionReadResult([])
    seen: dict[tuple[str, str, str, str], str] = {}
    for path in files:
        for line, rec in read_json_lines(path):
            pred = _clika_prediction(rec)
            if isinstance(pred, str):
                raise DataError(pred, path, line)
            key = (pred.model, pred.task, pred.lang, pred.item_id)
            if key in seen:
                raise DataError(f"duplicate prediction for {'/'.join(key)} (first at {seen[key]})", path, line)
            seen[key] = f"{path}:{line}"
            if keep.keep(pred.model, pred.task, pred.lang):
                result.predictions.append(pred)
    keep.check_known(key[:3] for key in seen)
    return result


def prediction_to_record(p: Prediction) -> dict[str, Any]:
    rec: dict[str, Any] = {
        "model": p.model, "task": p.task, "lang": p.lang, "item_id": p.item_id,
        "prediction": p.choice, "gold": p.gold, "n_options": p.n_options, "correct": p.correct,
    }
    if p.raw is not None:
        rec["raw"] = p.raw
    if p.scores is not None:
        # Strict JSON has no -Infinity: an option the model gave no probability
        # (e.g. a letter outside an API's top-k logprobs) is written as null.
        rec["scores"] = [s if math.isfinite(s) else None for s in p.scores]
    if p.extra:
        rec["extra"] = p.extra
    return rec


def write_predictions_jsonl(preds: Iterable[Prediction], path: str | Path) -> Path:
    """Write predictions as clika's predictions.jsonl (one object per line, UTF-8)."""
    return write_json_lines((prediction_to_record(p) for p in preds), path)
