"""Running a model over items: plan units, skip what the store has, score the rest.

One unit is one (task, lang) of one model. Prompts are rendered here, once; an item's store key is its content hash
plus the hash of exactly what the model is asked (see clika.store), and only the keys this model (fingerprint) has
not answered in this mode go to an executor. Each chunk that comes back is written in one transaction, so a run
stopped at any point resumes where it stopped. At the end the predictions of every requested item come from the
store (old and new alike), and predictions.jsonl and metrics.jsonl are written to the output folder.
Progress reaches the caller as RunEvents through ``on_event``; warnings come back in the result. Nothing here prints.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

from clika.choice import DEFAULT_EXTRACT, DEFAULT_MODE, check_mode, extraction_key
from clika.errors import ConfigError
from clika.executors import WorkUnit
from clika.items import PIVOT, Item, check_langs
from clika.metrics.bootstrap import N_BOOT
from clika.metrics.records import Record
from clika.paths import check_writable_dir, safe_dirname
from clika.predictions import Prediction

CHUNK_BATCHES = 4  # a chunk (one store transaction) holds this many batches by default
EXECUTORS = ("local", "ray")


@dataclass
class RunOptions:
    """Everything `clika run` takes; the defaults here are the command line's defaults. ``check()`` holds every check
    that needs no data or model (evaluate calls it first)."""

    model: str = "hf"
    model_args: str | dict[str, Any] | None = None
    tasks: Sequence[str] | None = None
    langs: Sequence[str] | None = None
    # None: each task's own dataset (the built-in mini set when no task is named); or "builtin", an upstream-layout
    # folder, a .jsonl file/folder, "hf:NAME"
    data: str | Path | None = None
    include_paths: Sequence[str | Path] = ()
    mode: str = DEFAULT_MODE
    # None: each task's default template for the mode (paper for the CLiKA tasks; qa for the mini set in cloze modes,
    # paper in letter and generate modes)
    template: str | None = None
    limit: int | None = None
    batch_size: int = 16
    device: str = "cpu"
    output_dir: str | Path | None = None  # default runs/<model name, made safe as a folder name>
    store_path: str | Path | None = None  # the results store; default OUTPUT/results.sqlite
    n_boot: int = N_BOOT
    seed: int = 0
    chunk_size: int | None = None  # items per store transaction (default batch_size * 4)
    extract: str = DEFAULT_EXTRACT
    # "local" (this process) or "ray" (workers on a Ray cluster at ray_address, or a local one); either way only this
    # process writes the store
    executor: str = "local"
    ray_address: str | None = None
    log_samples: bool = False  # also write lm-eval's samples_<task>_<lang>_<date>.jsonl (lm-eval's --log_samples)

    def check(self) -> None:
        check_mode(self.mode, self.extract)
        if self.batch_size < 1 or (self.chunk_size is not None and self.chunk_size < 1) or self.n_boot < 0:
            raise ConfigError("--batch-size and --chunk-size must be >= 1, --n-boot >= 0")
        if self.limit is not None and self.limit < 1:
            raise ConfigError(f"--limit must be >= 1, got {self.limit}")
        if self.executor not in EXECUTORS:
            raise ConfigError(f"unknown --executor {self.executor!r} (choose {' or '.join(EXECUTORS)})")
        if self.ray_address is not None and self.executor != "ray":
            raise ConfigError("--ray-address needs --executor ray")


@dataclass(frozen=True)
class RunEvent:
    """Progress of a run. kind: "planned" (done = items found in the store, total = all items),
    "chunk" (done = items scored so far, total = items to score, task/lang of the chunk)."""

    kind: Literal["planned", "chunk"]
    done: int
    total: int
    task: str = ""
    lang: str = ""


OnEvent = Callable[[RunEvent], None]


class RecordsFrame:
    def to_frame(self):
        """The records as a pandas DataFrame (see clika.metrics.frame for the columns)."""
        from clika.metrics.frame import records_frame

        return records_frame(self.records)


@dataclass
class EvaluateResult(RecordsFrame):
    """What a run produced and where it wrote it."""

    model: str
    fingerprint: str
    records: list[Record]
    predictions: list[Prediction]
    output_dir: Path
    predictions_path: Path
    metrics_path: Path
    store_path: Path
    n_resumed: int = 0  # items found in the store, not scored again
    n_scored: int = 0  # items scored by this run
    units: list[tuple[str, str]] = field(default_factory=list)
    templates: dict[str, str] = field(default_factory=dict)  # task -> template used
    warnings: list[str] = field(default_factory=list)
    lm_eval_paths: list[Path] = field(default_factory=list)  # results_<date>.json, then any samples files


def display_name(model: str, args: dict[str, Any]) -> str:
    """The model's name in results: the served/pretrained name, a local path's folder name,
    or the embedded model's name."""
    named = args.get("pretrained") or args.get("model")
    if named is None:
        if model == "hf":
            from clika.backends.embedded import DEFAULT_MODEL

            return str(args.get("embedded") or DEFAULT_MODEL)
        return model
    text = str(named)
    path = Path(text)
    return path.name if path.is_absolute() or text.startswith(".") or path.exists() else text


def select_items(items: list[Item], limit: int | None) -> list[Item]:
    """The first ``limit`` items of each task (limit >= 1: RunOptions.check), the same item ids in
    every language (ids taken in the pivot language's order, so CT metrics stay paired)."""
    if limit is None:
        return items
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


def template_for(task: str, opts: RunOptions, tasks) -> str:
    """The template a task is asked with: --template, else the task's default for the mode."""
    if opts.template is not None:
        return opts.template
    spec = tasks.get(task)
    return spec.default_template_for(opts.mode) if spec is not None else "paper"


def check_templates(items: list[Item], opts: RunOptions, tasks) -> dict[str, str]:
    """task -> the template it is asked with, each checked against the mode (before any model loads)."""
    from clika.prompts import PromptBuilder

    templates: dict[str, str] = {}
    for item in items:
        if item.task not in templates:
            templates[item.task] = template_for(item.task, opts, tasks)
            PromptBuilder(templates[item.task], tasks).check_mode(item, opts.mode)
    return templates


def plan_units(items: list[Item], store: Any, fingerprint: str, opts: RunOptions, tasks,
               chunk_size: int) -> tuple[list[WorkUnit], int, dict[tuple[str, str], list[tuple[str, str, str]]]]:
    """One unit per (task, lang) with the items the store lacks, how many it has, and every
    item's store key (item_id, item_hash, request_hash) per unit."""
    from clika.prompts import PromptBuilder, request_hash

    builders: dict[str, PromptBuilder] = {}
    extract = extraction_key(opts.mode, opts.extract)
    units, n_done, all_keys = [], 0, {}
    for (task, lang), unit_items in _group(items).items():
        template = template_for(task, opts, tasks)
        builder = builders.setdefault(template, PromptBuilder(template, tasks))
        builder.check_mode(unit_items[0], opts.mode)
        requests = [builder.request(item, opts.mode) for item in unit_items]
        keys = [(item.item_id, item.content_hash, request_hash(r, opts.mode)) for item, r in zip(unit_items, requests)]
        all_keys[(task, lang)] = keys
        done = store.done_keys(fingerprint, task, lang, opts.mode, extract)
        todo = [(item, r, key[1:]) for item, r, key in zip(unit_items, requests, keys) if key not in done]
        n_done += len(unit_items) - len(todo)
        columns = tuple(map(tuple, zip(*todo))) or ((), (), ())  # (items, requests, keys) still to score
        units.append(WorkUnit(task, lang, *columns, opts.mode, opts.extract, opts.batch_size, chunk_size))
    return units, n_done, all_keys


def collect(items: list[Item], all_keys: dict, store: Any, fingerprint: str, opts: RunOptions,
            name: str) -> list[Prediction]:
    """The stored prediction of every requested item, in the items' order, under this run's model name."""
    extract = extraction_key(opts.mode, opts.extract)
    found: dict[tuple[str, str, str], Prediction] = {}
    for (task, lang), keys in all_keys.items():
        stored = store.predictions_for(fingerprint, task, lang, opts.mode, extract, set(keys))
        for key, p in stored.items():
            found[(task, lang, key[0])] = p if p.model == name else replace(p, model=name)
    return [found[(i.task, i.lang, i.item_id)] for i in items if (i.task, i.lang, i.item_id) in found]


def load_run_items(opts: RunOptions, tasks) -> list[Item]:
    """The items of a run's tasks and languages (before --limit), with one-line errors that say what exists."""
    from clika.data import load_items

    for name in opts.tasks or ():
        if opts.data is None and name not in tasks:
            tasks[name]  # noqa: B018 - raises the ConfigError that lists the known tasks
    items = load_items(opts.data, tasks=opts.tasks, langs=None, registry=tasks)
    found_tasks = list(dict.fromkeys(i.task for i in items))
    missing = [t for t in opts.tasks or () if t not in found_tasks]
    if missing or not items:
        where = "each task's own dataset" if opts.data is None else str(opts.data)
        have = found_tasks
        if opts.data is not None:  # what the data holds, not only the requested tasks it holds
            have = list(dict.fromkeys(i.task for i in load_items(opts.data, tasks=None, langs=None, registry=tasks)))
        raise ConfigError(f"no items for task(s) {', '.join(missing) or '(any)'} in {where}; "
                          f"it has {', '.join(have) or 'none'}")
    langs = check_langs(opts.langs, {i.lang for i in items})
    return items if langs is None else [i for i in items if i.lang in langs]


def evaluate(opts: RunOptions, on_event: OnEvent | None = None) -> EvaluateResult:
    """Evaluate one model on items and write OUTPUT/predictions.jsonl and OUTPUT/metrics.jsonl."""
    from clika.backends.registry import parse_model_args
    from clika.metrics.compute import compute_metrics
    from clika.metrics.diagnostics import run_warnings
    from clika.store import ResultsStore
    from clika.tasks import load_registry

    opts.check()
    tasks = load_registry(opts.include_paths)
    args = parse_model_args(opts.model_args)
    name = display_name(opts.model, args)
    out = Path(opts.output_dir) if opts.output_dir is not None else Path("runs") / safe_dirname(name)
    check_writable_dir(out, "--output")  # fail before a model is loaded, not after everything is scored
    all_items = load_run_items(opts, tasks)
    items = select_items(all_items, opts.limit)
    templates = check_templates(items, opts, tasks)
    chunk_size = opts.chunk_size or opts.batch_size * CHUNK_BATCHES
    executor, fingerprint_of = _make_executor(opts, args)
    try:
        fingerprint = fingerprint_of()
        with ResultsStore(opts.store_path or out / "results.sqlite") as store:
            units, n_done, all_keys = plan_units(items, store, fingerprint, opts, tasks, chunk_size)
            if on_event is not None:
                on_event(RunEvent("planned", n_done, len(items)))
            run_args = {k: getattr(opts, k) for k in ("model", "mode", "template", "limit", "batch_size", "device")}
            run_args |= {"model_args": args, "data": str(opts.data), "templates": templates, "extract": opts.extract}
            run_id = store.start_run(name, fingerprint, run_args)
            n_scored = _drive(executor, units, store, fingerprint, on_event)
            store.finish_run(run_id)
            predictions = collect(items, all_keys, store, fingerprint, opts, name)
    finally:
        executor.close()
    resamples: dict = {}
    records = compute_metrics(predictions, pivot=PIVOT, n_boot=opts.n_boot, seed=opts.seed, resamples=resamples)
    result = EvaluateResult(name, fingerprint, records, predictions, out, out / "predictions.jsonl",
                            out / "metrics.jsonl", store.path, n_resumed=n_done, n_scored=n_scored,
                            units=[(u.task, u.lang) for u in units], templates=templates,
                            warnings=run_warnings(records, opts.mode))
    n_original = {unit: len(unit_items) for unit, unit_items in _group(all_items).items()}
    result.lm_eval_paths = _write_outputs(result, opts, args, tasks, items, n_original, resamples)
    return result


def _write_outputs(result: EvaluateResult, opts: RunOptions, args: dict, tasks, items: list[Item], n_original: dict,
                   resamples: dict) -> list[Path]:
    """Write the result's predictions and records (+ resamples), then the run in lm-evaluation-harness's layout
    (clika.data.lmeval_export): results_<date>.json, and with --log-samples the samples files, from the same
    predictions and accuracy records. Returns the lm-eval files written."""
    from clika.choice import GENERATE_MAX_NEW_TOKENS
    from clika.data.lmeval_export import LmEvalRun, write_lm_eval
    from clika.data.predictions_io import write_predictions_jsonl
    from clika.metrics.record_io import write_records, write_resamples
    from clika.prompts import PromptBuilder
    from clika.store import scrub_secrets

    units, templates = set(result.units), result.templates
    overall = [r for r in result.records if r.metric == "accuracy" and r.stratum is None and r.aggregate is None]
    accuracy = {(r.task, r.lang): (r.value, r.n) for r in overall if (r.task, r.lang) in units}
    fields = {k: getattr(opts, k) for k in ("mode", "batch_size", "device", "limit", "extract", "n_boot", "seed")}
    fields["data"] = None if opts.data is None else str(opts.data)
    fields["max_gen_toks"] = GENERATE_MAX_NEW_TOKENS if opts.mode == "generate" else 0
    run = LmEvalRun(opts.model, result.model, scrub_secrets(args), templates=templates, **fields)
    builders = {t: PromptBuilder(t, tasks) for t in set(templates.values())}
    request_for = (lambda item: builders[templates[item.task]].request(item, opts.mode)) if opts.log_samples else None
    out, predictions = result.output_dir, result.predictions
    try:
        write_predictions_jsonl(predictions, result.predictions_path)
        write_records(result.records, result.metrics_path)
        write_resamples(resamples, result.records, result.metrics_path)
        return write_lm_eval(out, run, items, predictions, accuracy, n_original, tasks, request_for)
    except OSError as err:  # disk full, file size limit: every prediction is already in the store
        why = f"cannot write results ({err.strerror or err}); the predictions are in the store: "
        raise ConfigError(why + "free space and rerun the same command to write them", out) from None


def _make_executor(opts: RunOptions, args: dict[str, Any]) -> tuple[Any, Any]:
    """The executor, and how to ask for the backend's fingerprint (the Ray driver never loads the model)."""
    if opts.executor == "ray":
        from clika.executors.ray_executor import RayExecutor

        kwargs = {"device": opts.device, "batch_size": opts.batch_size, "address": opts.ray_address}
        ray_executor = RayExecutor(opts.model, args, **kwargs)
        return ray_executor, ray_executor.fingerprint
    from clika.backends.registry import make_backend
    from clika.executors.local import LocalExecutor

    backend = make_backend(opts.model, args, device=opts.device, batch_size=opts.batch_size)
    return LocalExecutor(backend), backend.fingerprint


def _drive(executor: Any, units: list[WorkUnit], store: Any, fingerprint: str, on_event: OnEvent | None) -> int:
    """Run the executor, writing each chunk to the store as it arrives; returns items scored."""
    pending = sum(len(u.items) for u in units)
    modes = {u.task: (u.mode, extraction_key(u.mode, u.extract)) for u in units}
    scored = 0
    for chunk in executor.run(units):
        mode, extract = modes[chunk.task]
        store.add_predictions(fingerprint, mode, extract, chunk.predictions, chunk.keys)
        scored += len(chunk.predictions)
        if on_event is not None:
            on_event(RunEvent("chunk", scored, pending, chunk.task, chunk.lang))
    return scored
