"""The HTML report's main sections: leaderboard, heatmaps, flags, metric definitions (per-model details: html_model.py)."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from clika.formatting import DASH
from clika.metrics.catalog import all_metrics, headline_per_language, label
from clika.metrics.records import Record
from clika.report.flags import KINDS, FlagIndex
from clika.report.html_parts import (
    Figures,
    badge,
    flag_badges,
    model_id,
    num_cell,
    slug,
    tabs,
)
from clika.report.leaderboard import (
    OVERALL,
    OVERALL_RULE,
    RANK_KEY,
    LeaderboardRow,
    common_tasks,
    headline_columns,
)

PER_METRIC = ("undefined", "interval", "left_out")  # flag kinds about one metric's value (the others: the answers)
DIRECTION = {"higher": "higher is better", "lower": "lower is better", "none": "neither"}


# ---------------------------------------------------------------- leaderboard

def _model_cell(row: LeaderboardRow) -> str:
    mark = " " + badge("yours", "yours", "your model (the other rows are the reference)") if row.source == "yours" else ""
    return f'<td class="l"><a href="#{model_id(row.model)}">{escape(row.model)}</a>{mark}</td>'


def _leaderboard_table(rows: Sequence[LeaderboardRow], task: str) -> str:
    chances = {r.chance for r in rows if r.chance is not None}
    columns = [c for c in headline_columns() if any(r.value(c.name) is not None for r in rows)]
    names = [c.label + (f" (chance {min(chances):.2f})" if c.metric == "accuracy" and len(chances) == 1 else "")
             for c in columns]
    head = ('<thead><tr><th>rank</th><th class="l">model</th>' + "".join(f"<th>{escape(n)}</th>" for n in names)
            + '<th>n</th><th class="l">flags</th></tr></thead>')
    body = []
    for r in rows:
        cls = " ".join(c for c in ("yours" if r.source == "yours" else "", "" if r.rank else "unranked") if c)
        rank = f'<td data-v="{r.rank}">{r.rank}</td>' if r.rank else f'<td data-v="" title="{escape(r.note or "")}">{DASH}</td>'
        note = (f' <span class="muted" title="{escape(r.note or "")}">{escape(r.unranked_because)}</span>'
                if r.unranked_because else "")
        cells = "".join(num_cell(*(getattr(r.cells.get(c.name), f, None) for f in ("value", "ci_low", "ci_high")))
                        for c in columns)
        body.append(f'<tr class="{cls}">{rank}{_model_cell(r)}{cells}'
                    f'<td data-v="{r.n}">{r.n}</td><td class="l">{flag_badges(r.flag_list, of=r.n_cells)}{note}</td></tr>')
    return (f'<table class="leaderboard sortable" data-task="{escape(task)}">{head}<tbody>'
            + "\n".join(body) + "</tbody></table>")


def leaderboard_section(board: dict[str, list[LeaderboardRow]], records: Sequence[Record]) -> str:
    tasks = common_tasks(records)
    intro = [f"<p>{escape(RANK_KEY)}</p>",
             ("<p>Cells: value <span class=\"ci\">[95% bootstrap interval]</span>; pivot-relative metrics (RA, "
              "en-CO, RankC) are the means over the non-English languages; XRR (overall row) is the mean over the "
              "conductivity target languages; n = English items. Click a column header to sort. Badges: hover for "
              'every flagged cell and its note (all of them are listed under <a href="#flags">Flags</a>).</p>')]
    if OVERALL in board:
        intro.append(f"<p>{escape(OVERALL_RULE.format(tasks=', '.join(tasks)))}</p>")
    panels = [(task, _leaderboard_table(rows, task)) for task, rows in board.items()]
    return '<h2 id="leaderboard">Leaderboard</h2>' + "".join(intro) + tabs("lb", panels)


# ---------------------------------------------------------------- heatmaps

def heatmap_section(records: Sequence[Record], board: dict[str, list[LeaderboardRow]], flags: FlagIndex,
                    figs: Figures, yours: set[str] | None) -> str:
    from clika.report.heatmaps import model_lang_heatmap

    panels = []
    shown = {d.name for d in headline_per_language() if d.scope != "lang"}
    for task, rows in board.items():
        if task == OVERALL or not any(r.task == task and r.metric in shown for r in records):
            continue
        fig = model_lang_heatmap(records, task, [r.model for r in rows], flags, yours, {r.model: r.rank for r in rows})
        panels.append((task, figs.img(fig, f"heatmap_{task}", f"headline metrics by model and language, {task}")))
    if not panels:
        return ""
    text = ("<p>The headline pivot-relative metrics (RA, en-CO, and RankC where per-option scores exist) of every "
            "model in every non-English language and their mean, one number per cell; rows in the order of the "
            "task's leaderboard (#rank). Hatched: a dominant option in that "
            "language; ‡: a dominant option in English (every en-CO of the row is inflated); † and a dimmed "
            "row: English accuracy is not above chance, so RA compares with a guesser (a guesser in both "
            "languages has RA = 1; on a 2-option task such as x_copa that is 0.50 accuracy). The red line on "
            "each colour bar is the chance reference.</p>")
    return '<h2 id="heatmaps">Model × language heatmaps</h2>' + text + tabs("hm", panels)


# ---------------------------------------------------------------- flags and definitions

def flags_section(flags: FlagIndex) -> str:
    counts = {kind: sum(1 for f in flags.flags if f.kind == kind) for kind in KINDS}
    summary = ", ".join(f"{badge(k, KINDS[k][0], KINDS[k][1])} {n}" for k, n in counts.items() if n) or "none"
    rows = "\n".join(
        f'<tr><td class="l"><a href="#{model_id(f.model)}">{escape(f.model)}</a></td><td class="l">{escape(f.task)}</td>'
        f'<td class="l">{escape(f.lang)}</td><td class="l">{badge(f.kind, f.badge, KINDS[f.kind][1])}</td>'
        f'<td class="l">{escape(label(f.metric) if f.metric and f.kind in PER_METRIC else "")}</td>'
        f'<td class="l">{escape(f.text)}</td></tr>'
        for f in flags.flags)
    return ('<h2 id="flags">Flags</h2><p>Every flagged cell, with its note. They qualify the numbers next to '
            f"which they appear as badges. Counts: {summary}.</p>"
            '<p><label>Filter: <input id="flag-filter" type="search" placeholder="model, task, language or word">'
            "</label></p>"
            '<div class="scroll"><table id="flag-table" class="sortable"><thead><tr><th class="l">model</th>'
            '<th class="l">task</th><th class="l">lang</th><th class="l">flag</th><th class="l">metric</th>'
            f'<th class="l">note</th></tr></thead><tbody>{rows}</tbody></table></div>')


def definitions_section() -> str:
    """Every registered metric (a newly registered one appears here without edits), then the flag kinds."""
    rows = "\n".join(
        f'<tr><td class="l"><b>{escape(d.label)}</b></td><td class="l"><code>{escape(d.name)}</code></td>'
        f'<td class="l">{escape(d.level)}</td><td class="l">{escape(d.scope)}</td><td class="l">{escape(d.description)}</td>'
        f'<td class="l">{escape(d.chance)}</td><td class="l">{escape(DIRECTION.get(d.direction, d.direction))}</td>'
        f'<td class="l">{"yes" if d.headline else ""}</td><td class="l">{escape(d.paired_test or "")}</td></tr>'
        for d in all_metrics())
    kinds = "\n".join(f'<tr><td class="l">{badge(k, name, text)}</td><td class="l">{escape(text)}</td></tr>'
                      for k, (name, text) in KINDS.items())
    return ('<h2 id="definitions">Metric definitions</h2><p>PF = performance (RA, relative accuracy vs English), '
            "CT = consistency (en-CO, overlap of correct answers with English; RankC, ranking consistency), CD = "
            "conductivity. Intervals: 95% percentile bootstrap over items (facts for CD), resampled jointly across "
            "languages. Headline: shown in the leaderboard, the tables and the heatmaps; paired test: how "
            "<code>clika compare</code> tests a difference of two models.</p>"
            '<table id="metric-definitions"><thead><tr><th class="l">metric</th><th class="l">name</th>'
            '<th class="l">level</th><th class="l">scope</th><th class="l">definition</th>'
            f'<th class="l">chance</th><th class="l">direction</th><th class="l">headline</th>'
            f'<th class="l">paired test</th></tr></thead><tbody>{rows}</tbody></table>'
            '<h3>Flags</h3><table id="flag-kinds"><tbody>' + kinds + "</tbody></table>")


# ---------------------------------------------------------------- per model

__all__ = ["definitions_section", "flags_section", "heatmap_section", "leaderboard_section", "slug"]
