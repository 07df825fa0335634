"""Metric records -> report.md (Markdown) and CSV tables holding the same numbers.

Markdown: a summary (model x task, the headline columns), then per model a table per per-language metric (languages
as columns, the mean last, cells "value [ci_low, ci_high]"), the conductivity results, and the flags a reader must see
before trusting a number.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path

from clika.errors import DataError
from clika.formatting import csv_number
from clika.metrics.catalog import get_metric, metrics_of
from clika.metrics.record_io import read_records
from clika.metrics.records import FIELDS, Record
from clika.metrics.registry import PER_LANGUAGE
from clika.report.cd_tables import cd_markdown
from clika.report.flags import collect_flags
from clika.report.leaderboard import INTERVAL, headline_columns
from clika.report.terminal import lang_or_mean, mean_last

MEAN = "mean"  # the column of the mean over the non-pivot languages


def wide_tables() -> dict[str, str]:
    """One wide table (rows: model x task, columns: languages) per per-language metric of the registry."""
    return {d.name: f"{d.label}: {d.description}" for d in metrics_of(*PER_LANGUAGE)}


def pairwise_metrics() -> tuple[str, ...]:
    return tuple(d.name for d in metrics_of("pair"))


def _is_diagnostic(metric: str) -> bool:
    return getattr(get_metric(metric), "level", None) == "diagnostic"


def _is_cd(metric: str) -> bool:
    return getattr(get_metric(metric), "scope", None) in ("cd", "cd_rate", "run")


def load_results(path: str | Path) -> list[Record]:
    """RESULTS: a .jsonl/.csv metrics file, or a folder holding metrics.jsonl (or metrics.csv)."""
    path = Path(path)
    if path.is_dir():
        for name in ("metrics.jsonl", "metrics.csv"):
            if (path / name).is_file():
                return read_records(path / name)
        raise DataError("folder holds no metrics.jsonl or metrics.csv", path)
    if path.suffix not in (".jsonl", ".csv"):
        raise DataError("results must be a .jsonl or .csv metrics file, or a folder with metrics.jsonl", path)
    records = read_records(path)
    if not records:
        raise DataError("no metric records in this file", path)
    return records


def _cell(r: Record | None) -> str:
    if r is None:
        return ""
    if r.value is None:
        return "n/a"
    if r.ci_low is None or r.ci_high is None:
        return f"{r.value:.3f}"
    return f"{r.value:.3f} [{r.ci_low:.3f}, {r.ci_high:.3f}]"


def _md_escape(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _column(r: Record) -> str | None:
    """The wide-table column of a per-language record: its language, or MEAN for the mean over them."""
    return lang_or_mean(r) if r.stratum is None and r.aggregate in (None, MEAN) else None


def _is_other(r: Record) -> bool:
    """A record of no wide, pairwise or diagnostics table (a row of the long ones)."""
    if r.metric in pairwise_metrics() or _is_diagnostic(r.metric):
        return False
    return r.metric not in wide_tables() or _column(r) is None


class _Index:
    """Per-language records by (model, task, column, metric), keeping first-seen model/task order (PF/CT only)."""

    def __init__(self, records: Sequence[Record]):
        self.records = [r for r in records if not _is_cd(r.metric)]
        self.cd = [r for r in records if _is_cd(r.metric)]
        self.by_key: dict[tuple[str, str, str, str], Record] = {}
        self.models: dict[str, dict[str, None]] = {}  # model -> its tasks (ordered set)
        self.by_model: dict[str, list[Record]] = defaultdict(list)
        for r in self.records:
            if (column := _column(r)) is not None:
                self.by_key.setdefault((r.model, r.task, column, r.metric), r)
            self.models.setdefault(r.model, {})[r.task] = None
            self.by_model[r.model].append(r)

    def row(self, model: str, task: str, columns: Sequence[str], metric: str) -> list[Record | None]:
        return [self.by_key.get((model, task, column, metric)) for column in columns]

    def langs(self, metric: str, model: str | None = None) -> list[str]:
        pool = self.records if model is None else self.by_model[model]
        columns = {c for r in pool if r.metric == metric and (c := _column(r)) is not None}
        return mean_last(columns)


def write_csv_tables(records: Sequence[Record], output_dir: str | Path) -> dict[str, Path]:
    """accuracy/ra/en_co/ra_adj/en_co_adj.csv (wide), pairwise.csv, diagnostics.csv, other.csv (long)."""
    out = Path(output_dir)
    out.mkdir(parents=True, exist_ok=True)
    idx = _Index(records)
    written: dict[str, Path] = {}
    for metric in wide_tables():
        if not (langs := idx.langs(metric)):
            continue
        rows = []
        for model, tasks in idx.models.items():
            for task in tasks:
                if any(found := idx.row(model, task, langs, metric)):
                    rows.append([model, task, *(csv_number(getattr(r, f, None)) for r in found for f in INTERVAL)])
        header = ["model", "task"] + [f"{lang}{s}" for lang in langs for s in ("", "_ci_low", "_ci_high")]
        written[metric] = _write_csv(out / f"{metric}.csv", header, rows)
    groups = {"pairwise": [r for r in idx.records if r.metric in pairwise_metrics()],
              "diagnostics": [r for r in idx.records if _is_diagnostic(r.metric)],
              "conductivity": idx.cd, "other": [r for r in idx.records if _is_other(r)]}
    for name, group in groups.items():
        if group:
            rows = [[";".join(r.flags) if f == "flags" else _blank(getattr(r, f)) for f in FIELDS] for r in group]
            written[name] = _write_csv(out / f"{name}.csv", list(FIELDS), rows)
    return written


def _blank(v):
    return "" if v is None else v


def _write_csv(path: Path, header: list[str], rows: list[list]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows([header, *rows])
    return path


def _wide_markdown(idx: _Index, model: str, metric: str, title: str) -> list[str]:
    langs = idx.langs(metric, model)
    if not langs:
        return []
    lines = [f"### {title}", "", "| task | " + " | ".join(langs) + " |", "|---|" + "---:|" * len(langs)]
    for task in idx.models[model]:
        if any(found := idx.row(model, task, langs, metric)):
            lines.append(f"| {task} | " + " | ".join(_cell(r) for r in found) + " |")
    return lines + [""]


def render_markdown(records: Sequence[Record], title: str = "CLiKA report") -> str:
    idx = _Index(records)
    columns = [c for c in headline_columns() if c.metric != "xrr"]
    out = [f"# {title}", "",
           f"{len(records)} records, {len(idx.models)} model(s). Cells: value [95% bootstrap interval]; "
           "n/a = undefined (reason under Flags). RA = accuracy(l) / accuracy(en); "
           "en-CO = |correct in en ∩ correct in l| / |correct in en ∪ correct in l|; "
           "chance-adjusted variants put random guessing at 0; the mean is over the non-English languages.", "",
           "## Summary", "", "| model | task | " + " | ".join(c.label for c in columns) + " | flags |",
           "|---|---|" + "---:|" * (len(columns) + 1)]
    # everything that qualifies a number of a model, one line each ("undefined" once per metric)
    flags_by_model = {model: collect_flags(idx.by_model[model]) for model in idx.models}
    for model, tasks in idx.models.items():
        for task in tasks:
            n_flags = sum(1 for f in flags_by_model[model] if f.covers(task))
            cells = [_cell(idx.by_key.get((model, task, c.lang or MEAN, c.metric))) for c in columns]
            out.append(f"| {_md_escape(model)} | {task} | " + " | ".join(cells) + f" | {n_flags or ''} |")
    out.append("")
    for model in idx.models:
        out += [f"## {_md_escape(model)}", ""]
        for metric, title in wide_tables().items():
            out += _wide_markdown(idx, model, metric, title)
        if other := [r for r in idx.by_model[model] if _is_other(r)]:
            out += ["### Other metrics", "", "| task | where | metric | value | n | note |",
                    "|---|---|---|---:|---:|---|"]
            out += [f"| {r.task_label} | {r.where} | {r.metric} | {_cell(r)} | {r.n} | {_md_escape(r.note or '')} |"
                    for r in other]
            out.append("")
        lines = [f"- **{f.badge}** {_md_escape(f.where)}: {_md_escape(f.text)}" for f in flags_by_model[model]]
        out += ["### Flags", ""] + (lines or ["- none"]) + [""]
    if idx.cd:
        out += [cd_markdown(idx.cd)]
    return "\n".join(out)


def write_report(records: Sequence[Record], output_dir: str | Path) -> dict[str, Path]:
    """DIR/report.md plus the CSV tables; returns {name: path}."""
    out = Path(output_dir)
    out.mkdir(parents=True, exist_ok=True)
    written = write_csv_tables(records, out)
    report = out / "report.md"
    report.write_text(render_markdown(records), encoding="utf-8")
    return {"report": report, **written}
