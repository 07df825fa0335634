"""Reading lm-evaluation-harness ``--log_samples`` output (lm-eval 0.4.x).

lm-eval writes <output>/<model_name_sanitized>/samples_<task>_<date>.jsonl and results_<date>.json, one samples
line per (document, filter):

    {"doc_id": 0, "doc": {...}, "target": "1", "arguments": {"gen_args_0": {"arg_0": context, "arg_1": cont}, ...},
     "resps": [[["-1.2", "False"]], ...], "filtered_resps": [["-1.2", "False"], ...], "filter": "none",
     "metrics": ["acc", "acc_norm"], "doc_hash": ..., "prompt_hash": ..., "target_hash": ..., "acc": 1.0, ...}

lm-eval turned every value inside resps/filtered_resps into a string. multiple_choice: filtered_resps holds one
[loglikelihood, is_greedy] pair per option, the choice is the argmax (lm-eval's ``acc``). generate_until: it holds the
generated text, read with the chosen extractor. ``target`` is str(doc_to_target(doc)): index, letter or option text.

``clika data export --format lm-eval`` (clika.data.lmeval_tasks) names its tasks ``clika_<task>_<lang>`` plus a
variant suffix (VARIANTS); their documents carry the item id as ``clika_id``, which aligns languages. Read back,
predictions of an lm-eval task not named like a clika run's own (``<task>_<lang>``) say which lm-eval task and
metric they came from (``Prediction.extra[SOURCE_KEY]``; clika.api.score puts it in the records' note).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from clika.data.answers import extract_choice, first_char_choice
from clika.data.lines import read_json_lines
from clika.data.reading import FileEntry, PredictionReadResult, ReadFilter, excluded, relative
from clika.errors import ConfigError, DataError
from clika.items import LETTERS
from clika.predictions import Prediction
from clika.tasks import builtin_registry

_SAMPLES_RE = re.compile(r"^samples_(?P<task>.+)_(?P<date>\d{4}-\d{2}-\d{2}T[0-9.\-]+)\.jsonl$")

Keep = Callable[..., bool]

EXPORT_PREFIX = "clika_"  # the lm-eval task names clika's export writes: clika_<task>_<lang><suffix>
SOURCE_KEY = "lm_eval_source"  # Prediction.extra key: "<lm-eval task>: <metric>,<filter>"


@dataclass(frozen=True)
class Variant:
    """One way clika's lm-eval export asks a task: the suffix of its task and group names, the clika mode and
    template it reproduces, and the lm-eval metric and filter whose value equals clika's accuracy read back."""

    suffix: str
    mode: str
    template: str
    metric: str
    filter: str


VARIANTS: tuple[Variant, ...] = (
    Variant("", "letter", "paper", "acc", "none"),  # the paper's prompt, log-likelihood of each letter
    Variant("_gen", "generate", "paper", "exact_match", "first_letter"),  # generated, its first letter
    Variant("_cloze", "cloze", "qa", "acc", "none"),  # the qa prompt, log-likelihood of each option text
)


class _Bad(Exception):
    """A bad samples line (raised again as a DataError naming the file and line)."""


def lm_eval_task_name(task: str, lang: str) -> str:
    """The lm-eval task name of one clika task in one language ("x_geo", "de" -> "x_geo_de")."""
    return f"{task}_{lang}"


def export_task_name(task: str, lang: str, variant: Variant) -> str:
    """clika's export's lm-eval task name of a task, language and variant: clika_x_geo_de_gen."""
    return EXPORT_PREFIX + lm_eval_task_name(task, lang) + variant.suffix


def split_task_name(name: str, task_map: Mapping[str, tuple[str, str]] | None = None) -> tuple[str, str] | None:
    """"x_geo_zh" / "clika_x_geo_zh" / "clika_x_geo_zh_gen" -> ("x_geo", "zh"); None when not recognisable.
    A variant suffix (VARIANTS) is recognised after clika's export prefix only."""
    if task_map and name in task_map:
        return tuple(task_map[name])  # type: ignore[return-value]
    suffixes = "|".join(re.escape(v.suffix) for v in VARIANTS if v.suffix)
    for task in sorted(builtin_registry().names(), key=len, reverse=True):  # longest first: no prefix clashes
        m = (re.fullmatch(rf"{EXPORT_PREFIX}{re.escape(task)}_([a-z]{{2}})(?:{suffixes})", name)
             or re.fullmatch(rf"(?:.*_)?{re.escape(task)}_([a-z]{{2}})", name))
        if m:
            return task, m.group(1)
    return None


def _model_name(folder: Path) -> str:
    """The unsanitised model name from results_*.json, else the folder's name."""
    for results in sorted(folder.glob("results_*.json"), reverse=True):
        try:
            name = json.loads(results.read_text(encoding="utf-8")).get("model_name")
        except (OSError, ValueError, AttributeError):
            continue
        if isinstance(name, str) and name:
            return name
    return folder.name


def _gold(target: Any, n_options: int, options: list[str] | None) -> int:
    text = str(target).strip()
    if text.isdigit():
        gold = int(text)
    elif len(text) == 1 and text in LETTERS:
        gold = LETTERS.index(text)
    elif options and [o.strip() for o in options].count(text) == 1:
        gold = [o.strip() for o in options].index(text)
    else:
        raise _Bad(f"target {target!r} is neither an option index, a letter nor an option text")
    if not 0 <= gold < n_options:
        raise _Bad(f"target {target!r} is out of range for {n_options} options")
    return gold


def _is_loglikelihood(filtered: list[Any]) -> bool:
    return bool(filtered) and all(isinstance(r, list) and len(r) == 2 for r in filtered)


def _record_prediction(rec: dict[str, Any], model: str, task: str, lang: str, extract: str,
                       extra: Mapping[str, str]) -> Prediction:
    """The Prediction of one samples line; extra: what every prediction of the file carries."""
    for key in ("doc_id", "target", "arguments", "filtered_resps"):
        if key not in rec:
            raise _Bad(f"missing field {key!r}")
    filtered, arguments = rec["filtered_resps"], rec["arguments"]
    if not isinstance(filtered, list) or not isinstance(arguments, dict):
        raise _Bad("fields 'filtered_resps' must be a list and 'arguments' an object")
    doc = rec.get("doc") if isinstance(rec.get("doc"), dict) else {}
    # Documents exported from clika items carry their id ("clika_id": clika's lm-eval tasks; "id": a clika
    # run's samples); it is what aligns items across languages. Otherwise the position in the split is all there is.
    doc_key = next((v for v in (doc.get("clika_id"), doc.get("id"))
                    if isinstance(v, (str, int)) and not isinstance(v, bool)), None)
    if doc_key is None and type(rec["doc_id"]) is not int:
        raise _Bad(f"field 'doc_id' must be an integer, got {type(rec['doc_id']).__name__}")
    item_id = str(rec["doc_id"] if doc_key is None else doc_key)
    # The culture a fact comes from, where the document carries clika's item meta (clika's export).
    origin = doc.get("meta").get("original_lang") if isinstance(doc.get("meta"), dict) else None
    extra = {**({"original_lang": origin} if isinstance(origin, str) and origin else {}), **extra}
    if _is_loglikelihood(filtered):
        try:
            lls = np.array([float(r[0]) for r in filtered])
        except (TypeError, ValueError):
            raise _Bad("filtered_resps must hold [loglikelihood, is_greedy] pairs") from None
        n, spec = len(lls), builtin_registry().get(task)
        if spec is not None and spec.n_options != n:
            raise _Bad(f"{n} options scored but {task} has {spec.n_options}")
        conts = [a.get("arg_1") for a in arguments.values() if isinstance(a, dict)]
        gold = _gold(rec["target"], n, [c for c in conts if isinstance(c, str)] if len(conts) == n else None)
        # First maximum on ties, as lm-eval's acc; a NaN score is no answer (as clika's own scoring),
        # where np.argmax would pick the NaN.
        choice = None if np.isnan(lls).any() else int(np.argmax(lls))
        return Prediction(model, task, lang, item_id, choice, gold, n, None, tuple(lls.tolist()), extra)
    if len(filtered) != 1 or not isinstance(filtered[0], str):
        raise _Bad("filtered_resps is neither option loglikelihoods nor one generated text")
    if task not in builtin_registry():
        raise _Bad(f"generated answers need a known task to know the option count; {task!r} is not registered")
    n, raw = builtin_registry()[task].n_options, filtered[0]
    options = doc.get("options") if isinstance(doc.get("options"), list) else None
    gold = _gold(rec["target"], n, options)
    choice = extract_choice(raw, n, options, extract)
    return Prediction(model, task, lang, item_id, choice, gold, n, raw, extra=extra)


def _latest_samples(folder: Path, source: Path, exclude: Sequence[str],
                    result: PredictionReadResult) -> dict[str, Path]:
    """lm-eval task name -> its newest samples file in one model folder (the others: skips in result)."""
    latest: dict[str, tuple[str, Path]] = {}
    for path in sorted(folder.glob("samples_*.jsonl")):
        rel, m = relative(path, source), _SAMPLES_RE.match(path.name)
        if excluded(rel, exclude):
            result.skip(rel, "excluded")
        elif not m:
            result.skip(rel, "unknown_name", "not named samples_<task>_<date>.jsonl")
        elif m["task"] in latest:  # one file has the later date in its name: the other is skipped
            older, latest[m["task"]] = sorted((latest[m["task"]], (m["date"], path)))
            result.skip(relative(older[1], source), "newer_file",
                        f"a newer samples file for {m['task']} is in the same folder")
        else:
            latest[m["task"]] = (m["date"], path)
    return {name: p for name, (_, p) in latest.items()}


def read_lm_eval(source: Path, keep: ReadFilter | Keep, extract: str,
                 task_map: Mapping[str, tuple[str, str]] | None, exclude: Sequence[str] = ()) -> PredictionReadResult:
    """All predictions of an lm-eval output folder (or one model folder, or one file).

    keep: a ReadFilter (a models/tasks value the output does not have is then a ConfigError listing what it
    has), or a keep(model=, task=, lang=) function. exclude: globs of samples files to leave out (skipped)."""
    result = PredictionReadResult([])
    if source.is_file():
        m = _SAMPLES_RE.match(source.name)
        tasks_by_folder = {source.parent: {m.group("task") if m else source.stem: source}}
    else:
        folders = sorted({f.parent for f in source.rglob("samples_*.jsonl")})
        if not folders:
            raise ConfigError("no lm-eval samples_*.jsonl files here (run lm-eval with --log_samples)", source)
        tasks_by_folder = {folder: _latest_samples(folder, source, exclude, result) for folder in folders}
    # What is there, from folder and file names only: (model, task, lang, lm-eval task, samples file).
    found: list[tuple[str, str, str, str, Path]] = []
    for folder, files in tasks_by_folder.items():
        model = _model_name(folder)
        for name, path in sorted(files.items()):
            task_lang = split_task_name(name, task_map)
            if task_lang is None:
                result.skip(relative(path, source), "unknown_name", f"cannot tell task and language from lm-eval "
                            f"task {name!r}; name it <task>_<lang> or pass a task map", model=model)
            else:
                found.append((model, *task_lang, name, path))
    if isinstance(keep, ReadFilter):
        keep.check_known((model, task, lang) for model, task, lang, _, _ in found)
        keep = keep.keep
    found = [f for f in found if keep(model=f[0], task=f[1], lang=f[2])]
    names: dict[tuple[str, str, str], str] = {}
    for model, task, lang, name, path in found:
        # Two lm-eval tasks of one model read as one task and language (clika_x_geo_de and clika_x_geo_de_gen:
        # two ways of asking the same items) cannot both be scored.
        other = names.setdefault((model, task, lang), name)
        if other != name:
            raise ConfigError(f"model {model!r}: lm-eval tasks {other!r} and {name!r} are both {task} in {lang!r}; "
                              f"score one at a time (e.g. --exclude 'samples_{name}_*')", path.parent)
    for model, task, lang, name, path in found:
        n = _read_samples_file(path, model, task, lang, extract, result, name)
        result.files.append(FileEntry(relative(path, source), "read", model=model, task=task, lang=lang, n=n))
    return result


def sources_note(sources: Iterable[str]) -> str | None:
    """Prose for a record: the lm-eval tasks and metrics its predictions came from (see SOURCE_KEY)."""
    listed = sorted(set(sources))
    return f"from lm-eval {'; '.join(listed)}" if listed else None


def _read_samples_file(path: Path, model: str, task: str, lang: str, extract: str,
                       result: PredictionReadResult, name: str) -> int:
    """Adds one samples file's predictions (of one filter) to result; returns how many."""
    records = read_json_lines(path)
    filters = list(dict.fromkeys(str(r.get("filter", "none")) for _, r in records))
    chosen_filter = "none" if "none" in filters else (filters[0] if filters else "none")
    if len(filters) > 1:
        result.warnings.append(f"{path}: several filters ({', '.join(filters)}); read filter {chosen_filter!r}")
    # Every lm-eval task but a clika run's own (<task>_<lang>: its samples read back to the run's own records,
    # notes included) names its source: the lm-eval value clika's accuracy reproduces, acc for option
    # log-likelihoods (the argmax), else the metric the samples were scored with.
    chosen = [(line, r) for line, r in records if str(r.get("filter", "none")) == chosen_filter]
    extra: dict[str, str] = {}
    if name != lm_eval_task_name(task, lang):
        first = chosen[0][1] if chosen else {}
        metrics = first.get("metrics") if isinstance(first.get("metrics"), list) else []
        loglikelihood = _is_loglikelihood(first.get("filtered_resps") or [])
        extra[SOURCE_KEY] = f"{name}: {'acc' if loglikelihood or not metrics else str(metrics[0])},{chosen_filter}"
    seen: set[str] = set()
    changes = disagree = 0
    for line, rec in chosen:
        try:
            pred = _record_prediction(rec, model, task, lang, extract, extra)
        except _Bad as err:
            raise DataError(str(err), path, line) from None
        if pred.item_id in seen:
            raise DataError(f"duplicate document {pred.item_id!r}", path, line)
        seen.add(pred.item_id)
        if extract == "smart" and pred.raw is not None:  # generated: did smart choose unlike the first character?
            changes += pred.choice != first_char_choice(pred.raw, pred.n_options)
        acc = rec.get("acc")
        disagree += pred.scores is not None and isinstance(acc, (int, float)) and bool(acc) != pred.correct
        result.predictions.append(pred)
    if extract == "smart":
        result.extraction_changes[(model, task, lang)] = changes
    if disagree:
        result.warnings.append(f"{path}: {disagree} records where lm-eval's acc disagrees with argmax vs target")
    return len(seen)
