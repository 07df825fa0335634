"""The self-contained HTML report: every figure embedded as a base64 PNG data URI, no external resources.

Sections: leaderboard, model x language heatmaps, model families (deltas from `clika compare`), home transfer,
conductivity, flags, metric definitions (from the registry), collapsed per-model details, findings. The PNGs are also
written to output_dir/figures/ for papers and slides, and the leaderboard to output_dir/leaderboard.csv.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape
from pathlib import Path

from clika.analysis.pipeline import read_findings_json
from clika.errors import DataError
from clika.metrics.record_io import read_records
from clika.metrics.records import Record
from clika.report.cd_tables import cd_html
from clika.report.figures import curve_figure
from clika.report.flags import FlagIndex
from clika.report.html_families import families_section, home_transfer_section
from clika.report.html_findings import findings_section
from clika.report.html_model import models_section
from clika.report.html_parts import SCRIPT, STYLE, Figures
from clika.report.html_sections import definitions_section, flags_section, heatmap_section, leaderboard_section
from clika.report.leaderboard import OVERALL, RECOMPUTED, build_leaderboard, write_leaderboard_csv

YOURS = ("<p>Your model(s) ({mine}) are placed among the reference: {src}. Their rows carry a <b>yours</b> badge and "
         "are shaded; heatmap rows say “(yours)”. A row computed on other languages or another n per language than the "
         "reference's rows (a --langs or --limit run) whose items the reference could not be recomputed on is listed "
         "without a rank, its note naming the difference: its means are over other items.</p>")


def _curve_images(curves: dict, figs: Figures) -> dict:
    """(model, source, target) -> an embedded learning-curve figure."""
    out = {}
    for key, rows in curves.items():
        if rows:
            figure = curve_figure(rows, f"{key[0]}: {key[1]} -> {key[2]}")
            out[key] = figs.img(figure, f"curve_{'_'.join(key)}", f"learning curves, {key[0]} {key[1]} -> {key[2]}")
    return out


def _header(records: Sequence[Record], models: list[str], yours: set[str] | None, reference: dict | None) -> str:
    tasks = sorted({r.task for r in records})
    langs = {r.lang for r in records if r.metric == "accuracy" and r.lang is not None}
    text = (f"{len(models)} model(s), {len(tasks)} task(s) ({', '.join(tasks)}), {len(langs)} language(s); "
            f"{len(records)} metric records.")
    out = [f'<p class="muted">{escape(text)}</p>']
    if reference:
        get = reference.get
        src = (f"{get('description', 'reference results')} (source {get('repository', '?')} at commit "
               f"{str(get('commit', '?'))[:12]}, n_boot {get('n_boot', '?')}, seed {get('seed', '?')}, clika "
               f"{get('clika_version', '?')})")
        out.append(YOURS.format(mine=escape(", ".join(sorted(yours or ())) or "none"), src=escape(src)))
        done: dict[str, list[str]] = {}
        for task, what in (get("recomputed") or {}).items():
            done.setdefault(what, []).append(task)
        if done:
            which = "; ".join(f"{escape(', '.join(tasks))} ({escape(what)})" for what, tasks in done.items())
            lead = escape(RECOMPUTED[0].upper() + RECOMPUTED[1:])
            out.append(f"<p>{lead}, so that their rows are ranked beside yours on the same items: {which}.</p>")
        for task, why in (get("not_recomputed") or {}).items():
            out.append(f"<p>{escape(task)}: references not recomputed on your items ({escape(why)}).</p>")
    return "".join(out)


def write_html_report(records: list[Record], output_dir: Path, *, comparisons=None, findings=None, cd_findings=None,
                      findings_note: str | None = None, summaries=None, title: str | None = None,
                      yours: set[str] | None = None, reference: dict | None = None, resamples: dict | None = None,
                      curves: dict | None = None) -> Path:
    """Write output_dir/report.html (self-contained), figures/*.png and leaderboard.csv; return the HTML path.

    comparisons / summaries: `clika compare`'s comparison and strategy pool records (comparison_inputs); resamples:
    the records' resamples, for the overall intervals; curves: (model, source, target) -> learning-curve rows of
    conductivity runs; findings / cd_findings: Finding / CDFinding objects; findings_note: said in their place when
    there are none; yours / reference: the user's models and the reference's provenance (reference.with_reference),
    per-model sections then for yours only.
    """
    output_dir = Path(output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    figs = Figures(output_dir / "figures")
    title = title or "CLiKA report: cross-lingual knowledge alignment"
    flags = FlagIndex(records)
    recomputed = (reference or {}).get("recomputed")
    board = build_leaderboard(records, yours=yours, flags=flags, resamples=resamples, recomputed=recomputed)
    write_leaderboard_csv(board, output_dir / "leaderboard.csv")
    ordered = [r.model for r in board.get(OVERALL, [])]
    models = ordered + sorted({r.model for r in records} - set(ordered))
    detailed = [m for m in models if yours is None or m in yours]
    findings_html = (findings_section(findings or (), cd_findings or (), findings_note)
                     if findings or cd_findings or findings_note else "")
    sections = [  # (anchor, name in the navigation bar, html)
        ("leaderboard", "Leaderboard", leaderboard_section(board, records)),
        ("heatmaps", "Heatmaps", heatmap_section(records, board, flags, figs, yours)),
        ("families", "Families", families_section(list(comparisons) if comparisons else None, summaries, figs)),
        ("home-transfer", "Home transfer", home_transfer_section(records, models, flags, figs, yours)),
        ("cd", "Conductivity", cd_html(records, _curve_images(curves or {}, figs))),
        ("flags", "Flags", flags_section(flags)),
        ("definitions", "Definitions", definitions_section()),
        ("models", "Models", models_section(records, detailed, flags, board, yours, len(models) - len(detailed))),
        ("findings", "Findings", findings_html),
    ]
    nav = " ".join(f'<a href="#{anchor}">{name}</a>' for anchor, name, html in sections if html)
    body = [f"<h1>{escape(title)}</h1>", _header(records, models, yours, reference), f"<nav>{nav}</nav>"]
    body += [f'<section id="{anchor}-section">{html}</section>' for anchor, _, html in sections if html]
    path = output_dir / "report.html"
    path.write_text(_page(title, "\n".join(b for b in body if b)), encoding="utf-8")
    return path


def _page(title: str, body: str) -> str:
    return (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>{escape(title)}</title>'
            f'<meta name="viewport" content="width=device-width, initial-scale=1"><style>{STYLE}</style></head><body>\n'
            f"{body}\n<script>{SCRIPT}</script>\n</body></html>\n")


def comparison_inputs(folder: Path) -> dict:
    """The write_html_report arguments a `clika compare` folder holds (findings_note: it has findings.md only)."""
    folder = Path(folder)
    rows_path, findings_path = folder / "comparisons.jsonl", folder / "findings.json"
    summary_path = folder / "strategy_summary.csv"
    if not rows_path.is_file():
        raise DataError("not a `clika compare` output folder (no comparisons.jsonl)", folder)
    rows = read_records(rows_path)
    summaries = read_records(summary_path) if summary_path.is_file() else []
    findings, cd_findings, note = [], [], None
    if findings_path.is_file():
        findings, cd_findings = read_findings_json(findings_path)
    elif (folder / "findings.md").is_file():
        note = (f"{folder / 'findings.md'} has no findings.json beside it (written by an older clika): rerun "
                "clika compare to show its findings here.")
    return dict(comparisons=rows, summaries=summaries, findings=findings, cd_findings=cd_findings, findings_note=note)
