"""Reference results to place a user's models among: `clika report RUN --reference published`.

"published" is package data (reference/published.jsonl + published.json, built by
scripts/make_reference.py): the metric records the leaderboard and the heatmaps need
(accuracy, RA, en-CO per language and their means, the dominant-option flag, the unparseable
share, home transfer per query language), with intervals, n and chance, for the 40 models whose
predictions the CLiKA authors published. published.json says where they come from (repository,
commit, n_boot, seed, clika version). A path to a metrics file (.jsonl/.csv) works as a
reference too.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import replace
from importlib import resources
from pathlib import Path

from clika.errors import ConfigError, DataError
from clika.metrics.record_io import read_records
from clika.metrics.records import Record

REFERENCES = ("published",)
SUFFIX = " (published)"  # appended to a reference model whose name is also one of yours


def reference_files(name: str) -> tuple[Path, Path]:
    """(records, provenance) files of a packaged reference."""
    folder = resources.files("clika.report").joinpath("reference")
    return Path(str(folder.joinpath(f"{name}.jsonl"))), Path(str(folder.joinpath(f"{name}.json")))


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
        from clika.report.tables import load_results

        return load_results(path), {"description": f"reference records from {path}"}
    raise ConfigError(f"unknown --reference {str(spec)!r} (use {', '.join(REFERENCES)} or a metrics .jsonl/.csv file)")


def with_reference(records: Sequence[Record], spec: str | Path) -> tuple[list[Record], set[str], dict]:
    """(your records + the reference's on your tasks, your model names, provenance).

    A reference model with the name of one of yours is renamed "<name> (published)", so both stay.
    """
    reference, meta = load_reference(spec)
    yours = {r.model for r in records}
    tasks = {r.task for r in records}
    kept = [r for r in reference if r.task in tasks]
    if not kept:
        have = ", ".join(sorted({r.task for r in reference})) or "none"
        raise DataError(f"reference {str(spec)!r} has no task in common with your results "
                        f"(reference: {have}; yours: {', '.join(sorted(tasks))})")
    renamed = []
    for r in kept:
        if r.model in yours:
            r = replace(r, model=r.model + SUFFIX)
        renamed.append(r)
    meta = {**meta, "n_models": len({r.model for r in renamed})}
    return list(records) + renamed, yours, meta
