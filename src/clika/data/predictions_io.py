"""Reading predictions from three layouts, and writing clika's own.

- "clika-repo": the upstream repository, <task>/<langdir>/<model>_res_bf16_add_simple_example.jsonl
  (fields id, res, label = gold letter, uuid = item id). Answers are read with
  the upstream first-character rule unless ``extract="smart"``.
- "lm-eval": lm-evaluation-harness ``--log_samples`` output (see lmeval_samples.py).
- "clika": clika's predictions.jsonl, one record per item (docs/data-format.md);
  a file, or a folder searched for *predictions*.jsonl.

Every malformed line raises DataError naming the file and line.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from clika.data.answers import smart_choice
from clika.data.lines import read_json_lines, write_json_lines
from clika.data.upstream import UPSTREAM_TASKS, item_file, parse_item_file, task_lang_dirs
from clika.errors import ConfigError, DataError
from clika.items import LETTERS, TASKS
from clika.predictions import Prediction

UPSTREAM_SUFFIX = "_res_bf16_add_simple_example.jsonl"
LAYOUTS = ("clika-repo", "lm-eval", "clika")
EXTRACTORS = ("first-char", "smart")


@dataclass
class PredictionReadResult:
    """What ``read_predictions`` found.

    extraction_changes: (model, task, lang) -> number of answers where the smart
        extractor chose differently from the first-character rule (extract="smart" only).
    """

    predictions: list[Prediction]
    extraction_changes: dict[tuple[str, str, str], int] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class _Filter:
    models: frozenset[str] | None
    tasks: frozenset[str] | None
    langs: frozenset[str] | None

    def keep(self, model: str | None = None, task: str | None = None, lang: str | None = None) -> bool:
        return not (
            (model is not None and self.models is not None and model not in self.models)
            or (task is not None and self.tasks is not None and task not in self.tasks)
            or (lang is not None and self.langs is not None and lang not in self.langs)
        )


def _as_set(values: Sequence[str] | None) -> frozenset[str] | None:
    return frozenset(values) if values else None


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

    task_map (lm-eval only): lm-eval task name -> (task, lang), for task names
    that do not end in "<task>_<lang>".
    """
    if layout not in LAYOUTS:
        raise ConfigError(f"unknown predictions layout {layout!r} (use one of {', '.join(LAYOUTS)})")
    if extract not in EXTRACTORS:
        raise ConfigError(f"unknown answer extraction rule {extract!r} (use one of {', '.join(EXTRACTORS)})")
    source = Path(source)
    if not source.exists():
        raise ConfigError("no such file or folder", source)
    keep = _Filter(_as_set(models), _as_set(tasks), _as_set(langs))
    if layout == "clika-repo":
        return _read_upstream(source, keep, extract)
    if layout == "lm-eval":
        from clika.data.lmeval_samples import read_lm_eval

        return read_lm_eval(source, keep.keep, extract, task_map)
    return _read_clika(source, keep)


# --- upstream (clika-repo) ----------------------------------------------------


def list_upstream_models(root: Path) -> list[str]:
    """Names of all models with at least one upstream prediction file."""
    names = {
        f.name[: -len(UPSTREAM_SUFFIX)]
        for task in UPSTREAM_TASKS
        if (Path(root) / task).is_dir()
        for lang_dir in task_lang_dirs(Path(root), task).values()
        for f in lang_dir.glob("*" + UPSTREAM_SUFFIX)
    }
    return sorted(names)


def read_upstream_file(path: Path, model: str, task: str, lang: str, n_options: int) -> list[Prediction]:
    """One upstream *_res_*.jsonl file, scored with the first-character rule."""
    letter_index = {c: i for i, c in enumerate(LETTERS[:n_options])}
    get_letter = letter_index.get
    preds: list[Prediction] = []
    append = preds.append
    seen: set[str] = set()
    for line, rec in read_json_lines(path):
        # One loop does parsing, checking and scoring: this runs ~750k times
        # for the full upstream set, so every check is a cheap type test.
        try:
            res, label, uuid = rec["res"], rec["label"], rec["uuid"]
        except KeyError as err:
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
        append(Prediction(model, task, lang, uuid, choice, gold, n_options, res))
    return preds


def _apply_smart(preds: list[Prediction], options_by_id: dict[str, tuple[str, ...]], path: Path) -> tuple[list[Prediction], int]:
    """Re-read answers with the smart extractor; count how many changed."""
    out, changed = [], 0
    for p in preds:
        options = options_by_id.get(p.item_id)
        if options is None:
            raise DataError(f"uuid {p.item_id!r} is not an item of {p.task}/{p.lang}", path)
        choice = smart_choice(p.raw, p.n_options, options)
        if choice != p.choice:
            changed += 1
            p = Prediction(p.model, p.task, p.lang, p.item_id, choice, p.gold, p.n_options, p.raw)
        out.append(p)
    return out, changed


def _read_upstream(root: Path, keep: _Filter, extract: str) -> PredictionReadResult:
    result = PredictionReadResult([])
    if not any((root / t).is_dir() for t in UPSTREAM_TASKS):
        raise ConfigError("not an upstream CLiKA folder (no x_csqa/, x_copa/, x_geo/ or x_name/)", root)
    for task in UPSTREAM_TASKS:
        if not keep.keep(task=task) or not (root / task).is_dir():
            continue
        n_options = TASKS[task].n_options
        for lang, lang_dir in task_lang_dirs(root, task).items():
            if not keep.keep(lang=lang):
                continue
            options_by_id: dict[str, tuple[str, ...]] | None = None
            for path in sorted(lang_dir.glob("*" + UPSTREAM_SUFFIX)):
                model = path.name[: -len(UPSTREAM_SUFFIX)]
                if not keep.keep(model=model):
                    continue
                preds = read_upstream_file(path, model, task, lang, n_options)
                if extract == "smart":
                    if options_by_id is None:  # item texts, read once per (task, lang)
                        items = parse_item_file(item_file(lang_dir, task), task, lang)
                        options_by_id = {i.item_id: i.options for i in items}
                    preds, changed = _apply_smart(preds, options_by_id, path)
                    result.extraction_changes[(model, task, lang)] = changed
                result.predictions.extend(preds)
    if keep.models:
        found = {p.model for p in result.predictions}
        missing = sorted(keep.models - found)
        if missing:
            result.warnings.append(f"no predictions found for model(s): {', '.join(missing)}")
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


def _read_clika(source: Path, keep: _Filter) -> PredictionReadResult:
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
