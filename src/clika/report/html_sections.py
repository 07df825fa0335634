"""The HTML report's main sections: leaderboard, heatmaps, flags, metric definitions (per-model details: html_model.py)."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from clika.formatting import DASH
from clika.metrics.catalog import all_metrics, headline_per_language, label
from clika.metrics.records import Record
from clika.report.flags import KINDS, FlagIndex
from clika.report.heatmaps import model_lang_heatmap
from clika.report.html_parts import Figures, badge, flag_badges, left, model_id, num_cell, tabs
from clika.report.leaderboard import OVERALL, OVERALL_RULE, RANK_KEY, LeaderboardRow, common_tasks, headline_columns

PER_METRIC = ("undefined", "interval", "left_out")  # flag kinds about one metric's value (the others: the answers)
DIRECTION = {"higher": "higher is better", "lower": "lower is better", "none": "neither"}
INTERVAL = ("value", "ci_low", "ci_high")
YOURS = "your model (the other rows are the reference)"


def _leaderboard_table(rows: Sequence[LeaderboardRow], task: str) -> str:
    chances = {r.chance for r in rows if r.chance is not None}
    columns = [c for c in headline_columns() if any(r.value(c.name) is not None for r in rows)]
    chance = f" (chance {min(chances):.2f})" if len(chances) == 1 else ""
    head = "".join(f"<th>{escape(c.label + (chance if c.metric == 'accuracy' else ''))}</th>" for c in columns)
    body = []
    for r in rows:
        cls = " ".join(c for c in ("yours" if r.source == "yours" else "", "" if r.rank else "unranked") if c)
        note = escape(r.note or "")
        rank = f'<td data-v="{r.rank}">{r.rank}</td>' if r.rank else f'<td data-v="" title="{note}">{DASH}</td>'
        why = f' <span class="muted" title="{note}">{escape(r.unranked_because)}</span>' if r.unranked_because else ""
        cells = "".join(num_cell(*(getattr(r.cells.get(c.name), f, None) for f in INTERVAL)) for c in columns)
        mark = " " + badge("yours", "yours", YOURS) if r.source == "yours" else ""
        model = left(f'<a href="#{model_id(r.model)}">{escape(r.model)}</a>{mark}')
        body.append(f'<tr class="{cls}">{rank}{model}{cells}<td data-v="{r.n}">{r.n}</td>'
                    f'{left(flag_badges(r.flag_list, of=r.n_cells) + why)}</tr>')
    return (f'<table class="leaderboard sortable" data-task="{escape(task)}"><thead><tr><th>rank</th>'
            f'{left("model", tag="th")}{head}<th>n</th>{left("flags", tag="th")}</tr></thead>'
            "<tbody>" + "\n".join(body) + "</tbody></table>")


def leaderboard_section(board: dict[str, list[LeaderboardRow]], records: Sequence[Record]) -> str:
    intro = (f'<p>{escape(RANK_KEY)}</p><p>Cells: value <span class="ci">[95% bootstrap interval]</span>; '
             "pivot-relative metrics (RA, en-CO, RankC) are the means over the non-English languages; XRR (overall "
             "row) is the mean over the conductivity target languages; n = English items. Click a column header to "
             "sort. Badges: hover for every flagged cell and its note (all of them are listed under "
             '<a href="#flags">Flags</a>).</p>')
    if OVERALL in board:
        intro += f"<p>{escape(OVERALL_RULE.format(tasks=', '.join(common_tasks(records))))}</p>"
    panels = [(task, _leaderboard_table(rows, task)) for task, rows in board.items()]
    return '<h2 id="leaderboard">Leaderboard</h2>' + intro + tabs("lb", panels)


def heatmap_section(records: Sequence[Record], board: dict, flags: FlagIndex, figs: Figures,
                    yours: set[str] | None) -> str:
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
            "model in every non-English language and their mean, one number per cell; rows in the order of the task's "
            "leaderboard (#rank). Hatched: a dominant option in that language; ‡: a dominant option in English (every "
            "en-CO of the row is inflated); † and a dimmed row: English accuracy is not above chance, so RA compares "
            "with a guesser (a guesser in both languages has RA = 1; on a 2-option task such as x_copa that is 0.50 "
            "accuracy). The red line on each colour bar is the chance reference.</p>")
    return '<h2 id="heatmaps">Model × language heatmaps</h2>' + text + tabs("hm", panels)


def flags_section(flags: FlagIndex) -> str:
    counts = {kind: sum(1 for f in flags.flags if f.kind == kind) for kind in KINDS}
    summary = ", ".join(f"{badge(k, KINDS[k][0], KINDS[k][1])} {n}" for k, n in counts.items() if n) or "none"
    rows = "\n".join("<tr>" + left(f'<a href="#{model_id(f.model)}">{escape(f.model)}</a>', escape(f.task),
                                   escape(f.lang), badge(f.kind, f.badge, KINDS[f.kind][1]),
                                   escape(label(f.metric) if f.metric and f.kind in PER_METRIC else ""),
                                   escape(f.text)) + "</tr>" for f in flags.flags)
    return ('<h2 id="flags">Flags</h2><p>Every flagged cell, with its note. They qualify the numbers next to which '
            f"they appear as badges. Counts: {summary}.</p><p><label>Filter: "
            '<input id="flag-filter" type="search" placeholder="model, task, language or word"></label></p>'
            '<div class="scroll"><table id="flag-table" class="sortable"><thead><tr>'
            f'{left("model", "task", "lang", "flag", "metric", "note", tag="th")}</tr></thead><tbody>{rows}</tbody>'
            "</table></div>")


def definitions_section() -> str:
    """Every registered metric (a newly registered one appears here without edits), then the flag kinds."""
    rows = "\n".join("<tr>" + left(f"<b>{escape(d.label)}</b>", f"<code>{escape(d.name)}</code>",
                                   *map(escape, (d.level, d.scope, d.description, d.chance,
                                                 DIRECTION.get(d.direction, d.direction))),
                                   "yes" if d.headline else "", escape(d.paired_test or "")) + "</tr>"
                     for d in all_metrics())
    kinds = "\n".join(f"<tr>{left(badge(k, name, text), escape(text))}</tr>" for k, (name, text) in KINDS.items())
    head = left("metric", "name", "level", "scope", "definition", "chance", "direction", "headline", "paired test",
                tag="th")
    return ('<h2 id="definitions">Metric definitions</h2><p>PF = performance (RA, relative accuracy vs English), CT = '
            "consistency (en-CO, overlap of correct answers with English; RankC, ranking consistency), CD = "
            "conductivity. Intervals: 95% percentile bootstrap over items (facts for CD), resampled jointly across "
            "languages. Headline: shown in the leaderboard, the tables and the heatmaps; paired test: how "
            "<code>clika compare</code> tests a difference of two models.</p>"
            f'<table id="metric-definitions"><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>'
            '<h3>Flags</h3><table id="flag-kinds"><tbody>' + kinds + "</tbody></table>")
