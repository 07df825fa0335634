"""The HTML report's main sections: leaderboard, heatmaps, flags, metric definitions, per-model details."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from clika.formatting import DASH, format_record
from clika.items import lang_order_key
from clika.metrics.catalog import all_metrics, label, metrics_of
from clika.metrics.records import MetricRecord
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
)

PER_METRIC = ("undefined", "interval", "left_out")  # flag kinds about one metric's value (the others: the answers)
DIRECTION = {"higher": "higher is better", "lower": "lower is better", "none": "neither"}


# ---------------------------------------------------------------- leaderboard

def _model_cell(row: LeaderboardRow) -> str:
    mark = " " + badge("yours", "yours", "your model (the other rows are the reference)") if row.source == "yours" else ""
    return f'<td class="l"><a href="#{model_id(row.model)}">{escape(row.model)}</a>{mark}</td>'


def _leaderboard_table(rows: Sequence[LeaderboardRow], task: str) -> str:
    chances = {r.chance for r in rows if r.chance is not None}
    acc = f"{label('accuracy')} en" + (f" (chance {chances.pop():.2f})" if len(chances) == 1 else "")
    head = (f'<thead><tr><th>rank</th><th class="l">model</th><th>{escape(acc)}</th><th>{label("ra")}</th>'
            f'<th>{label("en_co")}</th><th>n</th><th class="l">flags</th></tr></thead>')
    body = []
    for r in rows:
        cls = " ".join(c for c in ("yours" if r.source == "yours" else "", "" if r.rank else "unranked") if c)
        rank = f'<td data-v="{r.rank}">{r.rank}</td>' if r.rank else f'<td data-v="" title="{escape(r.note or "")}">{DASH}</td>'
        note = (f' <span class="muted" title="{escape(r.note or "")}">{escape(r.unranked_because)}</span>'
                if r.unranked_because else "")
        body.append(f'<tr class="{cls}">{rank}{_model_cell(r)}'
                    f"{num_cell(r.accuracy_en, r.accuracy_en_ci_low, r.accuracy_en_ci_high)}"
                    f"{num_cell(r.ra, r.ra_ci_low, r.ra_ci_high)}{num_cell(r.en_co, r.en_co_ci_low, r.en_co_ci_high)}"
                    f'<td data-v="{r.n}">{r.n}</td><td class="l">{flag_badges(r.flag_list, of=r.n_cells)}{note}</td></tr>')
    return (f'<table class="leaderboard sortable" data-task="{escape(task)}">{head}<tbody>'
            + "\n".join(body) + "</tbody></table>")


def leaderboard_section(board: dict[str, list[LeaderboardRow]], records: Sequence[MetricRecord]) -> str:
    tasks = common_tasks(records)
    intro = [f"<p>{escape(RANK_KEY)}</p>",
             ("<p>Cells: value <span class=\"ci\">[95% bootstrap interval]</span>; RA and en-CO are the means over "
             "the non-English languages (the \"avg\" records); n = English items. Click a column header to sort. "
             "Badges: hover for every flagged cell and its note (all of them are listed under "
             '<a href="#flags">Flags</a>).</p>')]
    if OVERALL in board:
        intro.append(f"<p>{escape(OVERALL_RULE.format(tasks=', '.join(tasks)))}</p>")
    panels = [(task, _leaderboard_table(rows, task)) for task, rows in board.items()]
    return '<h2 id="leaderboard">Leaderboard</h2>' + "".join(intro) + tabs("lb", panels)


# ---------------------------------------------------------------- heatmaps

def heatmap_section(records: Sequence[MetricRecord], board: dict[str, list[LeaderboardRow]], flags: FlagIndex,
                    figs: Figures, yours: set[str] | None) -> str:
    from clika.report.heatmaps import model_lang_heatmap

    panels = []
    for task, rows in board.items():
        if task == OVERALL or not any(r.task == task and r.metric == "ra" for r in records):
            continue
        fig = model_lang_heatmap(records, task, [r.model for r in rows], flags, yours, {r.model: r.rank for r in rows})
        panels.append((task, figs.img(fig, f"heatmap_{task}", f"RA and en-CO by model and language, {task}")))
    if not panels:
        return ""
    text = ("<p>RA and en-CO of every model in every non-English language and their mean (avg), one number per "
            "cell; rows in the order of the task's leaderboard (#rank). Hatched: a dominant option in that "
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
        f'<td class="l">{escape(d.chance)}</td><td class="l">{escape(DIRECTION.get(d.direction, d.direction))}</td></tr>'
        for d in all_metrics())
    kinds = "\n".join(f'<tr><td class="l">{badge(k, name, text)}</td><td class="l">{escape(text)}</td></tr>'
                      for k, (name, text) in KINDS.items())
    return ('<h2 id="definitions">Metric definitions</h2><p>PF = performance (RA, relative accuracy vs English), '
            "CT = consistency (en-CO, overlap of correct answers with English), CD = conductivity. Intervals: 95% "
            "percentile bootstrap over items, resampled jointly across languages.</p>"
            '<table id="metric-definitions"><thead><tr><th class="l">metric</th><th class="l">name</th>'
            '<th class="l">level</th><th class="l">scope</th><th class="l">definition</th>'
            f'<th class="l">chance</th><th class="l">direction</th></tr></thead><tbody>{rows}</tbody></table>'
            '<h3>Flags</h3><table id="flag-kinds"><tbody>' + kinds + "</tbody></table>")


# ---------------------------------------------------------------- per model

def _metrics_table(records: Sequence[MetricRecord], model: str, flags: FlagIndex) -> str:
    """task x lang rows, one column per per-language metric of the registry; flags beside the numbers."""
    metrics = [d.name for d in metrics_of("lang", "pivot")]
    cells: dict[tuple[str, str], dict[str, MetricRecord]] = {}
    for r in records:
        if r.model == model and r.metric in metrics and r.stratum is None:
            cells.setdefault((r.task, r.lang), {})[r.metric] = r
    present = [m for m in metrics if any(m in by for by in cells.values())]
    head = "".join(f"<th>{escape(label(m))}</th>" for m in present)
    out = [(f'<div class="wide"><table class="metrics"><thead><tr><th class="l">task</th><th class="l">lang</th>{head}'
           f'<th>n</th><th class="l">flags</th></tr></thead><tbody>')]
    for (task, lang), by in sorted(cells.items(), key=lambda kv: (kv[0][0], lang_order_key(kv[0][1]))):
        tds = "".join(_value_td(by.get(m)) for m in present)
        n = max(r.n for r in by.values())
        out.append(f'<tr><td class="l">{escape(task)}</td><td class="l">{escape(lang)}</td>{tds}<td>{n}</td>'
                   f'<td class="l">{flag_badges(flags.cell(model, task, lang), per_cell=True)}</td></tr>')
    out.append("</tbody></table></div>")
    return "\n".join(out)


def _value_td(r: MetricRecord | None) -> str:
    """A value [CI], and its note as a tooltip where it says more than "mean over N languages"."""
    if r is None:
        return f"<td>{DASH}</td>"
    note = r.note or ""
    if note.startswith("mean over ") and ";" not in note:
        note = ""
    mark = f' <abbr class="note" title="{escape(note)}">note</abbr>' if note else ""
    return f"<td>{escape(format_record(r, ci_spec='.2f'))}{mark}</td>"


def _other_table(records: Sequence[MetricRecord], model: str) -> str:
    """Records of metrics outside the per-language, pairwise and diagnostic tables (e.g. home transfer, XRR)."""
    skip = {d.name for d in metrics_of("lang", "pivot", "pair", "diagnostic")}
    rows = [r for r in records if r.model == model and r.metric not in skip and not r.metric.startswith("option_share_")
            and not (r.metric == "home_transfer" and ">" in r.lang)]  # the S>L cells are in the figure
    if not rows:
        return ""
    body = "".join(f'<tr><td class="l">{escape(r.task)}</td><td class="l">{escape(r.lang)}</td>'
                   f'<td class="l">{escape(label(r.metric))}</td><td class="l">{escape(r.stratum or "")}</td>'
                   f"<td>{escape(format_record(r))}</td><td>{r.n}</td><td class=\"l\">{escape(r.note or '')}</td></tr>"
                   for r in sorted(rows, key=lambda r: (r.metric, r.task, lang_order_key(r.lang))))
    return ('<table class="other"><thead><tr><th class="l">task</th><th class="l">lang</th><th class="l">metric</th>'
            '<th class="l">stratum</th><th>value [95% CI]</th><th>n</th><th class="l">note</th></tr></thead>'
            f"<tbody>{body}</tbody></table>")


def model_section(records: Sequence[MetricRecord], model: str, flags: FlagIndex, figs: Figures,
                  overall: LeaderboardRow | None, yours: bool) -> str:
    from clika.report.figures import accuracy_bars_figure, co_heatmaps_figure
    from clika.report.heatmaps import home_transfer_figure, home_transfer_tasks

    mine = [r for r in records if r.model == model]
    summary = f"<b>{escape(model)}</b>" + (" " + badge("yours", "yours", "your model") if yours else "")
    if overall is not None:
        rank = f"#{overall.rank}" if overall.rank else "unranked"
        summary += (f' <span class="muted">overall {rank}; mean {label("en_co")} '
                    f'{escape(format_record(overall_record(overall, "en_co")))}</span>')
    summary += " " + flag_badges(flags.of(model), of=sum(len(flags.langs.get((model, t), ())) for t in
                                                         {r.task for r in mine}))
    body = [figs.img(accuracy_bars_figure(mine, model, flags), f"accuracy_{model}", f"accuracy by language, {model}")]
    if any(r.metric == "co" for r in mine):
        body.append(figs.img(co_heatmaps_figure(mine, model), f"co_{model}", f"pairwise CO, {model}", crisp=True))
    if home_transfer_tasks(mine):
        body.append(figs.img(home_transfer_figure(mine, model), f"home_transfer_{model}", f"home transfer, {model}",
                             crisp=True))
    body += [_metrics_table(mine, model, flags), _other_table(mine, model)]
    return (f'<details class="model" id="{model_id(model)}"><summary>{summary}</summary>' + "\n".join(body)
            + "</details>")


def overall_record(row: LeaderboardRow, col: str) -> MetricRecord:
    return MetricRecord(row.model, row.task, "avg", col, getattr(row, col), getattr(row, f"{col}_ci_low", None),
                        getattr(row, f"{col}_ci_high", None))


def models_section(records: Sequence[MetricRecord], models: Sequence[str], flags: FlagIndex, figs: Figures,
                   board: dict[str, list[LeaderboardRow]], yours: set[str] | None, left_out: int = 0) -> str:
    overall = {r.model: r for r in board.get(OVERALL, [])}
    links = " ".join(f'<a href="#{model_id(m)}">{escape(m)}</a>' for m in models)
    note = (f'<p class="muted">{left_out} reference models have no section here (their numbers are in the '
            "leaderboard and the heatmaps).</p>") if left_out else ""
    parts = [model_section(records, m, flags, figs, overall.get(m), bool(yours and m in yours)) for m in models]
    return ('<h2 id="models">Models</h2><p>One collapsed section per model: accuracy by language with the chance '
            "line, pairwise CO, home transfer where measured, and every per-language metric with its flags. "
            f'Click a name to open it.</p><p class="muted">{links}</p>{note}' + "\n".join(parts))


__all__ = ["definitions_section", "flags_section", "heatmap_section", "leaderboard_section", "models_section", "slug"]
