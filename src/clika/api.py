"""The Python API that the `clika` command line wraps. Thin: each function calls stages.

    from clika import api
    result = api.score("../shared/clika-data", layout="clika-repo", tasks=["x_geo"], out="m.jsonl")
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Sequence

from clika.errors import ConfigError, DataError
from clika.metrics.records import MetricRecord

RECORD_SUFFIXES = (".jsonl", ".csv")


@dataclass
class ScoreResult:
    """What `score` computed, and what the reader had to say about the input."""

    records: list[MetricRecord]
    # (model, task, lang) -> answers the chosen extractor read differently from first-char
    extraction_changes: dict[tuple[str, str, str], int] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    out: Path | None = None
    n_predictions: int = 0
    timings: dict[str, float] = field(default_factory=dict)  # seconds: read, compute, write


def check_records_path(out: str | Path) -> Path:
    out = Path(out)
    if out.suffix not in RECORD_SUFFIXES:
        raise ConfigError(f"output must end in .jsonl or .csv, got {out.name!r}", out)
    return out


def score(source: str | Path, layout: str = "clika-repo", models: Sequence[str] | None = None,
          tasks: Sequence[str] | None = None, langs: Sequence[str] | None = None,
          extract: str = "first-char", n_boot: int = 1000, seed: int = 0,
          out: str | Path | None = None, pivot: str = "en", pairwise: bool = True,
          progress: Callable[[str, int, int], None] | None = None) -> ScoreResult:
    """Read predictions (layout "clika-repo", "lm-eval" or "clika") and compute PF/CT metrics.

    progress, if given, is called as progress(phase, done, total) with phase
    "read" or "compute"; writing is quick. Writes .jsonl or .csv when out is given.
    """
    from clika.data.predictions_io import read_predictions
    from clika.metrics.compute import compute_metrics
    from clika.metrics.records import write_records

    if n_boot < 0:
        raise ConfigError(f"n_boot must be >= 0, got {n_boot}")
    if langs is not None and pivot not in langs:
        raise ConfigError(f"langs must include the pivot language {pivot!r} (ra and en_co are relative to it)")
    out_path = check_records_path(out) if out is not None else None
    timings: dict[str, float] = {}

    start = time.perf_counter()
    if progress is not None:
        progress("read", 0, 1)
    read = read_predictions(Path(source), layout, models=models, tasks=tasks, langs=langs, extract=extract)
    timings["read"] = time.perf_counter() - start
    if not read.predictions:
        raise DataError("no predictions found for this selection of models, tasks and languages", source)

    start = time.perf_counter()
    on_group = (lambda done, total: progress("compute", done, total)) if progress is not None else None
    records = compute_metrics(read.predictions, pivot=pivot, n_boot=n_boot, seed=seed,
                              pairwise=pairwise, progress=on_group)
    timings["compute"] = time.perf_counter() - start

    start = time.perf_counter()
    if out_path is not None:
        write_records(records, out_path)
    timings["write"] = time.perf_counter() - start
    return ScoreResult(records, dict(read.extraction_changes), list(read.warnings), out_path,
                       len(read.predictions), timings)


# The other entry points live with their stages; they are re-exported here so
# that `from clika import api` is the one import a user needs.

def evaluate(*args, **kwargs):
    """Run a model on items (see clika.runner.evaluate): the library side of `clika run`."""
    from clika.runner import evaluate as _evaluate

    return _evaluate(*args, **kwargs)


def compare(predictions, registry=None, **kwargs):
    """Paired model comparisons and findings (see clika.analysis.pipeline.analyse):
    the library side of `clika compare`. registry: a FamilyRegistry or None (the shipped one)."""
    from clika.analysis.pipeline import analyse
    from clika.analysis.registry import load_registry

    return analyse(predictions, registry if registry is not None else load_registry(), **kwargs)


def conduct(options, log=print):
    """Teach fictional facts and measure XRR (see clika.conduct.run.conduct, ConductOptions):
    the library side of `clika conduct`."""
    from clika.conduct.run import conduct as _conduct

    return _conduct(options, log)
