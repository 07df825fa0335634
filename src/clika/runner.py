"""Running a model over items: plan units, skip what the store has, score the rest.

One unit is one (task, lang) of one model. For each unit the runner asks the
results store which items this model (fingerprint) already answered with this
prompt (prompt_hash) and mode, and hands only the others to an executor. Each
chunk that comes back is written to the store in one transaction, so a run that
is stopped at any point resumes where it stopped. At the end the predictions of
every requested item come from the store (old and new alike), and
predictions.jsonl and metrics.jsonl are written to the output folder.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from clika.errors import ConfigError
from clika.executors import WorkUnit
from clika.items import LANGS, PIVOT, Item
from clika.metrics.records import MetricRecord
from clika.predictions import Prediction

MODES = ("cloze", "letter", "cloze-norm", "generate")
# cloze is the default: small base models copy the one-shot example's answer
# letter in letter mode (Gemma 3 270M answers "D" on ~97% of items), which
# makes CT metrics meaningless; option log-likelihoods do not have that bias.
DEFAULT_MODE = "cloze"
CHUNK_BATCHES = 4  # a chunk (one store transaction) holds this many batches by default
EMBEDDED_NAME = "gemma3-270m"


@dataclass
class EvaluateResult:
    """What a run produced and where it wrote it."""

    model: str
    fingerprint: str
    records: list[MetricRecord]
    predictions: list[Prediction]
    output_dir: Path
    predictions_path: Path
    metrics_path: Path
    store_path: Path
    n_resumed: int = 0  # items found in the store, not scored again
    n_scored: int = 0  # items scored by this run
    units: list[tuple[str, str]] = field(default_factory=list)


def safe_dirname(name: str) -> str:
    """A model name as one folder name that cannot climb out of its parent
    ("org/model" -> "org__model"; "..", separators and odd characters go)."""
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "_", name.replace("/", "__").replace("\\", "__"))
    cleaned = re.sub(r"\.{2,}", "_", cleaned).strip("._")
    return cleaned[:120] or "model"


def display_name(model: str, args: dict[str, Any]) -> str:
    """The model's name in results: the served/pretrained name, a local path's
    folder name, or the embedded default's name."""
    named = args.get("pretrained") or args.get("model")
    if named is None:
        return EMBEDDED_NAME if model == "hf" else model
    text = str(named)
    path = Path(text)
    return path.name if path.is_absolute() or text.startswith(".") or path.exists() else text


def select_items(items: list[Item], limit: int | None) -> list[Item]:
    """The first ``limit`` items of each task, the same item ids in every language
    (ids taken in the pivot language's order, so CT metrics stay paired)."""
    if limit is None:
        return items
    if limit < 1:
        raise ConfigError(f"--limit must be >= 1, got {limit}")
    keep: dict[str, set[str]] = {}
    for task in dict.fromkeys(i.task for i in items):
        task_items = [i for i in items if i.task == task]
        order = [i.item_id for i in task_items if i.lang == PIVOT] or [i.item_id for i in task_items]
        keep[task] = set(list(dict.fromkeys(order))[:limit])
    return [i for i in items if i.item_id in keep[i.task]]


def _group(items: list[Item]) -> dict[tuple[str, str], list[Item]]:
    groups: dict[tuple[str, str], list[Item]] = {}
    for item in items:
        groups.setdefault((item.task, item.lang), []).append(item)
    return groups


def _check_options(mode: str, tasks: Sequence[str] | None, langs: Sequence[str] | None, batch_size: int,
                   chunk_size: int | None, n_boot: int) -> None:
    if mode not in MODES:
        raise ConfigError(f"unknown --mode {mode!r} (choose {', '.join(MODES)})")
    if batch_size < 1 or (chunk_size is not None and chunk_size < 1) or n_boot < 0:
        raise ConfigError("--batch-size and --chunk-size must be >= 1, --n-boot >= 0")
    unknown = sorted(set(langs or ()) - set(LANGS))
    if unknown:
        raise ConfigError(f"unknown language(s) {', '.join(unknown)}; known: {' '.join(LANGS)}")
    if langs is not None and PIVOT not in langs:
        raise ConfigError(f"--langs must include the pivot language {PIVOT!r} (ra and en_co are relative to it)")


def plan_units(items: list[Item], store: Any, fingerprint: str, *, mode: str, template: str, batch_size: int,
               chunk_size: int, extract: str) -> tuple[list[WorkUnit], int]:
    """One unit per (task, lang) with the items the store lacks; and how many it has."""
    from clika.prompts import prompt_hash

    units, n_done = [], 0
    for (task, lang), unit_items in _group(items).items():
        ph = prompt_hash(template, mode, task, lang)
        done = store.done_item_ids(fingerprint, task, lang, ph, mode)
        pending = tuple(i for i in unit_items if i.item_id not in done)
        n_done += len(unit_items) - len(pending)
        units.append(WorkUnit(task, lang, ph, pending, mode, template, batch_size, chunk_size, extract))
    return units, n_done


def collect(items: list[Item], units: list[WorkUnit], store: Any, fingerprint: str, name: str) -> list[Prediction]:
    """The stored prediction of every requested item, in the items' order, under this run's model name."""
    by_key: dict[tuple[str, str, str], Prediction] = {}
    for unit in units:
        for p in store.predictions(fingerprint, unit.prompt_hash, unit.mode, task=unit.task, lang=unit.lang):
            by_key[(p.task, p.lang, p.item_id)] = p if p.model == name else dataclasses.replace(p, model=name)
    return [by_key[(i.task, i.lang, i.item_id)] for i in items if (i.task, i.lang, i.item_id) in by_key]


def evaluate(
    model: str = "hf",
    model_args: str | dict[str, Any] | None = None,
    tasks: Sequence[str] | None = None,
    langs: Sequence[str] | None = None,
    data: str | Path = "builtin",
    mode: str = DEFAULT_MODE,
    template: str = "paper",
    limit: int | None = None,
    batch_size: int = 16,
    device: str = "cpu",
    output_dir: str | Path | None = None,
    store_path: str | Path | None = None,
    n_boot: int = 1000,
    seed: int = 0,
    *,
    chunk_size: int | None = None,
    extract: str = "first-char",
    show_progress: bool = False,
    console: Any = None,
    executor: str = "local",
    ray_address: str | None = None,
) -> EvaluateResult:
    """Evaluate one model on items and write OUTPUT/predictions.jsonl and OUTPUT/metrics.jsonl.

    output_dir: default runs/<model name, made safe as a folder name>.
    store_path: the results store; default OUTPUT/results.sqlite. Items it
        already holds for this model, prompt and mode are not scored again.
    chunk_size: items per store transaction (default batch_size * 4).
    executor: "local" (this process) or "ray" (workers on a Ray cluster at
        ray_address, or a local one); either way only this process writes the store.
    """
    from clika.backends.registry import parse_model_args
    from clika.data import load_items
    from clika.data.predictions_io import write_predictions_jsonl
    from clika.metrics.compute import compute_metrics
    from clika.metrics.records import write_records
    from clika.store import ResultsStore

    _check_options(mode, tasks, langs, batch_size, chunk_size, n_boot)
    chunk_size = chunk_size or batch_size * CHUNK_BATCHES
    items = select_items(load_items(data, tasks=tasks, langs=langs), limit)
    missing = sorted(set(tasks or ()) - {i.task for i in items})
    if missing or not items:
        found = sorted({i.task for i in load_items(data)})
        raise ConfigError(f"no items for task(s) {', '.join(missing) or '(any)'} in {data}; it has {', '.join(found)}")

    args = parse_model_args(model_args)
    name = display_name(model, args)
    out = Path(output_dir) if output_dir is not None else Path("runs") / safe_dirname(name)
    _check_output_dir(out)
    executor, fingerprint_of = _make_executor(executor, model, args, device, batch_size, ray_address)
    try:
        fingerprint = fingerprint_of()
        with ResultsStore(store_path or out / "results.sqlite") as store:
            units, n_done = plan_units(items, store, fingerprint, mode=mode, template=template,
                                       batch_size=batch_size, chunk_size=chunk_size, extract=extract)
            run_args = {"model": model, "model_args": args, "data": str(data), "mode": mode, "template": template,
                        "limit": limit, "batch_size": batch_size, "device": device, "extract": extract}
            run_id = store.start_run(name, fingerprint, run_args)
            n_scored = _drive(executor, units, store, fingerprint, mode, n_done, len(items), show_progress,
                               console)
            store.finish_run(run_id)
            predictions = collect(items, units, store, fingerprint, name)
            path = store.path
    finally:
        executor.close()

    records = compute_metrics(predictions, pivot=PIVOT, n_boot=n_boot, seed=seed)
    try:
        predictions_path = write_predictions_jsonl(predictions, out / "predictions.jsonl")
        metrics_path = write_records(records, out / "metrics.jsonl")
    except OSError as err:  # disk full, file size limit: every prediction is already in the store
        raise ConfigError(f"cannot write results ({err.strerror or err}); the predictions are in the store: "
                          "free space and rerun the same command to write them", out) from None
    return EvaluateResult(name, fingerprint, records, predictions, out, predictions_path, metrics_path, path,
                          n_resumed=n_done, n_scored=n_scored, units=[(u.task, u.lang) for u in units])


def _check_output_dir(out: Path) -> None:
    """Fail before a model is loaded, not after everything is scored, when results cannot be written."""
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise ConfigError(f"cannot create the output folder ({err.strerror or err})", out) from None


def _make_executor(kind: str, model: str, args: dict[str, Any], device: str, batch_size: int,
                   ray_address: str | None) -> tuple[Any, Any]:
    """The executor, and how to ask for the backend's fingerprint (the Ray driver never loads the model)."""
    if kind == "ray":
        from clika.executors.ray_executor import RayExecutor

        ray_executor = RayExecutor(model, args, device=device, batch_size=batch_size, address=ray_address)
        return ray_executor, ray_executor.fingerprint
    if kind != "local":
        raise ConfigError(f"unknown --executor {kind!r} (choose local or ray)")
    if ray_address is not None:
        raise ConfigError("--ray-address needs --executor ray")
    from clika.backends.registry import make_backend
    from clika.executors.local import LocalExecutor

    backend = make_backend(model, args, device=device, batch_size=batch_size)
    return LocalExecutor(backend), backend.fingerprint


def _drive(executor: Any, units: list[WorkUnit], store: Any, fingerprint: str, mode: str, n_done: int,
           n_total: int, show_progress: bool, console: Any) -> int:
    """Run the executor, writing each chunk to the store as it arrives; returns items scored."""
    pending = sum(len(u.items) for u in units)

    def write(chunk: Any) -> int:
        store.add_predictions(fingerprint, chunk.prompt_hash, mode, chunk.predictions)
        return len(chunk.predictions)

    if not show_progress:
        return sum(write(chunk) for chunk in executor.run(units))

    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, ProgressColumn, TextColumn, TimeRemainingColumn
    from rich.text import Text

    class ItemsPerSecond(ProgressColumn):
        def render(self, task: Any) -> Text:
            return Text(f"{task.speed:.1f} items/s" if task.speed else "- items/s")

    console = console or Console(stderr=True)
    if n_done:
        console.print(f"resuming: {n_done} of {n_total} items already in the store, {pending} to score")
    if pending == 0:
        return 0
    scored = 0
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), ItemsPerSecond(),
               TextColumn("ETA"), TimeRemainingColumn())
    with Progress(*columns, console=console) as bar:
        task_id = bar.add_task("scoring", total=pending)
        for chunk in executor.run(units):
            scored += write(chunk)
            bar.update(task_id, advance=len(chunk.predictions), description=f"{chunk.task}/{chunk.lang}")
    return scored
