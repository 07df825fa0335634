"""Reading predictions from three layouts, and writing clika's own.

- "clika-repo": the upstream repository, <task>/<langdir>/<model>_res*.jsonl (id, res, label = gold letter, uuid =
  item id): clika.data.upstream_predictions. Answers are read with the upstream first-character rule unless
  ``extract="smart"``.
- "lm-eval": lm-evaluation-harness ``--log_samples`` output (lmeval_samples.py).
- "clika": clika's predictions.jsonl (docs/data-format.md); a file, or a folder searched for *predictions*.jsonl.

``exclude`` (globs) leaves out files of a folder, matched on their path relative to it or their name; the result's
``files`` say what was read and what not (clika.data.coverage summarises them). In the clika layout a malformed line
raises DataError naming the file and line.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from clika.data.answers import EXTRACTORS
from clika.data.jsonl_items import record_problem
from clika.data.lines import read_json_lines, write_json_lines
from clika.data.lmeval_samples import read_lm_eval
from clika.data.reading import FileEntry, PredictionReadResult, ReadFilter, excluded, relative
from clika.data.upstream_predictions import read_upstream
from clika.errors import ConfigError, DataError
from clika.predictions import Prediction

__all__ = ["LAYOUTS", "read_predictions", "prediction_to_record", "write_predictions_jsonl"]

LAYOUTS = ("clika-repo", "lm-eval", "clika")


def read_predictions(source: Path, layout: str, models: Sequence[str] | None = None, tasks: Sequence[str] | None = None,
                     langs: Sequence[str] | None = None, extract: str = "first-char",
                     task_map: Mapping[str, tuple[str, str]] | None = None, exclude: Sequence[str] = (),
                     trust_labels: bool = False) -> PredictionReadResult:
    """Predictions under ``source`` in ``layout``, restricted to models/tasks/langs (a models/tasks value that
    ``source`` does not have is a ConfigError naming what it has). task_map (lm-eval): lm-eval task name -> (task,
    lang), for names not ending in "<task>_<lang>". trust_labels (upstream): score with the prediction files' gold
    labels where they disagree with the item files (otherwise an error)."""
    if layout not in LAYOUTS:
        raise ConfigError(f"unknown predictions layout {layout!r} (use one of {', '.join(LAYOUTS)})")
    if extract not in EXTRACTORS:
        raise ConfigError(f"unknown answer extraction rule {extract!r} (use one of {', '.join(EXTRACTORS)})")
    source = Path(source)
    if not source.exists():
        raise ConfigError("no such file or folder", source)
    keep = ReadFilter.of(models, tasks, langs)
    if layout == "clika-repo":
        return read_upstream(source, keep, extract, exclude, trust_labels)
    if layout == "lm-eval":
        return read_lm_eval(source, keep, extract, task_map, exclude)
    return _read_clika(source, keep, exclude)


# --- clika's own predictions.jsonl ---------------------------------------------

_CLIKA_FIELDS = ("model", "task", "lang", "item_id", "prediction", "gold", "n_options")


def _is_option(v: Any, n: int) -> bool:
    return type(v) is int and 0 <= v < n


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _clika_prediction(rec: dict[str, Any]) -> Prediction | str:
    problem = record_problem(rec, _CLIKA_FIELDS, ("model", "task", "lang"))
    if problem:
        return problem
    item_id, choice, gold, n = rec["item_id"], rec["prediction"], rec["gold"], rec["n_options"]
    raw, scores = rec.get("raw"), rec.get("scores")
    if not (isinstance(item_id, str) or type(item_id) is int):
        return "field 'item_id' must be a string or an integer"
    if type(n) is not int or n < 2:
        return "field 'n_options' must be an integer >= 2"
    if not _is_option(gold, n):
        return f"field 'gold' must be an option index below {n}, got {gold!r}"
    if choice is not None and not _is_option(choice, n):
        return f"field 'prediction' must be null or an option index below {n}, got {choice!r}"
    if "correct" in rec and rec["correct"] is not ((choice is not None) and choice == gold):
        return f"field 'correct' is {rec['correct']!r} but prediction {choice!r} vs gold {gold} says otherwise"
    if raw is not None and not isinstance(raw, str):
        return "field 'raw' must be a string or null"
    if scores is not None:
        if not (isinstance(scores, list) and all(s is None or _is_number(s) for s in scores)):
            return "field 'scores' must be a list of numbers (null = -inf) or null"
        scores = tuple(float("-inf") if s is None else float(s) for s in scores)
    return Prediction(rec["model"], rec["task"], rec["lang"], str(item_id), choice, gold, n, raw, scores,
                      rec.get("extra") or {})


def _read_clika(source: Path, keep: ReadFilter, exclude: Sequence[str] = ()) -> PredictionReadResult:
    # A run folder holds other JSONL too (metric records...): only *predictions*.jsonl are predictions.
    result = PredictionReadResult([])
    files = [source] if source.is_file() else sorted(source.rglob("*predictions*.jsonl"))
    if source.is_dir():
        for path in [f for f in files if excluded(relative(f, source), exclude)]:
            result.skip(relative(path, source), "excluded")
            files.remove(path)
    if not files:
        others = " (others matched --exclude)" if result.files else ""
        raise ConfigError(f"no predictions*.jsonl files here{others}", source)
    seen: dict[tuple[str, str, str, str], str] = {}
    for path in files:
        before = len(result.predictions)
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
        name = relative(path, source) if source.is_dir() else str(path)
        result.files.append(FileEntry(name, "read", n=len(result.predictions) - before))
    keep.check_known(key[:3] for key in seen)
    return result


def prediction_to_record(p: Prediction) -> dict[str, Any]:
    rec = {"model": p.model, "task": p.task, "lang": p.lang, "item_id": p.item_id, "prediction": p.choice}
    rec |= {"gold": p.gold, "n_options": p.n_options, "correct": p.correct}
    if p.raw is not None:
        rec["raw"] = p.raw
    if p.scores is not None:
        # Strict JSON has no -Infinity: an option without probability (outside an API's top-k) is written as null.
        rec["scores"] = [s if math.isfinite(s) else None for s in p.scores]
    if p.extra:
        rec["extra"] = p.extra
    return rec


def write_predictions_jsonl(preds: Iterable[Prediction], path: str | Path) -> Path:
    """Write predictions as clika's predictions.jsonl (one object per line, UTF-8)."""
    return write_json_lines((prediction_to_record(p) for p in preds), path)
