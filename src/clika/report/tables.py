"""Metric records -> report.md (Markdown) and CSV tables.

Markdown: a summary (model x task), then per model the RA and en-CO tables
(plain and chance-adjusted; languages as columns, "avg" last, each cell
"value [ci_low, ci_high]"), accuracy per language, and the flags a reader
must see before trusting a number: a dominant option, unparseable answers,
undefined values with their reason, items left out of a pair, withheld
intervals. CSVs hold the same numbers for spreadsheets.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from collections.abc import Iterable, Sequence
from pathlib import Path

from clika.errors import DataError
from clika.items import lang_order_key
from clika.metrics.catalog import get_metric, metrics_of
from clika.metrics.diagnostics import UNPARSEABLE_WARN as UNPARSEABLE_FLAG
from clika.metrics.records import FIELDS, MetricRecord, read_records


def wide_tables() -> dict[str, str]:
    """One wide table (rows: model x task, columns: languages) per per-language metric of the registry."""
    return {d.name: f"{d.label}: {d.description}" for d in metrics_of("lang", "pivot")}


def pairwise_metrics() -> tuple[str, ...]:
    return tuple(d.name for d in metrics_of("pair"))


def _is_diagnostic(metric: str) -> bool:
    defn = get_metric(metric)
    return defn is not None and defn.scope == "diagnostic"


def load_results(path: str | Path) -> list[MetricRecord]:
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


def _lang_order(langs: Iterable[str]) -> list[str]:
    return sorted(set(langs), key=lang_order_key)


def _cell(r: MetricRecord | None) -> str:
    if r is None:
        return ""
    if r.value is None:
        return "n/a"
    if r.ci_low is None or r.ci_high is None:
        return f"{r.value:.3f}"
    return f"{r.value:.3f} [{r.ci_low:.3f}, {r.ci_high:.3f}]"


def _md_escape(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


class _Index:
    """Records by (model, task, lang, metric), keeping first-seen model/task order."""

    def __init__(self, records: Sequence[MetricRecord]):
        self.records = list(records)
        self.by_key: dict[tuple[str, str, str, str], MetricRecord] = {}
        self.models: dict[str, dict[str, None]] = {}  # model -> its tasks (ordered set)
        self.by_model: dict[str, list[MetricRecord]] = defaultdict(list)
        for r in self.records:
            self.by_key[(r.model, r.task, r.lang, r.metric)] = r
            self.models.setdefault(r.model, {})[r.task] = None
            self.by_model[r.model].append(r)

    def get(self, model: str, task: str, lang: str, metric: str) -> MetricRecord | None:
        return self.by_key.get((model, task, lang, metric))

    def langs(self, metric: str, model: str | None = None) -> list[str]:
        pool = self.records if model is None else self.by_model[model]
        return _lang_order(r.lang for r in pool if r.metric == metric)


# ---------------------------------------------------------------- CSV

def write_csv_tables(records: Sequence[MetricRecord], output_dir: str | Path) -> dict[str, Path]:
    """accuracy/ra/en_co/ra_adj/en_co_adj.csv (wide), pairwise.csv, diagnostics.csv, other.csv (long)."""
    out = Path(output_dir)
    out.mkdir(parents=True, exist_ok=True)
    idx = _Index(records)
    written: dict[str, Path] = {}
    for metric in wide_tables():
        langs = idx.langs(metric)
        if not langs:
            continue
        header = ["model", "task"] + [f"{lang}{s}" for lang in langs for s in ("", "_ci_low", "_ci_high")]
        rows = []
        for model, tasks in idx.models.items():
            for task in tasks:
                found = [idx.get(model, task, lang, metric) for lang in langs]
                if not any(found):
                    continue
                row = [model, task]
                for r in found:
                    row += ["" if r is None or v is None else f"{v:.6g}"
                            for v in ((r.value, r.ci_low, r.ci_high) if r else (None,) * 3)]
                rows.append(row)
        written[metric] = _write_csv(out / f"{metric}.csv", header, rows)
    groups = {
        "pairwise": [r for r in idx.records if r.metric in pairwise_metrics()],
        "diagnostics": [r for r in idx.records if _is_diagnostic(r.metric)],
        "other": [r for r in idx.records
                  if r.metric not in wide_tables() and r.metric not in pairwise_metrics() and not _is_diagnostic(r.metric)],
    }
    for name, group in groups.items():
        if group:
            rows = [[("" if (v := r.to_dict().get(f)) is None else v) for f in FIELDS] for r in group]
            written[name] = _write_csv(out / f"{name}.csv", list(FIELDS), rows)
    return written


def _write_csv(path: Path, header: list[str], rows: list[list]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerows(rows)
    return path


# ---------------------------------------------------------------- Markdown

def _flags(idx: _Index, model: str) -> list[tuple[str, str]]:
    """(task, text): everything that qualifies a number of this model, one line each."""
    flags = []
    for r in idx.by_model[model]:
        where = f"{r.task}/{r.lang}"
        text = None
        if r.metric == "dominant_option_flag" and r.value == 1.0:
            text = f"**dominant option** {where}: {r.note}"
        elif r.metric == "unparseable_rate" and r.value is not None and r.value > UNPARSEABLE_FLAG:
            text = f"**unparseable** {where}: {100 * r.value:.1f}% of answers could not be read (counted wrong)"
        elif r.metric == "missing_items" and r.value:
            text = f"**missing items** {where}: {int(r.value)} of {r.n} items have no prediction"
        elif r.metric in wide_tables() and r.value is None:
            text = f"**undefined** {r.metric} {where}: {r.note or 'no reason given'}"
        elif r.metric in wide_tables() and r.note and (r.lang != "avg" or "undefined:" in r.note):
            # left-out items, partly undefined averages, withheld or partial intervals
            text = f"note {r.metric} {where}: {r.note}"
        if text is not None:
            flags.append((r.task, text))
    return flags


def _wide_markdown(idx: _Index, model: str, metric: str, title: str) -> list[str]:
    langs = idx.langs(metric, model)
    if not langs:
        return []
    lines = [f"### {title}", "", "| task | " + " | ".join(langs) + " |",
             "|---|" + "---:|" * len(langs)]
    for task in idx.models[model]:
        found = [idx.get(model, task, lang, metric) for lang in langs]
        if any(found):
            lines.append(f"| {task} | " + " | ".join(_cell(r) for r in found) + " |")
    return lines + [""]


def render_markdown(records: Sequence[MetricRecord], title: str = "CLiKA report") -> str:
    idx = _Index(records)
    out = [f"# {title}", "",
           f"{len(idx.records)} records, {len(idx.models)} model(s). Cells: value [95% bootstrap interval]; "
           "n/a = undefined (reason under Flags). RA = accuracy(l) / accuracy(en); "
           "en-CO = |correct in en ∩ correct in l| / |correct in en ∪ correct in l|; "
           "chance-adjusted variants put random guessing at 0.", "",
           "## Summary", "", "| model | task | accuracy en | mean RA | mean en-CO | flags |",
           "|---|---|---:|---:|---:|---:|"]
    flags_by_model = {model: _flags(idx, model) for model in idx.models}
    for model, tasks in idx.models.items():
        for task in tasks:
            n_flags = sum(1 for flag_task, _ in flags_by_model[model] if flag_task == task)
            out.append(f"| {_md_escape(model)} | {task} | {_cell(idx.get(model, task, 'en', 'accuracy'))} | "
                       f"{_cell(idx.get(model, task, 'avg', 'ra'))} | {_cell(idx.get(model, task, 'avg', 'en_co'))} "
                       f"| {n_flags or ''} |")
    out.append("")
    for model in idx.models:
        out += [f"## {_md_escape(model)}", ""]
        for metric, title in wide_tables().items():
            out += _wide_markdown(idx, model, metric, title)
        other = [r for r in idx.by_model[model] if r.metric not in wide_tables()
                 and r.metric not in pairwise_metrics() and not _is_diagnostic(r.metric)]
        if other:
            out += ["### Other metrics", "", "| task | lang | metric | value | n | note |", "|---|---|---|---:|---:|---|"]
            out += [f"| {r.task} | {r.lang} | {r.metric} | {_cell(r)} | {r.n} | {_md_escape(r.note or '')} |"
                    for r in other]
            out.append("")
        flags = flags_by_model[model]
        out += ["### Flags", ""] + ([f"- {_md_escape(text)}" for _, text in flags] or ["- none"]) + [""]
    return "\n".join(out)


def write_report(records: Sequence[MetricRecord], output_dir: str | Path) -> dict[str, Path]:
    """DIR/report.md plus the CSV tables; returns {name: path}."""
    out = Path(output_dir)
    out.mkdir(parents=True, exist_ok=True)
    written = write_csv_tables(records, out)
    report = out / "report.md"
    report.write_text(render_markdown(records), encoding="utf-8")
    return {"report": report, **written}
