"""`clika compare` (paired model comparisons, strategy summaries, findings) and `clika findings`."""

from __future__ import annotations

from pathlib import Path

import typer

from clika import api
from clika.api import CompareOptions, FindingsOptions
from clika.cli.common import EXCLUDE_HELP, MARGIN_HELP, TRUST_HELP, print_coverage, print_warnings, split_list, stderr
from clika.cli.tables import FORMAT_HELP, VERBOSE_HELP, check_format, print_table


def compare_command(
    results_dirs: list[Path] | None = typer.Argument(None, help="Run folders holding predictions.jsonl."),
    output: Path = typer.Option(..., "--output", "-o", help="Folder for comparisons.jsonl/.md, "
                                "strategy_summary.csv, findings.md and findings.json."),
    predictions: Path | None = typer.Option(None, "--predictions", help="Folder of predictions (see --layout)."),
    layout: str = typer.Option(CompareOptions.layout, "--layout", help="Layout of --predictions: clika-repo, "
                               "lm-eval or clika."),
    pair: list[str] | None = typer.Option(None, "--pair", help="A:B to compare, B minus A (comma-separated or "
                                             "repeated); default: every registry pair present in the data."),
    registry: Path | None = typer.Option(None, "--registry", help="YAML that extends/overrides the family "
                                            "registry."),
    tasks: list[str] | None = typer.Option(None, "--tasks", help="Tasks, comma-separated."),
    langs: list[str] | None = typer.Option(None, "--langs", help="Languages, comma-separated (must include en)."),
    n_boot: int = typer.Option(CompareOptions.n_boot, "--n-boot", help="Bootstrap resamples for CIs and p-values."),
    seed: int = typer.Option(CompareOptions.seed, "--seed", help="Bootstrap seed."),
    conduct: list[Path] | None = typer.Option(None, "--conduct", help="`clika conduct` output folder(s): test "
                                                 "the conductivity claims on them too."),
    exclude: list[str] | None = typer.Option(None, "--exclude", help=EXCLUDE_HELP),
    trust_labels: bool = typer.Option(CompareOptions.trust_labels, "--trust-labels", help=TRUST_HELP),
    margin: float = typer.Option(CompareOptions.margin, "--margin", help=MARGIN_HELP),
    verbose: bool = typer.Option(False, "--verbose", "-v", help=VERBOSE_HELP),
    fmt: str = typer.Option("auto", "--format", help=FORMAT_HELP),
) -> None:
    """Paired comparisons (delta, 95% CI, p) of model pairs per task and language, and the findings."""
    console = stderr()
    check_format(fmt)
    result = api.compare(CompareOptions(output, list(results_dirs or []), predictions, layout, split_list(pair),
                                        registry, split_list(tasks), split_list(langs), n_boot, seed,
                                        list(conduct or []), tuple(exclude or ()), trust_labels, margin))
    print_warnings(console, result.warnings)
    print_coverage(console, result.coverage, verbose)
    analysis = result.analysis
    if pair and analysis:
        for a, b, strategy in analysis.pairs:
            print_table(api.pair_table(analysis.comparisons, a, b, strategy, analysis.n_boot), fmt)
    for f in (analysis.findings if analysis else []) + result.cd_findings:
        console.print(f"{f.verdict}: {f.claim}")
    n_pairs, n_records = (len(analysis.pairs), len(analysis.comparisons)) if analysis else (0, 0)
    console.print(f"compared {n_pairs} pairs: {n_records} records -> " + ", ".join(map(str, result.paths.values())))


def findings_command(
    predictions: Path | None = typer.Option(None, "--predictions", help="Folder of predictions (upstream layout by "
                                            "default): the PF/CT claims."),
    output: Path = typer.Option(Path(FindingsOptions.output), "--output", "-o", help="The Markdown file to (re)write."),
    layout: str = typer.Option(FindingsOptions.layout, "--layout", help="clika-repo, lm-eval or clika."),
    registry: Path | None = typer.Option(None, "--registry", help="YAML that extends/overrides the family "
                                            "registry."),
    n_boot: int = typer.Option(FindingsOptions.n_boot, "--n-boot", help="Bootstrap resamples."),
    seed: int = typer.Option(FindingsOptions.seed, "--seed", help="Bootstrap seed."),
    conduct: list[Path] | None = typer.Option(None, "--conduct", help="`clika conduct` output folder(s): add "
                                                 "the conductivity claims."),
    exclude: list[str] | None = typer.Option(None, "--exclude", help=EXCLUDE_HELP),
    trust_labels: bool = typer.Option(FindingsOptions.trust_labels, "--trust-labels", help=TRUST_HELP),
    margin: float = typer.Option(FindingsOptions.margin, "--margin", help=MARGIN_HELP),
    verbose: bool = typer.Option(False, "--verbose", "-v", help=VERBOSE_HELP),
) -> None:
    """Regenerate the findings document: which claims of Gao et al. (2024) the predictions (PF/CT) and
    `clika conduct` results (CD) support."""
    console = stderr()
    result = api.findings(FindingsOptions(predictions, output, layout, registry, n_boot, seed,
                                          list(conduct or []), tuple(exclude or ()), trust_labels, margin))
    if result.analysis is not None:
        print_coverage(console, result.analysis.coverage, verbose)
    for note in result.notes:
        console.print(f"note: {note}", markup=False, highlight=False)
    for f in [*(result.analysis.findings if result.analysis else []), *result.cd_findings]:
        console.print(f"{f.verdict}: {f.claim}", markup=False, highlight=False)
    console.print(f"wrote {result.path}", markup=False, highlight=False)
