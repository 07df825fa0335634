"""`clika compare` (paired model comparisons, strategy summaries, findings) and `clika findings`."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from clika.cli import app

LAYOUTS = ("clika-repo", "lm-eval", "clika")
FINDINGS_COMMAND = "clika findings --predictions ../shared/clika-data --output docs/findings.md"


def _split(value: str | None) -> list[str] | None:
    if value is None:
        return None
    return [p.strip() for p in value.split(",") if p.strip()] or None


def _read_all(results_dirs: list[Path], predictions: Path | None, layout: str,
              tasks: list[str] | None, langs: list[str] | None):
    """Predictions from run folders (clika layout) and/or one --predictions folder; plus reader warnings."""
    from clika.data.predictions_io import read_predictions
    from clika.errors import ConfigError

    if layout not in LAYOUTS:
        raise ConfigError(f"unknown --layout {layout!r} (choose {', '.join(LAYOUTS)})")
    sources = [(d, "clika") for d in results_dirs] + ([(predictions, layout)] if predictions else [])
    if not sources:
        raise ConfigError("nothing to compare: give RESULTS_DIR folders or --predictions DIR")
    preds, warnings = [], []
    for source, source_layout in sources:
        got = read_predictions(Path(source), source_layout, tasks=tasks, langs=langs)
        preds += got.predictions
        warnings += [f"{source}: {w}" for w in got.warnings]
    return preds, warnings


@app.command("compare")
def compare_command(
    results_dirs: Optional[list[Path]] = typer.Argument(None, help="Run folders holding predictions.jsonl."),
    predictions: Optional[Path] = typer.Option(None, "--predictions", help="Folder of predictions (see --layout)."),
    layout: str = typer.Option("clika-repo", "--layout", help="Layout of --predictions: clika-repo | lm-eval | clika"),
    pair: Optional[list[str]] = typer.Option(None, "--pair", help="A:B to compare, B minus A (repeatable); "
                                             "default: every registry pair present in the data."),
    registry: Optional[Path] = typer.Option(None, "--registry", help="YAML that extends/overrides the family registry."),
    tasks: Optional[str] = typer.Option(None, "--tasks", help="Comma-separated tasks."),
    langs: Optional[str] = typer.Option(None, "--langs", help="Comma-separated languages (must include en)."),
    n_boot: int = typer.Option(1000, "--n-boot", help="Bootstrap resamples for CIs and p-values."),
    seed: int = typer.Option(0, "--seed", help="Bootstrap seed."),
    output: Path = typer.Option(..., "--output", help="Folder for comparisons.jsonl/.md, strategy_summary.csv, findings.md."),
) -> None:
    """Paired comparisons (delta, 95% CI, p) of model pairs per task and language, and the findings."""
    from rich.console import Console

    from clika.analysis.pipeline import analyse, write_outputs
    from clika.analysis.registry import load_registry

    console = Console(stderr=True)
    reg = load_registry(registry)
    preds, warnings = _read_all(list(results_dirs or []), predictions, layout, _split(tasks), _split(langs))
    result = analyse(preds, reg, pairs=pair, tasks=_split(tasks), langs=_split(langs), n_boot=n_boot, seed=seed)
    paths = write_outputs(result, output)
    for w in warnings + result.notes:
        console.print(f"[yellow]warning:[/yellow] {w}")
    for f in result.findings:
        console.print(f"[bold]{f.verdict}[/bold]: {f.claim}")
    console.print(f"compared {len(result.pairs)} pairs: {len(result.comparisons)} records -> "
                  + ", ".join(str(p) for p in paths.values()))


@app.command("findings")
def findings_command(
    predictions: Path = typer.Option(..., "--predictions", help="Folder of predictions (upstream layout by default)."),
    layout: str = typer.Option("clika-repo", "--layout", help="clika-repo | lm-eval | clika"),
    registry: Optional[Path] = typer.Option(None, "--registry", help="YAML that extends/overrides the family registry."),
    n_boot: int = typer.Option(1000, "--n-boot", help="Bootstrap resamples."),
    seed: int = typer.Option(0, "--seed", help="Bootstrap seed."),
    output: Path = typer.Option(Path("docs/findings.md"), "--output", help="The Markdown file to (re)write."),
) -> None:
    """Regenerate the findings document: which claims of Gao et al. (2024) the predictions support."""
    from rich.console import Console

    from clika.analysis.findings import findings_markdown
    from clika.analysis.pipeline import analyse
    from clika.analysis.registry import load_registry

    console = Console(stderr=True)
    reg = load_registry(registry)
    preds, warnings = _read_all([], predictions, layout, None, None)
    result = analyse(preds, reg, n_boot=n_boot, seed=seed)
    n_models = len(set().union(*(set(s.matrix.models) for s in result.stats.values())))
    header = "\n".join([
        "# Findings: cross-lingual knowledge alignment claims, tested on the shared predictions", "",
        f"Generated by `{FINDINGS_COMMAND}` (from the repository root; n_boot={n_boot}, seed={seed}). "
        "Do not edit by hand: rerun the command.", "",
        f"Data: {len(preds)} predictions of {n_models} models on {', '.join(sorted(result.stats))}; "
        f"{len(result.pairs)} (base -> derived) pairs from the model-family registry "
        "(src/clika/analysis/families.yaml). Answers: the upstream first-character rule.",
        "Intervals: 95% percentile bootstrap, items resampled jointly across languages and models "
        "(paired); pooled means are taken replicate by replicate.",
        *(f"- note: {w}" for w in warnings + result.notes),
    ])
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(findings_markdown(result.findings, header=header), encoding="utf-8")
    for f in result.findings:
        console.print(f"[bold]{f.verdict}[/bold]: {f.claim}")
    console.print(f"wrote {output}")
