"""The HTML report's per-model sections, drawn in HTML: accuracy as a bar (95% interval as a whisker, chance as a
dashed tick, a dominant option hatched), pairwise CO and home transfer as tables coloured like the heatmaps (viridis,
0 to 1) with their numbers as text.

Why not matplotlib: a report holds a section per model (40 and more), and their three figures took about 1.5 s each,
85% of the report's time (docs/performance.md); HTML takes milliseconds, stays sharp at any zoom, and its numbers can
be searched and copied. The summary heatmaps, meant for papers and slides, stay figures (heatmaps.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

import matplotlib
import numpy as np

from clika.formatting import DASH, format_record, format_value
from clika.items import lang_order_key
from clika.metrics.catalog import all_metrics, label, metrics_of
from clika.metrics.records import Record
from clika.metrics.registry import PER_LANGUAGE
from clika.report.figures import cell_text, text_color
from clika.report.flags import FlagIndex
from clika.report.heatmaps import home_transfer_tasks, st_matrix
from clika.report.html_parts import badge, flag_badges, left, model_id
from clika.report.leaderboard import OVERALL, LeaderboardRow
from clika.report.terminal import lang_or_mean

BAR_METRIC = "accuracy"  # drawn as a bar in its column (a rate in [0, 1] with a chance level)
HEAT_CMAP = "viridis"
HOME_TRANSFER = (" S &gt; L: among items native to S answered correctly in S, the share also right in L (rows S: the "
                 "culture of the fact; columns L: the language asked in; a proxy for the conductivity of naturally "
                 "acquired knowledge, not XRR)")
LEFT_OUT = ('<p class="muted">{} reference models have no section here (their numbers are in the leaderboard and the '
            "heatmaps).</p>")


def co_matrix(records: Sequence[Record], model: str, task: str, metric: str = "co") -> tuple[list[str], np.ndarray]:
    """(langs, symmetric matrix) of the pairwise `metric` (lang, lang_ref records); diagonal 1, missing NaN."""
    mine = [r for r in records if r.model == model and r.task == task and r.metric == metric]
    pairs = {(r.lang, r.lang_ref): r.value for r in mine if r.lang_ref is not None}
    langs = sorted({code for p in pairs for code in p}, key=lang_order_key)
    index = {code: i for i, code in enumerate(langs)}
    mat = np.full((len(langs), len(langs)), np.nan)
    np.fill_diagonal(mat, 1.0)
    for (a, b), v in pairs.items():
        mat[index[a], index[b]] = mat[index[b], index[a]] = np.nan if v is None else v
    return langs, mat


def heat_table(title: str, rows, cols, mat: np.ndarray, corner: str = "", blank_undefined: bool = False) -> str:
    """A table coloured by value (HEAT_CMAP over [0, 1]), numbers readable on it; undefined: a dash (or empty)."""
    rgba = matplotlib.colormaps[HEAT_CMAP](np.clip(np.nan_to_num(mat), 0, 1))
    body = []
    for i, row in enumerate(rows):
        tds = []
        for j in range(len(cols)):
            v = mat[i, j]
            if not np.isfinite(v):
                tds.append("<td></td>" if blank_undefined else f'<td class="na">{DASH}</td>')
                continue
            style = f"background:{matplotlib.colors.to_hex(rgba[i, j])};color:{text_color(rgba[i, j])}"
            tds.append(f'<td style="{style}" data-v="{v:.6g}">{cell_text(v)}</td>')
        body.append(f"<tr><th>{escape(row)}</th>{''.join(tds)}</tr>")
    head = "".join(f"<th>{escape(c)}</th>" for c in cols)
    return (f'<table class="heat"><caption>{escape(title)}</caption><thead><tr><th>{escape(corner)}</th>{head}</tr>'
            f"</thead><tbody>{''.join(body)}</tbody></table>")


def _heats(title: str, tables: list[str]) -> str:
    return f'<h4>{title}</h4><div class="heats">{"".join(tables)}</div>' if tables else ""


def co_tables(records: Sequence[Record], model: str, metric: str = "co") -> str:
    """Pairwise `metric` per task, its lower triangle (the matrix is symmetric, its diagonal 1)."""
    out = []
    for task in sorted({r.task for r in records if r.metric == metric}):
        langs, mat = co_matrix(records, model, task, metric)
        if len(langs) >= 2:
            mat[np.triu_indices(len(langs))] = np.nan
            out.append(heat_table(task, langs[1:], langs[:-1], mat[1:, :-1], blank_undefined=True))
    return _heats(f"pairwise {escape(label(metric))}: overlap of the correct answers of two languages", out)


def home_transfer_tables(records: Sequence[Record], model: str) -> str:
    out = []
    for task in home_transfer_tasks(records, model):
        sources, queries, mat = st_matrix(records, model, task)
        if sources:
            out.append(heat_table(task, sources, queries, mat, corner="S \\ L"))
    return _heats(escape(label("home_transfer")) + HOME_TRANSFER, out)


def _pct(x: float) -> str:
    return f"{100 * min(max(x, 0.0), 1.0):.1f}%"


def bar(r: Record, hatched: bool) -> str:
    """The value as a bar on [0, 1], its interval as a whisker, chance as a dashed tick (aria-label says it)."""
    if r.value is None:
        return ""
    parts = [f'<i class="fill" style="width:{_pct(r.value)}"></i>']
    said = f"{label(r.metric)} {r.value:.2f}"
    if r.ci_low is not None and r.ci_high is not None:
        parts.append(f'<i class="whisker" style="left:{_pct(r.ci_low)};width:{_pct(r.ci_high - r.ci_low)}"></i>')
        said += f", 95% CI {r.ci_low:.2f} to {r.ci_high:.2f}"
    if r.chance is not None:
        parts.append(f'<i class="chance" style="left:{_pct(r.chance)}"></i>')
        said += f", chance {r.chance:.2f}"
    said += ", dominant option" if hatched else ""
    kind = "bar hatch" if hatched else "bar"
    return f'<span class="{kind}" role="img" aria-label="{escape(said)}">{"".join(parts)}</span>'


def _value_td(r: Record | None, bar_html: str = "") -> str:
    """A value [CI], and its note as a tooltip where it says more than "mean over N languages"."""
    if r is None:
        return f"<td>{DASH}</td>"
    note = r.note or ""
    if note.startswith("mean over ") and ";" not in note:
        note = ""
    mark = f' <abbr class="note" title="{escape(note)}">note</abbr>' if note else ""
    return f"<td>{bar_html}{escape(format_record(r, ci_spec='.2f'))}{mark}</td>"


def metrics_table(records: Sequence[Record], model: str, flags: FlagIndex) -> str:
    """task x lang rows, a column per per-language metric (accuracy with its bar), flags beside the numbers."""
    metrics = [d.name for d in metrics_of(*PER_LANGUAGE)]
    cells: dict[tuple[str, str], dict[str, Record]] = {}
    for r in records:
        if r.model == model and r.metric in metrics and r.stratum is None and (where := lang_or_mean(r)) is not None:
            cells.setdefault((r.task, where), {})[r.metric] = r
    present = [m for m in metrics if any(m in by for by in cells.values())]
    head = "".join(f"<th>{escape(label(m))}</th>" for m in present)
    out = [f'<div class="wide"><table class="metrics"><thead><tr>{left("task", "lang", tag="th")}{head}'
           f'<th>n</th>{left("flags", tag="th")}</tr></thead><tbody>']
    for (task, lang), by in sorted(cells.items(), key=lambda kv: (kv[0][0], lang_order_key(kv[0][1]))):
        drawn = ""
        if BAR_METRIC in by and lang != "mean":
            drawn = bar(by[BAR_METRIC], flags.has(model, task, lang, "dominant"))
        tds = "".join(_value_td(by.get(m), drawn if m == BAR_METRIC else "") for m in present)
        badges = left(flag_badges(flags.cell(model, task, lang), per_cell=True))
        out.append(f'<tr>{left(escape(task), escape(lang))}{tds}<td>{max(r.n for r in by.values())}</td>{badges}</tr>')
    out.append("</tbody></table></div>")
    return "\n".join(out)


def other_table(records: Sequence[Record], model: str) -> str:
    """Records of metrics outside the per-language, pairwise, diagnostic and CD tables (e.g. home transfer's means)."""
    skip = {d.name for d in metrics_of(*PER_LANGUAGE, "pair", "cd", "cd_rate", "run")}
    skip |= {d.name for d in all_metrics() if d.level == "diagnostic"}
    rows = [r for r in records if r.model == model and r.metric not in skip and not r.metric.startswith("option_share_")
            and not (r.metric == "home_transfer" and r.aggregate is None)]  # the S>L cells are in their table
    if not rows:
        return ""
    body = "".join(f'<tr>{left(*map(escape, (r.task_label, r.where, label(r.metric), r.stratum or "")))}'
                   f'<td>{escape(format_record(r))}</td><td>{r.n}</td>{left(escape(r.note or ""))}</tr>'
                   for r in sorted(rows, key=lambda r: (r.metric, r.task, lang_order_key(r.lang or "~"))))
    head = left("task", "lang", "metric", "stratum", tag="th") + "<th>value [95% CI]</th><th>n</th>"
    return f'<table class="other"><thead><tr>{head}{left("note", tag="th")}</tr></thead><tbody>{body}</tbody></table>'


def model_section(records: Sequence[Record], model: str, flags: FlagIndex, overall: LeaderboardRow | None,
                  yours: bool) -> str:
    mine = [r for r in records if r.model == model]
    summary = f"<b>{escape(model)}</b>" + (" " + badge("yours", "yours", "your model") if yours else "")
    if overall is not None and "en_co" in overall.cells:
        rank = f"#{overall.rank}" if overall.rank else "unranked"
        cell = overall.cells["en_co"]
        value = escape(format_value(cell.value, cell.ci_low, cell.ci_high))
        summary += f' <span class="muted">overall {rank}; mean {label("en_co")} {value}</span>'
    of = sum(len(flags.langs.get((model, t), ())) for t in {r.task for r in mine})
    summary += " " + flag_badges(flags.of(model), of=of)
    body = [metrics_table(mine, model, flags), co_tables(mine, model), home_transfer_tables(mine, model)]
    body = "\n".join(b for b in [*body, other_table(mine, model)] if b)
    return f'<details class="model" id="{model_id(model)}"><summary>{summary}</summary>{body}</details>'


def models_section(records: Sequence[Record], models: Sequence[str], flags: FlagIndex, board: dict,
                   yours: set[str] | None, left_out=0) -> str:
    overall = {r.model: r for r in board.get(OVERALL, [])}
    links = " ".join(f'<a href="#{model_id(m)}">{escape(m)}</a>' for m in models)
    note = LEFT_OUT.format(left_out) if left_out else ""
    by_model: dict[str, list[Record]] = {}
    for r in records:
        by_model.setdefault(r.model, []).append(r)
    parts = [model_section(by_model.get(m, []), m, flags, overall.get(m), bool(yours and m in yours)) for m in models]
    return ('<h2 id="models">Models</h2><p>One collapsed section per model: every per-language metric with its flags, '
            f"{escape(label(BAR_METRIC))} drawn as a bar (its 95% interval as a black whisker, chance as a red dashed "
            "tick, hatched where one option dominates), pairwise CO and home transfer as coloured tables. Click a name "
            f'to open it.</p><p class="muted">{links}</p>{note}' + "\n".join(parts))
