"""Reference results to place a user's models among: `clika report RUN --reference published`.

"published" is package data (reference/published.jsonl + .json, built by scripts/make_reference.py): the records the
leaderboard and heatmaps need (accuracy, RA, en-CO per language and their means, dominant option, unparseable share,
home transfer per query language) of the 40 models whose predictions the CLiKA authors published; published.json
says where they come from. A metrics file (.jsonl/.csv) works as a reference too.

On your items (``on_your_items``): published_items.npz keeps every published answer per item, so when your records
of a task cover other languages or items, the 40 models are recomputed on exactly yours (compute_metrics with the
reference's n_boot and seed) and ranked beside yours. Your item ids come from the predictions.jsonl beside your
metrics (``run_items``); without one only a run on every item of some languages is known; a --limit run scored
elsewhere is not (its first n items depend on the item source), and its rows stay unranked with a note.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import replace
from importlib import resources
from pathlib import Path

from clika.data.predictions_io import read_predictions
from clika.errors import ConfigError, DataError
from clika.items import ordered_langs
from clika.metrics.bootstrap import N_BOOT
from clika.metrics.record_io import read_records
from clika.metrics.records import Record
from clika.report.reference_items import ReferenceItems, Selection
from clika.report.tables import load_results

REFERENCES = ("published",)
SUFFIX = " (published)"  # appended to a reference model whose name is also one of yours
UNKNOWN = ("which items your run was scored on is not known (no predictions.jsonl beside the metrics that matches "
           "them, and fewer items per language than the reference has)")


def reference_files(name: str) -> tuple[Path, Path]:
    """(records, provenance) files of a packaged reference."""
    return _packaged(f"{name}.jsonl"), _packaged(f"{name}.json")


def reference_items_file(name: str) -> Path:
    """The per-item answers of a packaged reference (clika.report.reference_items)."""
    return _packaged(f"{name}_items.npz")


def _packaged(filename: str) -> Path:
    return Path(str(resources.files("clika.report").joinpath("reference").joinpath(filename)))


def load_reference(spec: str | Path) -> tuple[list[Record], dict]:
    """(records, provenance) of a packaged reference name or of a metrics file."""
    if str(spec) in REFERENCES:
        records_path, meta_path = reference_files(str(spec))
        if not records_path.is_file():
            raise DataError(f"reference {spec!r} is not installed (rebuild it with scripts/make_reference.py)",
                            records_path)
        meta = json.loads(meta_path.read_text(encoding="utf-8")) if meta_path.is_file() else {}
        return read_records(records_path), meta
    path = Path(spec)
    if path.suffix in (".jsonl", ".csv") or path.exists():
        return load_results(path), {"description": f"reference records from {path}"}
    raise ConfigError(f"unknown --reference {str(spec)!r} (use {', '.join(REFERENCES)} or a metrics .jsonl/.csv file)")


def with_reference(records: Sequence[Record], spec: str | Path, items: Mapping | None = None,
                   resamples: dict | None = None) -> tuple[list[Record], set[str], dict]:
    """(your records + the reference's on your tasks, your model names, provenance).

    A packaged reference is recomputed on your languages and items where they differ (``on_your_items``; items:
    (model, task) -> {lang: item ids}, from ``run_items``); provenance says where (meta["recomputed"]: task -> "en, zh;
    50 items per language") and why not elsewhere (meta["not_recomputed"]); resamples collects the recomputed records'
    resamples by key (for the overall intervals). A reference model named like one of yours gets SUFFIX: both stay.
    """
    reference, meta = load_reference(spec)
    draws: dict = {}
    if str(spec) in REFERENCES:
        reference, meta = on_your_items(records, reference, meta, str(spec), items or {}, draws)
    yours = {r.model for r in records}
    tasks = {r.task for r in records}
    kept = [r for r in reference if r.task in tasks]
    if not kept:
        have = ", ".join(sorted({r.task for r in reference})) or "none"
        raise DataError(f"reference {str(spec)!r} has no task in common with your results "
                        f"(reference: {have}; yours: {', '.join(sorted(tasks))})")
    renamed = [replace(r, model=r.model + SUFFIX) if r.model in yours else r for r in kept]
    if resamples is not None:
        resamples.update((new.key, draws[old.key]) for old, new in zip(kept, renamed) if old.key in draws)
    return list(records) + renamed, yours, {**meta, "n_models": len({r.model for r in renamed})}


def run_items(sources: Sequence[str | Path]) -> dict[tuple[str, str], dict[str, frozenset[str]]]:
    """(model, task) -> {lang: item ids} of the predictions.jsonl in each source that is a run folder (or its
    metrics.jsonl)."""
    out: dict[tuple[str, str], dict[str, set[str]]] = {}
    for source in sources:
        path = Path(source)
        folder = path if path.is_dir() else path.parent if path.name == "metrics.jsonl" else None
        if folder is None or not (folder / "predictions.jsonl").is_file():
            continue
        for p in read_predictions(folder / "predictions.jsonl", "clika").predictions:
            out.setdefault((p.model, p.task), {}).setdefault(p.lang, set()).add(p.item_id)
    return {key: {lang: frozenset(ids) for lang, ids in by_lang.items()} for key, by_lang in out.items()}


def describe_items(selection: Selection) -> str:
    """The items of a selection in words: "en, zh, de; 50 items per language", or "en 50, zh 48, de 50 items"."""
    ns = {lang: len(set(selection[lang])) for lang in ordered_langs(selection)}
    if len(set(ns.values())) == 1:
        return f"{', '.join(ns)}; {next(iter(ns.values()))} items per language"
    return ", ".join(f"{lang} {n}" for lang, n in ns.items()) + " items"


def your_items(records: Sequence[Record], items: Mapping[tuple[str, str], Selection],
               ref: ReferenceItems) -> dict[str, tuple[dict[str, frozenset[str]] | None, str]]:
    """task -> (the languages and item ids all your models of the task were scored on, or None; why not).

    A model's items: its predictions' (items) when they agree with its records' n per language; else every item of
    its languages when its n is the reference's everywhere; else unknown. Only a task whose models share one set of
    items, all of them the reference's, gets one."""
    counts: dict[str, dict[str, dict[str, int]]] = {}  # task -> model -> {lang: n}
    for r in records:
        if r.metric == "accuracy" and r.stratum is None and r.aggregate is None and r.lang is not None:
            counts.setdefault(r.task, {}).setdefault(r.model, {})[r.lang] = r.n
    out: dict[str, tuple[dict[str, frozenset[str]] | None, str]] = {}
    for task, by_model in counts.items():
        if task not in ref.tasks:
            continue
        full = {lang: ref.tasks[task].ids_of(lang) for lang in ref.tasks[task].langs}
        chosen = []
        for model, n in by_model.items():
            mine = items.get((model, task))
            selection = {lang: frozenset(ids) for lang, ids in mine.items()} if mine is not None else None
            if selection is not None and {lang: len(ids) for lang, ids in selection.items()} != n:
                selection = None  # predictions of another run than the records
            if selection is None and all(lang in full and n[lang] == len(full[lang]) for lang in n):
                selection = {lang: full[lang] for lang in n}
            chosen.append(selection)
        if any(s is None for s in chosen):
            out[task] = (None, UNKNOWN)
        elif any(s != chosen[0] for s in chosen[1:]):
            out[task] = (None, "your models were scored on different items")
        elif any(lang not in full or not ids <= full[lang] for lang, ids in chosen[0].items()):
            out[task] = (None, "your languages or item ids are not all the reference's")
        else:
            out[task] = (chosen[0], "")
    return out


def on_your_items(records: Sequence[Record], reference: list[Record], meta: dict, name: str, items: Mapping,
                  resamples=None) -> tuple[list[Record], dict]:
    """The reference recomputed on your languages and items (``your_items``) where they differ from its own, and
    its provenance saying which and why not the others; resamples collects those of the recomputed records."""
    path = reference_items_file(name)
    if not path.is_file():
        return reference, meta
    ref = ReferenceItems.load(path)
    selections, recomputed, not_recomputed = {}, {}, {}
    for task, (selection, why) in your_items(records, items, ref).items():
        if selection is None:
            not_recomputed[task] = why
        elif selection != {lang: ref.tasks[task].ids_of(lang) for lang in ref.tasks[task].langs}:
            selections[task], recomputed[task] = selection, describe_items(selection)
    if selections:
        redone = ref.recompute(selections, int(meta.get("n_boot", N_BOOT)), int(meta.get("seed", 0)), resamples)
        reference = [r for r in reference if r.task not in selections] + redone
    return reference, {**meta, "recomputed": recomputed, "not_recomputed": not_recomputed}
