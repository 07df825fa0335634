"""The Python API that the `clika` command line wraps: one typed function per command.

    from clika import api
    result = api.score(api.ScoreOptions("../shared/clika-data", tasks=["x_geo"], output="m.jsonl"))

Each function takes one options dataclass holding every default (RunOptions and ConductOptions come from clika.runner
and clika.conduct.run) whose ``check()``, called first, holds the command line's checks. Progress reaches the caller
through callbacks, warnings through the results: nothing here prints. The command line imports nothing of clika but
this module and clika.errors (an import-linter contract). Heavy libraries (torch, transformers, scipy.stats) are
imported inside the functions that need them.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from clika import __version__
from clika.choice import GENERATE_MAX_NEW_TOKENS, check_mode
from clika.conduct.distributed import is_main_process
from clika.conduct.run import ConductOptions
from clika.conduct.run import conduct as _conduct
from clika.data import load_items
from clika.data.coverage import Coverage, coverage_path
from clika.data.lines import read_json_lines
from clika.data.lmeval_samples import SOURCE_KEY, sources_note
from clika.data.predictions_io import LAYOUTS, read_predictions
from clika.data.upstream_items import is_upstream_root, task_lang_dirs, upstream_tasks
from clika.errors import ConfigError, DataError
from clika.fictional.dataset import PAPER_NAME_DIRECTION, taught_directions
from clika.fictional.generator import generate
from clika.items import LANGS, PIVOT, check_langs, ordered_langs
from clika.metrics.bootstrap import N_BOOT
from clika.metrics.cd import MARGIN as CD_MARGIN
from clika.metrics.core import join_notes
from clika.metrics.record_io import read_resamples, resamples_path, write_records, write_resamples
from clika.metrics.records import Record
from clika.paths import check_output_file, check_writable_dir, remember_data_dir
from clika.prompts import build_requests
from clika.report.terminal import (
    TABLE_FORMATS,
    TextTable,
    check_format,
    count_table,
    pair_table,
    summary_table,
    task_table,
)
from clika.report.terminal import render as render_table
from clika.runner import EvaluateResult, RecordsFrame, RunEvent, RunOptions
from clika.runner import evaluate as _evaluate
from clika.tasks import load_registry

__all__ = [
    "CompareOptions", "CompareResult", "ConductOptions", "ConductResult", "EvaluateResult", "ExportOptions",
    "FetchOptions", "FindingsOptions", "GenerateOptions", "ReportOptions", "RunEvent", "RunOptions", "ScoreOptions",
    "ScoreResult", "ShowOptions", "ValidateOptions", "__version__", "compare", "conduct", "data_location_message",
    "evaluate", "export", "fetch", "fetch_plan", "findings", "generate_fictional", "load_results", "report", "score",
    "show", "validate",
    # what the command line prints: the tables (clika.report.terminal) and the coverage it reads
    "TABLE_FORMATS", "TextTable", "check_format", "count_table", "item_counts", "pair_table", "read_coverage",
    "render_table", "summary_table", "task_table",
]


def load_results(path: str | Path):
    """A metrics file (.jsonl/.csv), or a run folder holding metrics.jsonl, as a DataFrame (clika.metrics.frame)."""
    from clika.metrics.frame import records_frame
    from clika.report.tables import load_results as read

    return records_frame(read(path))


# ---------------------------------------------------------------- run and score

def evaluate(options: RunOptions, on_event: Callable[[RunEvent], None] | None = None) -> EvaluateResult:
    """Run a model on items and compute its PF/CT metrics: the library side of `clika run`."""
    return _evaluate(options, on_event)


@dataclass
class ScoreOptions:
    """What `clika score` takes. source: a folder (or file) of predictions in ``layout``."""

    source: str | Path
    layout: str = "clika-repo"
    models: Sequence[str] | None = None
    tasks: Sequence[str] | None = None
    langs: Sequence[str] | None = None
    extract: str = "first-char"
    n_boot: int = N_BOOT
    seed: int = 0
    output: str | Path | None = None  # a .jsonl or .csv file of tidy records; <stem>.coverage.json beside it
    pivot: str = PIVOT
    pairwise: bool = True
    exclude: Sequence[str] = ()  # globs of files to leave out (path relative to source, or name)
    trust_labels: bool = False  # score with the prediction files' labels where they disagree with the item files

    def check(self) -> None:
        check_n_boot(self.n_boot)
        check_mode("generate", self.extract)
        check_layout(self.layout)


@dataclass
class ScoreResult(RecordsFrame):
    """What `score` computed, and what the reader had to say about the input."""

    records: list[Record]
    # (model, task, lang) -> answers the chosen extractor read differently from first-char
    extraction_changes: dict[tuple[str, str, str], int] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    output: Path | None = None
    n_predictions: int = 0
    timings: dict[str, float] = field(default_factory=dict)  # seconds: read, compute, write
    coverage: object = None  # clika.data.coverage.Coverage: what was read, skipped, complete, partial
    coverage_path: Path | None = None


def check_layout(layout: str) -> None:
    if layout not in LAYOUTS:
        raise ConfigError(f"unknown --layout {layout!r} (choose {', '.join(LAYOUTS)})")


def check_n_boot(n_boot: int) -> None:
    if n_boot < 0:
        raise ConfigError(f"--n-boot must be >= 0, got {n_boot}")


def read_predictions_checked(source: str | Path, layout: str, *, models=None, tasks=None, langs=None,
                             extract: str = "first-char", pivot: str = PIVOT, exclude: Sequence[str] = (),
                             trust_labels: bool = False):
    """Predictions of a source, every filter checked against what it holds; ``read.coverage``: what was read."""
    check_layout(layout)
    wanted = check_langs(langs, _langs_of(source, layout, models, tasks), pivot=pivot) if langs else None
    read = read_predictions(Path(source), layout, models=models, tasks=tasks, langs=wanted, extract=extract,
                            exclude=exclude, trust_labels=trust_labels)
    if not read.predictions:
        skipped = [f for f in read.files if f.status == "skipped"]
        why = f"; {len(skipped)} file(s) skipped, e.g. {skipped[0].path}: {skipped[0].detail}" if skipped else ""
        raise DataError(f"no predictions found for this selection of models, tasks and languages{why}", source)
    read.coverage = Coverage.of(read, source, layout, wanted)
    return read


def _langs_of(source, layout, models, tasks) -> set[str]:
    """The languages a source has (for checking --langs): the cheap way for the upstream layout."""
    root = Path(source)
    if layout == "clika-repo" and is_upstream_root(root):
        return {lang for t in upstream_tasks() if (root / t.name).is_dir() and (not tasks or t.name in tasks)
                for lang in task_lang_dirs(root, t.name)}
    return {p.lang for p in read_predictions(root, layout, models=models, tasks=tasks).predictions}


def score(options: ScoreOptions, progress: Callable[[str, int, int], None] | None = None) -> ScoreResult:
    """Read predictions and compute PF/CT metrics (`clika score`); writes .jsonl or .csv when options.output is
    given. progress(phase, done, total), if given, is called for "read" and "compute" (writing is quick)."""
    from clika.metrics.compute import compute_metrics

    o = options
    o.check()
    out_path = check_output_file(o.output, (".jsonl", ".csv")) if o.output is not None else None
    marks = [time.perf_counter()]  # the start, then the end of each phase: read, compute, write
    if progress is not None:
        progress("read", 0, 1)
    read = read_predictions_checked(o.source, o.layout, models=o.models, tasks=o.tasks, langs=o.langs,
                                    extract=o.extract, pivot=o.pivot, exclude=o.exclude, trust_labels=o.trust_labels)
    coverage = read.coverage
    marks.append(time.perf_counter())

    on_group = (lambda done, total: progress("compute", done, total)) if progress is not None else None
    resamples: dict = {}
    records = compute_metrics(read.predictions, pivot=o.pivot, n_boot=o.n_boot, seed=o.seed, pairwise=o.pairwise,
                              progress=on_group, expected_langs=coverage.expected, item_counts=coverage.item_counts,
                              resamples=resamples)
    if o.layout == "lm-eval":
        records = _with_lm_eval_sources(records, read.predictions)
    marks.append(time.perf_counter())

    cov_path = None
    if out_path is not None:
        write_records(records, out_path)
        write_resamples(resamples, records, out_path)
        cov_path = coverage.write(coverage_path(out_path))
    marks.append(time.perf_counter())
    timings = {phase: marks[i + 1] - marks[i] for i, phase in enumerate(("read", "compute", "write"))}
    return ScoreResult(records, dict(read.extraction_changes), list(read.warnings), out_path,
                       len(read.predictions), timings, coverage, cov_path)


def _with_lm_eval_sources(records: list[Record], predictions) -> list[Record]:
    """Each record's note names the lm-eval tasks and metrics of its languages (those of the whole
    task for a value over languages), where the reader kept them (clika.data.lmeval_samples)."""
    sources: dict[tuple[str, str], dict[str, str]] = {}
    for p in predictions:
        if p.extra and SOURCE_KEY in p.extra:
            sources.setdefault((p.model, p.task), {})[p.lang] = p.extra[SOURCE_KEY]
    out = []
    for r in records:
        by_lang = sources.get((r.model, r.task), {})
        langs = [lang for lang in (r.lang, r.lang_ref) if lang] or list(by_lang)
        note = sources_note(by_lang[lang] for lang in langs if lang in by_lang)
        out.append(replace(r, note=join_notes(r.note, note)) if note else r)
    return out


# ---------------------------------------------------------------- compare and findings

@dataclass
class CompareOptions:
    """What `clika compare` takes: run folders (clika layout) and/or one predictions folder."""

    output: str | Path
    results_dirs: Sequence[str | Path] = ()
    predictions: str | Path | None = None
    layout: str = "clika-repo"
    pairs: Sequence[str] | None = None  # "A:B" (B minus A); default: every registry pair present
    registry: str | Path | None = None  # a YAML that extends/overrides the family registry
    tasks: Sequence[str] | None = None
    langs: Sequence[str] | None = None
    n_boot: int = N_BOOT
    seed: int = 0
    conduct_dirs: Sequence[str | Path] = ()  # `clika conduct` outputs: the CD claims are tested on them
    exclude: Sequence[str] = ()  # globs of prediction files to leave out
    trust_labels: bool = False  # score with the prediction files' labels where they disagree with the item files
    margin: float = CD_MARGIN  # the CD verdicts' margin above chance (clika.metrics.cd.cd_verdict)

    def check(self) -> None:
        if not self.results_dirs and not self.predictions and not self.conduct_dirs:
            raise ConfigError("nothing to compare: give RESULTS_DIR folders, --predictions DIR or --conduct DIR")
        check_layout(self.layout)
        check_n_boot(self.n_boot)


@dataclass
class CompareResult:
    analysis: object  # clika.analysis.pipeline.AnalysisResult
    paths: dict[str, Path]
    warnings: list[str]
    n_predictions: int
    cd_findings: list = field(default_factory=list)  # clika.analysis.cd_claims.CDFinding
    coverage: object = None  # clika.data.coverage.Coverage of the predictions read (None: CD only)


def compare(options: CompareOptions) -> CompareResult:
    """Paired comparisons, strategy summaries and findings: the library side of `clika compare`."""
    from clika.report.findings_md import findings_document, write_compare_folder

    o = options
    o.check()
    out = check_writable_dir(o.output)
    registry, cd, cd_notes = _registry_and_cd(o)
    if not o.results_dirs and not o.predictions:  # the CD claims only: check() wants one of the three
        from clika.analysis.pipeline import write_findings_json

        (out / "findings.md").write_text(findings_document(None, cd), encoding="utf-8")
        paths = {"findings.md": out / "findings.md",
                 "findings.json": write_findings_json(out / "findings.json", cd_findings=cd)}
        return CompareResult(None, paths, cd_notes, 0, cd)
    result, preds, warnings, header = _analyse(o, registry, cd_notes, "clika compare", results_dirs=o.results_dirs,
                                               tasks=o.tasks, langs=o.langs, pairs=list(o.pairs) if o.pairs else None)
    paths = write_compare_folder(result, out, findings_header=header, cd_findings=cd)
    paths["coverage.json"] = result.coverage.write(out / "coverage.json")
    return CompareResult(result, paths, warnings + result.notes + cd_notes, len(preds), cd, result.coverage)


def _registry_and_cd(o):
    """The family registry, and the CD findings and notes of o.conduct_dirs (CompareOptions or FindingsOptions)."""
    from clika.analysis.families import load_families

    registry = load_families(Path(o.registry) if o.registry else None)
    if not o.conduct_dirs:
        return registry, [], []
    from clika.analysis.cd_claims import cd_findings, load_runs

    runs, notes = load_runs([Path(d) for d in o.conduct_dirs], o.margin)
    return registry, cd_findings(runs, registry, o.n_boot, o.seed), notes


def _analyse(o, registry, cd_notes: list[str], command: str, results_dirs=(), tasks=None, langs=None, pairs=None):
    """(analysis, predictions, warnings, findings header) of the run folders and o.predictions (CompareOptions or
    FindingsOptions), read together; the analysis's .coverage is what was read."""
    from clika.analysis.pipeline import analyse
    from clika.report.findings_md import command_line, findings_header

    sources = [(d, "clika") for d in results_dirs] + ([(o.predictions, o.layout)] if o.predictions else [])
    preds, warnings, coverages = [], [], []
    for source, source_layout in sources:
        got = read_predictions_checked(source, source_layout, tasks=tasks, langs=langs, exclude=o.exclude,
                                       trust_labels=o.trust_labels)
        preds += got.predictions
        warnings += [f"{source}: {w}" for w in got.warnings]
        coverages.append(got.coverage)
    coverage = Coverage.merge(coverages)
    result = analyse(preds, registry, pairs=pairs, tasks=tasks, langs=langs, n_boot=o.n_boot, seed=o.seed,
                     expected_langs=coverage.expected, short=coverage.short())
    result.coverage = coverage
    return result, preds, warnings, findings_header(result, preds, warnings + cd_notes, command_line(command, o))


@dataclass
class FindingsOptions:
    """What `clika findings` takes; output is the Markdown file to (re)write."""

    predictions: str | Path | None = None  # None: the CD claims only (conduct_dirs)
    output: str | Path = "docs/findings.md"
    layout: str = "clika-repo"
    registry: str | Path | None = None
    n_boot: int = N_BOOT
    seed: int = 0
    conduct_dirs: Sequence[str | Path] = ()  # `clika conduct` outputs: the CD claims are tested on them
    exclude: Sequence[str] = ()  # globs of prediction files to leave out
    trust_labels: bool = False  # score with the prediction files' labels where they disagree with the item files
    margin: float = CD_MARGIN  # the CD verdicts' margin above chance (clika.metrics.cd.cd_verdict)

    def check(self) -> None:
        if self.predictions is None and not self.conduct_dirs:
            raise ConfigError("nothing to test: give --predictions DIR (PF/CT claims) and/or --conduct DIR (CD)")
        check_layout(self.layout)
        check_n_boot(self.n_boot)


@dataclass
class FindingsResult:
    analysis: object | None  # clika.analysis.pipeline.AnalysisResult (None: CD claims only); .coverage: what was read
    path: Path
    cd_findings: list = field(default_factory=list)  # clika.analysis.cd_claims.CDFinding
    notes: list[str] = field(default_factory=list)


def findings(options: FindingsOptions) -> FindingsResult:
    """Regenerate the findings document (and <stem>.coverage.json beside it when predictions are read)."""
    from clika.report.findings_md import findings_document

    o = options
    o.check()
    out = check_output_file(o.output, (".md",))
    registry, cd, cd_notes = _registry_and_cd(o)
    if o.predictions is None:
        out.write_text(findings_document(None, cd, notes=cd_notes), encoding="utf-8")
        return FindingsResult(None, out, cd, cd_notes)
    result, _, _, header = _analyse(o, registry, cd_notes, "clika findings")
    out.write_text(findings_document(result.findings, cd, header=header), encoding="utf-8")
    result.coverage.write(coverage_path(out))
    return FindingsResult(result, out, cd, cd_notes)


# ---------------------------------------------------------------- report

@dataclass
class ReportOptions:
    """What `clika report` takes: a metrics file (or a folder holding metrics.jsonl). reference: "published" (the
    packaged results of the CLiKA paper's 40 models) or a metrics file to place your models among in
    leaderboard.csv and the HTML report."""

    results: str | Path | Sequence[str | Path]  # one or more: PF/CT records and `clika conduct` outputs together
    output: str | Path
    html: bool = False
    comparisons: str | Path | None = None  # a `clika compare` output folder for the HTML report
    reference: str | Path | None = None


def read_curves(folder: Path) -> dict:
    """(model, source, target) -> curve.jsonl rows of the first seed of each `clika conduct` run under folder."""
    out: dict = {}
    for path in sorted(folder.glob("*/*/seed*/curve.jsonl")):
        manifest = json.loads((path.parent / "manifest.json").read_text(encoding="utf-8"))
        key = (manifest["model"]["name"], manifest.get("source", "en"), manifest["target"])
        out.setdefault(key, [row for _, row in read_json_lines(path)])
    return out


def report(options: ReportOptions) -> dict[str, Path]:
    """`clika report`: report.md, CSV tables, leaderboard.csv (+ report.html), coverage.json (written["coverage"])."""
    from clika.report.flags import records_coverage
    from clika.report.leaderboard import build_leaderboard, write_leaderboard_csv
    from clika.report.tables import load_results, write_report

    o = options
    out = check_writable_dir(o.output)
    sources = [o.results] if isinstance(o.results, (str, Path)) else list(o.results)
    records, resamples, curves = [], {}, {}
    for source in map(Path, sources):
        records += load_results(source)
        metrics_file = source / "metrics.jsonl" if source.is_dir() else source
        if resamples_path(metrics_file).is_file():
            resamples.update(read_resamples(metrics_file))
        if source.is_dir():
            curves.update(read_curves(source))
    # the set once, not per record: rebuilt inside the comprehension it made this quadratic (188 s of 204 s)
    scored_tasks = {x.task for x in records if x.metric == "accuracy"}
    coverage = records_coverage([r for r in records if r.task in scored_tasks], sources[0])
    placed, yours, reference = records, None, None
    if o.reference is not None:
        from clika.report.reference import run_items, with_reference

        placed, yours, reference = with_reference(records, o.reference, run_items(sources), resamples)
    if o.html:
        from clika.report.html import comparison_inputs, write_html_report

        extra = comparison_inputs(Path(o.comparisons)) if o.comparisons is not None else {}
    written = write_report(records, out)
    board = build_leaderboard(placed, yours=yours, resamples=resamples, recomputed=(reference or {}).get("recomputed"))
    written["leaderboard"] = write_leaderboard_csv(board, out / "leaderboard.csv")
    if o.html:
        written["html"] = Path(write_html_report(placed, out, yours=yours, reference=reference, resamples=resamples,
                                                 curves=curves, **extra))
    written["coverage"] = coverage.write(out / "coverage.json")
    return written


# ---------------------------------------------------------------- data

@dataclass
class ShowOptions:
    """What `clika data show` takes. source: "builtin", an upstream CLiKA folder, a .jsonl file or folder, or
    "hf:NAME" (None: each task's own dataset); include_paths: folders of task YAML files."""

    source: str | Path | None = None
    tasks: Sequence[str] | None = None
    langs: Sequence[str] | None = None
    include_paths: Sequence[str | Path] = ()


@dataclass
class ValidateOptions(ShowOptions):
    """What `clika data validate` takes: the same as show, with a source named."""

    def check(self) -> None:
        if self.source is None:
            raise ConfigError("validate needs an item source: builtin, a folder, a .jsonl file or hf:NAME")


def validate(options: ValidateOptions):
    """Every problem of an item source (and, in an upstream folder, of its fictional set):
    a clika.data.validate.ValidationReport (problems: errors and warnings; items)."""
    from clika.data.validate import validate_source

    o = options
    o.check()
    registry = load_registry(o.include_paths)
    report = validate_source(o.source, o.tasks, o.langs, registry=registry)
    name, path = str(o.source), Path(str(o.source))
    if (name != "builtin" and not name.startswith("hf:") and is_upstream_root(path, registry) and not o.tasks
            and (path / "fictional").is_dir()):
        from clika.fictional.upstream_set import validate_fictional

        report.problems.extend(validate_fictional(path))
    return report


def show(options: ShowOptions):
    """The items of a source: the library side of `clika data show`."""
    return load_items(options.source, options.tasks, options.langs, registry=load_registry(options.include_paths))


@dataclass
class FetchOptions:
    """What `clika data fetch` takes."""

    dest: str | Path | None = None  # default $CLIKA_DATA_DIR, else the remembered --dest, else clika's cache
    url: str | None = None  # a mirror (BASE/<path in the repository> is each file)
    predictions: bool = False  # also every published prediction file and the model inputs
    only: Sequence[str] | None = None  # repository paths (task, folder or file) to fetch
    remember: bool = False  # once complete, remember ``dest`` (clika.paths.remember_data_dir) for later commands


def fetch_plan(options: FetchOptions) -> str:
    """What fetch would download (files and bytes by group; models and variant runs), in one line."""
    from clika.data.fetch import describe_files, load_manifest

    return describe_files(load_manifest().select(predictions=options.predictions, only=options.only))


def fetch(options: FetchOptions, progress=None):
    """`clika data fetch`: each file checked against the shipped manifest; progress gets every FetchEvent."""
    from clika.data.fetch import fetch as _fetch

    o = options
    result = _fetch(Path(o.dest) if o.dest else None, o.url, predictions=o.predictions, only=o.only, progress=progress)
    if o.remember and o.dest and result.complete:
        try:
            remember_data_dir(result.dest)
        except OSError:
            pass  # not remembered: the message built by data_location_message says where commands look instead
    return result


def data_location_message(dest: str | Path) -> str:
    """After a complete fetch into ``dest``: one line saying whether later commands find it, and why."""
    from clika.data.fetch import data_location_message as message

    return message(Path(dest))


@dataclass
class ExportOptions:
    """What `clika data export` takes."""

    output: str | Path
    format: str = "lm-eval"  # a task folder for lm-eval's --include_path, or "hf" (a Hugging Face datasets folder)
    data: str | Path | None = None  # the item source as `clika run --data-dir` takes it (None: each task's own)
    tasks: Sequence[str] | None = None  # None: the CLiKA tasks, or every task of a "builtin" or .jsonl source
    langs: Sequence[str] | None = None  # None: all (else they must include the pivot, en)
    include_paths: Sequence[str | Path] = ()

    def check(self) -> None:
        from clika.data.export import EXPORT_FORMATS

        if self.format not in EXPORT_FORMATS:
            raise ConfigError(f"unknown --format {self.format!r} (choose {' or '.join(EXPORT_FORMATS)})")


def export(options: ExportOptions):
    """Write items as an lm-eval task folder or a Hugging Face datasets folder: `clika data export`.
    Returns a clika.data.export.Export (the folder, its files, the items per task and language)."""
    from clika.data.export import ExportSource, check_output, upstream_source
    from clika.data.fetch import find_data_dir

    o = options
    o.check()
    out = Path(o.output)
    check_output(out)  # before any work
    registry = load_registry(o.include_paths)
    clika_tasks = [t.name for t in upstream_tasks(registry)]
    data = None if o.data is None else str(o.data)
    builtin_or_file = data is not None and (data == "builtin" or not is_upstream_root(Path(data), registry))
    tasks = list(o.tasks) if o.tasks else (None if builtin_or_file else clika_tasks)
    items = load_items(o.data, tasks, None, registry=registry)
    langs = check_langs(o.langs, {i.lang for i in items}) if o.langs else None
    items = [i for i in items if langs is None or i.lang in langs]
    chosen_tasks = list(dict.fromkeys(i.task for i in items))
    root = Path(data) if data is not None and not builtin_or_file else (
        find_data_dir() if all(t in clika_tasks for t in chosen_tasks) else None)
    if root is not None:
        source = upstream_source(root, chosen_tasks, ordered_langs(i.lang for i in items))
    elif o.data == "builtin" or (o.data is None and all(registry[t].dataset.format == "builtin" for t in chosen_tasks)):
        source = ExportSource("clika's built-in mini set")
    else:
        source = ExportSource(f"the items in {o.data}" if o.data is not None else "each task's own dataset")
    if o.format == "hf":
        from clika.data.hf_export import export_hf

        return export_hf(items, out, source=source, version=__version__)
    from clika.data.lmeval_tasks import export_lm_eval

    return export_lm_eval(items, out, lambda unit, template, mode: build_requests(unit, template, mode, registry),
                          max_gen_toks=GENERATE_MAX_NEW_TOKENS, source=source, version=__version__)


# ---------------------------------------------------------------- conductivity

@dataclass
class ConductResult:
    runs: list  # clika.conduct.run.TargetRun: one per model and target (seeds pooled)
    written: list[Path]  # metrics.jsonl and report.md; none on the other processes of a multi-process run


def conduct(options: ConductOptions, log: Callable[[str], None] = lambda line: None) -> ConductResult:
    """Teach fictional facts and measure XRR: `clika conduct` (options.check() comes first).
    Writes OUTPUT/metrics.jsonl (the records), and OUTPUT/report.md (clika.report.cd_tables)."""
    from clika.report.cd_tables import cd_markdown, protocol_text

    runs = _conduct(options, log)
    if not is_main_process():  # under torchrun the other processes train alongside and write nothing
        return ConductResult(runs, [])
    out = Path(options.output)
    records = [r for run in runs for r in run.records]
    text = "# Conductivity (CD)\n\n" + cd_markdown(records, protocol_text(options), options.margin).split("\n", 2)[2]
    (out / "report.md").write_text(text, encoding="utf-8")
    return ConductResult(runs, [out / "metrics.jsonl", out / "report.md"])


@dataclass
class GenerateOptions:
    """What `clika fictional generate` takes. name_direction and source: which way names are taught and the language
    type-1 facts are taught in (the per-target train_<lang>/test_<lang> files)."""

    output: str | Path
    n_facts: int | None = None  # None: the generator's default (120)
    seed: int = 0
    langs: Sequence[str] | None = None  # languages besides en (None: all ten)
    names: str = "compound"
    n_continents: int | None = None
    name_direction: str = PAPER_NAME_DIRECTION
    source: str = PIVOT

    def set_langs(self) -> tuple[str, ...]:
        """The set's languages: en, the source and ``langs`` (a ConfigError names an unknown one)."""
        chosen = check_langs(["en", self.source, *(self.langs or LANGS)], LANGS) or list(LANGS)
        return tuple(dict.fromkeys(chosen))

    def check(self) -> None:
        """Languages and name direction: checked before a set is generated (the generator checks the rest)."""
        self.set_langs()
        taught_directions(self.name_direction)


def generate_fictional(options: GenerateOptions):
    """Generate a fictional-fact set and write it to ``output`` (facts.jsonl..., and per target language
    train_<lang>.jsonl / test_<lang>.jsonl: what a run teaches and asks): `clika fictional generate`."""
    o = options
    o.check()
    out = check_writable_dir(o.output)
    kwargs = {} if o.n_facts is None else {"n_facts": o.n_facts}
    fset = generate(langs=o.set_langs(), seed=o.seed, names=o.names, n_continents=o.n_continents, **kwargs)
    fset.write(out, name_direction=o.name_direction, source=o.source)
    return fset


# ---------------------------------------------------------------- what the command line's tables use

def item_counts(items) -> tuple[list[str], list[str], dict[tuple[str, str], int]]:
    """(tasks, langs, counts) of items: the rows, columns and cells of the item-count table."""
    from clika.data.validate import count_table

    return count_table(items)


def read_coverage(path: str | Path):
    """A coverage.json (clika.data.coverage.Coverage: what a read covered), e.g. report's written["coverage"]."""
    return Coverage.read(path)
